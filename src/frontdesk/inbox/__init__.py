"""The team's inbox: the workspace tag catalog and tagging conversations."""

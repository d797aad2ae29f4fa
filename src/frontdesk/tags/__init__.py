"""Tags: the workspace tag catalog and tagging conversations."""

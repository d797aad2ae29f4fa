"""Workspaces (and, later, members, roles, invites and API keys)."""

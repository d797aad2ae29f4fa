"""Outbound network infrastructure shared by every domain that calls out (no domain knowledge)."""

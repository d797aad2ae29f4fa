"""Conversations between a visitor, the AI and the team: one thread, one owner at a time."""

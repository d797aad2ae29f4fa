"""Insights: what the agent resolves, what it hands off, and what content is missing."""

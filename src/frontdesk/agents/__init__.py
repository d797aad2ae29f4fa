"""Agents: the agent record, its settings (the agent file) and creating, editing, importing them."""

"""Typed events: recorded with the change that caused them, published after commit."""

"""The demo: a powersports dealership agent with sample content."""

"""Teams, routing of handoffs to a team, auto-assignment and member presence."""

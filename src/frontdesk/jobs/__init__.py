"""Background jobs on taskiq: in this process by default, through Redis for several processes."""

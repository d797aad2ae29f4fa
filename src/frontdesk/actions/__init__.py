"""What the agent does besides answering: forms that collect a lead, HTTP calls out."""

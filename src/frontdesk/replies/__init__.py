"""Saved replies: the team's library of canned responses, inserted by a /shortcut."""

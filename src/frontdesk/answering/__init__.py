"""The answer pipeline: retrieve, re-rank, write the reply, cite, decide confidence or hand off."""

"""Agents and the answer pipeline: retrieve, generate, cite, decide confidence."""

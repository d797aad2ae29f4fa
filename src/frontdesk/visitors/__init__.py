"""Visitors of the embeddable widget: origin checks and visitor tokens."""

"""The embeddable website widget: its public API rules (origins, visitor tokens, limits)."""

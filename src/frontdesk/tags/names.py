"""What a tag may be called: the one rule, for the catalog, the rules and teams' route tags."""

from __future__ import annotations

import re

from frontdesk.errors import InvalidInput

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")  # the rules' Tag type


def check_name(raw: str, field: str = "name") -> str:
    """A tag name, trimmed and lower-cased, or InvalidInput saying what a name may be."""
    name = raw.strip().lower()
    if not NAME.fullmatch(name):
        raise InvalidInput(
            f"'{raw.strip()[:60]}' is not a tag name: use 1 to 40 lower-case letters, digits, "
            "'-' or '_', starting with a letter or digit (e.g. 'trade-in').",
            field=field,
        )
    return name

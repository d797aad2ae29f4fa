"""The roles a member can hold (a module of its own so the CLI can offer them cheaply)."""

from __future__ import annotations

from typing import Literal

Role = Literal["owner", "admin", "agent"]
ROLES: tuple[Role, ...] = ("owner", "admin", "agent")

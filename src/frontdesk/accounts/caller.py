"""Who is making a request: a member (signed in) or a workspace API key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from frontdesk.accounts.roles import Role
from frontdesk.errors import Forbidden

_RANK = {"agent": 0, "admin": 1, "owner": 2}


@dataclass(frozen=True)
class Caller:
    workspace_id: str
    role: Role
    via: Literal["session", "api_key", "local"]
    member_id: str | None = None
    name: str | None = None
    csrf_token: str | None = None
    session_id: str | None = None

    def at_least(self, role: Role) -> bool:
        return _RANK[self.role] >= _RANK[role]

    def require(self, role: Role) -> None:
        if not self.at_least(role):
            raise Forbidden(f"This needs the {role} role; you are {self.role}.")

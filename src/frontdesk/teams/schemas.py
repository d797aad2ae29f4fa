"""Request and response bodies of the teams and presence API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from frontdesk.inputs import Input

PresenceName = Literal["online", "away", "offline"]
Choice = Literal["online", "away"]


class TeamIn(Input):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=80, examples=["Finance"])
    members: list[str] = Field(default_factory=list, max_length=500, description="Member ids.")
    route_tags: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="Handoffs of conversations carrying any of these tags go to this team.",
    )
    auto_assign: bool = Field(
        False, description="Assign handoffs round-robin among the team's online members."
    )
    max_open: int = Field(
        5, ge=1, le=500, description="Open conversations a member holds before being skipped."
    )


class TeamPatch(Input):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=80)
    members: list[str] | None = Field(None, max_length=500)
    route_tags: list[str] | None = Field(None, max_length=50)
    auto_assign: bool | None = None
    max_open: int | None = Field(None, ge=1, le=500)


class TeamMemberOut(BaseModel):
    id: str
    name: str
    presence: PresenceName
    open_conversations: int


class TeamOut(BaseModel):
    id: str
    name: str
    members: list[TeamMemberOut]
    route_tags: list[str]
    auto_assign: bool
    max_open: int
    online: int = Field(description="Members online now.")
    created_at: datetime


class TeamList(BaseModel):
    teams: list[TeamOut]


class PresenceIn(Input):
    model_config = ConfigDict(extra="forbid")

    status: Choice = Field(description="online, or away (no new auto-assigned chats).")


class PresenceOut(BaseModel):
    member_id: str
    presence: PresenceName
    choice: Choice


class TeamRefIn(Input):
    model_config = ConfigDict(extra="forbid")

    team_id: str | None = Field(description="The team to move the conversation to, or null.")

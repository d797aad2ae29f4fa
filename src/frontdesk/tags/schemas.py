"""What the API says about tags, and what it accepts."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from frontdesk.inputs import Input


class TagOut(BaseModel):
    id: str
    name: str
    color: str = Field(description="#rrggbb")
    conversations: int = Field(description="How many conversations carry the tag.")
    created_at: datetime


class TagList(BaseModel):
    tags: list[TagOut]


class TagName(Input):
    tag: str = Field(
        max_length=200,
        description="A tag name (lower-case letters, digits, '-', '_'; up to 40); "
        "created in the catalog when new.",
    )


class TagChanges(Input):
    name: str | None = Field(None, max_length=200, description="A new name (admins).")
    color: str | None = Field(None, max_length=20, description="#rrggbb")


class MergeIn(Input):
    into: str = Field(description="The id of the tag that stays.")

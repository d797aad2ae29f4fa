"""What the saved-replies API takes and returns; the checks every reply passes."""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import BaseModel, Field, field_validator

from frontdesk.inputs import Input

SHORTCUT = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
VARIABLES = ("visitor.name", "agent.name")
_VARIABLE = re.compile(r"\{([^{}\s]{1,40})\}")
MAX_TEXT = 4000


def check_shortcut(raw: str) -> str:
    value = raw.strip().lower().removeprefix("/")
    if not SHORTCUT.fullmatch(value):
        raise ValueError(
            "use 1-32 lowercase letters, digits, - or _ (starting with a letter or digit), "
            "e.g. financing"
        )
    return value


def check_text(raw: str) -> str:
    value = raw.strip()
    if not value:
        raise ValueError("the reply is empty")
    if len(value) > MAX_TEXT:
        raise ValueError(f"at most {MAX_TEXT} characters")
    for name in _VARIABLE.findall(value):
        if name not in VARIABLES:
            known = " or ".join("{" + v + "}" for v in VARIABLES)
            raise ValueError(f"unknown variable {{{name}}}: use {known}")
    return value


def check_title(raw: str) -> str:
    value = raw.strip()
    if not value or len(value) > 120:
        raise ValueError("give a title of 1-120 characters")
    return value


class SavedReplyIn(Input):
    shortcut: str = Field(description="Typed as /shortcut in the composer, e.g. financing.")
    title: str = Field(description="What the reply is for, shown in the suggestions.")
    text: str = Field(
        description="The reply; {visitor.name} and {agent.name} are filled in when inserted."
    )

    @field_validator("shortcut")
    @classmethod
    def _shortcut(cls, value: str) -> str:
        return check_shortcut(value)

    @field_validator("title")
    @classmethod
    def _title(cls, value: str) -> str:
        return check_title(value)

    @field_validator("text")
    @classmethod
    def _text(cls, value: str) -> str:
        return check_text(value)


class SavedReplyChanges(Input):
    shortcut: str | None = None
    title: str | None = None
    text: str | None = None

    @field_validator("shortcut")
    @classmethod
    def _shortcut(cls, value: str | None) -> str | None:
        return None if value is None else check_shortcut(value)

    @field_validator("title")
    @classmethod
    def _title(cls, value: str | None) -> str | None:
        return None if value is None else check_title(value)

    @field_validator("text")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        return None if value is None else check_text(value)


class SavedReplyOut(BaseModel):
    id: str
    shortcut: str
    title: str
    text: str
    created_at: datetime
    updated_at: datetime


class SavedReplyList(BaseModel):
    replies: list[SavedReplyOut]
    variables: list[str] = Field(default=list(VARIABLES), description="Variables a text may use.")

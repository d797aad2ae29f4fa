"""Business hours: when a handoff can reach a person now, in the business's own time zone."""

from __future__ import annotations

import re
from datetime import datetime, time
from functools import cache
from typing import Annotated
from zoneinfo import ZoneInfo, available_timezones

from pydantic import ConfigDict, Field, StringConstraints, field_validator

from frontdesk.inputs import Input, IsoDate

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
DayRange = Annotated[str, StringConstraints(max_length=40)]
Spans = Annotated[str, StringConstraints(max_length=200)]
DEFAULT_CLOSED = (
    "Our team is away right now; leave your question here and we will answer when we are back."
)


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_time_zone(name: str) -> bool:
    """An IANA name this machine's tz database knows ("Europe/Berlin"; not "Europe")."""
    return name in _zones()


def _days(key: str) -> list[int]:
    """``tue-fri`` / ``mon,wed`` / ``sat`` -> weekday numbers (Monday is 0)."""
    found: list[int] = []
    for part in key.lower().replace(" ", "").split(","):
        first, _, last = part.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise ValueError(f"'{key}' is not a day or day range like tue-fri")
        start, end = DAYS.index(first), DAYS.index(last or first)
        found += [d % 7 for d in range(start, end + 1 if end >= start else end + 8)]
    return found


def _spans(value: str) -> list[tuple[time, time]]:
    spans = []
    for part in value.split(","):
        if part.strip().lower() == "closed":
            continue
        match = _SPAN.match(part)
        if not match:
            raise ValueError(f"'{part.strip()}' is not a time span like 08:00-17:30")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
            raise ValueError(f"'{part.strip()}' has an impossible time")
        start, end = time(h1, m1), time(23, 59, 59, 999999) if h2 == 24 else time(h2, m2)
        if end <= start:
            raise ValueError(f"'{part.strip()}' ends before it starts")
        spans.append((start, end))
    return spans


class BusinessHours(Input):
    model_config = ConfigDict(extra="forbid")

    timezone: str = Field(max_length=64, description="IANA time zone, e.g. America/Chicago.")
    weekly: dict[DayRange, Spans] = Field(
        default_factory=dict,
        max_length=14,
        description='e.g. {"tue-fri": "08:00-17:30", "sat": "09:00-14:00"}',
    )
    holidays: list[IsoDate] = Field(
        default_factory=list, max_length=400, description="Closed all day."
    )
    closed_message: str = Field(DEFAULT_CLOSED, min_length=1, max_length=2000)
    collect: str | None = Field(
        None,
        max_length=40,
        description="Form offered with the closed message (else the rule's form).",
    )

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        if not is_time_zone(value):
            raise ValueError(f"'{value}' is not a time zone like America/Chicago")
        return value

    @field_validator("weekly")
    @classmethod
    def _weekly(cls, value: dict[str, str]) -> dict[str, str]:
        for key, spans in value.items():
            _days(key)
            _spans(str(spans))
        return value

    def is_open(self, at: datetime) -> bool:
        """Whether ``at`` (any time zone) falls inside the opening hours."""
        local = at.astimezone(ZoneInfo(self.timezone))
        if local.date() in self.holidays:
            return False
        now = local.time().replace(tzinfo=None)
        for key, spans in self.weekly.items():
            if local.weekday() in _days(key) and any(
                start <= now < end or (end.hour == 23 and end.minute == 59 and now >= start)
                for start, end in _spans(str(spans))
            ):
                return True
        return False

"""A clock the tests move by hand, so conversations happen at chosen instants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

START = datetime(2024, 3, 5, 15, 0, tzinfo=UTC)


class Clock:
    """Every stored timestamp of the server (running in this process) reads this clock."""

    def __init__(self, now: datetime = START):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def at(self, when: datetime) -> None:
        self.now = when

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)

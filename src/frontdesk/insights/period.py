"""The range a report covers: ``from``/``to`` as dates or datetimes, read in an IANA time zone.

A date ``from`` starts at local midnight; a date ``to`` is inclusive, so the range ends at the
next local midnight. A datetime without an offset is local time in ``tz``; one with an offset
is that instant. The range is half-open, [start, end), and held in UTC, the way every
timestamp is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from frontdesk.errors import InvalidInput

MAX_DAYS = 366
DEFAULT_DAYS = 30
YEARS = (1970, 9998)


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime
    tz: ZoneInfo

    def local_days(self) -> list[date]:
        """Each local calendar day the range touches, in order."""
        first = self.start.astimezone(self.tz).date()
        last = (self.end - timedelta(microseconds=1)).astimezone(self.tz).date()
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]

    def local_day(self, instant: datetime) -> date:
        return instant.astimezone(self.tz).date()


def zone(name: str | None) -> ZoneInfo:
    name = (name or "UTC").strip()
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidInput(
            f"'{name[:60]}' is not an IANA time zone such as 'Europe/Paris' or 'UTC'.",
            field="tz",
        ) from None


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def _parse(raw: str, field: str, tz: ZoneInfo) -> date | datetime:
    """A plain date, or the UTC instant a datetime names."""
    text = raw.strip()
    try:
        moment = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or not YEARS[0] <= moment.year <= YEARS[1]:
        raise InvalidInput(
            f"'{field}' must be a date (2024-05-31) or an ISO datetime "
            f"(2024-05-31T18:00:00+02:00) after 1970; got '{raw[:40]}'.",
            field=field,
        )
    if not isinstance(moment, datetime):
        return moment
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.astimezone(UTC)


def parse_period(start: str | None, end: str | None, tz_name: str | None, now: datetime) -> Period:
    """Read the query's ``from``, ``to`` and ``tz``; by default the 30 local days to today."""
    tz = zone(tz_name)
    first = _parse(start, "from", tz) if start else None
    last = _parse(end, "to", tz) if end else now.astimezone(tz).date()
    # A date names a whole local day: the range runs to the next local midnight.
    stop = last if isinstance(last, datetime) else _local_midnight(last + timedelta(days=1), tz)
    if first is None:
        first = (stop - timedelta(microseconds=1)).astimezone(tz).date() - timedelta(
            days=DEFAULT_DAYS - 1
        )
    begin = first if isinstance(first, datetime) else _local_midnight(first, tz)
    if begin >= stop:
        raise InvalidInput("'from' must be before 'to'.", field="from")
    if stop - begin > timedelta(days=MAX_DAYS, hours=1):  # an hour of slack for DST
        raise InvalidInput(f"The range can span at most {MAX_DAYS} days.", field="from")
    return Period(begin, stop, tz)

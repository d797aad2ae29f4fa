"""Checking what a visitor typed into a form: one readable message per bad field."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from frontdesk.actions.config import FormAction, FormField
from frontdesk.errors import InvalidFields

MAX_VALUE = 2000
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_CHARS = re.compile(r"^\+?[0-9 ().\-/]+$")
# A datetime-local input sends minutes; allow the clock to be a little behind.
PAST_GRACE = timedelta(minutes=5)


def clean_submission(
    form: FormAction, values: dict[str, Any], now: datetime, timezone: str | None = None
) -> dict[str, str]:
    """The values to store (trimmed, normalised), or InvalidFields naming each problem.

    Dates and times without an offset are read in ``timezone`` (the business's), else UTC.
    """
    known = {f.name for f in form.fields}
    errors: dict[str, str] = {
        name: "This form has no such field." for name in values if name not in known
    }
    cleaned: dict[str, str] = {}
    zone = ZoneInfo(timezone) if timezone else None
    for spec in form.fields:
        raw = values.get(spec.name)
        text = "" if raw is None else str(raw).strip()
        if not text:
            if spec.required:
                errors[spec.name] = f"{spec.title} is required."
            continue
        if len(text) > MAX_VALUE:
            errors[spec.name] = f"{spec.title} is too long (at most {MAX_VALUE:,} characters)."
            continue
        problem, value = _check(spec, text, now, zone)
        if problem:
            errors[spec.name] = problem
        else:
            cleaned[spec.name] = value
    if errors:
        raise InvalidFields(errors)
    return cleaned


def _check(spec: FormField, text: str, now: datetime, zone: ZoneInfo | None) -> tuple[str, str]:
    title = spec.title
    if spec.type == "email":
        if not EMAIL.match(text):
            return f"{title} must be an email address like name@example.com.", ""
        return "", text
    if spec.type == "phone":
        digits = re.sub(r"\D", "", text)
        if not PHONE_CHARS.match(text) or not 7 <= len(digits) <= 15:
            return f"{title} must be a phone number (7 to 15 digits, + allowed).", ""
        return "", text
    if spec.type == "number":
        try:
            float(text)
        except ValueError:
            return f"{title} must be a number.", ""
        return "", text
    if spec.type == "date":
        try:
            day = date.fromisoformat(text)
        except ValueError:
            return f"{title} must be a date (YYYY-MM-DD).", ""
        today = now.astimezone(zone).date() if zone else now.date()
        if day < today:
            return f"{title} is in the past; choose today or a later date.", ""
        return "", day.isoformat()
    if spec.type == "datetime":
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return f"{title} must be a date and time (YYYY-MM-DDTHH:MM).", ""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone or now.tzinfo)
        if moment < now - PAST_GRACE:
            return f"{title} is in the past; choose a later time.", ""
        return "", moment.isoformat(timespec="minutes")
    if spec.type == "select" and text not in spec.options:
        return f"{title} must be one of: {', '.join(spec.options)}.", ""
    return "", text


def shown(field_type: str, value: str) -> str:
    """A stored value as people read it: times in words, with the offset they were given in."""
    if field_type == "datetime":
        moment = datetime.fromisoformat(value)
        offset = moment.strftime("%z")
        zone = "UTC" if offset in ("+0000", "") else f"UTC{offset[:3]}:{offset[3:]}"
        return f"{moment.strftime('%a %d %b %Y, %H:%M')} ({zone})"
    if field_type == "date":
        return date.fromisoformat(value).strftime("%a %d %b %Y")
    return value

"""Business hours across time zones, daylight saving, holidays; the closed message in a chat."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from pydantic import ValidationError

from frontdesk.rules.hours import BusinessHours

RIDGELINE = BusinessHours(
    timezone="America/Chicago",
    weekly={"tue-fri": "08:00-17:30", "sat": "09:00-14:00"},
    holidays=["2026-12-25"],
)


@pytest.mark.parametrize(
    ("utc", "open_"),
    [
        ("2026-11-24T14:00", True),  # Tue 08:00 in Chicago (CST, UTC-6)
        ("2026-11-24T13:59", False),  # Tue 07:59
        ("2026-11-24T23:29", True),  # Tue 17:29
        ("2026-11-24T23:30", False),  # Tue 17:30: closed
        ("2026-11-25T03:00", False),  # still Tue evening in Chicago, Wed in UTC
        ("2026-11-23T16:00", False),  # Monday
        ("2026-11-28T19:59", True),  # Sat 13:59
        ("2026-11-28T20:00", False),  # Sat 14:00
        ("2026-07-07T13:00", True),  # Tue 08:00 in summer (CDT, UTC-5)
        ("2026-07-07T12:59", False),
        ("2026-12-25T16:00", False),  # a Friday, but a holiday
    ],
)
def test_opening_hours_in_the_business_time_zone(utc: str, open_: bool) -> None:
    assert RIDGELINE.is_open(datetime.fromisoformat(utc).replace(tzinfo=UTC)) is open_


def test_wrapping_day_ranges_and_several_spans() -> None:
    hours = BusinessHours(timezone="Europe/Berlin", weekly={"fri-mon": "10:00-12:00, 13:00-24:00"})
    sunday_late = datetime(2026, 11, 29, 22, 30, tzinfo=UTC)  # Sun 23:30 in Berlin
    assert hours.is_open(sunday_late)
    assert not hours.is_open(datetime(2026, 11, 29, 11, 30, tzinfo=UTC))  # Sun 12:30 lunch
    assert not hours.is_open(datetime(2026, 11, 25, 10, 0, tzinfo=UTC))  # Wednesday


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("timezone", "Mars/Olympus"),
        ("weekly", {"tues-fri": "08:00-17:00"}),
        ("weekly", {"mon": "8am-5pm"}),
        ("weekly", {"mon": "17:00-08:00"}),
        ("weekly", {"mon": "25:00-26:00"}),
    ],
)
def test_bad_hours_are_rejected(field: str, value: object) -> None:
    config = {"timezone": "UTC", field: value}
    with pytest.raises(ValidationError):
        BusinessHours.model_validate(config)


def test_a_handoff_outside_hours_gets_the_closed_message(
    client: httpx.Client, agent, visitors
) -> None:
    hours = {"timezone": "UTC", "weekly": {}, "closed_message": "We are back Tuesday at 8:00."}
    patched = client.patch(f"/api/v1/agents/{agent['id']}", json={"business_hours": hours})
    assert patched.status_code == 200, patched.text
    assert patched.json()["business_hours"]["closed_message"] == "We are back Tuesday at 8:00."
    bad = client.patch(
        f"/api/v1/agents/{agent['id']}", json={"business_hours": {"timezone": "Nowhere/City"}}
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "business_hours.timezone"
    visitor = visitors()
    assert visitor.handoff().json() == {"status": "waiting"}
    texts = [m["text"] for m in visitor.history()["messages"]]
    assert texts == [agent["handoff_message"], "We are back Tuesday at 8:00."]
    detail = client.get(f"/api/v1/conversations/{visitor.id}").json()
    notes = [m["text"] for m in detail["messages"] if m["author"] == "system"]
    assert notes == ["Handed off: visitor asked for a person", "Outside business hours"]
    exported = client.get(f"/api/v1/agents/{agent['id']}/export").text
    assert "business_hours:" in exported and "We are back Tuesday" in exported

"""Form answers: each field type's checks, with one readable message per bad field."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frontdesk.actions.config import FormAction
from frontdesk.actions.forms import clean_submission
from frontdesk.errors import InvalidFields

NOW = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)
LEAD = FormAction.model_validate(
    {
        "name": "lead",
        "kind": "form",
        "fields": [
            {"name": "name", "type": "text", "required": True},
            {"name": "phone", "type": "phone", "required": True},
            {"name": "email", "type": "email"},
            {"name": "when", "type": "datetime", "label": "Preferred appointment time"},
            {"name": "day", "type": "date"},
            {"name": "unit", "type": "select", "options": ["ATV", "Snowmobile"]},
        ],
    }
)


def _errors(values: dict[str, object], timezone: str | None = None) -> dict[str, str]:
    with pytest.raises(InvalidFields) as caught:
        clean_submission(LEAD, values, NOW, timezone)
    return caught.value.fields


def test_valid_answers_are_trimmed_and_normalised() -> None:
    cleaned = clean_submission(
        LEAD,
        {
            "name": "  Dana Reyes ",
            "phone": "+1 (218) 555-0142",
            "email": "dana@example.com",
            "when": "2026-11-24T10:30",
            "unit": "ATV",
        },
        NOW,
        "America/Chicago",
    )
    assert cleaned == {
        "name": "Dana Reyes",
        "phone": "+1 (218) 555-0142",
        "email": "dana@example.com",
        "when": "2026-11-24T10:30-06:00",
        "unit": "ATV",
    }


def test_every_problem_is_named_by_field() -> None:
    errors = _errors(
        {
            "phone": "call me",
            "email": "dana@",
            "when": "2026-11-20T09:00",
            "day": "2020-01-01",
            "unit": "Boat",
            "shoe_size": "9",
        }
    )
    assert errors == {
        "name": "Name is required.",
        "phone": "Phone must be a phone number (7 to 15 digits, + allowed).",
        "email": "Email must be an email address like name@example.com.",
        "when": "Preferred appointment time is in the past; choose a later time.",
        "day": "Day is in the past; choose today or a later date.",
        "unit": "Unit must be one of: ATV, Snowmobile.",
        "shoe_size": "This form has no such field.",
    }


def test_times_are_read_in_the_business_time_zone() -> None:
    # 08:30 in Chicago is 14:30 UTC: already past at 15:00 UTC, though 08:30 UTC is too.
    assert "when" in _errors(
        {"name": "D", "phone": "2185550142", "when": "2026-11-22T08:30"}, "America/Chicago"
    )
    # 10:00 in Chicago is 16:00 UTC: still ahead.
    cleaned = clean_submission(
        LEAD,
        {"name": "D", "phone": "2185550142", "when": "2026-11-22T10:00"},
        NOW,
        "America/Chicago",
    )
    assert cleaned["when"] == "2026-11-22T10:00-06:00"
    bad = _errors({"name": "D", "phone": "2185550142", "when": "next tuesday"})
    assert bad == {"when": "Preferred appointment time must be a date and time (YYYY-MM-DDTHH:MM)."}


@given(st.text(alphabet="0123456789", min_size=7, max_size=15))
def test_any_7_to_15_digits_is_a_phone(digits: str) -> None:
    assert clean_submission(LEAD, {"name": "D", "phone": digits}, NOW)["phone"] == digits


@given(st.text(max_size=40).filter(lambda s: not 7 <= sum(c.isdigit() for c in s) <= 15))
def test_too_few_or_many_digits_is_not_a_phone(text: str) -> None:
    if not text.strip():
        assert _errors({"name": "D", "phone": text}) == {"phone": "Phone is required."}
    else:
        assert set(_errors({"name": "D", "phone": text})) == {"phone"}

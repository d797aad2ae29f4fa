"""Reading a report's range in a time zone, and the percentile the reply times use."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from frontdesk.errors import InvalidInput
from frontdesk.insights.period import parse_period
from frontdesk.insights.service import percentile

NOW = datetime(2024, 10, 27, 12, tzinfo=UTC)


def test_dates_are_whole_local_days_across_a_change_of_clocks() -> None:
    # Paris leaves summer time on 27 October 2024: that day lasts 25 hours.
    period = parse_period("2024-10-27", "2024-10-27", "Europe/Paris", NOW)
    assert period.start == datetime(2024, 10, 26, 22, tzinfo=UTC)
    assert period.end == datetime(2024, 10, 27, 23, tzinfo=UTC)
    assert period.local_days() == [date(2024, 10, 27)]
    assert period.local_day(datetime(2024, 10, 27, 22, 59, tzinfo=UTC)) == date(2024, 10, 27)
    assert period.local_day(datetime(2024, 10, 27, 23, 0, tzinfo=UTC)) == date(2024, 10, 28)


def test_datetimes_are_instants_and_naive_ones_local_time() -> None:
    period = parse_period("2024-10-01T08:00:00", "2024-10-02T08:00:00Z", "Asia/Kolkata", NOW)
    assert period.start == datetime(2024, 10, 1, 2, 30, tzinfo=UTC)
    assert period.end == datetime(2024, 10, 2, 8, tzinfo=UTC)
    assert period.local_days() == [date(2024, 10, 1), date(2024, 10, 2)]


def test_without_dates_the_range_is_the_30_local_days_to_today() -> None:
    period = parse_period(None, None, None, NOW)
    assert (period.start, period.end) == (
        datetime(2024, 9, 28, tzinfo=UTC),
        datetime(2024, 10, 28, tzinfo=UTC),
    )
    assert len(period.local_days()) == 30
    alone = parse_period("2024-10-20", None, "UTC", NOW)
    assert alone.end == datetime(2024, 10, 28, tzinfo=UTC)
    only_to = parse_period(None, "2024-01-31", "UTC", NOW)
    assert only_to.start == datetime(2024, 1, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "end", "tz", "field"),
    [
        ("2024-02-30", None, "UTC", "from"),
        (None, "31/01/2024", "UTC", "to"),
        ("2024-01-01", "2024-01-02", "", "tz"),
        ("2024-01-01", "2024-01-02", "x" * 300, "tz"),
        ("2024-01-03", "2024-01-02", "UTC", "from"),
        ("2024-01-01", "2025-01-02", "UTC", "from"),
    ],
)
def test_mistakes_name_their_field(start: str | None, end: str | None, tz: str, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_period(start, end, tz or " ", NOW)
    assert caught.value.field == field


def test_percentiles_interpolate_between_ranks() -> None:
    assert percentile([], 0.5) is None
    assert percentile([7.0], 0.9) == 7.0
    assert percentile([40.0, 10.0, 30.0, 20.0], 0.5) == 25.0
    assert percentile([10.0, 20.0, 30.0, 40.0], 0.9) == pytest.approx(37.0)
    assert percentile([120.0, 300.0], 0.9) == pytest.approx(282.0)

"""Every table of the insights report as CSV, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from typing import Literal

from frontdesk.insights.period import Period
from frontdesk.insights.schemas import InsightsOut

Table = Literal[
    "summary",
    "handoffs_by_trigger",
    "handoffs_by_tag",
    "handoffs_by_team",
    "csat",
    "daily",
    "knowledge_gaps",
]
Cell = str | int | float | None
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Cell) -> Cell:
    """Text that a spreadsheet would take for a formula gets a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _summary(report: InsightsOut) -> Iterable[Sequence[Cell]]:
    replies = report.first_human_reply_s
    after = report.resolution_after_handoff
    yield ("metric", "value")
    yield ("conversations", report.conversations)
    yield ("resolved_by_ai", report.resolved_by_ai)
    yield ("deflection_rate", report.deflection_rate)
    yield ("handoffs", report.handoffs)
    yield ("handoff_rate", report.handoff_rate)
    yield ("first_human_reply_count", replies.count)
    yield ("first_human_reply_median_s", replies.median)
    yield ("first_human_reply_p90_s", replies.p90)
    yield ("closed_after_handoff", after.closed)
    yield ("resolution_after_handoff_rate", after.rate)
    yield ("thumbs_up", report.feedback.up)
    yield ("thumbs_down", report.feedback.down)
    yield ("csat_count", report.csat.count)
    yield ("csat_average", report.csat.average)


def _by_trigger(report: InsightsOut) -> Iterable[Sequence[Cell]]:
    yield ("trigger", "handoffs")
    for row in report.handoffs_by_trigger:
        yield (row.trigger, row.count)


def _by_tag(report: InsightsOut) -> Iterable[Sequence[Cell]]:
    yield ("tag", "handoffs")
    for row in report.handoffs_by_tag:
        yield (row.tag if row.tag is not None else "(no tag)", row.count)


def _by_team(report: InsightsOut) -> Iterable[Sequence[Cell]]:
    yield ("team_id", "team", "handoffs")
    for row in report.handoffs_by_team:
        name = row.team if row.team is not None else "(no team)" if row.team_id is None else ""
        yield (row.team_id, name, row.count)


def _csat(report: InsightsOut) -> Iterable[Sequence[Cell]]:
    yield ("score", "ratings")
    for bucket in report.csat.distribution:
        yield (bucket.score, bucket.count)


def _daily(report: InsightsOut) -> Iterable[Sequence[Cell]]:
    yield ("day", "conversations", "handoffs")
    for day in report.daily:
        yield (day.day.isoformat(), day.conversations, day.handoffs)


def _gaps(report: InsightsOut) -> Iterable[Sequence[Cell]]:
    yield (
        "question",
        "count",
        "unanswered",
        "thumbs_down",
        "last_asked_at",
        "agent",
        "answered",
        "examples",
    )
    for gap in report.knowledge_gaps:
        yield (
            gap.question,
            gap.count,
            gap.unanswered,
            gap.thumbs_down,
            gap.last_asked_at.isoformat(),
            gap.agent_name,
            "yes" if gap.answered else "no",
            " | ".join(example.text for example in gap.examples),
        )


TABLES: dict[str, Callable[[InsightsOut], Iterable[Sequence[Cell]]]] = {
    "summary": _summary,
    "handoffs_by_trigger": _by_trigger,
    "handoffs_by_tag": _by_tag,
    "handoffs_by_team": _by_team,
    "csat": _csat,
    "daily": _daily,
    "knowledge_gaps": _gaps,
}


def to_csv(report: InsightsOut, table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in TABLES[table](report):
        writer.writerow(["" if cell is None else safe_cell(cell) for cell in row])
    return out.getvalue()


def filename(period: Period, table: Table) -> str:
    """insights-daily-2024-05-01-2024-05-31.csv: the local days the range covers."""
    days = period.local_days()
    return f"insights-{table}-{days[0].isoformat()}-{days[-1].isoformat()}.csv"

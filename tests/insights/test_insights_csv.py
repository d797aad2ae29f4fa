"""Every table of the report as a CSV download, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
from clocks import Clock

from frontdesk.insights.export import safe_cell

MARCH = {"from": "2024-03-01", "to": "2024-03-31"}
FORMULA = '=HYPERLINK("http://evil.test","Do you sell boats?")'


def download(client: httpx.Client, table: str, **params: str) -> list[list[str]]:
    response = client.get("/api/v1/insights.csv", params={"table": table, **MARCH, **params})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="insights-{table}-2024-03-01-2024-03-31.csv"'
    )
    return list(csv.reader(io.StringIO(response.text)))


def test_each_table_downloads_as_csv(
    clock: Clock, client: httpx.Client, member: httpx.Client, agent: dict[str, Any], visitors
) -> None:
    answered = visitors()
    assert answered.send("When is the service department open?").status_code == 201
    answered.wait_for("ai")
    clock.advance(minutes=5)
    stuck = visitors()
    assert stuck.send(FORMULA).status_code == 201
    stuck.wait_for("ai")
    assert stuck.history()["status"] == "waiting"
    tagged = member.post(f"/api/v1/conversations/{stuck.id}/tags", json={"tag": "boats"})
    assert tagged.status_code == 200, tagged.text
    clock.advance(seconds=90)
    replied = member.post(f"/api/v1/conversations/{stuck.id}/messages", json={"text": "No."})
    assert replied.status_code == 201, replied.text

    summary = dict(download(client, "summary", agent_id=agent["id"]))
    assert summary.pop("metric") == "value"
    assert summary == {
        "conversations": "2",
        "resolved_by_ai": "1",
        "deflection_rate": "0.5",
        "handoffs": "1",
        "handoff_rate": "0.5",
        "first_human_reply_count": "1",
        "first_human_reply_median_s": "90.0",
        "first_human_reply_p90_s": "90.0",
        "closed_after_handoff": "0",
        "resolution_after_handoff_rate": "0.0",
        "thumbs_up": "0",
        "thumbs_down": "0",
        "csat_count": "0",
        "csat_average": "",
    }
    assert download(client, "handoffs_by_trigger") == [
        ["trigger", "handoffs"],
        ["low_confidence", "1"],
    ]
    assert download(client, "handoffs_by_tag") == [["tag", "handoffs"], ["boats", "1"]]
    assert download(client, "handoffs_by_team") == [
        ["team_id", "team", "handoffs"],
        ["", "(no team)", "1"],
    ]
    assert download(client, "csat") == [["score", "ratings"]] + [[str(s), "0"] for s in range(1, 6)]
    daily = download(client, "daily")
    assert daily[0] == ["day", "conversations", "handoffs"]
    assert len(daily) == 32 and daily[5] == ["2024-03-05", "2", "1"]
    [header, gap] = download(client, "knowledge_gaps")
    assert header[:3] == ["question", "count", "unanswered"]
    # A visitor's text that a spreadsheet would run as a formula is quoted.
    assert gap[0] == "'" + FORMULA and gap[1:3] == ["1", "1"]
    assert gap[5:] == ["Ridgeline", "no", "'" + FORMULA]


def test_an_unknown_table_is_refused(client: httpx.Client) -> None:
    response = client.get("/api/v1/insights.csv", params={"table": "secrets"})
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "table"


def test_cells_a_spreadsheet_would_run_are_quoted() -> None:
    for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert safe_cell(text) == "'" + text
    for value in ("Do you sell boats?", "", 3, 0.5, None, "a=b"):
        assert safe_cell(value) == value

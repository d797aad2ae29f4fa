"""An admin reads the insights page: tiles and charts show the seeded numbers, a table
downloads as CSV, and a knowledge gap gets its answer in one click."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import httpx
import pytest
from e2e_support import Inbox, OpenTab
from playwright.async_api import Locator, expect

from app_fixtures import Accounts
from support import ServerThread, wait_for_source

ADMIN = "ada@ridgeline.test"
BOATS = ("Do you sell pontoon boats?", "Can I buy a pontoon boat from you?")
BOAT_ANSWER = "Yes, we sell Bennington pontoon boats from 18 to 25 feet."


def _ask(visitor: Any, text: str) -> dict[str, Any]:
    assert visitor.send(text).status_code == 201
    answer: dict[str, Any] = visitor.wait_for("ai")[-1]
    return answer


def _seed(client: httpx.Client, visitors: Any) -> None:
    """4 conversations today: 1 answered (thumbs up), 2 the AI could not answer (the same
    question twice), 1 answered then handed off by the button, tagged, replied, closed, CSAT 4."""
    answered = visitors()
    seq = _ask(answered, "When is the service department open?")["seq"]
    rated = answered.http.post(
        f"/api/v1/widget/conversations/{answered.id}/messages/{seq}/feedback",
        json={"rating": "up"},
    )
    assert rated.status_code == 200
    for text in BOATS:
        stuck = visitors()
        _ask(stuck, text)
        assert stuck.history()["status"] == "waiting"
    loan = visitors()
    _ask(loan, "Do you offer financing?")
    assert loan.handoff().json()["status"] == "waiting"
    for path, body in [
        (f"/api/v1/conversations/{loan.id}/tags", {"tag": "financing"}),
        (f"/api/v1/conversations/{loan.id}/messages", {"text": "Happy to help."}),
        (f"/api/v1/conversations/{loan.id}/close", None),
    ]:
        response = client.post(path, json=body)
        assert response.status_code in (200, 201), response.text
    scored = loan.http.post(f"/api/v1/widget/conversations/{loan.id}/csat", json={"score": 4})
    assert scored.status_code == 200


@pytest.fixture
def admin(accounts: Accounts) -> str:
    """Ada, an admin (members are made with asyncio.run: not inside an async test)."""
    accounts.member(ADMIN, role="admin", name="Ada")
    return ADMIN


async def _bars(chart: Locator) -> list[tuple[str, str]]:
    rows: list[list[str]] = await chart.locator('[data-testid="bar"]').evaluate_all(
        "els => els.map(el => [el.dataset.label, el.dataset.value])"
    )
    return [(label, value) for label, value in rows]


async def test_an_admin_reads_insights_downloads_csv_and_answers_a_gap(
    open_tab: OpenTab,
    server: ServerThread,
    admin: str,
    client: httpx.Client,
    agent: dict[str, Any],
    visitors: Any,
    artifacts: Path,
) -> None:
    _seed(client, visitors)
    inbox = await Inbox.sign_in(open_tab, server, admin)
    page = inbox.page
    await page.set_viewport_size({"width": 1280, "height": 1900})
    await page.get_by_test_id("nav-insights").click()
    insights = page.get_by_test_id("insights-page")
    await expect(insights).to_have_attribute("data-state", "ready")

    def kpi(key: str) -> Locator:
        return page.get_by_test_id(f"kpi-{key}").get_by_test_id("kpi-value")

    await expect(kpi("conversations")).to_have_text("4")
    await expect(kpi("resolved")).to_have_text("1")
    await expect(kpi("handoffs")).to_have_text("3")
    await expect(kpi("thumbs")).to_have_text("0")
    await expect(kpi("csat")).to_have_text("4.00")
    await expect(page.get_by_test_id("kpi-resolved")).to_contain_text("25% deflection")
    await expect(page.get_by_test_id("kpi-handoffs")).to_contain_text("75% of conversations")

    trigger_chart = page.get_by_test_id("chart-handoffs_by_trigger")
    assert await trigger_chart.get_attribute("role") == "img"
    assert "low confidence: 2" in (await trigger_chart.get_attribute("aria-label") or "")
    assert await _bars(trigger_chart) == [("low confidence", "2"), ("button", "1")]
    assert await _bars(page.get_by_test_id("chart-handoffs_by_tag")) == [
        ("(no tag)", "2"),
        ("financing", "1"),
    ]
    assert await _bars(page.get_by_test_id("chart-handoffs_by_team")) == [("(no team)", "3")]
    assert await _bars(page.get_by_test_id("chart-csat")) == [
        (f"{score} / 5", "1" if score == 4 else "0") for score in range(5, 0, -1)
    ]
    busy = page.locator('[data-testid="chart-daily"] [data-testid="day"][data-conversations="4"]')
    await expect(busy).to_have_count(1)
    assert await busy.get_attribute("data-handoffs") == "3"
    await expect(page.locator('[data-testid="chart-daily"] [data-testid="day"]')).to_have_count(30)
    await expect(trigger_chart.locator("text.bar-value")).to_have_text(["2", "1"])

    async with page.expect_download() as started:
        await page.get_by_test_id("csv-handoffs_by_trigger").click()
    download = await started.value
    assert download.suggested_filename.startswith("insights-handoffs_by_trigger-")
    saved = await download.path()
    rows = list(csv.reader(io.StringIO(Path(saved).read_text(encoding="utf-8"))))
    assert rows == [["trigger", "handoffs"], ["low_confidence", "2"], ["button", "1"]]

    gap = page.get_by_test_id("gap").filter(has=page.get_by_test_id("gap-count").get_by_text("2×"))
    await expect(gap).to_have_count(1)
    question = await gap.get_by_test_id("gap-question").text_content()
    assert question in BOATS
    await inbox.tab.screenshot(artifacts, "inbox-insights.png")

    await gap.get_by_test_id("gap-add").click()
    await gap.get_by_test_id("gap-answer").fill(BOAT_ANSWER)
    await gap.get_by_test_id("gap-save").click()
    await expect(gap.get_by_test_id("gap-status")).to_have_text("Added to Ridgeline")
    await expect(gap).to_have_attribute("data-answered", "true")
    await expect(gap.get_by_test_id("gap-answered")).to_be_visible()
    sources = client.get(f"/api/v1/agents/{agent['id']}/sources").json()
    [added] = [s for s in sources if s["title"] == question]
    assert wait_for_source(client, added["id"])["status"] == "ready"
    assert inbox.tab.errors == []


async def test_the_insights_page_is_not_offered_to_agents(
    open_tab: OpenTab, server: ServerThread, member: httpx.Client
) -> None:
    inbox = await Inbox.sign_in(open_tab, server, "sam@ridgeline.test")
    page = inbox.page
    await expect(page.get_by_test_id("nav-team")).to_be_visible()
    await expect(page.get_by_test_id("nav-insights")).to_have_count(0)
    await page.goto(f"{server.url}/inbox#/insights")
    await expect(page.get_by_test_id("insights-error")).to_have_text(
        "Insights are for owners and admins."
    )
    assert inbox.tab.errors == []

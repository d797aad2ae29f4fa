"""The insights report over conversations built through the public APIs, metric by metric."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from clocks import Clock

from app_fixtures import Accounts, sign_in
from support import ServerThread

MARCH = {"from": "2024-03-01", "to": "2024-03-31"}


def report(client: httpx.Client, **params: str) -> dict[str, Any]:
    response = client.get("/api/v1/insights", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def ask(visitor: Any, text: str) -> dict[str, Any]:
    """Send ``text`` and wait for the AI's reply to it."""
    before = len([m for m in visitor.history()["messages"] if m["author"] == "ai"])
    assert visitor.send(text).status_code == 201
    return visitor.wait_for("ai", before + 1)[-1]


def rate(visitor: Any, seq: int, rating: str) -> None:
    path = f"/api/v1/widget/conversations/{visitor.id}/messages/{seq}/feedback"
    assert visitor.http.post(path, json={"rating": rating}).status_code == 200


def csat(visitor: Any, score: int) -> None:
    path = f"/api/v1/widget/conversations/{visitor.id}/csat"
    assert visitor.http.post(path, json={"score": score}).status_code == 200


def post(http: httpx.Client, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = http.post(path, json=body)
    assert response.status_code in (200, 201), response.text
    result: dict[str, Any] = response.json()
    return result


def test_an_empty_range_counts_nothing(clock: Clock, client: httpx.Client, agent) -> None:
    body = report(client, agent_id=agent["id"], **MARCH)
    assert body["agent_id"] == agent["id"]
    assert body["period"] == {
        "start": "2024-03-01T00:00:00Z",
        "end": "2024-04-01T00:00:00Z",
        "tz": "UTC",
    }
    assert (body["conversations"], body["resolved_by_ai"], body["handoffs"]) == (0, 0, 0)
    assert body["deflection_rate"] is None and body["handoff_rate"] is None
    assert body["handoffs_by_trigger"] == body["handoffs_by_tag"] == body["handoffs_by_team"] == []
    assert body["first_human_reply_s"] == {"count": 0, "median": None, "p90": None}
    assert body["resolution_after_handoff"] == {"handoffs": 0, "closed": 0, "rate": None}
    assert body["feedback"] == {"up": 0, "down": 0}
    assert body["csat"] == {
        "count": 0,
        "average": None,
        "distribution": [{"score": s, "count": 0} for s in range(1, 6)],
    }
    assert len(body["daily"]) == 31
    assert body["daily"][0] == {"day": "2024-03-01", "conversations": 0, "handoffs": 0}
    assert body["daily"][-1]["day"] == "2024-03-31"
    assert body["knowledge_gaps"] == []


def test_every_metric_over_a_seeded_month(
    clock: Clock,
    client: httpx.Client,
    member: httpx.Client,
    agent: dict[str, Any],
    visitors,
) -> None:
    day = clock.now
    # A: answered by the AI, thumbs up.
    a = visitors()
    rate(a, ask(a, "When is the service department open?")["seq"], "up")

    # B: answered, thumbs down, closed by the team without a word, rated 2.
    clock.at(day + timedelta(hours=1))
    b = visitors()
    rate(b, ask(b, "Do you offer financing?")["seq"], "down")
    post(client, f"/api/v1/conversations/{b.id}/close")
    csat(b, 2)

    # C: the AI cannot answer (low confidence hands off); an API client replies 2 minutes
    # later and closes it; rated 5.
    clock.at(day + timedelta(hours=2))
    c = visitors()
    refusal = ask(c, "Do you sell pontoon boats?")
    assert c.history()["status"] == "waiting", refusal
    clock.advance(seconds=120)
    post(client, f"/api/v1/conversations/{c.id}/messages", {"text": "We do not, sorry."})
    clock.advance(seconds=60)
    post(client, f"/api/v1/conversations/{c.id}/close")
    csat(c, 5)

    # D: answered, then the visitor presses "Talk to a person"; tagged, so the handoff goes to
    # the Finance team (moving it later does not rewrite where it went), and Sam replies 5
    # minutes after the handoff (after a private note).
    clock.at(day + timedelta(hours=3))
    d = visitors()
    ask(d, "Do you offer financing?")
    post(member, f"/api/v1/conversations/{d.id}/tags", {"tag": "financing"})
    finance = post(client, "/api/v1/teams", {"name": "Finance", "route_tags": ["financing"]})
    sales = post(client, "/api/v1/teams", {"name": "Sales"})
    clock.advance(seconds=10)
    assert d.handoff().json()["status"] == "waiting"
    post(client, f"/api/v1/conversations/{d.id}/team", {"team_id": sales["id"]})
    clock.advance(seconds=100)
    post(member, f"/api/v1/conversations/{d.id}/messages", {"text": "Look", "private": True})
    clock.advance(seconds=200)
    post(member, f"/api/v1/conversations/{d.id}/messages", {"text": "Hi, Sam here."})

    # E: answered, then Sam takes over without a handoff and replies.
    clock.at(day + timedelta(hours=4))
    e = visitors()
    ask(e, "When is the service department open?")
    post(member, f"/api/v1/conversations/{e.id}/takeover")
    post(member, f"/api/v1/conversations/{e.id}/messages", {"text": "Anything else?"})

    # F: never wrote (pressed the button at once): not counted.
    clock.at(day + timedelta(hours=5))
    f = visitors()
    assert f.handoff().json()["status"] == "waiting"

    # G: in April, outside the range.
    clock.at(datetime(2024, 4, 10, 12, tzinfo=UTC))
    g = visitors()
    ask(g, "Do you sell snowmobile trailers?")

    body = report(client, agent_id=agent["id"], **MARCH)
    assert body["conversations"] == 5
    assert body["resolved_by_ai"] == 2
    assert body["deflection_rate"] == 2 / 5
    assert body["handoffs"] == 2
    assert body["handoff_rate"] == 2 / 5
    assert body["handoffs_by_trigger"] == [
        {"trigger": "button", "count": 1},
        {"trigger": "low_confidence", "count": 1},
    ]
    assert [(t["tag"], t["count"]) for t in body["handoffs_by_tag"]] == [
        ("financing", 1),
        (None, 1),
    ]
    assert body["handoffs_by_team"] == [
        {"team_id": finance["id"], "team": "Finance", "count": 1},
        {"team_id": None, "team": None, "count": 1},
    ]
    # 120 s and 300 s: linear interpolation between ranks.
    assert body["first_human_reply_s"] == {"count": 2, "median": 210.0, "p90": 282.0}
    assert body["resolution_after_handoff"] == {"handoffs": 2, "closed": 1, "rate": 0.5}
    assert body["feedback"] == {"up": 1, "down": 1}
    assert body["csat"]["count"] == 2
    assert body["csat"]["average"] == 3.5
    assert [b["count"] for b in body["csat"]["distribution"]] == [0, 1, 0, 0, 1]
    busy = [d for d in body["daily"] if d["conversations"]]
    assert busy == [{"day": "2024-03-05", "conversations": 5, "handoffs": 2}]
    gaps = {g["question"]: g for g in body["knowledge_gaps"]}
    assert set(gaps) == {"Do you sell pontoon boats?", "Do you offer financing?"}
    boats, financing = gaps["Do you sell pontoon boats?"], gaps["Do you offer financing?"]
    assert (boats["count"], boats["unanswered"], boats["thumbs_down"]) == (1, 1, 0)
    assert (financing["count"], financing["unanswered"], financing["thumbs_down"]) == (1, 0, 1)
    assert boats["examples"] == [
        {
            "text": "Do you sell pontoon boats?",
            "conversation_id": c.id,
            "asked_at": "2024-03-05T17:00:00Z",
            "reason": "unanswered",
        }
    ]
    assert boats["agent_name"] == "Ridgeline" and boats["answered"] is False

    # Every agent of the workspace: the same here; April alone holds only G.
    assert report(client, **MARCH)["conversations"] == 5
    april = report(client, **{"from": "2024-04-01", "to": "2024-04-30"})
    assert (april["conversations"], april["handoffs"]) == (1, 1)
    assert [g["question"] for g in april["knowledge_gaps"]] == ["Do you sell snowmobile trailers?"]


def test_days_are_read_in_the_time_zone_asked_for(
    clock: Clock, client: httpx.Client, agent: dict[str, Any], visitors
) -> None:
    # 23:30 on 29 February in New York (UTC-5), and 00:30 on 1 March there.
    for instant in ("2024-03-01T04:30:00+00:00", "2024-03-01T05:30:00+00:00"):
        clock.at(datetime.fromisoformat(instant))
        ask(visitors(), "When is the service department open?")
    # 10 March is 23 hours long in New York: 00:30 EDT on the 11th is 04:30 UTC.
    clock.at(datetime(2024, 3, 11, 4, 30, tzinfo=UTC))
    ask(visitors(), "Do you offer financing?")

    def count(**params: str) -> int:
        return int(report(client, agent_id=agent["id"], **params)["conversations"])

    new_york = {"tz": "America/New_York"}
    assert count(**{"from": "2024-03-01", "to": "2024-03-01"}) == 2
    assert count(**{"from": "2024-03-01", "to": "2024-03-01"}, **new_york) == 1
    assert count(**{"from": "2024-02-29", "to": "2024-02-29"}, **new_york) == 1
    assert count(**{"from": "2024-03-10", "to": "2024-03-10"}, **new_york) == 0
    assert count(**{"from": "2024-03-11", "to": "2024-03-11"}, **new_york) == 1
    assert count(**{"from": "2024-03-10", "to": "2024-03-10"}) == 0
    # Datetimes: with an offset they are that instant, without one local time in tz; 'to'
    # is exclusive.
    assert count(**{"from": "2024-03-01T05:30:00Z", "to": "2024-03-02"}) == 1
    assert count(**{"from": "2024-02-29T23:30:00", "to": "2024-03-01T00:30:00"}, **new_york) == 1
    assert count(**{"from": "2024-02-29T23:31:00", "to": "2024-03-01T00:31:00"}, **new_york) == 1
    assert count(**{"from": "2024-02-29T23:00:00", "to": "2024-03-01T00:31:00"}, **new_york) == 2

    body = report(client, **{"from": "2024-02-28", "to": "2024-03-12"}, **new_york)
    assert body["period"]["start"] == "2024-02-28T05:00:00Z"
    assert body["period"]["end"] == "2024-03-13T04:00:00Z"  # EDT by then
    daily = {d["day"]: d["conversations"] for d in body["daily"]}
    assert len(daily) == 14
    assert (daily["2024-02-29"], daily["2024-03-01"]) == (1, 1)
    assert (daily["2024-03-10"], daily["2024-03-11"]) == (0, 1)
    utc = {d["day"]: d["conversations"] for d in report(client, **MARCH)["daily"]}
    assert (utc["2024-03-01"], utc["2024-03-10"], utc["2024-03-11"]) == (2, 0, 1)


def test_the_default_range_is_the_last_30_local_days(
    clock: Clock, client: httpx.Client, visitors
) -> None:
    clock.at(datetime(2024, 3, 31, 23, 0, tzinfo=UTC))  # 1 April, 01:00 in Paris
    body = report(client, tz="Europe/Paris")
    assert body["period"]["start"] == "2024-03-02T23:00:00Z"  # 3 March, local midnight
    assert body["period"]["end"] == "2024-04-01T22:00:00Z"  # CEST since 31 March
    assert [d["day"] for d in body["daily"]][::29] == [
        date(2024, 3, 3).isoformat(),
        date(2024, 4, 1).isoformat(),
    ]


@pytest.mark.parametrize(
    ("params", "field", "says"),
    [
        ({"from": "2024-13-01"}, "from", "must be a date"),
        ({"to": "yesterday"}, "to", "must be a date"),
        ({"from": "1900-01-01", "to": "1900-01-02"}, "from", "after 1970"),
        ({"tz": "Mars/Olympus_Mons"}, "tz", "not an IANA time zone"),
        ({"tz": "../../etc/passwd"}, "tz", "not an IANA time zone"),
        ({"from": "2024-03-02", "to": "2024-03-01"}, "from", "before 'to'"),
        ({"from": "2024-03-01T10:00:00Z", "to": "2024-03-01T10:00:00Z"}, "from", "before"),
        ({"from": "2023-01-01", "to": "2024-03-01"}, "from", "at most 366 days"),
    ],
)
def test_bad_ranges_are_refused_naming_the_field(
    client: httpx.Client, params: dict[str, str], field: str, says: str
) -> None:
    for path in ("/api/v1/insights", "/api/v1/insights.csv"):
        response = client.get(path, params=params)
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["field"] == field and says in error["message"], error


def test_a_whole_leap_year_is_allowed(client: httpx.Client) -> None:
    body = report(client, **{"from": "2024-01-01", "to": "2024-12-31"})
    assert len(body["daily"]) == 366


def test_only_owners_and_admins_see_their_own_workspace(
    server: ServerThread, client: httpx.Client, member: httpx.Client, accounts: Accounts, agent
) -> None:
    for path in ("/api/v1/insights", "/api/v1/insights.csv"):
        forbidden = member.get(path)
        assert forbidden.status_code == 403, forbidden.text
    answer = {"agent_id": agent["id"], "question": "Q?", "answer": "A."}
    assert member.post("/api/v1/insights/gaps/answer", json=answer).status_code == 403
    assert httpx.get(f"{server.url}/api/v1/insights").status_code == 401

    accounts.member("ada@ridgeline.test", role="admin", name="Ada")
    admin = sign_in(server, "ada@ridgeline.test")
    try:
        assert admin.get("/api/v1/insights").status_code == 200
    finally:
        admin.close()

    missing = client.get("/api/v1/insights", params={"agent_id": "agt_nope"})
    assert missing.status_code == 404, missing.text
    other = accounts.workspace("Elsewhere")
    with httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {accounts.api_key(other)}"}
    ) as stranger:
        assert stranger.get("/api/v1/insights").json()["conversations"] == 0
        assert stranger.get("/api/v1/insights", params={"agent_id": agent["id"]}).status_code == 404
        assert stranger.post("/api/v1/insights/gaps/answer", json=answer).status_code == 404
        csv = stranger.get("/api/v1/insights.csv", params={"agent_id": agent["id"]})
        assert csv.status_code == 404

"""Handoffs that collect a form first, the lead card, and the HTTP actions that follow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from app_fixtures import Accounts
from receiver import Receiver, Reply
from support import wait_until

LEAD_FORM = {
    "name": "lead",
    "kind": "form",
    "title": "Leave your details and a specialist will call you",
    "fields": [
        {"name": "name", "type": "text", "required": True},
        {"name": "phone", "type": "phone", "required": True},
        {"name": "unit", "type": "text", "label": "Unit of interest"},
        {"name": "when", "type": "datetime", "label": "Preferred appointment time"},
    ],
}
FINANCING = {
    "name": "financing",
    "examples": ["what rate can I get", "monthly payment", "apply for a loan"],
    "collect": "lead",
    "priority": "high",
    "tags": ["financing", "sales"],
}


def _configure(client: httpx.Client, agent: dict[str, Any], **settings: Any) -> dict[str, Any]:
    response = client.patch(f"/api/v1/agents/{agent['id']}", json=settings)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _detail(client: httpx.Client, conversation_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/conversations/{conversation_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _form_message(visitor: Any) -> dict[str, Any]:
    def offered() -> dict[str, Any] | None:
        return next((m for m in visitor.history()["messages"] if m["event"] == "form"), None)

    found: dict[str, Any] = wait_until(offered, timeout=30, what="the form")
    return found


def _submit(visitor: Any, values: dict[str, Any], form: str = "lead") -> httpx.Response:
    return visitor.http.post(
        f"/api/v1/widget/conversations/{visitor.id}/forms/{form}", json={"values": values}
    )


def _later(hours: int = 48) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")


def test_a_topic_collects_the_form_before_the_handoff(client, agent, visitors) -> None:
    _configure(client, agent, actions=[LEAD_FORM], rules={"topics": [FINANCING]})
    visitor = visitors()
    visitor.send("what would my monthly payment be on a new side-by-side?")
    form = _form_message(visitor)
    assert form["payload"]["form"]["title"] == LEAD_FORM["title"]
    assert [f["label"] for f in form["payload"]["form"]["fields"]] == [
        "Name",
        "Phone",
        "Unit of interest",
        "Preferred appointment time",
    ]
    history = visitor.history()
    assert history["pending_form"] == "lead" and history["status"] == "bot"
    texts = [m["text"] for m in history["messages"] if m["author"] == "ai"]
    assert texts == [agent["handoff_message"], LEAD_FORM["title"]]

    # Every bad field is named; nothing is stored; the visitor fixes and sends again.
    bad = _submit(visitor, {"name": "", "phone": "555", "when": "2020-05-01T10:00"})
    assert bad.status_code == 422
    assert set(bad.json()["error"]["fields"]) == {"name", "phone", "when"}
    assert _detail(client, visitor.id)["conversation"]["lead"] is None

    when = _later()
    good = _submit(
        visitor,
        {"name": "Dana Reyes", "phone": "218-555-0142", "unit": "Ranger 1000", "when": when},
    )
    assert good.status_code == 200, good.text
    assert good.json()["status"] == "waiting"

    detail = _detail(client, visitor.id)
    conversation = detail["conversation"]
    assert conversation["status"] == "waiting" and conversation["priority"] == "high"
    assert conversation["tags"] == ["financing", "sales"]
    assert conversation["handoff"] == {"trigger": "topic", "reason": "topic 'financing'"}
    assert conversation["pending_form"] is None
    lead = conversation["lead"]
    assert {f["label"]: f["value"] for f in lead["fields"]} == {
        "Name": "Dana Reyes",
        "Phone": "218-555-0142",
        "Unit of interest": "Ranger 1000",
        "Preferred appointment time": f"{when}+00:00",
    }
    assert [(a["action"], a["status"]) for a in detail["actions"]] == [("lead", "submitted")]
    # The thread shows what the visitor sent, to both sides; the handoff comes after it.
    summary = next(m for m in detail["messages"] if m["event"] == "form_submitted")
    assert summary["author"] == "visitor" and "Phone: 218-555-0142" in summary["text"]
    events = [m["event"] for m in detail["messages"] if m["author"] == "system"]
    assert events == ["handoff"]
    assert visitor.history()["pending_form"] is None
    # The form cannot be skipped once answered; the lead can be corrected.
    assert (
        visitor.http.post(f"/api/v1/widget/conversations/{visitor.id}/forms/lead/skip").status_code
        == 409
    )
    fixed = _submit(visitor, {"name": "Dana Reyes", "phone": "218-555-0199"})
    assert fixed.status_code == 200
    lead = _detail(client, visitor.id)["conversation"]["lead"]
    assert {f["name"]: f["value"] for f in lead["fields"]}["phone"] == "218-555-0199"


def test_skipping_or_writing_instead_still_hands_off(client, agent, visitors) -> None:
    _configure(client, agent, actions=[LEAD_FORM], rules={"topics": [FINANCING]})
    skipper = visitors()
    skipper.send("can I apply for a loan for an ATV?")
    _form_message(skipper)
    skipped = skipper.http.post(f"/api/v1/widget/conversations/{skipper.id}/forms/lead/skip")
    assert skipped.status_code == 200 and skipped.json() == {"status": "waiting"}
    detail = _detail(client, skipper.id)
    assert detail["conversation"]["lead"] is None
    assert [m["event"] for m in detail["messages"] if m["author"] == "system"] == [
        "form_skipped",
        "handoff",
    ]
    assert [(a["action"], a["status"]) for a in detail["actions"]] == [("lead", "skipped")]

    writer = visitors()
    writer.send("what rate can I get on a loan?")
    _form_message(writer)
    writer.send("I'd rather just talk, call me at 218 555 0100")
    conversation = _detail(client, writer.id)["conversation"]
    assert conversation["status"] == "waiting"
    # The form stays open: the visitor may still fill it in while waiting.
    assert conversation["pending_form"] == {"action": "lead", "seq": 3, "holds_handoff": False}
    assert _submit(writer, {"name": "Lee", "phone": "2185550100"}).status_code == 200
    assert _detail(client, writer.id)["conversation"]["lead"]["fields"][0]["value"] == "Lee"


def test_unknown_or_unoffered_forms_are_refused(client, agent, visitors) -> None:
    _configure(client, agent, actions=[LEAD_FORM])
    visitor = visitors()
    visitor.send("hello")
    visitor.wait_for("ai")
    assert _submit(visitor, {"name": "x"}, form="nope").status_code == 404
    not_offered = _submit(visitor, {"name": "Dana", "phone": "2185550142"})
    assert not_offered.status_code == 409
    assert "not offered" in not_offered.json()["error"]["message"]


def test_rules_must_name_a_form_of_the_agent(client, agent) -> None:
    response = client.patch(
        f"/api/v1/agents/{agent['id']}", json={"rules": {"topics": [FINANCING]}}
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "rules.topics.0.collect"
    assert "'lead' is not a form action" in response.json()["error"]["message"]
    twice = client.patch(f"/api/v1/agents/{agent['id']}", json={"actions": [LEAD_FORM, LEAD_FORM]})
    assert twice.status_code == 422 and "declared twice" in twice.json()["error"]["message"]


def test_outside_hours_the_visitor_gets_the_closed_message_and_the_form(
    client, agent, visitors
) -> None:
    closed_all_week = {
        "timezone": "Pacific/Auckland",
        "weekly": {},
        "closed_message": "We're closed; leave your number and we'll call you back.",
        "collect": "lead",
    }
    _configure(client, agent, actions=[LEAD_FORM], business_hours=closed_all_week)
    visitor = visitors()
    assert visitor.handoff().json() == {"status": "waiting"}
    history = visitor.history()
    texts = [m["text"] for m in history["messages"]]
    assert texts == [
        agent["handoff_message"],
        closed_all_week["closed_message"],
        LEAD_FORM["title"],
    ]
    assert history["pending_form"] == "lead"
    assert _submit(visitor, {"name": "Kai", "phone": "+64 21 555 0199"}).json()["status"] == (
        "waiting"
    )
    assert _detail(client, visitor.id)["conversation"]["lead"]["fields"][0]["value"] == "Kai"
    # Clearing the hours (null) works: always open again.
    assert _configure(client, agent, business_hours=None)["business_hours"] is None


def test_a_submitted_form_runs_its_http_action(client, agent, visitors, accounts: Accounts) -> None:
    with Receiver(Reply(500), Reply(201, {"ticket": {"id": "T-1042", "url": "x"}})) as helpdesk:
        accounts.allow_hosts(helpdesk.host)
        put = client.put("/api/v1/secrets/HELPDESK_TOKEN", json={"value": "s3cr3t-token-value"})
        assert put.status_code in (200, 201), put.text
        ticket = {
            "name": "ticket",
            "kind": "http",
            "url": helpdesk.url("/api/tickets?conversation={conversation.id}"),
            "headers": {"Authorization": "Bearer ${secret:HELPDESK_TOKEN}"},
            "body": {"subject": "Chat {conversation.id}", "phone": "{lead.phone}"},
            "timeout_s": 5,
            "backoff_s": 0,
            "result_fields": ["ticket.id"],
        }
        _configure(
            client,
            agent,
            actions=[{**LEAD_FORM, "then": ["ticket"]}, ticket],
            rules={"collect": "lead"},
        )
        visitor = visitors()
        visitor.handoff()
        _form_message(visitor)
        assert _submit(visitor, {"name": "Dana", "phone": "2185550142"}).status_code == 200
        first, second = helpdesk.wait_for(2)
        assert first.body == second.body  # the retry after the 500 sends the same request
        assert second.headers["authorization"] == "Bearer s3cr3t-token-value"
        assert second.json() == {"subject": f"Chat {visitor.id}", "phone": "2185550142"}
        assert second.path == f"/api/tickets?conversation={visitor.id}"

        def finished() -> dict[str, Any] | None:
            detail = _detail(client, visitor.id)
            runs = [a for a in detail["actions"] if a["kind"] == "http"]
            return detail if runs and runs[0]["status"] != "running" else None

        detail = wait_until(finished, timeout=30, what="the ticket action")
        [run] = [a for a in detail["actions"] if a["kind"] == "http"]
        assert (run["status"], run["attempts"], run["response_status"]) == ("succeeded", 2, 201)
        assert run["result"] == {"ticket.id": "T-1042"}
        notes = [m["text"] for m in detail["messages"] if m["event"] == "action"]
        assert notes == ["Action ticket: sent (HTTP 201); ticket.id=T-1042"]
        assert "s3cr3t-token-value" not in str(detail)
        # Correcting the details later does not open a second ticket.
        assert _submit(visitor, {"name": "Dana", "phone": "2185550199"}).status_code == 200
        again = _detail(client, visitor.id)
        assert len([a for a in again["actions"] if a["kind"] == "http"]) == 1
        assert len(helpdesk.requests) == 2


def test_a_failing_http_action_is_reported_and_the_chat_goes_on(client, agent, visitors) -> None:
    # Loopback is not allowed for this workspace: the call is refused, readably.
    with Receiver() as helpdesk:
        ticket = {"name": "ticket", "kind": "http", "url": helpdesk.url("/t"), "backoff_s": 0}
        _configure(
            client,
            agent,
            actions=[{**LEAD_FORM, "then": ["ticket"]}, ticket],
            rules={"collect": "lead"},
        )
        visitor = visitors()
        visitor.handoff()
        _form_message(visitor)
        assert _submit(visitor, {"name": "Dana", "phone": "2185550142"}).status_code == 200

        def failed() -> list[dict[str, Any]] | None:
            runs = [a for a in _detail(client, visitor.id)["actions"] if a["kind"] == "http"]
            return runs if runs and runs[0]["status"] != "running" else None

        [run] = wait_until(failed, timeout=30, what="the failed action")
        assert run["status"] == "failed" and "loopback" in run["error"]
        assert helpdesk.requests == []
        assert visitor.send("are you still there?").status_code == 201


@pytest.mark.parametrize("feedback", [False, True])
def test_failed_attempts_hand_off_after_the_set_number(
    client, agent, visitors, feedback: bool
) -> None:
    _configure(client, agent, rules={"failed_attempts": 2, "negative_sentiment": False})
    visitor = visitors()
    visitor.send("do you rent out ice fishing houses by the week?")
    [first] = visitor.wait_for("ai")
    assert "rephrase" in first["text"]
    assert _detail(client, visitor.id)["conversation"]["status"] == "bot"
    visitor.send("that didn't help" if feedback else "what about ice shacks for a weekend?")
    visitor.wait_for("ai", 2)
    conversation = _detail(client, visitor.id)["conversation"]
    assert conversation["status"] == "waiting"
    assert conversation["handoff"]["trigger"] == "failed_attempts"


def test_an_answer_resets_the_failed_count(client, agent, visitors) -> None:
    _configure(client, agent, rules={"failed_attempts": 2, "negative_sentiment": False})
    visitor = visitors()
    visitor.send("do you rent out ice fishing houses by the week?")
    visitor.wait_for("ai")
    visitor.send("When is the service department open?")
    [_, answer] = visitor.wait_for("ai", 2)
    assert "Tuesday to Friday" in answer["text"]
    visitor.send("do you rent out ice fishing houses by the week?")
    visitor.wait_for("ai", 3)
    assert _detail(client, visitor.id)["conversation"]["status"] == "bot"


def test_a_submitted_form_is_announced_to_webhooks(
    client, agent, visitors, accounts: Accounts
) -> None:
    with Receiver() as hooks:
        accounts.allow_hosts(hooks.host)
        created = client.post(
            "/api/v1/webhooks", json={"url": hooks.url("/hook"), "events": ["action.submitted"]}
        )
        assert created.status_code == 201, created.text
        secret = created.json()["secret"]
        _configure(client, agent, actions=[LEAD_FORM], rules={"collect": "lead"})
        visitor = visitors()
        visitor.handoff()
        _form_message(visitor)
        assert _submit(visitor, {"name": "Dana", "phone": "2185550142"}).status_code == 200
        [request] = hooks.wait_for(1)
        payload = Webhook(secret).verify(request.body, request.headers)
        assert payload["type"] == "action.submitted"
        data = payload["data"]
        assert data["action"] == {
            "name": "lead",
            "kind": "form",
            "values": {"name": "Dana", "phone": "2185550142"},
        }
        assert data["conversation"]["id"] == visitor.id
        assert data["conversation"]["lead"]["fields"][1]["value"] == "2185550142"


def test_a_person_taking_over_releases_the_held_handoff(client, agent, visitors, member) -> None:
    _configure(client, agent, actions=[LEAD_FORM], rules={"topics": [FINANCING]})
    visitor = visitors()
    visitor.send("what rate can I get on a loan?")
    _form_message(visitor)
    assert member.post(f"/api/v1/conversations/{visitor.id}/takeover").status_code == 200
    assert member.post(f"/api/v1/conversations/{visitor.id}/handback").status_code == 200
    # Back with the AI: a new question is answered, not turned into the old handoff.
    visitor.send("When is the service department open?")
    answer = visitor.wait_for("ai", 3)[-1]
    assert "Tuesday to Friday" in answer["text"]
    conversation = _detail(client, visitor.id)["conversation"]
    assert conversation["status"] == "bot"
    assert conversation["pending_form"]["holds_handoff"] is False


def test_urgent_and_general_handoffs_never_wait_for_the_form(client, agent, visitors) -> None:
    accident = {"phrase": "accident", "priority": "urgent", "collect": "lead"}
    _configure(
        client, agent, actions=[LEAD_FORM], rules={"keywords": [accident], "collect": "lead"}
    )
    for opener in ("I had an accident on the trail", None):
        visitor = visitors()
        if opener:
            visitor.send(opener)
        else:
            assert visitor.handoff().json() == {"status": "waiting"}
        _form_message(visitor)
        conversation = _detail(client, visitor.id)["conversation"]
        assert conversation["status"] == "waiting"  # the team knows at once
        assert conversation["pending_form"] == {
            "action": "lead",
            "seq": conversation["pending_form"]["seq"],
            "holds_handoff": False,
        }
        assert _submit(visitor, {"name": "Jo", "phone": "2185550100"}).status_code == 200

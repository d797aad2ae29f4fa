"""The dead-letter view: what failed for good (a webhook, an email, a form's HTTP action) is
listed for admins with its last error and retried by them; nobody else sees or retries it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from alert_support import Mailbox, create_webhook, delivery_log

from app_fixtures import Accounts, api_client, sign_in
from receiver import Receiver, Reply
from support import ServerThread, wait_until

LEAD_FORM = {
    "name": "lead",
    "kind": "form",
    "title": "Leave your details",
    "fields": [
        {"name": "name", "type": "text", "required": True},
        {"name": "phone", "type": "phone", "required": True},
    ],
}
LETTERS = "/api/v1/dead-letters"


def _letters(http: httpx.Client) -> dict[str, dict[str, Any]]:
    response = http.get(LETTERS)
    assert response.status_code == 200, response.text
    return {letter["kind"]: letter for letter in response.json()["dead_letters"]}


def _form_submitted(client: httpx.Client, agent: dict[str, Any], visitors: Any, url: str) -> str:
    """A visitor fills in the lead form, whose follow-up calls ``url``; the conversation."""
    ticket = {"name": "ticket", "kind": "http", "url": url, "backoff_s": 0}
    configured = client.patch(
        f"/api/v1/agents/{agent['id']}",
        json={"actions": [{**LEAD_FORM, "then": ["ticket"]}, ticket], "rules": {"collect": "lead"}},
    )
    assert configured.status_code == 200, configured.text
    visitor = visitors()
    visitor.handoff()
    wait_until(
        lambda: any(m["event"] == "form" for m in visitor.history()["messages"]), what="the form"
    )
    submitted = visitor.http.post(
        f"/api/v1/widget/conversations/{visitor.id}/forms/lead",
        json={"values": {"name": "Dana", "phone": "2185550142"}},
    )
    assert submitted.status_code == 200, submitted.text
    return str(visitor.id)


def test_failed_sends_are_listed_and_retried_by_an_admin_only(
    client: httpx.Client,
    agent: dict[str, Any],
    visitors: Any,
    receivers: Callable[..., Receiver],
    mailbox: Mailbox,
    accounts: Accounts,
    server: ServerThread,
) -> None:
    hooks = receivers(Reply(503), Reply(503), Reply(503), Reply(204, b""))
    helpdesk = receivers(Reply(400, {"error": "no such queue"}), Reply(201, {"id": "T-9"}))
    accounts.allow_hosts(hooks.host, helpdesk.host)
    ana = accounts.member("ana@ridgeline.test", role="agent")  # gets the email alerts
    mailbox.refuse = 3  # 451 to the first try and both retries
    hook = create_webhook(client, hooks.url("/in"), ["conversation.closed"])
    assert client.post(f"/api/v1/webhooks/{hook['id']}/test").status_code == 202
    conversation = _form_submitted(client, agent, visitors, helpdesk.url("/tickets"))

    letters = wait_until(lambda: len(_letters(client)) == 3 and _letters(client), what="3 failed")
    webhook, email, action = letters["webhook"], letters["email"], letters["action"]
    assert (webhook["what"], webhook["destination"], webhook["attempts"]) == (
        "webhook.test",
        hooks.url("/in"),
        3,
    )
    assert (webhook["last_error"], webhook["last_status_code"]) == ("HTTP 503", 503)
    assert (email["what"], email["destination"], email["attempts"]) == (
        "conversation.waiting",
        ana.email,
        3,
    )
    assert "451" in email["last_error"]
    assert (action["what"], action["conversation_id"], action["attempts"]) == (
        "ticket",
        conversation,
        1,
    )
    assert action["destination"] == f"POST {helpdesk.url('/tickets')}"
    assert action["last_status_code"] == 400 and '"no such queue"' in action["last_error"]

    # An agent-role member of this workspace: forbidden, and nothing is retried.
    agent_member = sign_in(server, ana.email)
    try:
        assert agent_member.get(LETTERS).status_code == 403
        for letter in letters.values():
            assert agent_member.post(_retry(letter)).status_code == 403
    finally:
        agent_member.close()
    # Another workspace's admin: sees none of ours, and ours are not found there.
    with api_client(server, accounts, accounts.workspace("Other dealer")) as other:
        assert _letters(other) == {}
        for letter in letters.values():
            assert other.post(_retry(letter)).status_code == 404
    assert _letters(client) == letters
    assert (len(hooks.requests), len(helpdesk.requests), len(mailbox.messages)) == (3, 1, 0)

    # The admin retries each: a fresh round, the same delivery ids.
    for letter in letters.values():
        retried = client.post(_retry(letter))
        assert retried.status_code == 202, retried.text
        assert retried.json()["id"] == letter["id"]
        assert client.post(_retry(letter)).status_code == 409  # no longer failed
    assert hooks.wait_for(4)[3].headers["webhook-id"] == webhook["id"]
    assert helpdesk.wait_for(2)[1].path == "/tickets"
    [sent] = mailbox.wait_for(1)
    assert sent["To"] == ana.email

    def finished() -> dict[str, Any] | None:
        detail: dict[str, Any] = client.get(f"/api/v1/conversations/{conversation}").json()
        [run] = [a for a in detail["actions"] if a["kind"] == "http"]
        return detail if run["status"] != "running" else None

    detail = wait_until(finished, what="the action run again")
    assert [a["status"] for a in detail["actions"] if a["kind"] == "http"] == ["succeeded"]
    wait_until(
        lambda: [d["status"] for d in delivery_log(client, hook["id"])] == ["delivered"],
        what="the webhook delivered",
    )
    assert _letters(client) == {}
    notes = [m["text"] for m in detail["messages"] if m["event"] == "action"]
    assert notes[-1] == "Action ticket: sent (HTTP 201)"


def _retry(letter: dict[str, Any]) -> str:
    kind = "runs" if letter["kind"] == "action" else "deliveries"
    return f"{LETTERS}/{kind}/{letter['id']}/retry"

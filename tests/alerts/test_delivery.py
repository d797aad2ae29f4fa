"""Webhooks sent to a real loopback receiver: signed, filtered, retried, logged, blocked."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from alert_support import (
    TIMEOUT_S,
    allow_hosts,
    create_webhook,
    delivery_log,
    finished,
    wait_for_log,
)
from standardwebhooks import Webhook

from app_fixtures import Accounts
from encoding_bombs import MB, gzip_bomb
from frontdesk.alerts.transport import EXCERPT_BYTES
from frontdesk.settings import Settings
from receiver import Receiver, Reply

Receivers = Callable[..., Receiver]


def _verified(secret: str, request: Any) -> dict[str, Any]:
    """The payload, after the independent Standard Webhooks library checked its signature."""
    payload: dict[str, Any] = Webhook(secret).verify(request.body, request.headers)
    return payload


def test_a_handoff_is_sent_signed_and_logged(
    client: httpx.Client,
    visitors: Any,
    receivers: Receivers,
    accounts: Accounts,
    settings: Settings,
) -> None:
    receiver = receivers(Reply(200, {"thanks": True}))
    allow_hosts(settings, accounts.default_workspace(), receiver.host)
    hook = create_webhook(client, receiver.url("/hooks"), ["conversation.waiting"])
    visitor = visitors()
    visitor.send("Do you offer financing?")
    visitor.wait_for("ai")
    assert visitor.handoff().json()["status"] == "waiting"

    [request] = receiver.wait_for(1)
    assert (request.method, request.path) == ("POST", "/hooks")
    assert request.headers["content-type"] == "application/json"
    payload = _verified(hook["secret"], request)
    assert payload["type"] == "conversation.waiting"
    conversation = payload["data"]["conversation"]
    assert (conversation["id"], conversation["status"]) == (visitor.id, "waiting")
    assert conversation["handoff"]["trigger"] == "button"
    assert payload["timestamp"].endswith("+00:00")

    [delivery] = wait_for_log(client, hook["id"], finished(1), "the delivery to be logged")
    assert delivery["id"] == request.headers["webhook-id"]
    assert (delivery["status"], delivery["event_type"], delivery["attempts"]) == (
        "delivered",
        "conversation.waiting",
        1,
    )
    [attempt] = delivery["attempt_log"]
    assert attempt["ok"] and attempt["status_code"] == 200 and attempt["error"] is None
    assert attempt["duration_ms"] >= 0 and json.loads(attempt["response_excerpt"]) == {
        "thanks": True
    }


def test_each_webhook_gets_only_the_events_it_asked_for(
    client: httpx.Client,
    visitors: Any,
    member: httpx.Client,
    receivers: Receivers,
    accounts: Accounts,
    settings: Settings,
) -> None:
    waiting, everything, paused = receivers(), receivers(), receivers()
    allow_hosts(settings, accounts.default_workspace(), waiting.host, everything.host, paused.host)
    only_waiting = create_webhook(client, waiting.url(), ["conversation.waiting"])
    all_events = ["conversation.waiting", "conversation.closed", "message.created"]
    every = create_webhook(client, everything.url(), all_events)
    stopped = create_webhook(client, paused.url(), all_events)
    client.patch(f"/api/v1/webhooks/{stopped['id']}", json={"active": False})

    visitor = visitors()
    visitor.send("Do you offer financing?")
    visitor.wait_for("ai")
    visitor.handoff()
    member.post(f"/api/v1/conversations/{visitor.id}/close")

    # Events are queued in order, for every webhook at once: once the close is queued,
    # every earlier event is too.
    log = wait_for_log(
        client,
        every["id"],
        lambda log: any(d["event_type"] == "conversation.closed" for d in log),
        "the close to be queued",
    )
    types = [d["event_type"] for d in log]
    assert types.count("conversation.waiting") == 1
    assert types.count("message.created") >= 3  # visitor, AI answer, handoff note...
    assert [r.json()["type"] for r in waiting.wait_for(1)] == ["conversation.waiting"]
    assert [d["event_type"] for d in delivery_log(client, only_waiting["id"])] == [
        "conversation.waiting"
    ]
    assert delivery_log(client, stopped["id"]) == [] and paused.requests == []
    payloads = [r.json() for r in everything.wait_for(len(log))]
    texts = [p["data"]["message"]["text"] for p in payloads if p["type"] == "message.created"]
    assert "Do you offer financing?" in texts
    [closed] = [p["data"] for p in payloads if p["type"] == "conversation.closed"]
    assert closed["conversation"]["status"] == "closed" and closed["changes"] == ["status"]


def test_a_server_error_is_retried_with_the_same_id(
    client: httpx.Client,
    visitors: Any,
    receivers: Receivers,
    accounts: Accounts,
    settings: Settings,
) -> None:
    receiver = receivers(Reply(500, {"error": "busy"}), Reply(204, b""))
    allow_hosts(settings, accounts.default_workspace(), receiver.host)
    hook = create_webhook(client, receiver.url(), ["conversation.waiting"])
    visitors().handoff()

    first, second = receiver.wait_for(2)
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body
    assert _verified(hook["secret"], first) == _verified(hook["secret"], second)
    [delivery] = wait_for_log(client, hook["id"], finished(1), "the retry to be logged")
    assert (delivery["status"], delivery["attempts"], delivery["last_status_code"]) == (
        "delivered",
        2,
        204,
    )
    failed, succeeded = delivery["attempt_log"]
    assert (failed["number"], failed["ok"], failed["status_code"]) == (1, False, 500)
    assert failed["error"] == "HTTP 500" and '"busy"' in failed["response_excerpt"]
    assert (succeeded["number"], succeeded["ok"], succeeded["status_code"]) == (2, True, 204)


@pytest.mark.parametrize("webhook_timeout_s", [TIMEOUT_S])
def test_a_timeout_is_retried_and_does_not_hold_up_the_conversation(
    client: httpx.Client,
    visitors: Any,
    member: httpx.Client,
    receivers: Receivers,
    accounts: Accounts,
    settings: Settings,
) -> None:
    receiver = receivers(Reply(200, delay_s=TIMEOUT_S * 6), Reply(200))
    allow_hosts(settings, accounts.default_workspace(), receiver.host)
    hook = create_webhook(client, receiver.url(), ["conversation.waiting"])
    visitor = visitors()
    assert visitor.handoff().json()["status"] == "waiting"
    receiver.wait_for(1)
    # While the endpoint hangs, the team and the visitor carry on.
    taken = member.post(f"/api/v1/conversations/{visitor.id}/takeover")
    assert taken.status_code == 200 and taken.json()["status"] == "human"
    assert visitor.send("Hello?").status_code == 201

    [delivery] = wait_for_log(client, hook["id"], finished(1), "the retry after the timeout")
    hung, answered = delivery["attempt_log"]
    assert delivery["status"] == "delivered" and len(receiver.requests) == 2
    assert hung["error"] == f"No answer within {TIMEOUT_S:g} s." and hung["status_code"] is None
    # Cut at the timeout, before the endpoint's late answer (not a measure of speed).
    assert TIMEOUT_S * 1000 <= hung["duration_ms"] < TIMEOUT_S * 6 * 1000
    assert answered["ok"] and answered["status_code"] == 200


def test_a_refusal_is_not_retried_and_can_be_resent(
    client: httpx.Client,
    visitors: Any,
    receivers: Receivers,
    accounts: Accounts,
    settings: Settings,
) -> None:
    receiver = receivers(Reply(400, {"error": "unknown field"}), Reply(200))
    allow_hosts(settings, accounts.default_workspace(), receiver.host)
    hook = create_webhook(client, receiver.url(), ["conversation.waiting"])
    visitors().handoff()

    [delivery] = wait_for_log(client, hook["id"], finished(1), "the refusal to be logged")
    assert (delivery["status"], delivery["attempts"], delivery["last_status_code"]) == (
        "failed",
        1,
        400,
    )
    assert "not retried" in delivery["last_error"] and len(receiver.requests) == 1

    path = f"/api/v1/webhooks/{hook['id']}/deliveries/{delivery['id']}/resend"
    resent = client.post(path)
    assert resent.status_code == 202 and resent.json()["status"] == "pending"
    first, second = receiver.wait_for(2)
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == delivery["id"]
    [again] = wait_for_log(client, hook["id"], lambda log: log[0]["attempts"] == 2, "resend")
    assert (again["status"], [a["status_code"] for a in again["attempt_log"]]) == (
        "delivered",
        [400, 200],
    )
    assert client.post(f"/api/v1/webhooks/{hook['id']}/deliveries/dlv_nope/resend").json()["error"][
        "code"
    ] == ("not_found")


def test_a_redirect_is_a_permanent_failure_naming_the_location(
    client: httpx.Client, receivers: Receivers, accounts: Accounts, settings: Settings
) -> None:
    moved = "https://hooks.example.test/v2/in"
    receiver = receivers(Reply(301, b"", headers={"Location": moved}), Reply(200))
    allow_hosts(settings, accounts.default_workspace(), receiver.host)
    hook = create_webhook(client, receiver.url("/in"), ["message.created"])
    client.post(f"/api/v1/webhooks/{hook['id']}/test")

    [delivery] = wait_for_log(client, hook["id"], finished(1), "the redirect to be logged")
    assert (delivery["status"], delivery["attempts"], delivery["last_status_code"]) == (
        "failed",
        1,
        301,
    )
    assert delivery["last_error"] == (
        f"HTTP 301 redirect to {moved} (redirects are not followed; not retried)"
    )
    assert [r.path for r in receiver.requests] == ["/in"]  # neither retried nor followed


def test_a_redirect_to_no_url_is_a_permanent_failure(
    client: httpx.Client, receivers: Receivers, accounts: Accounts, settings: Settings
) -> None:
    receiver = receivers(Reply(302, b"", headers={"Location": "http:foo"}), Reply(200))
    allow_hosts(settings, accounts.default_workspace(), receiver.host)
    hook = create_webhook(client, receiver.url("/in"), ["message.created"])
    client.post(f"/api/v1/webhooks/{hook['id']}/test")

    [delivery] = wait_for_log(client, hook["id"], finished(1), "the redirect to be logged")
    assert (delivery["status"], delivery["attempts"]) == ("failed", 1)
    assert delivery["last_error"] == (
        "HTTP redirect to an address that is not a valid URL (not retried)"
    )
    assert len(receiver.requests) == 1


def test_a_compressed_answer_leaves_a_bounded_excerpt(
    client: httpx.Client, receivers: Receivers, accounts: Accounts, settings: Settings
) -> None:
    receiver = receivers(
        Reply(200, gzip_bomb(200 * MB, fill=b"a"), headers={"Content-Encoding": "gzip"}),
        Reply(200, b"\x1b\x00", headers={"Content-Encoding": "br"}),
    )
    allow_hosts(settings, accounts.default_workspace(), receiver.host)
    hook = create_webhook(client, receiver.url("/in"), ["message.created"])
    client.post(f"/api/v1/webhooks/{hook['id']}/test")
    wait_for_log(client, hook["id"], finished(1), "the first answer")
    client.post(f"/api/v1/webhooks/{hook['id']}/test")

    unread, bomb = wait_for_log(client, hook["id"], finished(2), "the second answer")
    assert receiver.requests[0].headers["accept-encoding"] == "identity"
    # Delivered both times: the receiver said 200, only the excerpt is cut or not read.
    assert bomb["status"] == unread["status"] == "delivered"
    assert bomb["attempt_log"][0]["response_excerpt"] == "a" * EXCERPT_BYTES
    assert unread["attempt_log"][0]["response_excerpt"] == (
        "(the server sent a compressed body in an encoding Frontdesk does not read: br)"
    )


def test_retries_stop_after_the_schedule(
    client: httpx.Client, receivers: Receivers, accounts: Accounts, settings: Settings
) -> None:
    receiver = receivers(Reply(503))
    allow_hosts(settings, accounts.default_workspace(), receiver.host)
    hook = create_webhook(client, receiver.url(), ["message.created"])
    ping = client.post(f"/api/v1/webhooks/{hook['id']}/test")
    assert ping.status_code == 202 and ping.json()["event_type"] == "webhook.test"

    [delivery] = wait_for_log(client, hook["id"], finished(1), "the retries to run out")
    attempts = len(settings.webhook_retry_delays_s) + 1
    assert (delivery["status"], delivery["attempts"]) == ("failed", attempts)
    assert [a["status_code"] for a in delivery["attempt_log"]] == [503] * attempts
    assert len(receiver.requests) == attempts
    assert _verified(hook["secret"], receiver.requests[0])["type"] == "webhook.test"


def test_a_loopback_url_is_refused_unless_the_workspace_allows_it(
    client: httpx.Client, receivers: Receivers, accounts: Accounts, settings: Settings
) -> None:
    receiver = receivers()
    hook = create_webhook(client, receiver.url(), ["message.created"])
    client.post(f"/api/v1/webhooks/{hook['id']}/test")

    [delivery] = wait_for_log(client, hook["id"], finished(1), "the refusal")
    assert delivery["status"] == "failed" and delivery["last_status_code"] is None
    assert "private or loopback" in delivery["last_error"]
    assert "127.0.0.1" in delivery["last_error"] and receiver.requests == []

    allow_hosts(settings, accounts.default_workspace(), receiver.host)
    client.post(f"/api/v1/webhooks/{hook['id']}/deliveries/{delivery['id']}/resend")
    assert receiver.wait_for(1)[0].headers["webhook-id"] == delivery["id"]


def test_workspaces_only_hear_their_own_events(
    client: httpx.Client,
    visitors: Any,
    receivers: Receivers,
    accounts: Accounts,
    settings: Settings,
    server: Any,
) -> None:
    mine, theirs = receivers(), receivers()
    other_id = accounts.workspace("Other dealer")
    allow_hosts(settings, accounts.default_workspace(), mine.host)
    allow_hosts(settings, other_id, theirs.host)
    headers = {"Authorization": f"Bearer {accounts.api_key(other_id)}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=30) as other:
        foreign = create_webhook(other, theirs.url(), ["conversation.waiting"])
        create_webhook(client, mine.url(), ["conversation.waiting"])
        visitors().handoff()
        mine.wait_for(1)
        assert delivery_log(other, foreign["id"]) == [] and theirs.requests == []

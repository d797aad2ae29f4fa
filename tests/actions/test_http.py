"""HTTP actions against a real loopback server: templating, retries, timeouts, egress, secrets."""

from __future__ import annotations

import dataclasses
import gzip
import logging
from typing import Any

import httpx
import pytest

from encoding_bombs import MB, gzip_bomb
from frontdesk.actions.config import HttpAction
from frontdesk.actions.http import MAX_RESPONSE, Outcome, run_http_action
from receiver import Receiver, Reply
from support import free_port

TOKEN = "tok_9f8e7d6c5b4a"
QUERY_KEY = "qk/with+odd=chars"
SECRETS = {"HELPDESK_TOKEN": TOKEN, "QUERY_KEY": QUERY_KEY}
VARIABLES = {
    "lead": {"name": "Ada Lovelace", "email": "ada@example.com"},
    "conversation": {"id": "cnv_42", "status": "open"},
    "agent": {"id": "agt_1", "name": "Ridgeline"},
}


def http_action(url: str, **fields: Any) -> HttpAction:
    values: dict[str, Any] = {
        "name": "create_ticket",
        "kind": "http",
        "url": url,
        "timeout_s": 2,
        "retries": 0,
        "backoff_s": 0,
        **fields,
    }
    return HttpAction.model_validate(values)


def assert_no_secret(*texts: object) -> None:
    for text in texts:
        for value in SECRETS.values():
            assert value not in str(text) and value not in repr(text)


def everything(outcome: Outcome) -> list[object]:
    return [outcome, *dataclasses.asdict(outcome).values()]


async def test_templated_request_arrives_and_result_fields_are_picked(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    reply = Reply(201, {"id": 7001, "ticket": {"url": "https://help.test/t/7001"}, "x": [1]})
    with Receiver(reply) as receiver:
        action = http_action(
            receiver.url("/tickets?email={lead.email}&key=${secret:QUERY_KEY}"),
            headers={
                "Authorization": "Bearer ${secret:HELPDESK_TOKEN}",
                "X-Conv": "{conversation.id}",
            },
            body={
                "subject": "Callback for {lead.name}",
                "requester": {"email": "{lead.email}", "phone": "{lead.phone}"},
                "tags": ["frontdesk", "{agent.name}"],
                "priority": 2,
            },
            result_fields=["id", "ticket.url", "x.0", "missing.path"],
        )
        outcome = await run_http_action(action, VARIABLES, SECRETS, [receiver.host])

    assert outcome.status == "succeeded" and outcome.error is None
    assert outcome.attempts == 1 and outcome.response_status == 201
    assert outcome.result == {"id": 7001, "ticket.url": "https://help.test/t/7001", "x.0": 1}
    (sent,) = receiver.requests
    assert sent.method == "POST"
    assert sent.path == "/tickets?email=ada%40example.com&key=" + QUERY_KEY
    assert sent.headers["authorization"] == f"Bearer {TOKEN}"
    assert sent.headers["x-conv"] == "cnv_42"
    assert sent.headers["content-type"] == "application/json"
    assert sent.json() == {
        "subject": "Callback for Ada Lovelace",
        "requester": {"email": "ada@example.com", "phone": ""},
        "tags": ["frontdesk", "Ridgeline"],
        "priority": 2,
    }
    assert outcome.request == {
        "method": "POST",
        "url": receiver.url("/tickets?email=ada%40example.com&key=${secret:QUERY_KEY}"),
        "headers": ["Authorization", "X-Conv"],
        "body": {
            "subject": "Callback for Ada Lovelace",
            "requester": {"email": "ada@example.com", "phone": ""},
            "tags": ["frontdesk", "Ridgeline"],
            "priority": 2,
        },
    }
    assert_no_secret(*everything(outcome), caplog.text)
    assert "HTTP Request" in caplog.text  # httpx did log the call, with the URL scrubbed
    assert "${secret:QUERY_KEY}" in caplog.text


async def test_string_body_is_sent_as_is_with_its_own_content_type() -> None:
    with Receiver(Reply(200, b"ok")) as receiver:
        plain = http_action(receiver.url("/note"), body="Call {lead.name} back, {{urgent}}")
        typed = http_action(
            receiver.url("/note"),
            method="PUT",
            headers={"content-type": "text/markdown"},
            body="# {lead.email}",
        )
        assert (await run_http_action(plain, VARIABLES, {}, [receiver.host])).status == (
            "succeeded"
        )
        assert (await run_http_action(typed, VARIABLES, {}, [receiver.host])).result == {}
    first, second = receiver.requests
    assert first.body == b"Call Ada Lovelace back, {urgent}"
    assert first.headers["content-type"] == "text/plain; charset=utf-8"
    assert second.method == "PUT" and second.body == b"# ada@example.com"
    assert second.headers["content-type"] == "text/markdown"


async def test_a_visitor_value_cannot_add_a_header() -> None:
    variables = {"lead": {"name": "Ada\r\nX-Injected: yes"}}
    with Receiver() as receiver:
        action = http_action(receiver.url("/"), method="GET", headers={"X-Lead": "{lead.name}"})
        outcome = await run_http_action(action, variables, {}, [receiver.host])
    assert outcome.status == "succeeded"
    (sent,) = receiver.requests
    assert sent.headers["x-lead"] == "Ada X-Injected: yes" and "x-injected" not in sent.headers


async def test_timeout_is_retried_then_reported_readably() -> None:
    with Receiver(Reply(delay_s=5)) as receiver:
        action = http_action(receiver.url("/slow"), timeout_s=0.3, retries=2)
        outcome = await run_http_action(action, VARIABLES, SECRETS, [receiver.host])
        assert len(receiver.requests) == 3
    assert outcome.status == "failed" and outcome.attempts == 3
    assert outcome.error == "timed out after 0.3 s (3 attempts)"
    assert outcome.response_status is None
    assert 900 <= outcome.duration_ms < 3000


async def test_server_error_then_success_succeeds_on_the_second_attempt() -> None:
    with Receiver(Reply(500, {"error": "busy"}), Reply(200, {"id": 9})) as receiver:
        action = http_action(receiver.url("/"), retries=2, backoff_s=0.01, result_fields=["id"])
        outcome = await run_http_action(action, VARIABLES, SECRETS, [receiver.host])
    assert outcome.status == "succeeded" and outcome.attempts == 2
    assert outcome.response_status == 200 and outcome.result == {"id": 9}
    assert len(receiver.requests) == 2


@pytest.mark.parametrize("status", [408, 429, 503])
async def test_retryable_statuses_use_every_attempt(status: int) -> None:
    with Receiver(Reply(status, {"error": "later"})) as receiver:
        action = http_action(receiver.url("/"), retries=2)
        outcome = await run_http_action(action, VARIABLES, SECRETS, [receiver.host])
    assert outcome.attempts == 3 and len(receiver.requests) == 3
    assert outcome.response_status == status
    assert outcome.error == f'HTTP {status} from 127.0.0.1 (3 attempts): {{"error": "later"}}'


async def test_client_error_is_not_retried() -> None:
    with Receiver(Reply(400, {"error": "email is invalid"})) as receiver:
        action = http_action(receiver.url("/"), retries=3)
        outcome = await run_http_action(action, VARIABLES, SECRETS, [receiver.host])
    assert outcome.status == "failed" and outcome.attempts == 1 and len(receiver.requests) == 1
    assert outcome.response_status == 400
    assert outcome.error is not None
    assert outcome.error.startswith("HTTP 400 from 127.0.0.1 (1 attempt):")
    assert "email is invalid" in outcome.error


async def test_redirect_is_not_followed_and_fails() -> None:
    with Receiver(Reply(302, b"")) as receiver:
        # A caller's client that follows redirects still does not follow this one.
        async with httpx.AsyncClient(follow_redirects=True) as client:
            action = http_action(receiver.url("/"), retries=2)
            outcome = await run_http_action(action, VARIABLES, {}, [receiver.host], client)
    assert outcome.status == "failed" and outcome.attempts == 1
    assert outcome.error is not None and "redirects are not followed" in outcome.error


async def test_loopback_is_blocked_unless_the_workspace_allows_it() -> None:
    with Receiver() as receiver:
        action = http_action(receiver.url("/"), retries=2)
        blocked = await run_http_action(action, VARIABLES, SECRETS, [])
        other_port = await run_http_action(action, VARIABLES, SECRETS, ["127.0.0.1:1"])
        assert receiver.requests == []
        by_host = await run_http_action(action, VARIABLES, SECRETS, ["127.0.0.1"])
        by_port = await run_http_action(action, VARIABLES, SECRETS, [receiver.host])
        assert len(receiver.requests) == 2
    for refused in (blocked, other_port):
        assert refused.status == "failed" and refused.attempts == 0
        assert refused.error is not None and refused.error.startswith("blocked: 127.0.0.1")
        assert "loopback" in refused.error
    assert by_host.status == by_port.status == "succeeded"


async def test_unreachable_host_is_retried_and_named() -> None:
    url = f"http://127.0.0.1:{free_port()}/"
    action = http_action(url, retries=1)
    outcome = await run_http_action(action, VARIABLES, SECRETS, ["127.0.0.1"])
    assert outcome.status == "failed" and outcome.attempts == 2
    assert outcome.error is not None
    assert outcome.error.startswith("could not connect to 127.0.0.1")
    assert outcome.error.endswith("(2 attempts)")


async def test_missing_secret_fails_before_any_request() -> None:
    with Receiver() as receiver:
        action = http_action(
            receiver.url("/"), headers={"Authorization": "Bearer ${secret:HELPDESK_TOKEN}"}
        )
        outcome = await run_http_action(action, VARIABLES, {"OTHER": "x"}, [receiver.host])
    assert receiver.requests == []
    assert outcome.status == "failed" and outcome.attempts == 0
    assert outcome.error == "secret HELPDESK_TOKEN is not set"


async def test_secret_base_url_is_kept_out_of_the_outcome() -> None:
    with Receiver() as receiver:
        secrets = {**SECRETS, "BASE": receiver.url("/api")}
        action = http_action("${secret:BASE}/tickets")
        outcome = await run_http_action(action, VARIABLES, secrets, [receiver.host])
    assert outcome.status == "succeeded"
    assert receiver.requests[0].path == "/api/tickets"
    assert outcome.request["url"] == "${secret:BASE}/tickets"


async def test_a_secret_echoed_by_the_server_is_scrubbed(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    echo = {"error": f"token {TOKEN} revoked", "key": QUERY_KEY}
    with Receiver(Reply(200, echo), Reply(401, echo)) as receiver:
        action = http_action(
            receiver.url("/"),
            headers={"Authorization": "Bearer ${secret:HELPDESK_TOKEN}"},
            result_fields=["error", "key"],
        )
        ok = await run_http_action(action, VARIABLES, SECRETS, [receiver.host])
        refused = await run_http_action(action, VARIABLES, SECRETS, [receiver.host])
    assert ok.result == {
        "error": "token ${secret:HELPDESK_TOKEN} revoked",
        "key": "${secret:QUERY_KEY}",
    }
    assert refused.error is not None and "${secret:HELPDESK_TOKEN}" in refused.error
    assert_no_secret(*everything(ok), *everything(refused), caplog.text)


async def test_response_body_is_read_up_to_a_cap() -> None:
    huge = b'{"id": "' + b"x" * (MAX_RESPONSE + 10) + b'"}'
    with Receiver(Reply(200, huge)) as receiver:
        action = http_action(receiver.url("/"), result_fields=["id"])
        outcome = await run_http_action(action, VARIABLES, {}, [receiver.host])
    # Too long to parse: the call still counts, its result fields are left out.
    assert outcome.status == "succeeded" and outcome.result == {}


async def test_a_gzipped_answer_is_read_and_a_gzip_bomb_is_cut_at_the_cap() -> None:
    answer = gzip.compress(b'{"id": 7001}')
    bomb = gzip_bomb(200 * MB)
    gzipped = {"Content-Encoding": "gzip"}
    with Receiver(Reply(200, answer, headers=gzipped), Reply(200, bomb, headers=gzipped)) as site:
        action = http_action(site.url("/"), result_fields=["id"])
        ok = await run_http_action(action, VARIABLES, {}, [site.host])
        bombed = await run_http_action(action, VARIABLES, {}, [site.host])
        assert site.requests[0].headers["accept-encoding"] == "identity"
    assert ok.status == "succeeded" and ok.result == {"id": 7001}
    assert bombed.status == "succeeded" and bombed.result == {}


async def test_an_answer_in_an_unread_encoding_fails_without_retry() -> None:
    with Receiver(Reply(200, b"\x1b\x00", headers={"Content-Encoding": "br"})) as site:
        action = http_action(site.url("/"), retries=2, result_fields=["id"])
        outcome = await run_http_action(action, VARIABLES, {}, [site.host])
    assert outcome.status == "failed" and outcome.attempts == 1
    assert outcome.error == (
        "HTTP 200 from 127.0.0.1 (1 attempt): the server sent a compressed body in an "
        "encoding Frontdesk does not read: br"
    )


@pytest.mark.parametrize("location", ["http:foo", "data:text/html,x"])
async def test_a_redirect_to_no_url_fails_readably_without_retry(location: str) -> None:
    with Receiver(Reply(302, b"", headers={"Location": location})) as site:
        action = http_action(site.url("/"), retries=2)
        outcome = await run_http_action(action, VARIABLES, {}, [site.host])
    assert outcome.status == "failed" and outcome.attempts == 1
    assert outcome.error == (
        "127.0.0.1 redirects to an address that is not a valid URL (1 attempt)"
    )


async def test_a_visitor_value_cannot_change_a_string_bodys_structure() -> None:
    variables = {"lead": {"name": 'Ada", "admin": true, "x": "', "email": "a@b.c&role=admin"}}
    with Receiver() as receiver:
        as_json = http_action(
            receiver.url("/j"),
            headers={"Content-Type": "application/json"},
            body='{{"name": "{lead.name}"}}',
        )
        as_form = http_action(
            receiver.url("/f"),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            body="email={lead.email}&source=chat",
        )
        for action in (as_json, as_form):
            outcome = await run_http_action(action, variables, {}, [receiver.host])
            assert outcome.status == "succeeded"
    sent_json, sent_form = receiver.requests
    assert sent_json.json() == {"name": 'Ada", "admin": true, "x": "'}
    assert sent_form.body == b"email=a%40b.c%26role%3Dadmin&source=chat"

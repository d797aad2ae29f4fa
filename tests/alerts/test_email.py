"""Alert email through a real SMTP server (aiosmtpd on loopback): content, opt-out, retry."""

from __future__ import annotations

from email.message import Message
from typing import Any

import httpx
from alert_support import PUBLIC_URL, Mailbox, attempts_in_db, deliveries_in_db

from app_fixtures import Accounts, sign_in
from frontdesk.settings import Settings
from support import ServerThread, wait_until


def _text(email: Message) -> str:
    payload = email.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(email.get_content_charset() or "utf-8")


def _settled(settings: Settings) -> list[Any]:
    def done() -> list[Any] | None:
        rows = deliveries_in_db(settings, "email")
        return rows if rows and all(r.status != "pending" for r in rows) else None

    found: list[Any] = wait_until(done, timeout=15, what="email deliveries to finish")
    return found


def test_members_are_emailed_when_a_conversation_waits(
    visitors: Any,
    member: httpx.Client,
    accounts: Accounts,
    server: ServerThread,
    mailbox: Mailbox,
    settings: Settings,
) -> None:
    accounts.member("kim@ridgeline.test", name="Kim")
    kim = sign_in(server, "kim@ridgeline.test")
    off = kim.patch("/api/v1/alerts/preferences", json={"email_alerts": False})
    assert off.json()["email_alerts"] is False
    kim.close()
    visitor = visitors()
    visitor.send("Do you offer financing?")
    visitor.wait_for("ai")
    assert visitor.handoff().json()["status"] == "waiting"

    [email] = mailbox.wait_for(1)
    assert email["To"] == "sam@ridgeline.test"
    assert email["From"] == settings.smtp_from
    subject = email["Subject"]
    assert subject.startswith("Ridgeline: a visitor is waiting (normal priority)")
    body = _text(email)
    assert "> Do you offer financing?" in body
    assert f"{PUBLIC_URL}/inbox#/inbox/{visitor.id}" in body
    assert "Reason: " in body and "Priority: normal" in body
    # Kim turned email alerts off: the event queued Sam's email only.
    [delivery] = _settled(settings)
    assert (delivery.recipient, delivery.status, delivery.attempts) == (
        "sam@ridgeline.test",
        "delivered",
        1,
    )
    assert mailbox.logins == []  # no SMTP username configured: no login


def test_a_refused_email_is_retried(
    visitors: Any, member: httpx.Client, mailbox: Mailbox, settings: Settings
) -> None:
    mailbox.refuse = 1
    visitors().handoff()
    [email] = mailbox.wait_for(1)
    assert email["To"] == "sam@ridgeline.test"
    [delivery] = _settled(settings)
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("delivered", 2, None)
    refused, accepted = attempts_in_db(settings, delivery.id)
    assert (refused.ok, refused.status_code, refused.error) == (
        False,
        451,
        "SMTP 451: Try again later",
    )
    assert accepted.ok and accepted.error is None


def test_only_a_handoff_sends_email(
    visitors: Any, member: httpx.Client, client: httpx.Client, mailbox: Mailbox, settings: Settings
) -> None:
    visitor = visitors()
    visitor.send("Do you offer financing?")
    visitor.wait_for("ai")
    client.post(f"/api/v1/conversations/{visitor.id}/close")
    visitors().handoff()
    # Only the handoff (the second conversation) mails anyone.
    [email] = mailbox.wait_for(1)
    assert visitor.id not in _text(email)
    assert len(_settled(settings)) == 1


def test_a_conversation_routed_to_a_team_emails_that_team_only(
    visitors: Any,
    member: httpx.Client,
    client: httpx.Client,
    agent: dict[str, Any],
    accounts: Accounts,
    mailbox: Mailbox,
    settings: Settings,
) -> None:
    fiona = accounts.member("fiona@ridgeline.test", name="Fiona")
    rules = {"keywords": [{"phrase": "loan", "team": "Finance"}]}
    assert client.patch(f"/api/v1/agents/{agent['id']}", json={"rules": rules}).is_success
    team = client.post("/api/v1/teams", json={"name": "Finance", "members": [fiona.id]})
    assert team.status_code == 201, team.text
    visitors().send("I need a loan for a trailer")
    [email] = mailbox.wait_for(1)
    assert email["To"] == "fiona@ridgeline.test"
    # Sam (not in Finance) got nothing: one delivery in all.
    [delivery] = _settled(settings)
    assert delivery.recipient == "fiona@ridgeline.test"

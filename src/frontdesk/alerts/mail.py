"""Alert email: what it says, and sending it over SMTP (stdlib smtplib, in a thread)."""

from __future__ import annotations

import asyncio
import re
import smtplib
import ssl
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from frontdesk.alerts.outbox import Outcome
from frontdesk.settings import Settings

PREVIEW_CHARS = 500
_DEFAULT_PORTS = {"none": 25, "starttls": 587, "tls": 465}


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str


def _one_line(text: str, limit: int) -> str:
    # Header values must not carry line breaks (header injection); keep subjects short.
    flat = re.sub(r"\s+", " ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def waiting_email(
    to: str, conversation: dict[str, Any], last_visitor_text: str | None, link: str
) -> Email:
    """The email one member gets when a conversation starts waiting for a person."""
    agent = conversation.get("agent_name") or "your agent"
    priority = conversation.get("priority") or "normal"
    reason = (conversation.get("handoff") or {}).get("reason") or "the visitor asked for a person"
    subject = f"{agent}: a visitor is waiting ({priority} priority) – {_one_line(reason, 100)}"
    preview = (last_visitor_text or "").strip()
    if len(preview) > PREVIEW_CHARS:
        preview = preview[: PREVIEW_CHARS - 1] + "…"
    quoted = "\n".join(f"> {line}" for line in preview.splitlines()) or "(no message yet)"
    text = (
        f"A conversation with {agent} is waiting for a person.\n\n"
        f"Reason: {reason}\n"
        f"Priority: {priority}\n\n"
        f"The visitor's last message:\n{quoted}\n\n"
        f"Open it in the inbox:\n{link}\n\n"
        "-- \nFrontdesk. You can turn these emails off in the inbox, under Alerts.\n"
    )
    return Email(to=to, subject=_one_line(subject, 200), text=text)


def _message(settings: Settings, email: Email) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = email.to
    message["Subject"] = email.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="frontdesk")
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(email.text)
    return message


def _send_sync(settings: Settings, message: EmailMessage) -> None:
    host = settings.smtp_host
    assert host is not None
    port = settings.smtp_port or _DEFAULT_PORTS[settings.smtp_security]
    timeout = settings.smtp_timeout_s
    client: smtplib.SMTP
    if settings.smtp_security == "tls":
        client = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(host, port, timeout=timeout)
    with client:
        if settings.smtp_security == "starttls":
            client.starttls(context=ssl.create_default_context())
        if settings.smtp_username:
            password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
            client.login(settings.smtp_username, password)
        client.send_message(message)


async def send(settings: Settings, email: Email) -> Outcome:
    """One attempt; 5xx answers (refused recipient, failed login) are not retried."""
    if not settings.smtp_host:
        return Outcome(
            ok=False, error="Email is not configured (FRONTDESK_SMTP_HOST).", permanent=True
        )
    started = time.monotonic()

    def took() -> int:
        return round((time.monotonic() - started) * 1000)

    try:
        await asyncio.to_thread(_send_sync, settings, _message(settings, email))
    except smtplib.SMTPRecipientsRefused as exc:
        codes = sorted({code for code, _ in exc.recipients.values()})
        return Outcome(
            ok=False, duration_ms=took(), error=f"Recipient refused {codes}", permanent=True
        )
    except smtplib.SMTPResponseException as exc:
        reply = (
            exc.smtp_error.decode(errors="replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        return Outcome(
            ok=False,
            duration_ms=took(),
            status_code=exc.smtp_code,
            error=f"SMTP {exc.smtp_code}: {_one_line(reply, 300)}",
            permanent=exc.smtp_code >= 500,
        )
    except (smtplib.SMTPException, OSError) as exc:
        detail = _one_line(str(exc), 300) or type(exc).__name__
        return Outcome(ok=False, duration_ms=took(), error=f"SMTP: {detail}")
    return Outcome(ok=True, duration_ms=took())

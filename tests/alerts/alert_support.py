"""Helpers for alert tests: a mailbox for aiosmtpd, the delivery log, the database."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from email import message_from_bytes
from email.message import Message
from typing import Any

import httpx
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import select, update

from frontdesk.accounts.models import Workspace
from frontdesk.alerts.models import Delivery, DeliveryAttempt
from frontdesk.db.engine import Database
from frontdesk.settings import Settings
from support import wait_until

PUBLIC_URL = "https://desk.example.test"
TIMEOUT_S = 0.5


class Mailbox:
    """An aiosmtpd handler that keeps every message; ``refuse`` answers the next ones 451."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.refuse = 0
        self.port = 0
        self.password = "smtp-pass-0123456789"
        self.logins: list[str] = []
        self._changed = threading.Condition()

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        """Optional SMTP login: accepted when the password is ``self.password``."""
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        self.logins.append(data.login.decode())
        return AuthResult(success=data.password.decode() == self.password, handled=False)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            self.refuse -= 1
            return "451 Try again later"
        with self._changed:
            self.messages.append(message_from_bytes(envelope.original_content))
            self._changed.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 15) -> list[Message]:
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.messages) >= count, timeout):
                raise AssertionError(f"expected {count} emails, got {len(self.messages)}")
            return list(self.messages)


def run_db(settings: Settings, work: Callable[[Any], Any]) -> Any:
    """Run ``work(session)`` in a transaction on the server's own database."""

    async def main() -> Any:
        db = Database(settings.sqlalchemy_url)
        try:
            async with db.transaction() as session:
                return await work(session)
        finally:
            await db.dispose()

    return asyncio.run(main())


def allow_hosts(settings: Settings, workspace_id: str, *hosts: str) -> None:
    """What the (separate) allowed-hosts API will do: let this workspace call loopback."""

    async def work(session: Any) -> None:
        await session.execute(
            update(Workspace).where(Workspace.id == workspace_id).values(allowed_hosts=list(hosts))
        )

    run_db(settings, work)


def deliveries_in_db(settings: Settings, channel: str) -> list[Delivery]:
    async def work(session: Any) -> list[Delivery]:
        rows = await session.scalars(
            select(Delivery).where(Delivery.channel == channel).order_by(Delivery.created_at)
        )
        return list(rows)

    result: list[Delivery] = run_db(settings, work)
    return result


def attempts_in_db(settings: Settings, delivery_id: str) -> list[DeliveryAttempt]:
    async def work(session: Any) -> list[DeliveryAttempt]:
        rows = await session.scalars(
            select(DeliveryAttempt)
            .where(DeliveryAttempt.delivery_id == delivery_id)
            .order_by(DeliveryAttempt.number)
        )
        return list(rows)

    result: list[DeliveryAttempt] = run_db(settings, work)
    return result


def create_webhook(
    client: httpx.Client, url: str, events: list[str], **extra: Any
) -> dict[str, Any]:
    response = client.post("/api/v1/webhooks", json={"url": url, "events": events, **extra})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def delivery_log(client: httpx.Client, webhook_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/webhooks/{webhook_id}/deliveries")
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["deliveries"]
    return found


def wait_for_log(
    client: httpx.Client,
    webhook_id: str,
    check: Callable[[list[dict[str, Any]]], bool],
    what: str,
    timeout: float = 15,
) -> list[dict[str, Any]]:
    """Poll the delivery log (newest first) until ``check`` holds."""

    def settled() -> list[dict[str, Any]] | None:
        log = delivery_log(client, webhook_id)
        return log if check(log) else None

    result: list[dict[str, Any]] = wait_until(settled, timeout=timeout, what=what)
    return result


def finished(count: int) -> Callable[[list[dict[str, Any]]], bool]:
    """At least ``count`` deliveries, none of them still pending."""
    return lambda log: len(log) >= count and all(d["status"] != "pending" for d in log)

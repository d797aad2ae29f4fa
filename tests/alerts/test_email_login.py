"""Alert email with an SMTP login: the password is used, and never logged or stored."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import httpx
import pytest
from alert_support import PUBLIC_URL, Mailbox, attempts_in_db, deliveries_in_db

from frontdesk.settings import Settings
from support import wait_until

LOGIN = "alerts@ridgeline.test"
PASSWORD = "smtp-pass-0123456789"


@pytest.fixture
def settings(tmp_path: Path, mailbox: Mailbox) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        public_url=PUBLIC_URL,
        smtp_host="127.0.0.1",
        smtp_port=mailbox.port,
        smtp_security="none",
        smtp_username=LOGIN,
        smtp_password=PASSWORD,
        email_retry_delays_s=[0.05],
    )


def test_the_server_logs_in_before_sending(
    visitors: Any, member: httpx.Client, mailbox: Mailbox
) -> None:
    visitors().handoff()
    [email] = mailbox.wait_for(1)
    assert email["To"] == "sam@ridgeline.test" and mailbox.logins == [LOGIN]


def test_a_wrong_password_fails_once_without_leaking_it(
    visitors: Any,
    member: httpx.Client,
    mailbox: Mailbox,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    mailbox.password = "the-right-one"
    visitors().handoff()

    def failed() -> Any:
        rows = deliveries_in_db(settings, "email")
        return rows[0] if rows and rows[0].status == "failed" else None

    delivery = wait_until(failed, timeout=15, what="the login failure")
    # 535 is a permanent refusal: retrying a wrong password only locks the account.
    [attempt] = attempts_in_db(settings, delivery.id)
    assert attempt.status_code == 535 and "SMTP 535" in (attempt.error or "")
    assert set(mailbox.logins) == {LOGIN} and mailbox.messages == []  # PLAIN, then LOGIN
    assert PASSWORD not in caplog.text and PASSWORD not in (attempt.error or "")
    assert "attempt 1 failed, giving up: SMTP 535" in caplog.text

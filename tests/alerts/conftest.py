"""Alert fixtures: retries in milliseconds, a real SMTP server, loopback receivers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from alert_support import PUBLIC_URL, Mailbox

from frontdesk.settings import Settings
from receiver import Receiver, Reply
from support import free_port


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    box.port = free_port()
    # Login is optional (and allowed without TLS, on loopback only).
    controller = Controller(
        box,
        hostname="127.0.0.1",
        port=box.port,
        authenticator=box.authenticate,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture
def webhook_timeout_s() -> float:
    """Generous, so a loaded machine never turns a delivery into a retry; the test of
    timeouts parametrizes it down to ``TIMEOUT_S``."""
    return 10.0


@pytest.fixture
def settings(tmp_path: Path, mailbox: Mailbox, webhook_timeout_s: float) -> Settings:
    """The default test settings, with retries in milliseconds and email to ``mailbox``."""
    return Settings(
        data_dir=tmp_path / "data",
        max_upload_mb=1,
        public_url=PUBLIC_URL,
        webhook_timeout_s=webhook_timeout_s,
        webhook_retry_delays_s=[0.05, 0.1],
        email_retry_delays_s=[0.05, 0.1],
        smtp_host="127.0.0.1",
        smtp_port=mailbox.port,
        smtp_security="none",
        smtp_username=None,
    )


@pytest.fixture
def receivers() -> Iterator[Callable[..., Receiver]]:
    """Start loopback receivers with a script of replies; all are stopped afterwards."""
    started: list[Receiver] = []

    def start(*script: Reply) -> Receiver:
        receiver = Receiver(*script).__enter__()
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        receiver.__exit__(None, None, None)

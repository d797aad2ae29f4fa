"""Keeping secret values out of text that people see: errors, results and log records.

The last line of defence, not the first: callers already avoid putting values in messages,
but a server may echo a token back, and httpx logs every request's full URL at INFO.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from urllib.parse import quote

# Loggers that may print a URL or response headers while an outbound request runs.
HTTP_LOGGERS = (
    "httpx",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
    # httpx's successor, under the Anthropic SDK, and the SDK's own debug lines.
    "httpx2",
    "httpcore2.connection",
    "httpcore2.http11",
    "httpcore2.http2",
    "httpcore2.proxy",
    "httpcore2.socks",
    "anthropic",
    "anthropic._base_client",
    "anthropic._response",
    "openai._base_client",
    "openai._response",
)

_active: ContextVar[tuple[tuple[str, str], ...]] = ContextVar("frontdesk_redact", default=())


def _forms(value: str) -> set[str]:
    # The value as sent in a URL or a JSON body may be escaped; hide those spellings too.
    return {value, quote(value, safe=""), json.dumps(value)[1:-1]} - {""}


def scrub(text: str, secrets: Mapping[str, str]) -> str:
    """``text`` with every secret value (and its URL/JSON spellings) shown as ``${secret:NAME}``."""
    pairs = [(form, name) for name, value in secrets.items() for form in _forms(value)]
    # Longest first, so a value that contains another is replaced whole.
    for form, name in sorted(pairs, key=lambda pair: -len(pair[0])):
        text = text.replace(form, f"${{secret:{name}}}")
    return text


def scrub_json(value: Any, secrets: Mapping[str, str]) -> Any:
    """Every string in a JSON-like value scrubbed, keys included."""
    if isinstance(value, str):
        return scrub(value, secrets)
    if isinstance(value, dict):
        return {scrub(str(k), secrets): scrub_json(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub_json(item, secrets) for item in value]
    return value


class _RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        active = _active.get()
        if active:
            record.msg = scrub(record.getMessage(), dict(active))
            record.args = None
        return True


_FILTER = _RedactingFilter()


@contextmanager
def redacting_logs(secrets: Mapping[str, str]) -> Iterator[None]:
    """While inside (in this task), log records of the HTTP libraries hide these values."""
    for name in HTTP_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
    token = _active.set((*_active.get(), *secrets.items()))
    try:
        yield
    finally:
        _active.reset(token)

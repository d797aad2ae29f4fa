"""What the server logs, with tokens redacted from every line.

uvicorn logs each request's path and query (``/inbox/invite/inv_…``,
``WebSocket /api/v1/widget/ws?token=…``), and a URL may turn up in any other record. The
filter rewrites values of secret-looking query keys and anything shaped like one of our
tokens (``{prefix}_{token_urlsafe(32)}``, see accounts/credentials.py) to ``[redacted]``.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime

from frontdesk.settings import Settings

REDACTED = "[redacted]"
FORMAT = "%(levelname)s %(name)s: %(message)s"
# Prefixes of the tokens we issue: invites, API keys, visitor tokens, sessions.
TOKEN_PREFIXES = ("inv", "fd", "vt", "ses")
# uvicorn writes request lines to uvicorn.access and WebSocket lines to uvicorn.error.
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")

_SECRET_QUERY = re.compile(
    r"(?i)([?&;](?:[\w.-]*[_.-])?"
    r"(?:token|key|apikey|secret|password|passwd|signature|session|auth|credentials?)=)"
    r"[^&;#\s\"'<>]*"
)
_TOKEN = re.compile(rf"(?<![A-Za-z0-9])({'|'.join(TOKEN_PREFIXES)})_[A-Za-z0-9_-]{{20,}}")


# A percent-escape of a letter, digit, "_", "-" or ".": the server decodes it, so a token can
# be spelt ``%69nv%5F…`` in a URL and still work. Spelt plainly before matching.
_UNRESERVED_ESCAPE = re.compile(
    r"%(3[0-9]|4[1-9A-Fa-f]|5[0-9Aa]|5[Ff]|6[1-9A-Fa-f]|7[0-9Aa]|2[DdEe])"
)


def _unescape(match: re.Match[str]) -> str:
    return chr(int(match.group(1), 16))


def redact(text: str) -> str:
    """``text`` with secret query values and our tokens replaced by ``[redacted]``."""
    if "%" in text:
        text = _UNRESERVED_ESCAPE.sub(_unescape, text)
    text = _SECRET_QUERY.sub(rf"\1{REDACTED}", text)
    return _TOKEN.sub(rf"\1_{REDACTED}", text)


def _redact_arg(value: object) -> object:
    if isinstance(value, str):
        return redact(value)
    if value is None or isinstance(value, (int, float, bytes)):
        return value
    # A URL object or an exception prints its URL; keep the object unless it needs hiding.
    try:
        text = str(value)
    except Exception:
        return value
    hidden = redact(text)
    return value if hidden == text else hidden


class RedactSecrets(logging.Filter):
    """Rewrites a record's message, arguments and traceback with tokens redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _redact_arg(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redact_arg(arg) for arg in record.args)
        elif isinstance(record.args, Mapping):
            record.args = {key: _redact_arg(arg) for key, arg in record.args.items()}
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text, so the traceback is printed as redacted here.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def install_redaction(*handlers: logging.Handler) -> None:
    """Redact uvicorn's loggers (whatever handlers they get later) and these handlers."""
    targets: list[logging.Logger | logging.Handler] = [
        logging.getLogger(name) for name in UVICORN_LOGGERS
    ]
    for target in [*targets, *handlers]:
        if not any(isinstance(f, RedactSecrets) for f in target.filters):
            target.addFilter(RedactSecrets())


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for a log collector: time (UTC), level, logger, message,
    and the traceback when there is one (already redacted by the handler's filter)."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        return json.dumps(line, ensure_ascii=False)


def configure_logging(settings: Settings) -> logging.Handler:
    """The logging of ``frontdesk serve``: one stderr handler at the configured level, in
    the configured format (uvicorn's own lines included: see cli/serve.py)."""
    handler = logging.StreamHandler()
    json_lines = settings.log_format == "json"
    handler.setFormatter(JsonFormatter() if json_lines else logging.Formatter(FORMAT))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    if json_lines:
        # Every line through this handler: uvicorn's loggers keep no handler of their own.
        for name in UVICORN_LOGGERS:
            logging.getLogger(name).handlers.clear()
            logging.getLogger(name).propagate = True
    # httpx logs every request's full URL at INFO; webhook and action URLs can carry tokens.
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
    install_redaction(handler)
    return handler

"""Filling an HTTP action's URL, headers and body from the conversation and secrets.

``{lead.email}``, ``{conversation.id}``, ``{agent.name}`` become the conversation's values (a
value that was not collected renders as an empty string); ``${secret:NAME}`` becomes a
workspace secret. ``{{`` and ``}}`` are literal braces, as in Python's ``str.format``: write
``{{lead.email}}`` to send the text ``{lead.email}``. A string body holding JSON must double
its braces for the same reason; a dict or list body, sent as JSON, avoids that entirely.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from frontdesk.actions.config import PLACEHOLDER, HttpAction, template_strings
from frontdesk.errors import FrontdeskError

Variables = Mapping[str, Mapping[str, str]]
Escape = Callable[[str], str]

# An escaped brace first, so `{{lead.x}}` is read as literal text rather than a placeholder.
_TOKEN = re.compile(r"\{\{|\}\}|" + PLACEHOLDER.pattern)


class MissingSecret(FrontdeskError):
    status = 422
    code = "secret_missing"


def missing_secret(names: set[str]) -> MissingSecret:
    listed = ", ".join(sorted(names))
    verb = "is" if len(names) == 1 else "are"
    return MissingSecret(f"secret {listed} {verb} not set", field="secrets")


def _substitute(
    text: str,
    variables: Variables,
    secrets: Mapping[str, str] | None,
    escape: Escape | None,
) -> str:
    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        secret, root, attr = match.groups()
        if secret is not None:
            if secrets is None:
                return token
            if secret not in secrets:
                raise missing_secret({secret})
            # Never escaped: a secret may hold a whole base URL or a ready-made header value.
            return secrets[secret]
        value = str(variables.get(root, {}).get(attr, ""))
        return escape(value) if escape else value

    return _TOKEN.sub(replace, text)


def render(
    text: str,
    variables: Variables,
    secrets: Mapping[str, str],
    *,
    escape: Escape | None = None,
) -> str:
    """``text`` with every placeholder filled; ``escape`` is applied to variable values only."""
    return _substitute(text, variables, secrets, escape)


def redacted(text: str, variables: Variables, *, escape: Escape | None = None) -> str:
    """``text`` with variables filled but ``${secret:NAME}`` left as written, for logs and runs."""
    return _substitute(text, variables, None, escape)


def render_body(body: Any, variables: Variables, secrets: Mapping[str, str] | None) -> Any:
    """Every string leaf and key of a JSON-like body rendered (secrets kept when None)."""
    if isinstance(body, str):
        return _substitute(body, variables, secrets, None)
    if isinstance(body, dict):
        return {
            _substitute(str(key), variables, secrets, None): render_body(value, variables, secrets)
            for key, value in body.items()
        }
    if isinstance(body, list):
        return [render_body(item, variables, secrets) for item in body]
    return body


def secret_names(action: HttpAction) -> set[str]:
    """Every secret the action's URL, headers and body refer to."""
    names: set[str] = set()
    for text in template_strings(action):
        for match in _TOKEN.finditer(text):
            if match.group(1) is not None:
                names.add(match.group(1))
    return names

"""Rendering {root.attr} and ${secret:NAME} placeholders, escaping, redaction."""

from __future__ import annotations

from typing import Any

import pytest

from frontdesk.actions.config import HttpAction
from frontdesk.actions.templates import (
    MissingSecret,
    redacted,
    render,
    render_body,
    secret_names,
)

VARIABLES = {
    "lead": {"name": "Ada Lovelace", "email": "ada@example.com"},
    "conversation": {"id": "cnv_1", "status": "open"},
    "agent": {"name": "Ridgeline"},
}
SECRETS = {"TOKEN": "s3cr3t-t0ken", "BASE_URL": "https://helpdesk.example.com"}


def action(**fields: Any) -> HttpAction:
    return HttpAction.model_validate(
        {"name": "create_ticket", "kind": "http", "url": "https://x.test/", **fields}
    )


def test_variables_and_secrets_are_filled() -> None:
    text = "{lead.name} <{lead.email}> in {conversation.id} by {agent.name}: ${secret:TOKEN}"
    assert render(text, VARIABLES, SECRETS) == (
        "Ada Lovelace <ada@example.com> in cnv_1 by Ridgeline: s3cr3t-t0ken"
    )


def test_a_missing_value_renders_empty() -> None:
    assert render("[{lead.phone}]", VARIABLES, {}) == "[]"
    assert render("[{lead.name}]", {}, {}) == "[]"


def test_doubled_braces_are_literal() -> None:
    assert render("{{lead.name}} is {lead.name}", VARIABLES, {}) == "{lead.name} is Ada Lovelace"
    assert render("{{{lead.name}}}", VARIABLES, {}) == "{Ada Lovelace}"
    assert render('{"a": 1}', VARIABLES, {}) == '{"a": 1}'  # single braces are left alone


def test_escape_applies_to_variables_not_secrets() -> None:
    quoted = render(
        "${secret:BASE_URL}/find?email={lead.email}",
        VARIABLES,
        SECRETS,
        escape=lambda v: v.replace("@", "%40"),
    )
    assert quoted == "https://helpdesk.example.com/find?email=ada%40example.com"


def test_a_missing_secret_is_named() -> None:
    with pytest.raises(MissingSecret, match="secret TOKEN is not set"):
        render("Bearer ${secret:TOKEN}", VARIABLES, {})


def test_redacted_keeps_secret_placeholders() -> None:
    text = "Bearer ${secret:TOKEN} for {lead.email}"
    assert redacted(text, VARIABLES) == "Bearer ${secret:TOKEN} for ada@example.com"


def test_body_renders_keys_and_leaves_and_keeps_other_values() -> None:
    body = {
        "requester": {"name": "{lead.name}", "{agent.name}_tag": True},
        "items": ["{conversation.id}", 3, None],
        "auth": "${secret:TOKEN}",
    }
    assert render_body(body, VARIABLES, SECRETS) == {
        "requester": {"name": "Ada Lovelace", "Ridgeline_tag": True},
        "items": ["cnv_1", 3, None],
        "auth": "s3cr3t-t0ken",
    }
    assert render_body(body, VARIABLES, None)["auth"] == "${secret:TOKEN}"


def test_secret_names_come_from_url_headers_and_body() -> None:
    used = action(
        url="${secret:BASE_URL}/tickets",
        headers={"Authorization": "Bearer ${secret:TOKEN}", "X-${secret:HEADER_NAME}": "1"},
        body={"nested": [{"key": "${secret:BODY_KEY}"}], "{{${secret:LITERAL}}}": 1},
    )
    assert secret_names(used) == {"BASE_URL", "TOKEN", "HEADER_NAME", "BODY_KEY", "LITERAL"}
    assert secret_names(action()) == set()

"""Tools in agent files: declarations checked with the line and field, arguments checked
against them, and a model's words reaching a request only where the templates put them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from frontdesk.actions.config import HttpAction
from frontdesk.actions.http import run_http_action
from frontdesk.actions.tools import ToolParameters
from frontdesk.agents.configfile import parse_agent_file
from frontdesk.answering.generators.tools import definitions
from frontdesk.errors import InvalidInput
from receiver import Receiver, Reply
from tool_calls import SHOP_TOKEN, order_tool

HEAD = """\
name: A
actions:
  - name: order_status
    kind: http
    url: https://shop.test/orders/{tool.order_number}
"""


def tool(parameter: str, more: str = "") -> str:
    return (
        "    tool:\n      description: Look up an order.\n      parameters:\n"
        f"        properties:\n          order_number: {parameter}\n{more}"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            HEAD + tool("{type: object}"),
            "line 10: actions.0.tool.parameters.properties.order_number.type: Input should be "
            "'string', 'integer', 'number' or 'boolean'",
        ),
        (
            HEAD + tool("{type: string, items: {type: string}}"),
            "line 10: actions.0.tool.parameters.properties.order_number.items: Extra inputs",
        ),
        (
            HEAD + tool("{type: string}", "        required: [order_id]\n"),
            "line 9: actions.0.tool.parameters: Value error, required parameter 'order_id' is "
            "not among the properties",
        ),
        (
            HEAD.replace("{tool.order_number}", "{tool.order_id}") + tool("{type: string}"),
            "line 3: actions.0: Value error, unknown placeholder {tool.order_id}; the tool's "
            "parameters are: order_number",
        ),
        (
            HEAD,
            "line 3: actions.0: Value error, {tool.order_number} is filled only when a model "
            "calls the action: give it a tool block",
        ),
        (
            HEAD.replace("shop.test/orders/", "{tool.order_number}.shop.test/")
            + tool("{type: string}"),
            "{tool.*} cannot be in the URL's scheme, host or port",
        ),
        (
            HEAD
            + tool("{type: string}")
            + "  - {name: lead, kind: form, fields: [{name: phone}], then: [order_status]}\n",
            "action 'lead': then 'order_status' uses {tool.*}, which only a model's call fills",
        ),
        (
            HEAD + tool("{type: string, pattern: '[0-9'}"),
            "order_number.pattern: Value error, the pattern is not a regular expression",
        ),
        (
            HEAD + tool("{type: integer, maxLength: 5}"),
            "maxLength and pattern apply to a string parameter only",
        ),
        (HEAD + tool("{type: integer, enum: [1, two]}"), "the enum value 'two' is not an integer"),
        (
            HEAD + "    tool:\n      parameters: {}\n",
            "line 7: actions.0.tool.description: is required",
        ),
    ],
)
def test_bad_tool_declarations_name_the_line_and_field(text: str, expected: str) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_agent_file(text)
    assert expected in error.value.message


def test_a_tool_is_offered_with_a_closed_json_schema() -> None:
    spec = parse_agent_file(
        HEAD
        + tool("{type: string, pattern: '^[0-9]{5}$'}", "        required: [order_number]\n")
        + "  - name: callback\n    kind: form\n    fields: [{name: phone}]\n"
        + "    tool: {description: Offer a call back.}\n"
        + "  - {name: plain, kind: http, url: 'https://shop.test/x'}\n"
    )
    assert spec.actions is not None
    offered = {t.name: t for t in definitions(spec.actions)}
    assert set(offered) == {"order_status", "callback"}  # an action without a tool block: no
    assert offered["order_status"].parameters == {
        "type": "object",
        "properties": {
            "order_number": {"type": "string", "pattern": "^[0-9]{5}$", "maxLength": 200}
        },
        "required": ["order_number"],
        "additionalProperties": False,
    }
    assert offered["callback"].parameters["properties"] == {}


PARAMETERS = ToolParameters.model_validate(
    {
        "properties": {
            "code": {"type": "string", "maxLength": 12},
            "qty": {"type": "integer", "minimum": 1, "maximum": 10},
            "express": {"type": "boolean"},
            "colour": {"type": "string", "enum": ["red", "black"]},
        },
        "required": ["code"],
    }
)


def test_arguments_become_template_text() -> None:
    values = PARAMETERS.check({"code": "RP-2231", "qty": 2, "express": True, "colour": None})
    assert values == {"code": "RP-2231", "qty": "2", "express": "true"}


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ([], "the arguments are not a JSON object"),
        ({}, "the parameter 'code' is required"),
        ({"code": "x", "host": "evil.test"}, "there is no parameter 'host'"),
        ({"code": 5}, "code is not a string"),
        ({"code": "x" * 13}, "code is longer than 12 characters"),
        ({"code": "x", "qty": True}, "qty is not an integer"),
        ({"code": "x", "qty": 11}, "qty is above 10"),
        ({"code": "x", "colour": "blue"}, 'colour is not one of "red", "black"'),
    ],
)
def test_arguments_that_do_not_fit_are_refused(arguments: Any, expected: str) -> None:
    with pytest.raises(ValueError) as error:
        PARAMETERS.check(arguments)
    assert str(error.value) == expected


async def test_a_model_s_words_cannot_move_the_request() -> None:
    """Escaped for the path, the header and the body: no new path, query, header or key."""
    with Receiver(Reply(200, {"order": {"status": "open"}})) as shop:
        action = HttpAction.model_validate(
            {
                **order_tool(shop.url("/orders/{tool.order_number}?lang=en")),
                "method": "POST",
                "headers": {"X-Order": "{tool.order_number}"},
                "body": {"order": "{tool.order_number}"},
            }
        )
        hostile = '1/../admin?x=1#"}\r\nX-Evil: 1'
        variables = {"tool": {"order_number": hostile}}
        outcome = await run_http_action(action, variables, {"SHOP_TOKEN": SHOP_TOKEN}, [shop.host])
        [received] = shop.requests
    assert outcome.status == "succeeded", outcome.error
    assert received.path == "/orders/1%2F..%2Fadmin%3Fx%3D1%23%22%7D%0D%0AX-Evil%3A%201?lang=en"
    assert received.headers["x-order"] == '1/../admin?x=1#"} X-Evil: 1'
    assert "x-evil" not in received.headers
    assert received.json() == {"order": hostile}


def test_the_api_refuses_a_bad_tool_with_a_clear_4xx(client: httpx.Client) -> None:
    headers = {"Content-Type": "application/yaml"}
    bad = HEAD + tool("{type: array}")
    refused = client.post("/api/v1/agents/import", content=bad, headers=headers)
    assert refused.status_code == 422
    assert refused.json()["error"]["message"].startswith(
        "line 10: actions.0.tool.parameters.properties.order_number.type: Input should be"
    )
    unknown = order_tool("https://shop.test/orders/{tool.order_id}")
    created = client.post("/api/v1/agents", json={"name": "B", "actions": [unknown]})
    assert created.status_code == 422, created.text
    error = created.json()["error"]
    assert "unknown placeholder {tool.order_id}; the tool's parameters are: order_number" in str(
        error
    )

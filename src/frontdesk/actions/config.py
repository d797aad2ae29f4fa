"""Actions as an agent file declares them: forms that collect details, HTTP calls out."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal

from pydantic import (
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from frontdesk.actions.tools import FormTool, HttpTool
from frontdesk.errors import InvalidInput
from frontdesk.inputs import Input
from frontdesk.net.egress import split_destination

IDENT = r"^[a-z][a-z0-9_]{0,39}$"
ActionName = Annotated[str, StringConstraints(max_length=40)]
Option = Annotated[str, StringConstraints(max_length=200)]
HeaderName = Annotated[str, StringConstraints(max_length=200)]
HeaderValue = Annotated[str, StringConstraints(max_length=8000)]  # room for a long JWT
ResultPath = Annotated[str, StringConstraints(max_length=200)]
# A body is a request template, not a payload store; it is rendered on every run.
MAX_BODY_BYTES = 32 * 1024
MAX_BODY_DEPTH = 10
FieldType = Literal["text", "textarea", "email", "phone", "number", "date", "datetime", "select"]
# {conversation.id}, {lead.phone}, {agent.name}, {tool.order_number} (what a model passed to
# the action as a tool); ${secret:NAME} for a workspace secret.
PLACEHOLDER = re.compile(r"\$\{secret:([A-Za-z0-9_]+)\}|\{([a-z_]+)\.([a-z0-9_]+)\}")
VARIABLES = {
    "conversation": (
        "id",
        "url",
        "status",
        "priority",
        "page_url",
        "handoff_trigger",
        "handoff_reason",
        "tags",
        "last_visitor_message",
    ),
    "agent": ("id", "name"),
}


class FormField(Input):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=IDENT, description="Key the value is stored under.")
    type: FieldType = "text"
    label: str | None = Field(None, max_length=120, description="Default: the name, spaced.")
    required: bool = False
    options: list[Option] = Field(default_factory=list, max_length=50)
    placeholder: str | None = Field(None, max_length=120)

    @model_validator(mode="after")
    def _options(self) -> FormField:
        if self.type == "select" and not self.options:
            raise ValueError("a select field needs options")
        if self.type != "select" and self.options:
            raise ValueError("only a select field has options")
        return self

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()


class FormAction(Input):
    """Shown in the widget; the values become the conversation's lead card."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=IDENT)
    kind: Literal["form"]
    title: str = Field("Leave your details so our team can follow up", max_length=200)
    fields: list[FormField] = Field(min_length=1, max_length=20)
    then: list[ActionName] = Field(
        default_factory=list, max_length=5, description="HTTP actions run after submission."
    )
    tool: FormTool | None = Field(None, description="Lets the model offer this form.")

    @field_validator("fields")
    @classmethod
    def _unique(cls, fields: list[FormField]) -> list[FormField]:
        names = [f.name for f in fields]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"field {twice[0]!r} appears twice")
        return fields


class HttpAction(Input):
    """Sends what was collected to another system; templated with {lead.x} and secrets."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=IDENT)
    kind: Literal["http"]
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "POST"
    url: str = Field(min_length=1, max_length=2000)
    headers: dict[HeaderName, HeaderValue] = Field(default_factory=dict, max_length=30)
    body: dict[str, Any] | list[Any] | str | None = None
    timeout_s: float = Field(10.0, gt=0, le=60)
    retries: int = Field(2, ge=0, le=5, description="Extra attempts after a failure.")
    backoff_s: float = Field(1.0, ge=0, le=60, description="First retry delay; doubles.")
    result_fields: list[ResultPath] = Field(
        default_factory=list,
        max_length=20,
        description="Dotted paths kept from the JSON response, e.g. id or ticket.url; for a "
        "tool, what the model reads of the response.",
    )
    tool: HttpTool | None = Field(None, description="Lets the model call this action.")

    @field_validator("url")
    @classmethod
    def _url(cls, url: str) -> str:
        if url.startswith("${secret:"):
            return url  # the whole base URL is a secret: checked when the action runs
        if not re.match(r"^https?://", url):
            raise ValueError("the URL must start with http:// or https://")
        try:
            split_destination(PLACEHOLDER.sub("x", url))
        except InvalidInput as exc:
            raise ValueError(exc.message) from None
        return url

    @field_validator("body")
    @classmethod
    def _body(cls, body: Any) -> Any:
        if _depth(body) > MAX_BODY_DEPTH:
            raise ValueError(f"the body nests more than {MAX_BODY_DEPTH} levels deep")
        size = len(json.dumps(body, ensure_ascii=False, default=str).encode("utf-8"))
        if size > MAX_BODY_BYTES:
            raise ValueError(
                f"the body is {size // 1024} KB; at most {MAX_BODY_BYTES // 1024} KB is allowed"
            )
        return body

    @model_validator(mode="after")
    def _placeholders(self) -> HttpAction:
        parameters = set(self.tool.parameters.properties) if self.tool else None
        for text in template_strings(self):
            check_template(text, parameters)
        # A model's words fill a path, a query or a body, never where the request goes.
        head = re.match(r"^[a-z]+://[^/?#]*", self.url)
        if head and "{tool." in head.group(0):
            raise ValueError("{tool.*} cannot be in the URL's scheme, host or port")
        return self

    @property
    def label(self) -> str:
        """What the model and the visitor see as the title of the action's result."""
        if self.tool is not None and self.tool.label:
            return self.tool.label
        return self.name.replace("_", " ").capitalize()

    @property
    def model_filled(self) -> bool:
        """Whether the action's templates use what a model passed ({tool.x})."""
        return any("{tool." in text for text in template_strings(self))


Action = Annotated[FormAction | HttpAction, Field(discriminator="kind")]


def _depth(value: Any) -> int:
    """How many lists and objects deep ``value`` nests (without recursion: input is hostile)."""
    deepest, stack = 0, [(value, 1)]
    while stack and deepest <= MAX_BODY_DEPTH:
        item, level = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in item)
    return deepest


def template_strings(action: HttpAction) -> list[str]:
    found = [action.url, *action.headers.keys(), *action.headers.values()]

    def walk(value: Any) -> None:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            for key, item in value.items():
                found.append(str(key))
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(action.body)
    return found


def check_template(text: str, tool: set[str] | None = None) -> None:
    """``tool``: the parameters of the action's tool block, None when it has none."""
    for match in PLACEHOLDER.finditer(text):
        secret, root, attr = match.groups()
        if secret is not None:
            if not re.match(r"^[A-Z][A-Z0-9_]*$", secret):
                raise ValueError(f"secret names are upper case: ${{secret:{secret}}}")
            continue
        if root == "lead":
            continue
        if root == "tool":
            if tool is None:
                raise ValueError(
                    f"{{tool.{attr}}} is filled only when a model calls the action: "
                    "give it a tool block"
                )
            if attr not in tool:
                known = ", ".join(sorted(tool)) or "none"
                raise ValueError(
                    f"unknown placeholder {{tool.{attr}}}; the tool's parameters are: {known}"
                )
            continue
        if root not in VARIABLES:
            raise ValueError(
                f"unknown placeholder {{{root}.{attr}}}; "
                "use lead.*, conversation.*, agent.* or tool.*"
            )
        if attr not in VARIABLES[root]:
            raise ValueError(
                f"unknown placeholder {{{root}.{attr}}}; {root} has " + ", ".join(VARIABLES[root])
            )


def check_actions(actions: list[FormAction | HttpAction]) -> None:
    """Names are unique and every `then` names an HTTP action that needs no model."""
    named: dict[str, FormAction | HttpAction] = {}
    for action in actions:
        if action.name in named:
            raise ValueError(f"action {action.name!r} is declared twice")
        named[action.name] = action
    for action in actions:
        if isinstance(action, FormAction):
            for name in action.then:
                then = named.get(name)
                if not isinstance(then, HttpAction):
                    raise ValueError(f"action {action.name!r}: then {name!r} is not an HTTP action")
                if then.model_filled:
                    raise ValueError(
                        f"action {action.name!r}: then {name!r} uses {{tool.*}}, which only a "
                        "model's call fills"
                    )

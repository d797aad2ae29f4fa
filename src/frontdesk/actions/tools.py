"""Actions a language model may call while it answers: their declaration and their arguments.

An HTTP action with a ``tool`` block is offered to the model by name, with a description and
a JSON schema of flat parameters of simple types (string, integer, number, boolean). What
the model passes is checked against that schema and reaches the request only through the
action's templates, as ``{tool.<parameter>}``: escaped for where it lands, never as a
host or scheme (see config.py), so the egress check and the secrets stay as they are.

A form with a ``tool`` block can be offered by the model: calling it shows the form.
"""

from __future__ import annotations

import json
import math
import re
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StringConstraints, field_validator, model_validator

from frontdesk.inputs import Input

PARAMETER = r"^[a-z][a-z0-9_]{0,39}$"
MAX_PARAMETERS = 10
# What one argument may hold: an order number or a model code, not a document.
MAX_ARGUMENT_CHARS = 200
EnumValue = Annotated[str, StringConstraints(max_length=100)] | int | float | bool
ParameterType = Literal["string", "integer", "number", "boolean"]
_KIND = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
}


class ToolParameter(Input):
    """One parameter, in JSON-schema words (the subset a model is told and held to)."""

    model_config = ConfigDict(extra="forbid")

    type: ParameterType
    description: str | None = Field(None, max_length=300)
    enum: list[EnumValue] | None = Field(None, min_length=1, max_length=30)
    maxLength: int | None = Field(None, ge=1, le=MAX_ARGUMENT_CHARS)  # JSON schema's spelling
    pattern: str | None = Field(None, max_length=200, description="A regular expression.")
    minimum: float | None = None
    maximum: float | None = None

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"the pattern is not a regular expression ({exc})") from None
        return value

    @model_validator(mode="after")
    def _fits_type(self) -> ToolParameter:
        text = self.type == "string"
        if not text and (self.maxLength is not None or self.pattern is not None):
            raise ValueError("maxLength and pattern apply to a string parameter only")
        if self.type not in ("integer", "number") and (
            self.minimum is not None or self.maximum is not None
        ):
            raise ValueError("minimum and maximum apply to a number or integer parameter only")
        for value in self.enum or []:
            if _value_error(self, value, "an enum value") is not None:
                raise ValueError(f"the enum value {value!r} is not {_KIND[self.type]}")
        return self

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = self.model_dump(exclude_none=True)
        if self.type == "string":
            schema.setdefault("maxLength", MAX_ARGUMENT_CHARS)
        return schema


class ToolParameters(Input):
    """A JSON schema of type object whose properties are the parameters."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["object"] = "object"
    properties: dict[Annotated[str, StringConstraints(pattern=PARAMETER)], ToolParameter] = Field(
        default_factory=dict, max_length=MAX_PARAMETERS
    )
    required: list[str] = Field(default_factory=list, max_length=MAX_PARAMETERS)
    additionalProperties: Literal[False] = False  # JSON schema's own word

    @model_validator(mode="after")
    def _required_are_declared(self) -> ToolParameters:
        for name in self.required:
            if name not in self.properties:
                raise ValueError(f"required parameter {name!r} is not among the properties")
        return self

    def json_schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {name: p.json_schema() for name, p in self.properties.items()},
            "required": list(self.required),
            "additionalProperties": False,
        }

    def check(self, arguments: Any) -> dict[str, str]:
        """The arguments as template values (text); a ValueError says what is wrong."""
        if not isinstance(arguments, dict):
            raise ValueError("the arguments are not a JSON object")
        unknown = sorted(set(arguments) - set(self.properties))
        if unknown:
            raise ValueError(f"there is no parameter {unknown[0][:40]!r}")
        missing = [name for name in self.required if arguments.get(name) is None]
        if missing:
            raise ValueError(f"the parameter {missing[0]!r} is required")
        values = {}
        for name, value in arguments.items():
            if value is None:
                continue
            parameter = self.properties[name]
            problem = _value_error(parameter, value, name)
            if problem is not None:
                raise ValueError(problem)
            values[name] = _as_text(value)
        return values


class HttpTool(Input):
    """The ``tool`` block of an HTTP action."""

    model_config = ConfigDict(extra="forbid")

    description: str = Field(
        min_length=1, max_length=1000, description="When to call it, for the model."
    )
    label: str | None = Field(
        None,
        max_length=80,
        description="The result's title as the model and the visitor see it, e.g. Order "
        "system. Default: the action's name, spaced.",
    )
    parameters: ToolParameters = Field(default_factory=ToolParameters)


class FormTool(Input):
    """The ``tool`` block of a form: the model may offer the form."""

    model_config = ConfigDict(extra="forbid")

    description: str = Field(
        min_length=1, max_length=1000, description="When to offer it, for the model."
    )


def _value_error(parameter: ToolParameter, value: Any, name: str) -> str | None:
    kind = parameter.type
    if kind == "boolean":
        ok = isinstance(value, bool)
    elif kind == "integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    else:
        ok = isinstance(value, str)
    if not ok:
        return f"{name} is not {_KIND[kind]}"
    if parameter.enum is not None and value not in parameter.enum:
        return f"{name} is not one of " + ", ".join(json.dumps(v) for v in parameter.enum)
    if isinstance(value, str):
        limit = parameter.maxLength or MAX_ARGUMENT_CHARS
        if len(value) > limit:
            return f"{name} is longer than {limit} characters"
        if parameter.pattern is not None and not re.search(parameter.pattern, value):
            return f"{name} does not match the pattern {parameter.pattern}"
    elif kind != "boolean":
        if parameter.minimum is not None and value < parameter.minimum:
            return f"{name} is below {parameter.minimum:g}"
        if parameter.maximum is not None and value > parameter.maximum:
            return f"{name} is above {parameter.maximum:g}"
    return None


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)

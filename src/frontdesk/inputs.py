"""The base of every model that reads a client's input: request bodies and agent files.

JSON keeps booleans, numbers and text apart, and so does the API: in pydantic's default lax
mode `true` would pass as the number 1, and 1 as `true`. Strict mode refuses both. A value
that JSON can only carry as text (a date) opts back into parsing with :data:`IsoDate`.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Strict, model_validator

NUL = "\x00"


class Input(BaseModel):
    model_config = ConfigDict(strict=True)

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        """Text never holds a NUL: PostgreSQL refuses it in a text column (SQLite would keep
        it), so it is a 422 naming the field on every backend, before anything is stored."""
        where = nul_at(data)
        if where is not None:
            raise ValueError(f"{where or 'the text'}: contains a NUL character (\\u0000)")
        return data


def nul_at(value: Any, path: str = "") -> str | None:
    """The dotted path of the first text in ``value`` (JSON-like) holding a NUL, or None."""
    if isinstance(value, str):
        return path if NUL in value else None
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list | tuple):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        if isinstance(key, str) and NUL in key:
            return f"{path}.{key!r}" if path else repr(key)
        found = nul_at(item, f"{path}.{key}" if path else str(key))
        if found is not None:
            return found
    return None


IsoDate = Annotated[date, Strict(False)]

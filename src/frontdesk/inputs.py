"""The base of every model that reads a client's input: request bodies and agent files.

JSON keeps booleans, numbers and text apart, and so does the API: in pydantic's default lax
mode `true` would pass as the number 1, and 1 as `true`. Strict mode refuses both. A value
that JSON can only carry as text (a date) opts back into parsing with :data:`IsoDate`.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Strict


class Input(BaseModel):
    model_config = ConfigDict(strict=True)


IsoDate = Annotated[date, Strict(False)]

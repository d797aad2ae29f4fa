"""Insights tests run the server on a clock they move by hand (see clocks.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from clocks import Clock

from frontdesk.db.base import set_clock


@pytest.fixture
def clock() -> Iterator[Clock]:
    """Request it before ``server`` so the whole server lives in the clock's time."""
    fake = Clock()
    set_clock(fake)
    try:
        yield fake
    finally:
        set_clock(None)

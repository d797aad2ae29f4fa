"""Declarative base and column helpers shared by every domain's models."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import DateTime, Dialect, MetaData, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def new_id(prefix: str) -> str:
    """A sortable, prefixed id such as ``agt_lq3k9x0f8c2m1vz7``."""
    stamp = int(time.time() * 1000)
    head = ""
    while stamp:
        stamp, rem = divmod(stamp, 36)
        head = _ALPHABET[rem] + head
    tail = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"{prefix}_{head}{tail}"


Clock = Callable[[], datetime]

_clock: Clock | None = None


def set_clock(clock: Clock | None) -> None:
    """For tests and simulations: make :func:`utcnow` read ``clock`` (None: the real time)."""
    global _clock
    _clock = clock


def utcnow() -> datetime:
    """The current time in UTC; every stored timestamp comes from here."""
    return _clock() if _clock is not None else datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def table(model: type[Base]) -> Table:
    """The Core table behind a model. A statement over it skips the ORM's per-call work
    (entity loading, bulk-update bookkeeping): for hot statements that need no entities."""
    found: Table = model.__table__  # type: ignore[assignment]
    return found


def dialect_insert(dialect: str) -> Any:
    """``insert`` with ON CONFLICT for the database in use (PostgreSQL's, else SQLite's)."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def insert_for(session: AsyncSession, model: Any) -> Any:
    """``insert(model)`` with ON CONFLICT for the session's database."""
    return dialect_insert(session.get_bind().dialect.name)(model)


def as_utc(value: datetime) -> datetime:
    """The same instant as an aware UTC datetime; a naive one is taken to be UTC already."""
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back aware.

    SQLite keeps no offset and hands back naive datetimes; without this, every reader would
    have to remember to attach UTC, and the API would emit times without an offset.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return as_utc(value) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return as_utc(value) if value is not None else None


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

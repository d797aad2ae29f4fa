"""Stored times come back as the instant they were, aware and in UTC, whatever the database."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, MetaData, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from databases import DatabaseUnderTest
from frontdesk.db.base import UtcDateTime
from frontdesk.db.engine import Database


class _Base(DeclarativeBase):
    metadata = MetaData()


class _Moment(_Base):
    __tablename__ = "moments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)


async def test_times_come_back_aware_and_in_utc(
    tmp_path: Path, database: DatabaseUnderTest
) -> None:
    berlin = datetime(2026, 7, 1, 14, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    naive_utc = datetime(2026, 1, 2, 3, 4, 5)
    db = Database(database.blank(tmp_path))
    try:
        async with db.engine.begin() as connection:
            await connection.run_sync(_Base.metadata.create_all)
        async with db.transaction() as session:
            session.add_all([_Moment(id=1, at=berlin), _Moment(id=2, at=naive_utc)])
        async with db.session() as session:
            stored = (await session.scalars(select(_Moment.at).order_by(_Moment.id))).all()
            # Compared in SQL against an aware bound value in another zone: the same instant.
            later = await session.scalar(select(_Moment.id).where(_Moment.at > berlin))
    finally:
        await db.dispose()
    assert stored == [berlin, naive_utc.replace(tzinfo=UTC)]
    assert all(moment.tzinfo is UTC for moment in stored)
    assert later is None

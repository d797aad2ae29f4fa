"""Each member's own alert choices (email when a conversation starts waiting)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.accounts.caller import Caller
from frontdesk.alerts.models import AlertPreference
from frontdesk.db.base import insert_for
from frontdesk.errors import Forbidden


def member_of(caller: Caller) -> str:
    if caller.member_id is None:
        raise Forbidden("Alert preferences belong to a signed-in member; an API key has none.")
    return caller.member_id


async def email_alerts(session: AsyncSession, caller: Caller) -> bool:
    row = await session.get(AlertPreference, member_of(caller))
    return True if row is None else row.email_alerts


async def set_email_alerts(session: AsyncSession, caller: Caller, enabled: bool) -> bool:
    stmt = insert_for(session, AlertPreference).values(
        member_id=member_of(caller), email_alerts=enabled
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[AlertPreference.member_id],
            set_={"email_alerts": stmt.excluded.email_alerts},
        )
    )
    return enabled

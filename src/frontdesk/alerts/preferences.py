"""Each member's own alert choices (email when a conversation starts waiting)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.accounts.caller import Caller
from frontdesk.alerts.models import AlertPreference
from frontdesk.errors import Forbidden


def member_of(caller: Caller) -> str:
    if caller.member_id is None:
        raise Forbidden("Alert preferences belong to a signed-in member; an API key has none.")
    return caller.member_id


async def email_alerts(session: AsyncSession, caller: Caller) -> bool:
    row = await session.get(AlertPreference, member_of(caller))
    return True if row is None else row.email_alerts


async def set_email_alerts(session: AsyncSession, caller: Caller, enabled: bool) -> bool:
    member_id = member_of(caller)
    row = await session.get(AlertPreference, member_id)
    if row is None:
        session.add(AlertPreference(member_id=member_id, email_alerts=enabled))
    else:
        row.email_alerts = enabled
    await session.flush()
    return enabled

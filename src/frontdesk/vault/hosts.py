"""The private hosts a workspace lets its actions and webhooks call (see net/egress.py)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.accounts.service import get_workspace
from frontdesk.errors import InvalidInput, NotFound
from frontdesk.net.egress import MAX_ALLOWED, normalize_allowed_host


def normalize_hosts(hosts: Iterable[str]) -> list[str]:
    """Entries normalised, duplicates dropped (first kept); a bad entry names its position."""
    normalized: list[str] = []
    for index, entry in enumerate(hosts):
        try:
            host = normalize_allowed_host(entry)
        except InvalidInput as exc:
            raise InvalidInput(exc.message, field=f"hosts.{index}") from None
        if host not in normalized:
            normalized.append(host)
    if len(normalized) > MAX_ALLOWED:
        raise InvalidInput(f"A workspace allows at most {MAX_ALLOWED} hosts.", field="hosts")
    return normalized


async def allowed_hosts(session: AsyncSession, workspace_id: str) -> list[str]:
    return list((await get_workspace(session, workspace_id)).allowed_hosts or [])


async def set_allowed_hosts(
    session: AsyncSession, workspace_id: str, hosts: Iterable[str]
) -> list[str]:
    workspace = await get_workspace(session, workspace_id)
    # A new list, not an in-place change: the JSON column only notices assignment.
    workspace.allowed_hosts = normalize_hosts(hosts)
    await session.flush()
    return list(workspace.allowed_hosts)


async def allow_host(session: AsyncSession, workspace_id: str, host: str) -> list[str]:
    current = await allowed_hosts(session, workspace_id)
    return await set_allowed_hosts(session, workspace_id, [*current, host])


async def disallow_host(session: AsyncSession, workspace_id: str, host: str) -> list[str]:
    current = await allowed_hosts(session, workspace_id)
    entry = normalize_hosts([host])[0]
    if entry not in current:
        raise NotFound(f"{entry} is not an allowed host.")
    return await set_allowed_hosts(session, workspace_id, [h for h in current if h != entry])

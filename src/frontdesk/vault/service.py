"""Set, list, delete and resolve secrets; values go in, names come out, never values."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.db.base import utcnow
from frontdesk.db.unique import unique_or
from frontdesk.errors import Conflict, InvalidInput, NotFound
from frontdesk.vault.cipher import Cipher
from frontdesk.vault.models import Secret

NAME = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")
MAX_VALUE = 8192


def check_name(name: str) -> str:
    if not NAME.match(name):
        raise InvalidInput(
            "A secret name is upper-case letters, digits and _, starting with a letter "
            "(for example HELPDESK_TOKEN), at most 64 characters.",
            field="name",
        )
    return name


def _context(workspace_id: str, name: str) -> str:
    return f"secret:{workspace_id}:{name}"


async def set_secret(
    session: AsyncSession, cipher: Cipher, workspace_id: str, name: str, value: str
) -> Secret:
    secret, _ = await put_secret(session, cipher, workspace_id, name, value)
    return secret


async def put_secret(
    session: AsyncSession, cipher: Cipher, workspace_id: str, name: str, value: str
) -> tuple[Secret, bool]:
    """Create or replace a secret; (secret, created)."""
    check_name(name)
    value = value.rstrip("\r\n")
    if not value:
        raise InvalidInput("The secret's value is empty.", field="value")
    if len(value) > MAX_VALUE:
        raise InvalidInput(f"A secret is at most {MAX_VALUE:,} characters.", field="value")
    sealed = cipher.encrypt(value, _context(workspace_id, name))
    secret = await session.scalar(
        select(Secret).where(Secret.workspace_id == workspace_id, Secret.name == name)
    )
    created = secret is None
    if secret is None:
        secret = Secret(workspace_id=workspace_id, name=name, ciphertext=sealed)
        taken = Conflict(f"The secret '{name}' was saved by another request just now.")
        async with unique_or(session, taken):
            session.add(secret)
    else:
        secret.ciphertext = sealed
        # Set here, not by onupdate, so the caller can read it without a refresh.
        secret.updated_at = utcnow()
    await session.flush()
    return secret, created


async def list_secrets(session: AsyncSession, workspace_id: str) -> Sequence[Secret]:
    rows = await session.scalars(
        select(Secret).where(Secret.workspace_id == workspace_id).order_by(Secret.name)
    )
    return rows.all()


async def secret_exists(session: AsyncSession, workspace_id: str, name: str) -> bool:
    found = await session.scalar(
        select(Secret.id).where(Secret.workspace_id == workspace_id, Secret.name == name)
    )
    return found is not None


async def delete_secret(session: AsyncSession, workspace_id: str, name: str) -> None:
    result = await session.execute(
        delete(Secret).where(Secret.workspace_id == workspace_id, Secret.name == name)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise NotFound(f"There is no secret named {name}.")


def open_secret(cipher: Cipher, secret: Secret) -> str:
    """The value of a stored secret (SecretKeyError if the key is not the one it was sealed
    with)."""
    return cipher.decrypt(secret.ciphertext, _context(secret.workspace_id, secret.name))


async def resolve(
    session: AsyncSession,
    cipher: Cipher,
    workspace_id: str,
    names: Iterable[str],
    *,
    strict: bool = True,
) -> dict[str, str]:
    """Decrypted values for ``names``; a missing one is an error naming it, unless not strict.

    Not strict suits an action run, which reports a missing secret in its own outcome.
    """
    wanted = sorted(set(names))
    if not wanted:
        return {}
    rows = await session.scalars(
        select(Secret).where(Secret.workspace_id == workspace_id, Secret.name.in_(wanted))
    )
    found = {row.name: open_secret(cipher, row) for row in rows}
    missing = [name for name in wanted if name not in found]
    if missing and strict:
        raise NotFound(
            f"Secret {', '.join(missing)} is not set; add it with `frontdesk secrets set NAME`."
        )
    return found

"""Passwords (argon2) and random tokens stored only as SHA-256 digests."""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from frontdesk.errors import InvalidInput

_hasher = PasswordHasher()
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

MIN_PASSWORD = 8
MAX_PASSWORD = 1024


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(
            f"The password must be at least {MIN_PASSWORD} characters.", field="password"
        )
    if len(password) > MAX_PASSWORD:
        raise InvalidInput("The password is too long.", field="password")
    return password


def check_email(email: str) -> str:
    normal = email.strip().lower()
    if len(normal) > 320 or not _EMAIL.match(normal):
        raise InvalidInput(f"'{email}' is not an email address.", field="email")
    return normal


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, check_password(password))


@cache
def _dummy_hash() -> str:
    """Verified against when the email is unknown, so both paths cost the same time. Made
    at the first sign-in, not at import (argon2 takes its memory and time once per process,
    and every command that imports accounts paid it)."""
    return _hasher.hash("not-a-real-password")


async def verify_password(password_hash: str | None, password: str) -> bool:
    def verify() -> bool:
        try:
            return _hasher.verify(password_hash or _dummy_hash(), password) and bool(password_hash)
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(verify)


def new_token(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()

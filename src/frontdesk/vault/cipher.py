"""AES-256-GCM with a server key; each ciphertext is bound to what it belongs to."""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from frontdesk.errors import FrontdeskError

PREFIX = "v1:"
KEY_FILE = "secret.key"


class SecretKeyError(FrontdeskError):
    status = 500
    code = "secret_key"


class Cipher:
    def __init__(self, key: bytes):
        if len(key) != 32:
            raise SecretKeyError("The secret key must be 32 bytes (base64 of 32 random bytes).")
        self._aead = AESGCM(key)

    def encrypt(self, plaintext: str, context: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), context.encode())
        return PREFIX + base64.b64encode(nonce + sealed).decode()

    def decrypt(self, token: str, context: str) -> str:
        if not token.startswith(PREFIX):
            raise SecretKeyError("A stored secret has an unknown format.")
        raw = base64.b64decode(token[len(PREFIX) :])
        try:
            return self._aead.decrypt(raw[:12], raw[12:], context.encode()).decode()
        except InvalidTag:
            raise SecretKeyError(
                "A stored secret cannot be decrypted: FRONTDESK_SECRET_KEY (or "
                "secret.key in the data directory) is not the key it was written with."
            ) from None


def parse_key(text: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise SecretKeyError("FRONTDESK_SECRET_KEY is not valid base64.") from None
    if len(key) != 32:
        raise SecretKeyError("FRONTDESK_SECRET_KEY must decode to 32 bytes.")
    return key


def load_key(configured: str | None, data_dir: Path) -> bytes:
    """The configured key, else the data directory's key file (created on first use)."""
    if configured:
        return parse_key(configured)
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(base64.b64encode(os.urandom(32)).decode() + "\n")
    return parse_key(path.read_text())

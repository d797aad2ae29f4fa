"""What a generator that calls a model over the network needs from the workspace.

Its API key is a workspace secret read when an answer is written (never kept on the agent),
and its connections go through the same egress check as actions and webhooks, to the
checked address. Whatever goes wrong on the way (down, slow, refused, a garbled reply) is a
``GeneratorFailed``: the pipeline then answers without the model.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Access:
    """What one call may use: the workspace's allowed hosts and the decrypted API key."""

    allowed_hosts: tuple[str, ...] = ()
    api_key: str | None = None
    secret_name: str | None = None


# Read from the workspace when a generation starts (the runtime makes one per agent).
AccessFor = Callable[[], Awaitable[Access]]

"""Imports every model so metadata (and Alembic) sees all tables."""

from frontdesk.accounts.models import ApiKey, AuthSession, Invite, Member, Workspace
from frontdesk.agent.models import Agent
from frontdesk.conversations.models import Conversation, Message, ReadMark
from frontdesk.db.base import Base
from frontdesk.events.store import EventRecord
from frontdesk.knowledge.models import Chunk, EmbeddingCache, Source

__all__ = [
    "Agent",
    "ApiKey",
    "AuthSession",
    "Base",
    "Chunk",
    "Conversation",
    "EmbeddingCache",
    "EventRecord",
    "Invite",
    "Member",
    "Message",
    "ReadMark",
    "Source",
    "Workspace",
]

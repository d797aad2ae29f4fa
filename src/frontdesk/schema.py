"""Imports every model so metadata (and Alembic) sees all tables."""

from frontdesk.accounts.models import ApiKey, AuthSession, Invite, Member, Workspace
from frontdesk.actions.models import ActionRun
from frontdesk.agents.models import Agent
from frontdesk.alerts.models import (
    AlertCursor,
    AlertPreference,
    Delivery,
    DeliveryAttempt,
    Webhook,
)
from frontdesk.conversations.models import Conversation, Message, ReadMark
from frontdesk.db.base import Base
from frontdesk.events.store import EventRecord
from frontdesk.insights.models import GapTitle
from frontdesk.knowledge.models import Chunk, EmbeddingCache, Source
from frontdesk.tags.models import ConversationTag, Tag
from frontdesk.teams.models import Team, TeamMember
from frontdesk.usage.models import UsageMonth
from frontdesk.vault.models import Secret

__all__ = [
    "ActionRun",
    "Agent",
    "AlertCursor",
    "AlertPreference",
    "ApiKey",
    "AuthSession",
    "Base",
    "Chunk",
    "Conversation",
    "ConversationTag",
    "Delivery",
    "DeliveryAttempt",
    "EmbeddingCache",
    "EventRecord",
    "GapTitle",
    "Invite",
    "Member",
    "Message",
    "ReadMark",
    "Secret",
    "Source",
    "Tag",
    "Team",
    "TeamMember",
    "UsageMonth",
    "Webhook",
    "Workspace",
]

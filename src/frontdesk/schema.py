"""Imports every model so metadata (and Alembic) sees all tables."""

from frontdesk.accounts.models import ApiKey, AuthSession, Invite, Member, Workspace
from frontdesk.actions.models import ActionRun
from frontdesk.agents.models import Agent
from frontdesk.alerts.models import (
    AlertPosition,
    AlertPreference,
    Delivery,
    DeliveryAttempt,
    Webhook,
)
from frontdesk.conversations.models import Conversation, Message, ReadMark
from frontdesk.db.base import Base
from frontdesk.events.store import EventCounter, EventRecord
from frontdesk.insights.models import GapTitle
from frontdesk.knowledge.models import Chunk, EmbeddingCache, Source
from frontdesk.replies.models import SavedReply
from frontdesk.tags.models import ConversationTag, Tag
from frontdesk.teams.models import Team, TeamMember
from frontdesk.usage.models import UsageModel, UsageMonth
from frontdesk.vault.models import Secret

__all__ = [
    "ActionRun",
    "Agent",
    "AlertPosition",
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
    "EventCounter",
    "EventRecord",
    "GapTitle",
    "Invite",
    "Member",
    "Message",
    "ReadMark",
    "SavedReply",
    "Secret",
    "Source",
    "Tag",
    "Team",
    "TeamMember",
    "UsageModel",
    "UsageMonth",
    "Webhook",
    "Workspace",
]

"""Imports every model so metadata (and Alembic) sees all tables."""

from frontdesk.accounts.models import Workspace
from frontdesk.agent.models import Agent
from frontdesk.db.base import Base
from frontdesk.knowledge.models import Chunk, EmbeddingCache, Source

__all__ = ["Agent", "Base", "Chunk", "EmbeddingCache", "Source", "Workspace"]

"""Sources, their chunks (with vectors), the pages of web sources and the embedding cache."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import (
    JSON,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator, TypeEngine, UserDefinedType

from frontdesk.db.base import Base, Timestamped, UtcDateTime, new_id

SOURCE_KINDS = ("file", "url", "sitemap", "crawl", "qa")
SOURCE_STATUSES = ("queued", "processing", "ready", "failed")


class PgVector(UserDefinedType[str]):
    """pgvector's ``vector`` of any dimension, exchanged as its text form ``[0.1,0.2]``."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "VECTOR"


# Reflection (Alembic's autogenerate) then knows the column instead of warning about it.
postgresql.base.ischema_names["vector"] = PgVector


class Embedding(TypeDecorator[bytes]):
    """A chunk's vector as float32 bytes in Python: a BLOB on SQLite, a pgvector ``vector``
    on PostgreSQL (searched there by its HNSW index)."""

    impl = LargeBinary
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(PgVector())
        return dialect.type_descriptor(LargeBinary())

    def process_bind_param(self, value: bytes | None, dialect: Dialect) -> bytes | str | None:
        if value is None or dialect.name != "postgresql":
            return value
        return vector_text(np.frombuffer(value, dtype=np.float32))

    def process_result_value(self, value: Any, dialect: Dialect) -> bytes | None:
        if value is None or dialect.name != "postgresql":
            return value
        return np.array(value.strip("[]").split(","), dtype=np.float32).tobytes()


def vector_text(vector: np.ndarray) -> str:
    """pgvector's text form; each float32 printed in the fewest digits that read back exactly."""
    return "[" + ",".join(str(x) for x in vector.astype(np.float32)) + "]"


class Source(Timestamped, Base):
    __tablename__ = "sources"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("src"))
    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(500))
    uri: Mapped[str] = mapped_column(Text)
    file_path: Mapped[str | None] = mapped_column(Text, nullable=True)
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    chunk_count: Mapped[int] = mapped_column(Integer, default=0)
    content_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    synced_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # The model its chunks were embedded by (None: not known, from before migration 0026).
    embedding_model: Mapped[str | None] = mapped_column(String(120), nullable=True)
    # Ingestion as a job (knowledge/ingestion.py): who holds the source and until when.
    claim: Mapped[str | None] = mapped_column(String(32), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # What the last sync of a web source did (knowledge/resync.py SyncReport); counts only.
    last_sync: Mapped[dict[str, int] | None] = mapped_column(JSON, nullable=True)


class SourcePage(Base):
    """A page of a web source as its last sync found it, to ask next time whether it changed.

    Its chunks are those of the source whose URL, without the fragment, is ``url``.
    """

    __tablename__ = "source_pages"
    __table_args__ = (
        Index("ix_source_pages_source_requested", "source_id", "requested", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    requested: Mapped[str] = mapped_column(Text)  # the URL asked for
    url: Mapped[str] = mapped_column(Text)  # after redirects
    etag: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_modified: Mapped[str | None] = mapped_column(Text, nullable=True)
    content_hash: Mapped[str] = mapped_column(String(64))  # of the text extracted
    links: Mapped[list[str]] = mapped_column(JSON, default=list)  # a crawl follows them


class Chunk(Base):
    __tablename__ = "chunks"
    __table_args__ = (Index("ix_chunks_agent_source", "agent_id", "source_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), index=True)
    ordinal: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    location: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str | None] = mapped_column(Text, nullable=True)
    text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    embedding: Mapped[bytes | None] = mapped_column(Embedding, nullable=True)
    # Its units' vectors (knowledge/units.py), read only by answering; NULL: stored before them.
    unit_vectors: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True, deferred=True)


class EmbeddingCache(Base):
    __tablename__ = "embedding_cache"

    model_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    vector: Mapped[bytes] = mapped_column(LargeBinary)

"""Request and response models of sources and search (the knowledge API)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from frontdesk.inputs import Input


class SyncOut(BaseModel):
    """What the last sync of a web source did, in pages."""

    pages: int = Field(ge=0, description="Pages the source has now.")
    fetched: int = Field(ge=0, description="Downloaded in full.")
    not_modified: int = Field(ge=0, description="The site answered that they had not changed.")
    unchanged: int = Field(ge=0, description="Kept as they were: not modified, or the same text.")
    changed: int = Field(ge=0, description="Read again: their text changed.")
    added: int = Field(ge=0, description="New pages.")
    removed: int = Field(ge=0, description="Gone from the site, or no longer linked or listed.")
    unreachable: int = Field(ge=0, description="No answer this time: kept as they were.")
    skipped: int = Field(ge=0, description="Failed or without text, and not kept.")


class SourceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    agent_id: str
    kind: str
    title: str
    uri: str
    status: Literal["queued", "processing", "ready", "failed"]
    error: str | None
    chunk_count: int
    content_hash: str | None
    created_at: datetime
    updated_at: datetime
    synced_at: datetime | None
    last_sync: SyncOut | None = None


class UrlSourceIn(Input):
    model_config = ConfigDict(extra="forbid")

    url: HttpUrl
    mode: Literal["page", "sitemap", "crawl"] = "page"
    max_pages: int | None = Field(None, ge=1, le=5000)
    max_depth: int | None = Field(None, ge=0, le=10)


class QAPair(Input):
    question: str = Field(min_length=1, max_length=2000)
    answer: str = Field(min_length=1, max_length=20000)


class QASourceIn(Input):
    model_config = ConfigDict(extra="forbid")

    title: str = Field("Q&A", min_length=1, max_length=200)
    pairs: list[QAPair] = Field(min_length=1, max_length=2000)


class QAPairOut(BaseModel):
    question: str
    answer: str


class QAPairsOut(BaseModel):
    source_id: str
    title: str
    pairs: list[QAPairOut]


class SearchHitOut(BaseModel):
    chunk_id: int
    source_id: str
    source: str
    title: str
    location: str
    url: str | None
    text: str
    score: float
    lexical_score: float
    vector_score: float

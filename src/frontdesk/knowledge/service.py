"""Knowledge use-cases: add sources, ingest them idempotently, re-sync, delete, search."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import shutil
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.db.base import utcnow
from frontdesk.db.engine import Database
from frontdesk.embedder.model import Embedder
from frontdesk.errors import (
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    UnsupportedMedia,
)
from frontdesk.knowledge import claims, repository
from frontdesk.knowledge.limits import Limits
from frontdesk.knowledge.loaders import SUPPORTED_EXTENSIONS, is_supported
from frontdesk.knowledge.models import Source
from frontdesk.knowledge.pipeline import IngestResult, Pipeline, Progress, UrlMode
from frontdesk.knowledge.units import UnitTexts
from frontdesk.net.egress import HostNotFound, check_destination
from frontdesk.settings import Settings

log = logging.getLogger(__name__)


class Owner(Protocol):
    """What knowledge needs of the agent a source belongs to: its id and its workspace's."""

    @property
    def id(self) -> str: ...

    @property
    def workspace_id(self) -> str: ...


def _web_address(url: str) -> str:
    url = url.strip()
    if not re.match(r"^https?://[^/\s]+", url):
        raise InvalidInput(
            f"'{url}' is not a web address; use an http:// or https:// URL.", field="url"
        )
    return url


def _safe_filename(name: str) -> str:
    base = Path(name.replace("\\", "/")).name.strip() or "upload"
    return re.sub(r"[^A-Za-z0-9._ -]", "_", base)[:200]


class KnowledgeService:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        embedder: Callable[[], Embedder],
        unit_texts: UnitTexts,
    ):
        """``unit_texts``: what a chunk's units are embedded as at ingestion."""
        self.db = db
        self.settings = settings
        self._embedder = embedder
        self.limits = Limits.from_settings(settings)
        self.pipeline = Pipeline(db, settings, embedder, self.limits, self.check_upload, unit_texts)

    @property
    def embedder(self) -> Embedder:
        return self._embedder()

    # --- adding sources -------------------------------------------------------------------

    def check_upload(self, filename: str, size: int) -> None:
        if size > self.settings.max_upload_bytes:
            raise PayloadTooLarge(
                f"'{filename}' is {size / 1_048_576:.1f} MB; the limit is "
                f"{self.settings.max_upload_mb} MB.",
                field="file",
            )
        if size == 0:
            raise InvalidInput(f"'{filename}' is empty.", field="file", code="empty_file")
        if not is_supported(filename):
            raise UnsupportedMedia(
                f"'{filename}' is not a supported file type; supported: "
                f"{', '.join(SUPPORTED_EXTENSIONS)}.",
                field="file",
            )

    async def add_upload(
        self, session: AsyncSession, agent: Owner, filename: str, data: bytes
    ) -> Source:
        """Store an uploaded file; uploading a file of the same name again replaces it."""
        name = _safe_filename(filename)
        self.check_upload(name, len(data))
        source = await repository.find_source(session, agent.id, "file", name)
        if source is None:
            source = Source(
                workspace_id=agent.workspace_id,
                agent_id=agent.id,
                kind="file",
                title=name,
                uri=name,
            )
            session.add(source)
            await session.flush()
        folder = self.settings.uploads_dir / agent.workspace_id / source.id
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        await asyncio.to_thread(path.write_bytes, data)
        source.file_path = str(path)
        claims.queue(source)
        return source

    async def add_path(self, session: AsyncSession, agent: Owner, path: Path) -> Source:
        """Register a local file by its path; re-sync re-reads the file where it lies."""
        path = path.resolve()
        self.check_upload(path.name, path.stat().st_size)
        source = await repository.find_source(session, agent.id, "file", str(path))
        if source is None:
            source = Source(
                workspace_id=agent.workspace_id,
                agent_id=agent.id,
                kind="file",
                title=path.name,
                uri=str(path),
                file_path=str(path),
            )
            session.add(source)
            await session.flush()
        claims.queue(source)
        return source

    async def check_url(self, workspace_id: str, url: str) -> None:
        """DestinationBlocked for a start URL on a private address the workspace does not allow.

        Called before the source's write transaction, not inside it: the DNS lookup must not
        hold the write lock. Only an early answer; every hop is checked again when fetched.
        """
        url = _web_address(url)
        async with self.db.session() as session:
            allowed = await repository.allowed_hosts(session, workspace_id)
        # A name that does not resolve now may by the time it is fetched; the fetch says why.
        with contextlib.suppress(HostNotFound):
            await check_destination(url, allowed)

    async def add_url(
        self,
        session: AsyncSession,
        agent: Owner,
        url: str,
        mode: UrlMode = "page",
        max_pages: int | None = None,
        max_depth: int | None = None,
    ) -> Source:
        url = _web_address(url)
        kind = "url" if mode == "page" else mode
        source = await repository.find_source(session, agent.id, kind, url)
        if source is None:
            source = Source(
                workspace_id=agent.workspace_id, agent_id=agent.id, kind=kind, title=url, uri=url
            )
            session.add(source)
            await session.flush()
        source.options = {
            "max_pages": max_pages or self.settings.crawl_max_pages,
            "max_depth": self.settings.crawl_max_depth if max_depth is None else max_depth,
        }
        claims.queue(source)
        return source

    async def add_qa(
        self,
        session: AsyncSession,
        agent: Owner,
        title: str,
        pairs: list[tuple[str, str]],
        key: str | None = None,
    ) -> Source:
        """Add or replace the Q&A set named ``key`` (its title unless given) under ``title``."""
        if not pairs:
            raise InvalidInput("Add at least one question and answer.", field="pairs")
        for i, (question, answer) in enumerate(pairs):
            if not question.strip() or not answer.strip():
                raise InvalidInput(
                    f"Pair {i + 1} needs both a question and an answer.", field=f"pairs.{i}"
                )
        uri = f"qa:{key or title}"
        source = await repository.find_source(session, agent.id, "qa", uri)
        if source is None:
            source = Source(
                workspace_id=agent.workspace_id, agent_id=agent.id, kind="qa", title=title, uri=uri
            )
            session.add(source)
            await session.flush()
        source.title = title
        source.options = {"pairs": [[q.strip(), a.strip()] for q, a in pairs]}
        claims.queue(source)
        return source

    # --- reading, re-sync, delete ---------------------------------------------------------

    async def get(self, session: AsyncSession, workspace_id: str, source_id: str) -> Source:
        source = await repository.get_source(session, workspace_id, source_id)
        if source is None:
            raise NotFound(f"No source with id '{source_id}'.")
        return source

    async def mark_for_resync(self, workspace_id: str, source_id: str) -> Source:
        async with self.db.transaction() as session:
            source = await self.get(session, workspace_id, source_id)
            claims.queue(source)
            return source

    async def delete(self, workspace_id: str, source_id: str) -> None:
        async with self.db.transaction(bulk=True) as session:
            source = await self.get(session, workspace_id, source_id)
            upload_dir = self.settings.uploads_dir / source.workspace_id / source.id
            await repository.delete_source(session, source)
        if upload_dir.exists():
            await asyncio.to_thread(shutil.rmtree, upload_dir, True)

    # --- ingestion ------------------------------------------------------------------------

    async def ingest(self, source_id: str, progress: Progress | None = None) -> IngestResult:
        """Turn a source into chunks and vectors now; unchanged content does no work."""
        claim = await claims.take(self.db, source_id, self.settings.ingest_lease_s, job=False)
        assert claim is not None
        return await self.pipeline.run(claim, progress)

    async def ingest_queued(self, source_id: str) -> IngestResult | None:
        """Ingest a queued source as its job; None when it is done, taken or not due.

        A failure for a passing reason (a site or an endpoint not answering, a crash) queues
        it again after the next of FRONTDESK_INGEST_RETRY_DELAYS_S; then it fails for good.
        """
        claim = await claims.take(self.db, source_id, self.settings.ingest_lease_s, job=True)
        if claim is None:
            return None
        return await self.pipeline.run(claim, retry_delays=self.settings.ingest_retry_delays_s)

    async def sweep(self, *, everything: bool = False) -> list[str]:
        """Queued sources whose job is due (sources of dead workers queued again first)."""
        hours = self.settings.url_resync_hours
        before = utcnow() - timedelta(hours=hours) if hours else None
        retries = len(self.settings.ingest_retry_delays_s)
        return await claims.sweep(self.db, retries, everything=everything, resync_before=before)

    async def next_in_line(self, workspace_id: str) -> str | None:
        return await claims.next_in_line(self.db, workspace_id)

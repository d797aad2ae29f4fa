"""One claimed source turned into chunks and vectors: load, hash, chunk, embed, store.

Unchanged content does no work: a source whose content hash is unchanged is only marked
ready, and chunks whose text is in the embedding cache are not embedded again. A web source
is synced again page by page (knowledge/resync.py): only pages that changed are chunked and
embedded, and the chunks of the others stay as they are, the same rows. Each chunk's
units (knowledge/units.py) are embedded too, those the source's previous chunks had reused;
an unchanged source whose chunks predate unit vectors gets them filled in. Every write
goes through the claim (knowledge/claims.py): the new chunks replace the old in one
transaction, so search sees the old chunks or the new, never half, and only while the claim
still holds. The claim's lease is renewed while the work runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.db.base import utcnow
from frontdesk.db.engine import Database
from frontdesk.embedder.model import Embedder, EmbeddingError, vector_to_bytes
from frontdesk.errors import Conflict, FrontdeskError, SourceFailed
from frontdesk.knowledge import claims, repository, resync
from frontdesk.knowledge.chunking import chunk_document, content_hash
from frontdesk.knowledge.claims import Claim
from frontdesk.knowledge.documents import ChunkDraft, Document
from frontdesk.knowledge.fetcher import SiteUnavailable
from frontdesk.knowledge.limits import Limits, check_text
from frontdesk.knowledge.loaders import load_file
from frontdesk.knowledge.loaders.qa import qa_documents
from frontdesk.knowledge.models import Chunk, Source
from frontdesk.knowledge.units import UnitTexts, embed_units, stored_vectors
from frontdesk.knowledge.web import fetch_site
from frontdesk.settings import Settings

log = logging.getLogger(__name__)

UrlMode = Literal["page", "sitemap", "crawl"]
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class IngestResult:
    source_id: str
    status: str
    chunks: int
    skipped: bool = False
    embedded: int = 0
    error: str | None = None
    refreshed: int = 0  # chunks kept, embedded again by this model (after a switch)


def qa_pairs(source: Source) -> list[tuple[str, str]]:
    """The question/answer pairs a Q&A source was written with, to read or edit them."""
    if source.kind != "qa":
        raise Conflict(f"'{source.title}' is not a Q&A set; only Q&A sets have pairs.")
    return [(q, a) for q, a in source.options.get("pairs", [])]


class Pipeline:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        embedder: Callable[[], Embedder],
        limits: Limits,
        check_upload: Callable[[str, int], None],
        unit_texts: UnitTexts,
    ):
        self.db = db
        self.settings = settings
        self._embedder = embedder
        self.limits = limits
        self.check_upload = check_upload
        self.unit_texts = unit_texts

    @property
    def embedder(self) -> Embedder:
        return self._embedder()

    async def run(
        self, claim: Claim, progress: Progress | None = None, retry_delays: Sequence[float] = ()
    ) -> IngestResult:
        renewing = asyncio.create_task(self._keep_lease(claim), name=f"lease-{claim.source_id}")
        try:
            return await self._work(claim, progress, retry_delays)
        except asyncio.CancelledError:
            # Shutting down: someone else can start it over now, not after the lease.
            await asyncio.shield(claims.give_back(self.db, claim))
            raise
        finally:
            renewing.cancel()

    async def _keep_lease(self, claim: Claim) -> None:
        lease = self.settings.ingest_lease_s
        while True:
            await asyncio.sleep(lease / 3)
            try:
                if not await claims.renew(self.db, claim, lease):
                    return  # queued again or deleted meanwhile: the result will be dropped
            except Exception:
                log.warning("could not renew the lease on %s", claim.source_id, exc_info=True)

    async def _work(
        self, claim: Claim, progress: Progress | None, retry_delays: Sequence[float]
    ) -> IngestResult:
        source_id = claim.source_id
        async with self.db.session() as session:
            source = await session.get(Source, source_id)
        if source is None:
            return await self._dropped(source_id)
        try:
            if source.kind in repository.WEB_KINDS:
                # Pages that did not change keep their chunks: embedded by this model first.
                refreshed = await self._refresh(claim, source)
                if refreshed is None:
                    return await self._dropped(source_id)
                synced = await self._sync_web(claim, source, progress)
                return replace(synced, refreshed=refreshed)
            documents, digest = await self._load(source)
            if digest == source.content_hash and source.chunk_count > 0:
                refreshed = await self._refresh(claim, source, settle=True)
                if refreshed is None:
                    return await self._dropped(source_id)
                count = source.chunk_count
                return IngestResult(source_id, "ready", count, skipped=True, refreshed=refreshed)
            drafts = await asyncio.to_thread(self._chunk, documents)
            if not drafts:
                raise SourceFailed("No text to learn from was found in this source.")
            vectors, embedded = await self._vectors_for(drafts, source.title, progress)
            units = await self._units_for(source_id, drafts)
            if not await self._store(claim, source, drafts, vectors, units, digest):
                return await self._dropped(source_id)
            return IngestResult(source_id, "ready", len(drafts), embedded=embedded)
        except (SiteUnavailable, EmbeddingError) as exc:
            return await self._fail(claim, exc.message, retry_delays)
        except FrontdeskError as exc:
            return await self._fail(claim, exc.message)
        except Exception as exc:
            log.exception("ingesting source %s failed", source_id)
            message = f"Unexpected error while processing: {exc}"
            return await self._fail(claim, message, retry_delays)

    async def _fail(
        self, claim: Claim, message: str, retry_delays: Sequence[float] = ()
    ) -> IngestResult:
        """Record a failure; a passing one with retries left is queued again for later."""
        async with self.db.transaction() as session:
            source = await claims.holding(session, claim)
            if source is None:
                return await self._dropped(claim.source_id, session)
            if claim.attempt <= len(retry_delays):
                delay = retry_delays[claim.attempt - 1]
                tries = f"attempt {claim.attempt} of {len(retry_delays) + 1}"
                message = f"{message} (trying again in {delay:g} s; {tries})"
                claims.retry_later(source, delay, message)
            else:
                if retry_delays:
                    message = f"{message} (gave up after {claim.attempt} attempts)"
                claims.settle(source, "failed", message)
            status = source.status
            chunks = await repository.count_chunks(session, claim.source_id)
        return IngestResult(claim.source_id, status, chunks, error=message)

    async def _dropped(self, source_id: str, session: AsyncSession | None = None) -> IngestResult:
        """The result of work whose claim was taken back (re-queued, or the source deleted)."""
        log.info("source %s changed while it was processed; that result is dropped", source_id)
        async with contextlib.AsyncExitStack() as stack:
            if session is None:
                session = await stack.enter_async_context(self.db.session())
            source = await session.get(Source, source_id)
        if source is None:
            return IngestResult(source_id, "deleted", 0, skipped=True)
        return IngestResult(source_id, source.status, source.chunk_count, skipped=True)

    async def _load(self, source: Source) -> tuple[list[Document], str]:
        if source.kind == "file":
            path = Path(source.file_path or source.uri)
            if not path.exists():
                raise SourceFailed(f"The file '{source.title}' is no longer at {path}.")
            data = await asyncio.to_thread(path.read_bytes)
            self.check_upload(path.name, len(data))
            documents = await asyncio.to_thread(load_file, data, source.title, limits=self.limits)
            return documents, hashlib.sha256(data).hexdigest()
        documents = qa_documents(qa_pairs(source), source.title)
        return documents, resync.document_hash(documents)

    async def _sync_web(
        self, claim: Claim, source: Source, progress: Progress | None
    ) -> IngestResult:
        """Fetch a web source, asking each page the last sync stored whether it changed."""
        async with self.db.session() as session:
            allowed = await repository.allowed_hosts(session, source.workspace_id)
            stored = await repository.source_pages(session, source.id)
        mode: UrlMode = "page" if source.kind == "url" else source.kind  # type: ignore[assignment]
        fetched = await fetch_site(
            source.uri,
            mode,
            max_pages=int(source.options.get("max_pages", self.settings.crawl_max_pages)),
            max_depth=int(source.options.get("max_depth", self.settings.crawl_max_depth)),
            timeout_s=self.settings.fetch_timeout_s,
            max_bytes=self.settings.fetch_max_mb * 1024 * 1024,
            allowed_hosts=allowed,
            limits=self.limits,
            known=resync.known_pages(stored),
        )
        plan = resync.plan(
            stored,
            fetched.pages,
            fetched.failures,
            fetched.unavailable,
            keep_links=source.kind == "crawl",
        )
        drafts = await asyncio.to_thread(self._chunk_each, plan.documents)
        made = [draft for group in drafts for draft in group]
        vectors, embedded = await self._vectors_for(made, source.title, progress)
        units = await self._units_for(source.id, made) if made else []
        count = await self._store_pages(claim, plan, drafts, vectors, units)
        if count is None:
            return await self._dropped(source.id)
        return IngestResult(source.id, "ready", count, skipped=not plan.rewrites, embedded=embedded)

    def _chunk(self, documents: list[Document]) -> list[ChunkDraft]:
        return [draft for group in self._chunk_each(documents) for draft in group]

    def _chunk_each(self, documents: list[Document]) -> list[list[ChunkDraft]]:
        """Each document's chunks."""
        # Loaders stop where their text multiplies; this catches the rest (a long crawl).
        check_text(documents, self.limits)
        drafts: list[list[ChunkDraft]] = []
        made = 0
        for document in documents:
            drafts.append(chunk_document(document, self.settings.chunk_words))
            made += len(drafts[-1])
            # Failing beats hours of embedding that hold a worker slot.
            self._check_count(made)
        return drafts

    def _check_count(self, chunks: int) -> None:
        most = self.limits.max_chunks
        if chunks > most:
            raise SourceFailed(
                f"This source makes more than {most:,} chunks, the most one source may "
                "(setting FRONTDESK_MAX_CHUNKS); split it into smaller sources."
            )

    async def _vectors_for(
        self, drafts: list[ChunkDraft], label: str, progress: Progress | None
    ) -> tuple[list[bytes], int]:
        embedder = self.embedder
        inputs = [f"{d.title}\n{d.text}" for d in drafts]
        hashes = [content_hash(text) for text in inputs]
        async with self.db.session() as session:
            cached = await repository.cached_vectors(session, embedder.model_id, hashes)
        todo = list(dict.fromkeys(h for h in hashes if h not in cached))
        text_by_hash = dict(zip(hashes, inputs, strict=True))
        done = 0

        def tick(n: int) -> None:
            nonlocal done
            done += n
            if progress:
                progress(label, done, len(todo))

        if todo:
            matrix = await asyncio.to_thread(embedder.embed, [text_by_hash[h] for h in todo], tick)
            fresh = {h: vector_to_bytes(matrix[i]) for i, h in enumerate(todo)}
            async with self.db.transaction(bulk=True) as session:
                await repository.store_vectors(session, embedder.model_id, fresh)
            cached.update(fresh)
        elif progress:
            progress(label, 0, 0)
        return [cached[h] for h in hashes], len(todo)

    async def _units_for(self, source_id: str, drafts: list[ChunkDraft]) -> list[bytes]:
        """Each draft's packed unit vectors, reusing those of the chunks it replaces."""
        async with self.db.session() as session:
            known = stored_vectors(await repository.source_unit_vectors(session, source_id))
        chunks = [(d.title, d.location, d.text) for d in drafts]
        return await asyncio.to_thread(embed_units, self.embedder, chunks, self.unit_texts, known)

    async def _refresh(self, claim: Claim, source: Source, *, settle: bool = False) -> int | None:
        """Embed again the chunks a sync keeps, where this model did not embed them: all of
        them after the operator switched models (or before the model was recorded, once;
        the embedding cache and the stored units spare what this model did embed), else
        those stored before unit vectors were. Written if ``claim`` still holds the source
        (settled ready with ``settle``); how many chunks were, None if the claim was lost."""
        model = self.embedder.model_id
        every = source.embedding_model != model
        async with self.db.session() as session:
            stored = await repository.stored_chunks(session, source.id, every=every)
        vectors: dict[int, tuple[bytes, bytes]] = {}
        if stored:
            drafts = [ChunkDraft(c.text, c.title, c.location) for c in stored]
            embeddings, _ = await self._vectors_for(drafts, source.title, None)
            known = stored_vectors([c.unit_vectors for c in stored])
            chunks = [(c.title, c.location, c.text) for c in stored]
            units = await asyncio.to_thread(
                embed_units, self.embedder, chunks, self.unit_texts, known
            )
            # Units and the chunk's own vector are written together: units this model gave
            # already mean the chunk's vector is this model's too (a model recorded late).
            vectors = {
                chunk.id: (embedding, blob)
                for chunk, embedding, blob in zip(stored, embeddings, units, strict=True)
                if blob != chunk.unit_vectors
            }
        if not vectors and not every and not settle:
            return 0
        async with self.db.transaction(bulk=True) as session:
            fresh = await claims.holding(session, claim)
            if fresh is None:
                return None
            await repository.set_vectors(session, vectors)
            fresh.embedding_model = model
            if settle:
                claims.settle(fresh, "ready")
                fresh.synced_at = utcnow()
        return len(vectors)

    async def _store(
        self,
        claim: Claim,
        source: Source,
        drafts: list[ChunkDraft],
        vectors: list[bytes],
        units: list[bytes],
        digest: str,
    ) -> bool:
        """Swap in the new chunks if ``claim`` still holds the source; whether it did."""
        chunks = [
            _chunk_row(source, i, draft, vectors[i], units[i]) for i, draft in enumerate(drafts)
        ]
        async with self.db.transaction(bulk=True) as session:
            fresh = await claims.holding(session, claim)
            if fresh is None:  # deleted or queued again while we worked: not ours to store
                return False
            await repository.replace_chunks(session, fresh, chunks)
            claims.settle(fresh, "ready")
            fresh.chunk_count = len(chunks)
            fresh.content_hash = digest
            fresh.embedding_model = self.embedder.model_id
            fresh.synced_at = utcnow()
        return True

    async def _store_pages(
        self,
        claim: Claim,
        plan: resync.Plan,
        drafts: list[list[ChunkDraft]],
        vectors: list[bytes],
        units: list[bytes],
    ) -> int | None:
        """Change a web source's chunks page by page if ``claim`` still holds it; how many
        it has now, None if the claim was lost."""
        made = [draft for group in drafts for draft in group]
        async with self.db.transaction(bulk=True) as session:
            fresh = await claims.holding(session, claim)
            if fresh is None:  # deleted or queued again while we worked: not ours to store
                return None
            # Read here, under the claim: the rows kept are the rows the source has.
            places = await repository.chunk_places(session, fresh.id)
            layout = resync.layout(plan.pages, drafts, places)
            if not layout.count:
                raise SourceFailed("No text to learn from was found in this source.")
            self._check_count(layout.count)
            chunks = [
                _chunk_row(fresh, ordinal, made[i], vectors[i], units[i])
                for ordinal, i in layout.drafts
            ]
            rows = [page.row for page in plan.pages]
            await repository.resync_chunks(
                session, fresh, layout.dropped, layout.moved, chunks, rows
            )
            claims.settle(fresh, "ready")
            fresh.chunk_count = layout.count
            fresh.content_hash = plan.digest
            fresh.embedding_model = self.embedder.model_id
            fresh.synced_at = utcnow()
            fresh.last_sync = plan.report.as_dict()
            documents = plan.documents
            if fresh.kind == "url" and documents and documents[0].title:
                fresh.title = documents[0].title[:500]
        return layout.count


def _chunk_row(
    source: Source, ordinal: int, draft: ChunkDraft, vector: bytes, units: bytes
) -> Chunk:
    return Chunk(
        workspace_id=source.workspace_id,
        agent_id=source.agent_id,
        source_id=source.id,
        ordinal=ordinal,
        title=draft.title,
        location=draft.location,
        url=draft.url,
        text=draft.text,
        content_hash=content_hash(draft.text),
        embedding=vector,
        unit_vectors=units,
    )

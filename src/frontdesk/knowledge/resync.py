"""A web source synced again page by page: what changed since the pages its last sync stored.

Invariant: a source's stored chunks are those of its stored pages (a chunk belongs to the page
whose URL its own URL is, the fragment aside). A page the server says is not modified (304),
or whose extracted text hashes as before, keeps its chunks, the same rows; a changed page's
chunks are replaced, a page gone from the site loses them, a new page adds its own. A page the
site did not answer for this time (a passing failure) keeps its chunks until it answers again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from urllib.parse import urldefrag

from frontdesk.knowledge.documents import ChunkDraft, Document
from frontdesk.knowledge.fetcher import Validators
from frontdesk.knowledge.models import SourcePage
from frontdesk.knowledge.web import KnownPage, Page


def document_hash(documents: Sequence[Document]) -> str:
    """The hash of documents' extracted content: title, URL and every section."""
    canonical = json.dumps(
        [
            [d.title, d.url, [[s.heading, s.location, s.text] for s in d.sections]]
            for d in documents
        ],
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def known_pages(stored: Sequence[SourcePage]) -> dict[str, KnownPage]:
    """The stored pages as the fetcher asks after them, by the URL they were asked for at."""
    return {
        page.requested: KnownPage(
            page.url, Validators(page.etag, page.last_modified), tuple(page.links)
        )
        for page in stored
    }


@dataclass
class SyncReport:
    """What one sync of a web source did, page by page (counts only: shown to the user)."""

    pages: int = 0  # the source has now
    fetched: int = 0  # downloaded in full
    not_modified: int = 0  # the server answered 304
    unchanged: int = 0  # 304, or the same text as last time
    changed: int = 0
    added: int = 0
    removed: int = 0  # gone from the site (not found, or no longer linked or listed)
    unreachable: int = 0  # no answer this time: kept as they were
    skipped: int = 0  # failed, or without text, and not stored before

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class PagePlan:
    """One page of the source after this sync: its stored row, and new chunks unless kept."""

    row: SourcePage
    document: Document | None  # None: its stored chunks are kept


@dataclass
class Plan:
    pages: list[PagePlan] = field(default_factory=list)
    report: SyncReport = field(default_factory=SyncReport)

    @property
    def documents(self) -> list[Document]:
        """The documents to chunk and embed: pages new or changed."""
        return [page.document for page in self.pages if page.document is not None]

    @property
    def digest(self) -> str:
        """The source's content hash: its pages and each one's hash, in order."""
        lines = "\n".join(f"{p.row.requested} {p.row.content_hash}" for p in self.pages)
        return hashlib.sha256(lines.encode()).hexdigest()

    @property
    def rewrites(self) -> bool:
        """Whether any chunk is replaced, added or removed."""
        report = self.report
        return bool(report.changed or report.added or report.removed)


def plan(
    stored: Sequence[SourcePage],
    fetched: Sequence[Page],
    failures: Sequence[tuple[str, str]],
    unavailable: set[str],
    *,
    keep_links: bool,
) -> Plan:
    """Compare the pages fetched with those stored: which keep their chunks, which are new."""
    before = {page.requested: page for page in stored}
    result = Plan()
    report = result.report
    for page in fetched:
        old = before.pop(page.requested, None)
        if page.document is None:
            assert old is not None  # only a known page is asked whether it changed
            digest = old.content_hash
            report.not_modified += 1
        else:
            digest = document_hash([page.document])
            report.fetched += 1
        row = _row(
            page.requested, page.url, page.validators, digest, page.links if keep_links else []
        )
        if old is not None and old.content_hash == digest and old.url == page.url:
            report.unchanged += 1
            result.pages.append(PagePlan(row, None))
            continue
        if old is None:
            report.added += 1
        else:
            report.changed += 1
        result.pages.append(PagePlan(row, page.document))
    for requested, old in before.items():
        if requested in unavailable:
            report.unreachable += 1
            validators = Validators(old.etag, old.last_modified)
            row = _row(old.requested, old.url, validators, old.content_hash, list(old.links))
            result.pages.append(PagePlan(row, None))
        else:
            report.removed += 1
    report.pages = len(result.pages)
    report.skipped = sum(1 for url, _ in failures if url not in before)
    return result


def _row(
    requested: str, url: str, validators: Validators, digest: str, links: list[str]
) -> SourcePage:
    return SourcePage(
        requested=requested,
        url=url,
        etag=validators.etag,
        last_modified=validators.last_modified,
        content_hash=digest,
        links=links,
    )


@dataclass(frozen=True)
class Layout:
    """The source's chunks after the sync, in order: kept rows and the drafts to add."""

    kept: int
    moved: dict[int, int]  # kept chunk id -> its new ordinal, where that changed
    drafts: list[tuple[int, int]]  # (ordinal, index into the drafts made) of each new chunk
    dropped: list[int]  # chunk ids to delete

    @property
    def count(self) -> int:
        return self.kept + len(self.drafts)


def layout(
    pages: Sequence[PagePlan],
    drafts: Sequence[Sequence[ChunkDraft]],
    stored: Sequence[tuple[int, str | None, int]],
) -> Layout:
    """Where each kept chunk and each new draft goes; ``drafts`` per document to chunk,
    ``stored``: (id, URL, ordinal) of the source's chunks in their order."""
    by_url: dict[str, list[int]] = {}
    for chunk_id, url, _ in stored:
        if url:
            by_url.setdefault(urldefrag(url).url, []).append(chunk_id)
    ordinals: dict[int, int] = {}
    placed: list[tuple[int, int]] = []
    made = iter(drafts)
    first = 0  # index of the next document's first draft
    for page in pages:
        if page.document is None:
            for chunk_id in by_url.pop(page.row.url, []):
                ordinals[chunk_id] = len(ordinals) + len(placed)
            continue
        count = len(next(made))
        for i in range(first, first + count):
            placed.append((len(ordinals) + len(placed), i))
        first += count
    moved = {cid: ordinals[cid] for cid, _, old in stored if ordinals.get(cid, old) != old}
    dropped = [chunk_id for chunk_id, _, _ in stored if chunk_id not in ordinals]
    return Layout(len(ordinals), moved, placed, dropped)

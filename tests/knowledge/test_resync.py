"""A web source synced again touches only the pages that changed (knowledge/resync.py).

A real site on 127.0.0.1, the real pipeline and the real embedder, counted by what it is
asked to embed.
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx
import numpy as np
import pytest
from sqlalchemy import select

from app_fixtures import Accounts, Started, new_agent
from counting_embedder import Counting
from frontdesk.accounts.models import Workspace
from frontdesk.agents.models import Agent
from frontdesk.answering.generators.extractive import unit_texts
from frontdesk.embedder.model import OnnxMiniLM
from frontdesk.knowledge.models import Chunk, Source, SourcePage
from frontdesk.knowledge.schemas import SourceOut, SyncOut
from httpserver import LocalSite
from support import wait_for_source

PAGES = {
    "/hours": ("Opening hours", "The showroom is open Monday to Saturday from 8:00 to 17:30."),
    "/prices": ("Service prices", "A snowmobile tune-up costs $189 at our Ridgeline workshop."),
    "/trade-in": ("Trade-in", "Bring your old sled for a free trade-in appraisal any weekday."),
    "/parts": ("Parts counter", "The parts counter orders genuine pistons within two days."),
}
NEW_PRICES = "A snowmobile tune-up now costs $215, belts and plugs included."


@pytest.fixture
def embedder(embedder: OnnxMiniLM) -> Counting:
    return Counting(embedder)


def page(title: str, text: str, links: Sequence[str] = ()) -> str:
    anchors = "".join(f'<a href="{href}">{href}</a> ' for href in links)
    return (
        f"<html><head><title>{title}</title></head><body><nav>{anchors}</nav>"
        f"<main><h1>{title}</h1><p>{text}</p></main></body></html>"
    )


def sitemap(site: LocalSite, *paths: str) -> None:
    entries = "".join(f"<url><loc>{site.url(path)}</loc></url>" for path in paths)
    body = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'
    site.add("/sitemap.xml", body, "application/xml")


async def _web_source(started: Started, site: LocalSite, path: str, mode: str) -> str:
    async with started.runtime.db.transaction() as session:
        workspace = await session.get(Workspace, started.workspace_id)
        assert workspace is not None
        workspace.allowed_hosts = [site.host]
    agent = await started.agent("Dealer")
    async with started.runtime.db.transaction() as session:
        source = await started.runtime.knowledge.add_url(
            session,
            agent,
            site.url(path),
            mode,  # type: ignore[arg-type]
        )
    result = await started.runtime.knowledge.ingest(source.id)
    assert result.status == "ready", result.error
    return source.id


async def _chunks(started: Started, source_id: str) -> list[Chunk]:
    async with started.runtime.db.session() as session:
        rows = await session.scalars(
            select(Chunk).where(Chunk.source_id == source_id).order_by(Chunk.ordinal)
        )
        return list(rows)


def _ids(chunks: Sequence[Chunk], path: str) -> list[int]:
    return [c.id for c in chunks if c.url and c.url.split("#")[0].endswith(path)]


async def _sync(started: Started, source_id: str) -> SyncOut:
    async with started.runtime.db.session() as session:
        source = await session.get(Source, source_id)
        assert source is not None
        out = SourceOut.model_validate(source)
    assert out.last_sync is not None
    return out.last_sync


def _conditions(site: LocalSite, path: str) -> list[dict[str, str]]:
    return [asked for hit, asked in zip(site.hits, site.conditions, strict=True) if hit == path]


async def test_a_resync_replaces_only_the_pages_that_changed(
    started: Started, embedder: Counting, local_site: LocalSite
) -> None:
    for path, (title, text) in PAGES.items():
        local_site.add(path, page(title, text))
    local_site.etags["/hours"] = '"hours-v1"'
    sitemap(local_site, *PAGES)
    source_id = await _web_source(started, local_site, "/sitemap.xml", "sitemap")
    before = await _chunks(started, source_id)
    assert (await _sync(started, source_id)).added == 4
    assert all(_ids(before, path) for path in PAGES)

    local_site.add("/prices", page("Service prices", NEW_PRICES))
    del local_site.pages["/trade-in"]  # still listed: 404
    sitemap(local_site, "/hours", "/prices", "/trade-in")  # /parts no longer listed
    local_site.hits.clear()
    local_site.conditions.clear()
    embedder.texts.clear()
    result = await started.runtime.knowledge.ingest(source_id)

    assert (result.status, result.skipped) == ("ready", False)
    assert _conditions(local_site, "/hours") == [{"If-None-Match": '"hours-v1"'}]
    assert _conditions(local_site, "/prices") == [{}]  # it sent no validator to ask with
    report = await _sync(started, source_id)
    assert report == SyncOut(
        pages=2,
        fetched=1,
        not_modified=1,
        unchanged=1,
        changed=1,
        added=0,
        removed=2,
        unreachable=0,
        skipped=0,
    )
    after = await _chunks(started, source_id)
    assert _ids(after, "/hours") == _ids(before, "/hours")  # the same rows
    assert not _ids(after, "/trade-in") and not _ids(after, "/parts")
    [prices] = [c for c in after if c.id in _ids(after, "/prices")]
    assert "$215" in prices.text
    assert [c.ordinal for c in after] == list(range(len(after)))
    assert after[0].id in _ids(before, "/hours")  # in the order the sitemap lists them
    # Only the changed page was embedded: its chunk, and its units.
    own = {
        f"{prices.title}\n{prices.text}",
        *unit_texts(prices.title, prices.location, prices.text),
    }
    assert f"{prices.title}\n{prices.text}" in embedder.texts
    assert set(embedder.texts) <= own

    async with started.runtime.db.session() as session:
        source = await session.get(Source, source_id)
        assert source is not None
        assert source.chunk_count == len(after)
        assert source.synced_at is not None
        agent = await session.get(Agent, source.agent_id)
        assert agent is not None
    async with started.runtime.reads() as session:
        found = await started.runtime.searcher.search(session, agent.id, "tune-up price", k=5)
        removed = await started.runtime.searcher.search(
            session, agent.id, "trade-in appraisal pistons", k=5, mode="lexical"
        )
    assert found[0].chunk_id == prices.id
    assert removed == []


async def test_a_server_that_ignores_validators_rewrites_nothing(
    started: Started, embedder: Counting, local_site: LocalSite
) -> None:
    for path, (title, text) in list(PAGES.items())[:3]:
        local_site.add(path, page(title, text))
        # An ETag on every answer, but never a 304: the same page, in full, every time.
        local_site.headers[path] = {"ETag": f'"{path}"'}
    sitemap(local_site, *list(PAGES)[:3])
    source_id = await _web_source(started, local_site, "/sitemap.xml", "sitemap")
    before = await _chunks(started, source_id)
    async with started.runtime.db.session() as session:
        first = await session.get(Source, source_id)
        assert first is not None

    local_site.conditions.clear()
    embedder.texts.clear()
    result = await started.runtime.knowledge.ingest(source_id)

    assert (result.status, result.skipped, result.chunks) == ("ready", True, len(before))
    assert {"If-None-Match": '"/hours"'} in local_site.conditions
    report = await _sync(started, source_id)
    assert (report.fetched, report.not_modified, report.unchanged, report.pages) == (3, 0, 3, 3)
    assert report.changed == report.added == report.removed == 0
    after = await _chunks(started, source_id)
    assert [(c.id, c.ordinal, c.text) for c in after] == [(c.id, c.ordinal, c.text) for c in before]
    assert embedder.texts == []
    async with started.runtime.db.session() as session:
        source = await session.get(Source, source_id)
        assert source is not None
        assert source.content_hash == first.content_hash
        assert source.synced_at is not None and first.synced_at is not None
        assert source.synced_at >= first.synced_at


async def test_a_crawl_follows_the_links_of_a_page_that_did_not_change(
    started: Started, local_site: LocalSite
) -> None:
    local_site.add("/", page("Ridgeline", "Snowmobiles and ATVs since 1987.", ["/a", "/b"]))
    local_site.etags["/"] = '"home"'
    for path, (title, text) in zip(("/a", "/b"), list(PAGES.values())[:2], strict=True):
        local_site.add(path, page(title, text))
    source_id = await _web_source(started, local_site, "/", "crawl")
    before = await _chunks(started, source_id)

    local_site.hits.clear()
    result = await started.runtime.knowledge.ingest(source_id)

    assert result.skipped and "/a" in local_site.hits and "/b" in local_site.hits
    report = await _sync(started, source_id)
    assert (report.not_modified, report.unchanged, report.pages) == (1, 3, 3)
    assert [c.id for c in await _chunks(started, source_id)] == [c.id for c in before]
    async with started.runtime.db.session() as session:
        pages = list(await session.scalars(select(SourcePage).order_by(SourcePage.id)))
    home = next(p for p in pages if p.url == local_site.url("/"))
    assert home.etag == '"home"' and local_site.url("/a") in home.links


async def test_pages_are_deleted_with_their_source(started: Started, local_site: LocalSite) -> None:
    local_site.add("/hours", page(*PAGES["/hours"]))
    source_id = await _web_source(started, local_site, "/hours", "page")
    async with started.runtime.db.session() as session:
        source = await session.get(Source, source_id)
        assert source is not None
        workspace_id = source.workspace_id
        assert len(list(await session.scalars(select(SourcePage)))) == 1
    await started.runtime.knowledge.delete(workspace_id, source_id)
    async with started.runtime.db.session() as session:
        assert list(await session.scalars(select(SourcePage))) == []


@pytest.mark.sqlite
async def test_search_reloads_vectors_when_rows_come_back_under_the_same_ids(
    started: Started, local_site: LocalSite
) -> None:
    """SQLite gives a new row the highest id deleted: the newest page replaced by as many
    chunks leaves the count and the highest id as they were, yet the vectors changed."""
    for path in ("/hours", "/prices"):
        local_site.add(path, page(*PAGES[path]))
    sitemap(local_site, "/hours", "/prices")
    source_id = await _web_source(started, local_site, "/sitemap.xml", "sitemap")
    agent_id = (await _chunks(started, source_id))[0].agent_id
    searcher = started.runtime.searcher
    async with started.runtime.reads() as session:
        await searcher.vectors.snapshot(session, agent_id)  # the snapshot search keeps

    local_site.add("/prices", page("Service prices", NEW_PRICES))
    await started.runtime.knowledge.ingest(source_id)

    after = await _chunks(started, source_id)
    [prices] = [c for c in after if "$215" in c.text]
    assert prices.embedding is not None
    async with started.runtime.reads() as session:
        snapshot = await searcher.vectors.snapshot(session, agent_id)
    vectors = snapshot.vectors.by_dimension[len(prices.embedding) // 4]
    row = vectors.matrix[vectors.position[prices.id]]
    assert np.array_equal(row, np.frombuffer(prices.embedding, dtype=np.float32))


async def test_a_page_the_site_does_not_answer_for_keeps_its_chunks(
    started: Started, embedder: Counting, local_site: LocalSite
) -> None:
    for path in ("/hours", "/prices"):
        local_site.add(path, page(*PAGES[path]))
    sitemap(local_site, "/hours", "/prices")
    source_id = await _web_source(started, local_site, "/sitemap.xml", "sitemap")
    before = await _chunks(started, source_id)

    local_site.failing["/prices"] = 503
    result = await started.runtime.knowledge.ingest(source_id)

    assert (result.status, result.skipped, result.chunks) == ("ready", True, len(before))
    report = await _sync(started, source_id)
    assert (report.unreachable, report.unchanged, report.removed, report.pages) == (1, 1, 0, 2)
    assert [c.id for c in await _chunks(started, source_id)] == [c.id for c in before]

    local_site.failing["/prices"] = 404
    await started.runtime.knowledge.ingest(source_id)
    assert (await _sync(started, source_id)).removed == 1
    assert not _ids(await _chunks(started, source_id), "/prices")


def test_the_sources_api_shows_what_the_last_sync_did(
    client: httpx.Client, accounts: Accounts, local_site: LocalSite
) -> None:
    accounts.allow_hosts(local_site.host)
    agent_id = new_agent(client)
    url = local_site.add("/hours", page(*PAGES["/hours"]))
    local_site.etags["/hours"] = '"v1"'
    added = client.post(f"/api/v1/agents/{agent_id}/sources/urls", json={"url": url})
    assert added.status_code == 202, added.text
    first = wait_for_source(client, added.json()["id"])
    assert first["last_sync"]["added"] == 1

    assert client.post(f"/api/v1/sources/{first['id']}/resync").status_code == 202
    again = wait_for_source(client, first["id"])

    assert again["status"] == "ready" and again["chunk_count"] == first["chunk_count"]
    assert again["last_sync"] == {
        "pages": 1,
        "fetched": 0,
        "not_modified": 1,
        "unchanged": 1,
        "changed": 0,
        "added": 0,
        "removed": 0,
        "unreachable": 0,
        "skipped": 0,
    }
    qa = client.post(
        f"/api/v1/agents/{agent_id}/sources/qa",
        json={"pairs": [{"question": "Open on Sunday?", "answer": "No."}]},
    )
    assert wait_for_source(client, qa.json()["id"])["last_sync"] is None

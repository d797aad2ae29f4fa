"""Unit vectors embedded at ingestion and read at ask time (knowledge/units.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import undefer

from app_fixtures import Started
from counting_embedder import Counting
from frontdesk.agents.models import Agent
from frontdesk.answering.generators.extractive import unit_texts
from frontdesk.embedder.model import OnnxMiniLM
from frontdesk.knowledge.models import Chunk
from frontdesk.knowledge.units import unit_key, unpack
from support import statements_sent

SERVICE = """# Service department

## Hours
The service department is open Tuesday to Friday from 8:00 to 17:30 and on Saturday
from 9:00 to 14:00. It is closed on Sunday and Monday.

## Prices
A snowmobile tune-up costs $189. An ATV oil change costs $79.

## Booking
Book service by phone or through the online form; we confirm within one business day.
"""
QUESTION = "is the service department open on saturdays?"


@pytest.fixture
def embedder(embedder: OnnxMiniLM) -> Counting:
    return Counting(embedder)


async def _chunks(started: Started, source_id: str) -> list[Chunk]:
    async with started.runtime.db.session() as session:
        rows = await session.scalars(
            select(Chunk)
            .where(Chunk.source_id == source_id)
            .options(undefer(Chunk.unit_vectors))
            .order_by(Chunk.id)
        )
        return list(rows)


def _expected(chunk: Chunk, model_id: str) -> dict[bytes, str]:
    return {unit_key(model_id, t): t for t in unit_texts(chunk.title, chunk.location, chunk.text)}


async def _service(started: Started, tmp_path: Path, body: str = SERVICE) -> tuple[Agent, str]:
    agent = await started.agent("Dealer")
    path = tmp_path / "service.md"
    path.write_text(body)
    return agent, await started.ingest_file(agent, path)


async def test_ingestion_stores_the_vector_of_every_unit(
    started: Started, embedder: Counting, tmp_path: Path
) -> None:
    _, source_id = await _service(started, tmp_path)
    chunks = await _chunks(started, source_id)
    assert chunks
    for chunk in chunks:
        assert chunk.unit_vectors is not None
        stored = unpack(chunk.unit_vectors)
        expected = _expected(chunk, embedder.model_id)
        assert set(stored) == set(expected) and expected
        for key, text in expected.items():
            # The vector of exactly the text the reply compares with the question.
            assert float(stored[key] @ embedder.model.embed([text])[0]) > 0.99


async def test_an_ask_reads_the_units_vectors_instead_of_embedding_them(
    started: Started, embedder: Counting, tmp_path: Path
) -> None:
    agent, source_id = await _service(started, tmp_path)
    units = {t for c in await _chunks(started, source_id) for t in _expected(c, "").values()}
    embedder.texts.clear()
    answer = await started.runtime.answers.ask(agent, QUESTION)
    assert answer.answered and "9:00" in answer.answer
    # The question alone: the units compared were stored, and so was the reply, a unit said
    # as it stands.
    assert answer.answer in units
    assert embedder.texts == [QUESTION]


async def test_an_ask_reads_the_units_vectors_once(
    started: Started, embedder: Counting, tmp_path: Path
) -> None:
    # Search reads them to score its hits; the reply compares the same units, and reuses them.
    agent, _ = await _service(started, tmp_path)
    with statements_sent(started.runtime.db.engine.sync_engine) as statements:
        answer = await started.runtime.answers.ask(agent, QUESTION)
    assert answer.answered and "9:00" in answer.answer
    assert len([s for s in statements if "chunks.unit_vectors" in s]) == 1, statements


async def test_chunks_stored_before_unit_vectors_answer_the_same_and_a_sync_fills_them_in(
    started: Started, embedder: Counting, tmp_path: Path
) -> None:
    agent, source_id = await _service(started, tmp_path)
    with_vectors = await started.runtime.answers.ask(agent, QUESTION)
    async with started.runtime.db.transaction() as session:  # as migration 0023 left them
        await session.execute(
            update(Chunk).where(Chunk.source_id == source_id).values(unit_vectors=None)
        )
    embedder.texts.clear()
    without = await started.runtime.answers.ask(agent, QUESTION)
    assert without.answer == with_vectors.answer
    assert abs(without.confidence - with_vectors.confidence) < 0.01
    assert len(embedder.texts) > 2  # the units compared were embedded at the ask

    result = await started.runtime.knowledge.ingest(source_id)  # unchanged: only filled in
    assert result.skipped and result.embedded == 0
    for chunk in await _chunks(started, source_id):
        assert chunk.unit_vectors is not None
        assert set(unpack(chunk.unit_vectors)) == set(_expected(chunk, embedder.model_id))
    embedder.texts.clear()
    again = await started.runtime.answers.ask(agent, QUESTION)
    assert again.answer == with_vectors.answer and embedder.texts == [QUESTION]


async def test_a_resync_replaces_the_units_vectors_and_embeds_only_new_units(
    started: Started, embedder: Counting, tmp_path: Path
) -> None:
    agent, source_id = await _service(started, tmp_path)
    before = {t for c in await _chunks(started, source_id) for t in _expected(c, "").values()}
    (tmp_path / "service.md").write_text(SERVICE.replace("$189", "$205"))
    await started.runtime.knowledge.mark_for_resync(started.workspace_id, source_id)
    embedder.texts.clear()
    result = await started.runtime.knowledge.ingest(source_id)
    assert result.status == "ready" and not result.skipped
    chunks = await _chunks(started, source_id)
    after = {t for c in chunks for t in _expected(c, "").values()}
    for chunk in chunks:
        assert chunk.unit_vectors is not None
        assert set(unpack(chunk.unit_vectors)) == set(_expected(chunk, embedder.model_id))
    changed = after - before
    assert changed and all("$205" in t for t in changed)
    # What the old chunks had was reused: only the changed unit was embedded again.
    embedded_units = set(embedder.texts) & after
    assert embedded_units == changed

    await started.runtime.knowledge.delete(started.workspace_id, source_id)
    async with started.runtime.db.session() as session:
        left = await session.scalars(select(Chunk.unit_vectors).where(Chunk.agent_id == agent.id))
        assert list(left) == []


BAKERY = """# Visiting the bakery

## Visiting us
The bakery opened in 1987 in the old fire station on the corner, and the brick walls and
the brass pole are still there. We have twelve seats inside and four tables on the patio
in summer. Children are welcome, and we keep crayons and paper by the window. The coffee
comes from a roaster two streets away, and we grind it fresh for every cup. Our bread is
baked before dawn, and the first loaves come out of the oven at six. Free two-hour
parking is on Pine Street, right behind the shop. Please be patient on Saturday mornings,
when the line can reach the door. Dogs on a leash may wait on the patio, and there is a
water bowl by the bench. We are happy to slice any loaf for you, and we sell day-old
bread at half price after three in the afternoon.

## Delivery
Our drivers bring large orders by car and set the food on your table before they leave.
Cakes travel best flat on the floor of a car, with the air conditioning on in summer;
never on a seat or on a lap. If you collect a tiered cake yourself, bring a car with a
flat boot or a wide back floor, and drive gently around corners. Delivery costs $15 within
ten miles of the shop and $1.50 a mile beyond that. We deliver from Tuesday to Saturday,
between nine in the morning and three in the afternoon, and a driver calls you when they
are ten minutes away. Somebody needs to be there to receive the order.

## Custom cakes
Custom cakes need three days' notice, and tiered wedding cakes two weeks. A six-inch round
serves eight and costs $38; an eight-inch round serves fourteen and costs $52; a ten-inch
round serves twenty and costs $68. Choose vanilla, chocolate, lemon or carrot sponge, and
buttercream, cream cheese or ganache. Writing on the cake is free, up to forty letters.
Photo prints on sugar sheets cost $8 more. A deposit of half the price holds your date,
and the rest is paid when you collect. We can match a colour from a swatch you bring in.

## Allergens
Everything is baked in one kitchen that handles wheat, milk, eggs, soy, sesame and tree
nuts, so we cannot promise that any item is free of them. Our gluten-free loaves are made
first thing in the morning on cleaned surfaces, but they are not certified. Ask at the
counter for the ingredient list of any item; we keep a binder with every recipe. Peanuts
never come into the building. Vegan items are marked with a green leaf on the labels in
the case, and the oat milk for coffee is free of charge.
"""
PUP = "can I bring my pup?"


async def test_search_scores_each_passage_by_its_closest_unit(
    started: Started, embedder: Counting, tmp_path: Path
) -> None:
    """The section about visiting, long and about many things, holds the one sentence that
    answers ("Dogs on a leash may wait on the patio"): as a whole it is farther from the
    question than the delivery section, which shares its word "bring", but its closest unit
    is nearer than any of the delivery section's. The re-ranker reads that (``unit``)."""
    agent, source_id = await _service(started, tmp_path, BAKERY)
    async with started.runtime.db.session() as session:
        hits = await started.runtime.searcher.search(session, agent.id, PUP, k=4)
    question = embedder.model.embed_query(PUP)
    by_id = {c.id: c for c in await _chunks(started, source_id)}
    for hit in hits:
        blob = by_id[hit.chunk_id].unit_vectors
        assert blob is not None
        best = max(float(v @ question) for v in unpack(blob).values())
        assert hit.unit_score == pytest.approx(max(best, hit.vector_score), abs=1e-4)
    sections = {h.title.split(" — ")[-1]: h for h in hits}
    visiting, delivery = sections["Visiting us"], sections["Delivery"]
    assert visiting.vector_score < delivery.vector_score
    assert visiting.unit_score > delivery.unit_score + 0.1

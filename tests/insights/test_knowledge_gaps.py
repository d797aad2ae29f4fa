"""Grouping unanswered questions: paraphrases together, different questions apart."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from frontdesk.db.engine import Database
from frontdesk.db.migrate import upgrade
from frontdesk.embedder.model import Embedder, EmbeddingError, OnnxMiniLM
from frontdesk.insights.gaps import average_linkage, group_questions, normalised
from frontdesk.insights.queries import Asked, Totals
from frontdesk.insights.service import Facts, _knowledge_gaps

PARAPHRASES = [
    [
        "Do you sell pontoon boats?",
        "Can I buy a pontoon boat from you?",
        "Are pontoon boats for sale at your store?",
        "do you have any pontoon boats",
    ],
    [
        "Can I rent a snowmobile for the weekend?",
        "Do you rent snowmobiles?",
        "Is snowmobile rental available?",
    ],
    [
        "Do you ship parts to Canada?",
        "Can you deliver parts to Canada?",
        "Shipping to Canada for parts?",
    ],
    [
        "What is your return policy?",
        "What's the return policy?",
        "Tell me about your return policy",
    ],
]
LONERS = [
    "Where can I park when I visit?",
    "Do you buy used trucks?",
    "Is there a warranty on used ATVs?",
    "Do you sell electric bikes?",
]


def asked(texts: list[str]) -> list[Asked]:
    start = datetime(2024, 3, 1, tzinfo=UTC)
    return [
        Asked(f"msg_{i}", f"cv_{i}", "agt_1", text, start - timedelta(minutes=i), True, False)
        for i, text in enumerate(texts)
    ]


def grouped(embedder: OnnxMiniLM, texts: list[str]) -> list[set[str]]:
    items = asked(texts)
    distinct = list(dict.fromkeys(normalised(t) for t in texts))
    vectors = embedder.embed(distinct)
    return [{q.text for q in gap.questions} for gap in group_questions(items, vectors)]


def test_paraphrases_share_a_group_and_other_questions_stand_alone(
    embedder: OnnxMiniLM,
) -> None:
    # Interleaved, as they would arrive.
    texts = [group[i] for i in range(4) for group in [*PARAPHRASES, LONERS] if i < len(group)]
    groups = grouped(embedder, texts)
    expected = [set(group) for group in PARAPHRASES] + [{loner} for loner in LONERS]
    assert sorted(groups, key=sorted) == sorted(expected, key=sorted)


def test_a_group_is_named_by_its_most_central_question_and_counts_repeats(
    embedder: OnnxMiniLM,
) -> None:
    texts = [
        "Do you rent snowmobiles?",
        "do you  rent SNOWMOBILES?",  # the same question, written differently
        "Can I rent a snowmobile for the weekend?",
        "Is snowmobile rental available?",
        "Where can I park when I visit?",
    ]
    items = asked(texts)
    vectors = embedder.embed(list(dict.fromkeys(normalised(t) for t in texts)))
    rentals, parking = group_questions(items, vectors)
    assert len(rentals.questions) == 4 and len(parking.questions) == 1
    assert rentals.question == "Do you rent snowmobiles?"
    assert [q.text for q in rentals.questions][:2] == texts[:2]  # newest first
    assert parking.question == "Where can I park when I visit?"


def test_average_linkage_merges_only_groups_close_on_average() -> None:
    # a-b close, c close to b only: single linkage would chain a-b-c, average does not.
    sims = np.array(
        [
            [1.0, 0.9, 0.2],
            [0.9, 1.0, 0.7],
            [0.2, 0.7, 1.0],
        ]
    )
    assert average_linkage(sims, 0.5) == [[0, 1], [2]]
    assert average_linkage(sims, 0.4) == [[0, 1, 2]]
    assert average_linkage(sims, 0.95) == [[0], [1], [2]]
    assert average_linkage(np.zeros((0, 0)), 0.5) == []
    assert average_linkage(np.ones((1, 1)), 0.5) == [[0]]


def _gap_facts(texts: list[str], qa_questions: dict[str, set[str]]) -> Facts:
    """A report's facts with only these gap questions (agent agt_1) in them."""
    return Facts(
        totals=Totals(0, 0, 0, 0),
        by_trigger=[],
        by_tag=[],
        by_team=[],
        waits=[],
        feedback={},
        csat={},
        created=[],
        asked=asked(texts),
        agent_names={"agt_1": "Ridgeline"},
        qa_questions=qa_questions,
    )


class Unreachable(Embedder):
    model_id = "unreachable"
    dimension = 3

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        raise EmbeddingError("The embeddings endpoint could not be reached.")


async def test_without_an_embedder_only_identical_questions_are_grouped(tmp_path: Path) -> None:
    texts = ["Do you rent snowmobiles?", "do you rent snowmobiles?", "Do you rent sleds?"]
    facts = _gap_facts(texts, {"agt_1": {"Do you rent sleds?"}})
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'gaps.db'}")
    try:
        await upgrade(db)
        gaps = await _knowledge_gaps(db, facts, Unreachable())
    finally:
        await db.dispose()
    assert [(g.question, g.count, g.answered) for g in gaps] == [
        ("Do you rent snowmobiles?", 2, False),
        ("Do you rent sleds?", 1, True),
    ]


class Counting(Embedder):
    """Orthogonal unit vectors by first word; counts the texts it is asked to embed."""

    model_id = "counting"
    dimension = 8

    def __init__(self) -> None:
        self.embedded: list[str] = []

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        self.embedded += texts
        rows = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i, text in enumerate(texts):
            rows[i, len(text.split()[0]) % self.dimension] = 1.0
        return rows


async def test_questions_are_embedded_once_across_reports(tmp_path: Path) -> None:
    texts = ["Do you rent snowmobiles?", "Where is the showroom?"]
    facts = _gap_facts(texts, {})
    embedder = Counting()
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'cache.db'}")
    try:
        await upgrade(db)
        first = await _knowledge_gaps(db, facts, embedder)
        second = await _knowledge_gaps(db, facts, embedder)
    finally:
        await db.dispose()
    assert sorted(embedder.embedded) == sorted(texts)  # the second report read the cache
    assert [(g.question, g.count) for g in first] == [(g.question, g.count) for g in second]
    assert len(first) == 2

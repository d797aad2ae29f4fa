"""The answering bench's pure helpers: which questions a --limit takes, how answers are judged."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from _generators import counts, outcome, sample, spread, verdict


def bank(answerable: int, unanswerable: int) -> list[dict]:
    """Questions as a bank file holds them: answerable ones first, then the others."""
    return [{"question": f"a{i}", "answerable": True} for i in range(answerable)] + [
        {"question": f"u{i}", "answerable": False} for i in range(unanswerable)
    ]


def test_spread_takes_evenly_spaced_items() -> None:
    assert spread(list(range(10)), 5) == [1, 3, 5, 7, 9]
    assert spread(list(range(3)), 5) == [0, 1, 2]
    assert spread([], 3) == [] and spread([1, 2], 0) == []


def test_sample_keeps_the_share_of_unanswerable_questions_and_the_file_order() -> None:
    items = bank(49, 13)
    picked = sample(items, 10)
    assert len(picked) == 10
    assert sum(not item["answerable"] for item in picked) == 2  # 13/62 of 10
    assert picked == [item for item in items if item in picked]
    # Evenly spaced, so not the first ten of each group.
    assert picked[-1]["question"] == "u9" and picked[0]["question"] == "a3"


def test_sample_takes_an_unanswerable_question_when_the_share_rounds_to_none() -> None:
    picked = sample(bank(90, 4), 5)
    assert len(picked) == 5
    assert sum(not item["answerable"] for item in picked) == 1


def test_sample_without_a_limit_or_above_the_count_is_every_question() -> None:
    items = bank(3, 2)
    assert sample(items, None) == items
    assert sample(items, 5) == items
    assert sample(items, 100) == items


def test_outcome_counts_an_answered_unanswerable_question_as_wrong() -> None:
    assert outcome(answerable=True, answered=True, right=True) == "right"
    assert outcome(answerable=True, answered=True, right=False) == "wrong"
    assert outcome(answerable=False, answered=True, right=False) == "wrong"
    assert outcome(answerable=False, answered=False, right=False) == "refused"
    assert outcome(answerable=True, answered=False, right=False) == "refused_wrongly"


def rows(*outcomes: str) -> list[dict]:
    """Judged questions; a wrong one here is an unanswerable question answered."""
    answerable = {"right": True, "refused_wrongly": True, "refused": False, "wrong": False}
    return [{"outcome": o, "answerable": answerable[o], "guarded": False} for o in outcomes]


def test_verdict_fails_a_model_that_refuses_worse_or_answers_fewer_right() -> None:
    baseline = counts(rows("right", "right", "refused_wrongly", "refused", "refused"))
    better = counts(rows("right", "right", "right", "refused", "refused"))
    worse = counts(rows("right", "refused_wrongly", "refused_wrongly", "refused", "wrong"))
    assert [line[:4] for line in verdict(baseline, better, "local")] == ["PASS", "PASS"]
    lines = verdict(baseline, worse, "local")
    assert [line[:4] for line in lines] == ["FAIL", "FAIL"]
    assert "refused 1/2 unanswerable, extractive 2/2" in lines[0]
    assert "1/3 answerable, extractive 2/3" in lines[1]

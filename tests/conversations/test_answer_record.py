"""The AI's answer record kept on a message: old payloads read with defaults, round trips."""

from __future__ import annotations

import json

import pytest

from frontdesk.answering.schemas import AnswerOut, Handoff
from frontdesk.conversations.messages import answer_record
from frontdesk.conversations.models import AnswerRecord, Message


def _ai(payload: dict[str, object] | None, event: str | None = None) -> Message:
    return Message(author="ai", text="...", payload=payload, event=event)


def test_payloads_stored_before_the_record_read_with_defaults() -> None:
    # What post_ai_answer wrote before AnswerRecord existed.
    old = _ai({"answered": False, "gap": True, "tokens": 12})
    assert old.answer == AnswerRecord(answered=False, gap=True, tokens=12)
    assert old.answer.generator is None and old.answer.threshold is None
    assert old.answer.model is None and old.answer.prompt_tokens == 0
    assert _ai({"answered": True, "tokens": None, "later": 1}).answer == AnswerRecord()


def test_only_answers_of_the_pipeline_have_a_record() -> None:
    assert _ai(None).answer is None  # the handoff or closed-hours text
    assert _ai({"form": {"title": "Contact"}}, event="form").answer is None
    assert Message(author="visitor", text="hi", payload=None).answer is None
    note = Message(author="system", text="Handed off", event="handoff", payload={"gap": True})
    assert note.answer is None


def test_a_record_round_trips_through_the_stored_json() -> None:
    answer = AnswerOut(
        answer="Saturday 9:00 to 14:00.",
        citations=[],
        confidence=0.3,
        threshold=0.45,
        handoff=Handoff(triggered=True, trigger="low_confidence", reason="unsure"),
        generator="extractive",
        answered=False,
        gap=True,
        prompt_tokens=0,
    )
    record = answer_record(answer)
    assert record == AnswerRecord(
        answered=False,
        gap=True,
        tokens=0,
        generator="extractive",
        model="",
        threshold=0.45,
        handoff_trigger="low_confidence",
    )
    stored = json.loads(json.dumps(record.model_dump(mode="json")))
    assert _ai(stored).answer == record
    calm = answer.model_copy(update={"handoff": Handoff(triggered=False)})
    assert answer_record(calm).handoff_trigger is None


def test_sql_keys_are_the_record_s_fields() -> None:
    assert AnswerRecord.key("gap") == "gap"
    with pytest.raises(KeyError):
        AnswerRecord.key("unanswered")

"""The rules engine: each trigger, their order, and rules at work in a live conversation."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from frontdesk.embedder.model import OnnxMiniLM
from frontdesk.rules.config import RulesConfig
from frontdesk.rules.engine import RulesEngine

FINANCING = {
    "name": "financing",
    "examples": ["what rate can I get", "monthly payment", "apply for a loan"],
}


@pytest.fixture(scope="module")
def engine(embedder: OnnxMiniLM) -> RulesEngine:
    return RulesEngine(lambda: embedder)


def _trigger(engine: RulesEngine, text: str, count: int = 1, **rules: Any) -> str | None:
    verdict = engine.evaluate(RulesConfig.model_validate(rules), text, count)
    return verdict.trigger if verdict else None


@pytest.mark.parametrize(
    "text",
    [
        "can I talk to someone from your team?",
        "is there a person I could chat with?",
        "agent please",
    ],
)
def test_explicit_requests_hand_off(engine: RulesEngine, text: str) -> None:
    assert _trigger(engine, text) == "explicit_request"
    assert _trigger(engine, text, explicit_request=False, negative_sentiment=False) is None


def test_a_question_about_people_is_not_a_request(engine: RulesEngine) -> None:
    assert _trigger(engine, "do you have a person who does repairs on weekends?") is None


def test_keywords_match_whole_words_and_set_priority(engine: RulesEngine) -> None:
    rules = {"keywords": [{"phrase": "accident", "priority": "urgent"}, "stranded rider"]}
    verdict = engine.evaluate(
        RulesConfig.model_validate(rules), "I had an accident on the trail", 1
    )
    assert verdict is not None
    assert (verdict.trigger, verdict.priority, verdict.reason) == (
        "keyword",
        "urgent",
        "keyword 'accident'",
    )
    assert _trigger(engine, "we have a STRANDED   rider near the lake", **rules) == "keyword"
    assert _trigger(engine, "are these accidental damage plans?", **rules) is None


def test_topics_match_by_meaning_and_reject_unrelated(engine: RulesEngine) -> None:
    rules = {"topics": [{**FINANCING, "priority": "high"}]}
    verdict = engine.evaluate(
        RulesConfig.model_validate(rules), "what would my monthly payments be?", 1
    )
    assert verdict is not None and (verdict.trigger, verdict.priority) == ("topic", "high")
    assert _trigger(engine, "when does the service department open?", **rules) is None


def test_message_count_and_frustration(engine: RulesEngine) -> None:
    assert _trigger(engine, "and the green one?", 12, max_visitor_messages=12) == "max_messages"
    assert _trigger(engine, "and the green one?", 11, max_visitor_messages=12) is None
    assert _trigger(engine, "this is useless, you're not helping at all!!") == "sentiment"
    assert _trigger(engine, "my sled won't start, can you help?") is None


def test_rules_fire_in_order(engine: RulesEngine) -> None:
    text = "I had an accident, let me talk to a real person"
    assert _trigger(engine, text, keywords=["accident"]) == "explicit_request"
    assert _trigger(engine, text, keywords=["accident"], explicit_request=False) == "keyword"


def test_rules_in_a_conversation_and_in_ask(client: httpx.Client, agent, visitors) -> None:
    rules = {"keywords": [{"phrase": "accident", "priority": "urgent"}]}
    patched = client.patch(f"/api/v1/agents/{agent['id']}", json={"rules": rules})
    assert patched.status_code == 200, patched.text
    assert patched.json()["rules"]["keywords"] == [
        {"phrase": "accident", "priority": "urgent", "tags": [], "collect": None, "team": None}
    ]
    bad = client.patch(f"/api/v1/agents/{agent['id']}", json={"rules": {"keywordz": []}})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "rules.keywordz"

    visitor = visitors()
    visitor.send("I had an accident with my quad near Ely")
    [reply] = visitor.wait_for("ai")
    assert reply["text"] == agent["handoff_message"] and reply["citations"] == []
    detail = client.get(f"/api/v1/conversations/{visitor.id}").json()
    conversation = detail["conversation"]
    assert (conversation["status"], conversation["priority"]) == ("waiting", "urgent")
    assert conversation["handoff"] == {"trigger": "keyword", "reason": "keyword 'accident'"}
    notes = [m["text"] for m in detail["messages"] if m["author"] == "system"]
    assert notes == ["Handed off: keyword 'accident'"]

    asked = client.post(
        f"/api/v1/agents/{agent['id']}/ask",
        json={"question": "can I talk to someone from your team?"},
    ).json()
    assert asked["handoff"]["triggered"] and asked["handoff"]["trigger"] == "explicit_request"


def test_unhelpful_feedback_counts_toward_failed_attempts(engine: RulesEngine) -> None:
    rules = RulesConfig.model_validate({"failed_attempts": 2, "negative_sentiment": False})
    first = engine.evaluate(rules, "that didn't help", 3, failed_before=0)
    assert first is not None and (first.trigger, first.handoff, first.unhelpful) == (
        "failed_attempts",
        False,
        True,
    )
    second = engine.evaluate(rules, "nope, that's not what I asked", 4, failed_before=1)
    assert second is not None and (second.trigger, second.handoff) == ("failed_attempts", True)
    assert second.reason == "2 answers in a row did not help"
    assert engine.evaluate(rules, "thanks, that helped a lot", 4, failed_before=1) is None
    off = RulesConfig.model_validate({"negative_sentiment": False})
    assert engine.evaluate(off, "that didn't help", 3, failed_before=5) is None


def test_tags_and_forms_travel_with_the_rule_that_fired(engine: RulesEngine) -> None:
    rules = RulesConfig.model_validate(
        {
            "keywords": [{"phrase": "accident", "tags": ["safety"], "collect": "lead"}],
            "topics": [{**FINANCING, "handoff": False, "tags": ["financing"], "priority": "high"}],
        }
    )
    keyword = engine.evaluate(rules, "I had an accident", 1)
    assert keyword is not None and (keyword.tags, keyword.collect) == (("safety",), "lead")
    # A topic that does not hand off still tags and sets priority; later rules still run.
    noted = engine.evaluate(rules, "what would my monthly payment be?", 1)
    assert noted is not None and not noted.handoff
    assert (noted.trigger, noted.tags, noted.priority) == ("topic", ("financing",), "high")
    later = engine.evaluate(
        rules.model_copy(update={"max_visitor_messages": 2}), "what rate can I get", 2
    )
    assert later is not None and later.handoff
    assert (later.trigger, later.tags, later.priority) == ("max_messages", ("financing",), "high")

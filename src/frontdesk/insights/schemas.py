"""The insights report and the "add an answer" request, with what each number means."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from frontdesk.inputs import Input

COUNTED = (
    "A conversation counts when it was created in [start, end) and has at least one visitor "
    "message."
)


class PeriodOut(BaseModel):
    start: datetime = Field(description="First instant covered (UTC).")
    end: datetime = Field(description="First instant no longer covered (UTC); exclusive.")
    tz: str = Field(description="IANA time zone the dates and the daily series are read in.")


class TriggerCount(BaseModel):
    trigger: str = Field(description="What caused the first handoff ('unknown' if unrecorded).")
    count: int


class TagCount(BaseModel):
    tag: str | None = Field(description="Tag name; null counts handed-off untagged chats.")
    color: str | None
    count: int


class TeamCount(BaseModel):
    team_id: str | None = Field(description="null: handed off to no team.")
    team: str | None = Field(description="Team name; null for no team or a deleted team.")
    count: int


class ReplyTimes(BaseModel):
    count: int = Field(description="Handed-off conversations a person has replied to since.")
    median: float | None = Field(description="Median in seconds; null when count is 0.")
    p90: float | None = Field(description="90th percentile in seconds; null when count is 0.")


class AfterHandoff(BaseModel):
    handoffs: int
    closed: int = Field(description="Handed-off conversations that are closed now.")
    rate: float | None = Field(description="closed / handoffs; null when there were none.")


class Feedback(BaseModel):
    up: int = Field(description="AI answers rated thumbs up.")
    down: int = Field(description="AI answers rated thumbs down.")


class CsatBucket(BaseModel):
    score: int = Field(ge=1, le=5)
    count: int


class Csat(BaseModel):
    count: int = Field(description="Counted conversations the visitor rated.")
    average: float | None = Field(description="Mean score 1-5; null when none rated.")
    distribution: list[CsatBucket] = Field(description="How many ratings of each score, 1..5.")


class Day(BaseModel):
    day: date = Field(description="A local calendar day in tz.")
    conversations: int
    handoffs: int


class GapExample(BaseModel):
    text: str
    conversation_id: str
    asked_at: datetime
    reason: Literal["unanswered", "thumbs_down"]


class GapOut(BaseModel):
    title: str = Field(
        description="A short name for the group: written by the agent's model when it has "
        "one (kept per group), else the central question."
    )
    title_by: Literal["extractive", "model"]
    question: str = Field(description="The group's most central question.")
    count: int = Field(description="Times a question of the group was asked (visitor messages).")
    unanswered: int = Field(description="Of them, answered with 'no answer in the knowledge'.")
    thumbs_down: int = Field(description="Of them, whose AI answer got a thumbs down.")
    last_asked_at: datetime
    agent_id: str
    agent_name: str
    answered: bool = Field(description="A Q&A pair of the agent now has one of these questions.")
    examples: list[GapExample] = Field(description="Up to 5 questions of the group, newest first.")


class InsightsOut(BaseModel):
    agent_id: str | None = Field(description="The agent reported on; null: every agent.")
    period: PeriodOut
    conversations: int = Field(description=COUNTED)
    resolved_by_ai: int = Field(
        description="Counted conversations no person took part in: no handoff, no takeover "
        "or assignment, and no public reply from a member."
    )
    deflection_rate: float | None = Field(
        description="resolved_by_ai / conversations; null when there are no conversations."
    )
    handoffs: int = Field(description="Counted conversations with at least one handoff.")
    handoff_rate: float | None = Field(description="handoffs / conversations; null when 0.")
    handoffs_by_trigger: list[TriggerCount] = Field(
        description="Handoffs by the trigger of each conversation's first handoff."
    )
    handoffs_by_tag: list[TagCount] = Field(
        description="Handoffs by the conversation's tags (a chat with two tags counts twice)."
    )
    handoffs_by_team: list[TeamCount] = Field(
        description="Handoffs by the team the conversation is routed to."
    )
    first_human_reply_s: ReplyTimes = Field(
        description="Seconds from the first handoff to the first public member reply after "
        "it. Percentiles interpolate linearly between ranks (PostgreSQL percentile_cont)."
    )
    resolution_after_handoff: AfterHandoff
    feedback: Feedback
    csat: Csat
    daily: list[Day] = Field(description="Conversations and handoffs per local day in tz.")
    knowledge_gaps: list[GapOut] = Field(
        description="Questions the agent could not answer or whose answer got a thumbs down "
        "(the latest 500), grouped by similarity; the largest 50 groups, most asked first."
    )


class GapAnswerIn(Input):
    model_config = ConfigDict(extra="forbid")

    agent_id: str
    question: str = Field(min_length=1, max_length=2000)
    answer: str = Field(min_length=1, max_length=20000)


class GapAnswerOut(BaseModel):
    source_id: str = Field(description="The Q&A source holding the answer (ingested shortly).")
    status: str
    title: str
    agent_id: str
    agent_name: str
    question: str

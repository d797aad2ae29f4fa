"""What the API and the live sockets say about conversations and messages."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from frontdesk.answering.schemas import Citation
from frontdesk.inputs import Input
from frontdesk.rules.hours import is_time_zone

StatusName = Literal["bot", "waiting", "human", "closed"]
PriorityName = Literal["low", "normal", "high", "urgent"]
AuthorName = Literal["visitor", "ai", "member", "system"]
RatingName = Literal["up", "down"]
CLIENT_ID = r"^[A-Za-z0-9_.:-]{1,64}$"


class HandoffOut(BaseModel):
    trigger: str
    reason: str | None


class LastMessage(BaseModel):
    seq: int
    author: AuthorName
    text: str
    private: bool


class VisitorInfo(BaseModel):
    page_url: str | None
    referrer: str | None = Field(None, description="The page that led the visitor to the site.")
    browser: str | None = Field(None, description='From the user agent: "Chrome 131 on Linux".')
    timezone: str | None = Field(None, description="The visitor's IANA time zone.")
    name: str = Field(
        "",
        description="The name or email from the lead card, else a stable label (Visitor 4821).",
    )
    label: str = Field("", description="The stable label, derived from the conversation id.")
    email: str | None = Field(None, description="The email from the lead card, if any.")


class LeadField(BaseModel):
    name: str
    label: str
    type: str = "text"
    value: str = Field(description="As stored: dates and times in ISO 8601 with their offset.")


class LeadOut(BaseModel):
    """What the visitor entered in a form: the lead card."""

    action: str
    title: str
    fields: list[LeadField]
    submitted_at: datetime


class PendingForm(BaseModel):
    action: str
    seq: int = Field(description="The message that shows the form.")
    holds_handoff: bool = Field(description="The handoff waits for the form.")


class CsatOut(BaseModel):
    score: int = Field(ge=1, le=5)
    comment: str | None
    submitted_at: datetime


class TeamRef(BaseModel):
    id: str
    name: str


class AnsweredOut(BaseModel):
    question: str
    answer: str


class SummaryOut(BaseModel):
    """Written when the conversation started waiting, from the thread as written; when the
    agent has a model, its own few sentences replace ``text`` shortly after."""

    text: str
    wants: list[str] = Field(description="What the visitor still wants (their own words).")
    answered: list[AnsweredOut] = Field(description="Questions the AI already answered.")
    by: Literal["extractive", "model"] = Field(
        description="extractive (sentences of the thread), or model: the agent's model wrote text."
    )
    generator: str | None = Field(None, description="The generator whose model wrote text.")
    at: datetime = Field(description="When the conversation was handed off.")


class ConversationOut(BaseModel):
    id: str
    agent_id: str
    agent_name: str
    status: StatusName
    assignee_id: str | None
    assignee_name: str | None
    priority: PriorityName
    handoff: HandoffOut | None
    waiting_since: datetime | None
    last_message_at: datetime | None
    last_message: LastMessage | None = Field(
        description="The preview: the latest message that is not a system note."
    )
    last_seq: int
    unread: int = 0
    visitor: VisitorInfo
    tags: list[str] = Field(default_factory=list, description="Tag names, sorted.")
    tag_colors: dict[str, str] = Field(
        default_factory=dict, description="Tag name -> its colour in the catalog (#rrggbb)."
    )
    lead: LeadOut | None = None
    pending_form: PendingForm | None = None
    csat: CsatOut | None = Field(None, description="The visitor's rating once it closed.")
    team: TeamRef | None = Field(None, description="The team the conversation is routed to.")
    summary: SummaryOut | None = Field(None, description="Handoff summary, once it waited.")
    created_at: datetime
    updated_at: datetime


class MessageOut(BaseModel):
    id: str
    conversation_id: str
    seq: int
    author: AuthorName
    author_id: str | None
    author_name: str | None
    text: str
    private: bool
    citations: list[Citation]
    confidence: float | None
    client_id: str | None
    event: str | None
    payload: dict[str, Any] | None = Field(
        None, description="event form: {form: {...}}; form_submitted: {form, values}."
    )
    feedback: RatingName | None = Field(None, description="The visitor's thumbs on an AI answer.")
    created_at: datetime


class VisitorCitation(BaseModel):
    """A cited source as the visitor sees it: a label, linked when it has a web address.

    The team's evidence (file name, chunk title, passage, score) stays with the team
    (visitor_view.py makes one from a Citation)."""

    label: str
    url: str | None = None


class VisitorMessageOut(BaseModel):
    """A message as the visitor sees it (visitor_view.py decides which and makes it)."""

    id: str
    seq: int
    author: Literal["visitor", "ai", "member"]
    author_name: str | None
    text: str
    citations: list[VisitorCitation]
    confidence: float | None
    client_id: str | None
    event: Literal["form", "form_submitted"] | None = None
    payload: dict[str, Any] | None = None
    feedback: RatingName | None = None
    rateable: bool = Field(
        False,
        description="Thumbs may rate it: an answer from the agent's knowledge, not a canned "
        "text (the handoff message, a notice while waiting, a form).",
    )
    created_at: datetime


class ActionRunOut(BaseModel):
    """A form answered or skipped, an HTTP action's result, or a tool the model called, with
    its arguments in ``request.arguments`` (secrets never included)."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    action: str
    kind: Literal["form", "http", "tool"]
    status: Literal["submitted", "skipped", "running", "succeeded", "failed"]
    attempts: int
    request: dict[str, Any]
    response_status: int | None
    result: dict[str, Any]
    error: str | None
    created_at: datetime
    finished_at: datetime | None
    duration_ms: int | None = None


class ConversationDetail(BaseModel):
    conversation: ConversationOut
    messages: list[MessageOut]
    actions: list[ActionRunOut] = Field(default_factory=list)


class ConversationList(BaseModel):
    conversations: list[ConversationOut]


class SearchHitOut(BaseModel):
    kind: Literal["message", "lead"]
    text: str = Field(description="The message (or a part of it around the match) or the field.")
    marks: list[tuple[int, int]] = Field(
        description="[start, end) character ranges of text where the query matched."
    )
    seq: int | None = Field(None, description="The message's number in the conversation.")
    author: AuthorName | None = None
    private: bool = Field(False, description="An internal note.")
    label: str | None = Field(None, description="The lead field's label.")


class SearchResultOut(BaseModel):
    conversation: ConversationOut
    hits: list[SearchHitOut]


class SearchResults(BaseModel):
    results: list[SearchResultOut]


class VisitorMessages(BaseModel):
    status: StatusName
    messages: list[VisitorMessageOut]
    pending_form: str | None = Field(None, description="The form waiting for an answer.")
    csat_score: int | None = Field(
        None, description="The rating the visitor already gave this conversation (1-5)."
    )


class MessageText(Input):
    text: str = Field(description="The message; surrounding whitespace is trimmed.")

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("the message is empty")
        return value


class VisitorMessageIn(MessageText):
    client_id: str | None = Field(
        None,
        pattern=CLIENT_ID,
        description="The client's own id for this message; a repeat send is stored once.",
    )


class MemberMessageIn(MessageText):
    private: bool = Field(False, description="An internal note: never shown to the visitor.")


class AssignIn(Input):
    member_id: str | None


class PriorityIn(Input):
    priority: PriorityName


class ReadIn(Input):
    seq: int = Field(ge=0)


class NewConversationIn(Input):
    page_url: str | None = Field(None, max_length=2000)
    referrer: str | None = Field(None, max_length=2000)
    timezone: str | None = Field(
        None, max_length=64, description="The visitor's IANA time zone; an unknown one is ignored."
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        # Ignored rather than refused: a zone this server's tz database lacks must not stop a
        # visitor from starting a chat.
        return value if value and is_time_zone(value) else None


class NewConversationOut(BaseModel):
    id: str
    visitor_token: str


class WidgetConfig(BaseModel):
    agent_name: str
    greeting: str
    theme_color: str
    position: Literal["right", "left"]


class StatusOut(BaseModel):
    status: StatusName


class FeedbackIn(Input):
    rating: RatingName | None = Field(description="null clears an earlier rating.")


class FeedbackOut(BaseModel):
    seq: int
    feedback: RatingName | None


class CsatIn(Input):
    score: int = Field(ge=1, le=5)
    comment: str | None = Field(None, max_length=1000)

    @field_validator("comment")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None


class FormAnswers(Input):
    values: dict[str, str | int | float | None] = Field(
        max_length=40, description="Field name -> what the visitor entered."
    )


class FormResult(BaseModel):
    status: StatusName
    lead: LeadOut

"""What the API, the usage page and `frontdesk usage --json` say about usage."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, computed_field

MONTH_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"


class UsageCounts(BaseModel):
    conversations: int = Field(0, description="Conversations started.")
    visitor_messages: int = Field(0, description="Messages visitors wrote (resends not counted).")
    ai_answers: int = Field(0, description="AI replies to visitor messages.")
    tokens: int = Field(0, description="Tokens LLM generators used for those replies.")


class UsageByModel(BaseModel):
    model_config = ConfigDict(protected_namespaces=())

    generator: str = Field(
        description="What wrote the replies: extractive, local, openai, anthropic; rules for "
        "the escalation rules' replies (with the model whose draft they replaced, if any)."
    )
    model: str = Field(description="The model as the agent's settings name it; empty for none.")
    answers: int = Field(0, description="AI replies to visitor messages.")
    prompt_tokens: int = Field(0, description="Tokens the model read for them.")
    completion_tokens: int = Field(0, description="Tokens the model wrote for them.")

    @computed_field(  # type: ignore[prop-decorator]  # pydantic's documented form
        description="prompt_tokens + completion_tokens."
    )
    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class UsageTotals(UsageCounts):
    models: list[UsageByModel] = Field(
        default_factory=list,
        description="The AI answers by generator and model, most tokens first. Answers metered "
        "before models were kept (before migration 0010) are in ai_answers and tokens only.",
    )


class UsageMonthOut(UsageTotals):
    month: str = Field(description="UTC calendar month, YYYY-MM.", pattern=MONTH_PATTERN)


class UsageReport(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    workspace_id: str
    first: str = Field(alias="from", description="Oldest month listed, YYYY-MM.")
    last: str = Field(alias="to", description="Newest month listed, YYYY-MM.")
    current: UsageMonthOut = Field(description="The current UTC month so far.")
    months: list[UsageMonthOut] = Field(description="Every month from..to, newest first.")
    totals: UsageTotals = Field(description="The sum over ``months``.")

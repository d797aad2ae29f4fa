"""What the API, the usage page and `frontdesk usage --json` say about usage."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

MONTH_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"


class UsageCounts(BaseModel):
    conversations: int = Field(0, description="Conversations started.")
    visitor_messages: int = Field(0, description="Messages visitors wrote (resends not counted).")
    ai_answers: int = Field(0, description="AI replies to visitor messages.")
    tokens: int = Field(0, description="Tokens LLM generators used for those replies.")


class UsageMonthOut(UsageCounts):
    month: str = Field(description="UTC calendar month, YYYY-MM.", pattern=MONTH_PATTERN)


class UsageReport(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    workspace_id: str
    first: str = Field(alias="from", description="Oldest month listed, YYYY-MM.")
    last: str = Field(alias="to", description="Newest month listed, YYYY-MM.")
    current: UsageMonthOut = Field(description="The current UTC month so far.")
    months: list[UsageMonthOut] = Field(description="Every month from..to, newest first.")
    totals: UsageCounts = Field(description="The sum over ``months``.")

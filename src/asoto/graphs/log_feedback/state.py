"""State of the log_feedback flow: narrow input and output, wide internals, all JSON-like."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from typing_extensions import TypedDict

from asoto.tools.feedback_check import PARTS
from asoto.tools.text import has_forbidden_control

MAX_TITLE_CHARS = 200
MAX_CONTENT_CHARS = 10_000


class LogIn(TypedDict):
    title: str
    content: str


class InputState(TypedDict):
    member_id: str
    log: LogIn


class OutputState(TypedDict, total=False):
    log_id: str
    feedback: dict[str, str]
    status: str
    scores: dict[str, int]
    risk: dict[str, Any]
    approval_id: str | None
    similar_logs: list[dict[str, Any]]
    generated_by: dict[str, str]


class State(InputState, OutputState, total=False):
    locale: str
    member: dict[str, Any]
    signals: dict[str, int]
    draft: dict[str, str]
    drafts: int
    issues: list[str]
    redraft: bool
    review_reasons: list[str]
    decision: dict[str, Any]


class LogPayload(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=MAX_TITLE_CHARS)
    content: str = Field(min_length=1, max_length=MAX_CONTENT_CHARS)

    @field_validator("title", "content")
    @classmethod
    def _clean(cls, value: str) -> str:
        if has_forbidden_control(value):
            raise ValueError("must not contain NUL or other control characters")
        if not value.strip():
            raise ValueError("must not be blank")
        return value


class LogFeedbackInput(BaseModel):
    """What the API accepts as input of the flow (validated before any row is written)."""

    model_config = ConfigDict(extra="forbid")
    member_id: uuid.UUID
    log: LogPayload


class FeedbackPayload(BaseModel):
    """An edited feedback, as a coach may send it with an ``edit`` decision."""

    model_config = ConfigDict(extra="forbid")
    affirmation: str = Field(min_length=1, max_length=400)
    insight: str = Field(min_length=1, max_length=400)
    question: str = Field(min_length=1, max_length=400)
    next_action: str = Field(min_length=1, max_length=400)

    @field_validator(*PARTS)
    @classmethod
    def _clean(cls, value: str) -> str:
        if has_forbidden_control(value) or not value.strip():
            raise ValueError("must be non-blank text without control characters")
        return value


class LogFeedbackEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    feedback: FeedbackPayload

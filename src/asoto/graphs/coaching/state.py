"""State of the coaching flow. Messages use ``add_messages`` and are trimmed to a window, so a
long session's checkpoints stay small; what the summary needs is kept as short quotes."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from typing_extensions import TypedDict

from asoto.tools.text import has_forbidden_control

SessionType = Literal["goal_setting", "reflection", "step_planning", "check_in"]
MESSAGE_WINDOW = 12  # messages kept in state (6 exchanges); older ones are removed
MAX_REPLY_CHARS = 4000


class CoachingContextIn(TypedDict, total=False):
    goal_id: str
    topic: str


class CoachingInput(TypedDict, total=False):
    member_id: str
    session_type: str
    context: CoachingContextIn


class CoachingOutput(TypedDict, total=False):
    session_id: str
    summary: str
    steps: list[dict[str, Any]]
    turns: int
    ended_by: str
    memory: list[str]
    approval_id: str | None
    generated_by: dict[str, str]


class CoachingState(CoachingInput, CoachingOutput, total=False):
    messages: Annotated[list[AnyMessage], add_messages]
    locale: str
    member: dict[str, Any]
    plan: dict[str, Any]
    recalled: list[dict[str, Any]]
    goal_reached: bool
    ending: bool
    replies: list[str]
    last_reply: str
    risk: dict[str, Any]
    turn_draft: dict[str, Any] | None
    turn_risk: dict[str, Any]
    proposal: dict[str, Any]
    review: dict[str, Any]


class CoachingContextModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    goal_id: uuid.UUID | None = None
    topic: str | None = Field(default=None, max_length=200)


class CoachingFlowInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    member_id: uuid.UUID
    session_type: SessionType
    context: CoachingContextModel = Field(default_factory=CoachingContextModel)


class MemberReply(BaseModel):
    """The member's answer to a coach turn: a message, or the end of the session."""

    model_config = ConfigDict(extra="forbid")
    message: str | None = Field(default=None, min_length=1, max_length=MAX_REPLY_CHARS)
    end: bool = False

    @field_validator("message")
    @classmethod
    def _clean(cls, value: str | None) -> str | None:
        if value is not None and (has_forbidden_control(value) or not value.strip()):
            raise ValueError("must be non-blank text without control characters")
        return value

    @model_validator(mode="after")
    def _message_or_end(self) -> MemberReply:
        if not self.end and self.message is None:
            raise ValueError('send {"message": "..."} or {"end": true}')
        return self

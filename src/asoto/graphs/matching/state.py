"""State of the matching flow; vectors never enter state (they stay inside the ranking node)."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypedDict


class MatchingInput(TypedDict, total=False):
    member_id: str
    target: str
    k: int
    purpose: str


class MatchingOutput(TypedDict, total=False):
    matches: list[dict[str, Any]]
    status: str
    approval_id: str | None
    generated_by: dict[str, str]


class MatchingState(MatchingInput, MatchingOutput, total=False):
    member: dict[str, Any]
    intro_key: str
    review: dict[str, Any]


class MatchingFlowInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    member_id: uuid.UUID
    target: Literal["members", "projects"]
    k: int = Field(default=5, ge=1, le=50)
    purpose: str | None = Field(default=None, max_length=200)

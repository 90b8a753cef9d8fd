"""State of the approval flow. The same shapes serve it standalone and as a subgraph."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from typing_extensions import TypedDict

from asoto.graphs.approval.kinds import KINDS, POLICIES


class ApprovalInput(TypedDict, total=False):
    kind: str
    subject: dict[str, Any]
    proposal: dict[str, Any]
    requested_by: str
    reasons: list[str]
    policy: str
    approval_key: str  # a business key (e.g. "log_feedback:<log_id>") that fixes the approval id


class ApprovalOutput(TypedDict, total=False):
    approval_id: str
    decision: str
    payload: dict[str, Any]
    decided_by: str
    decided_at: str
    comment: str | None


class ApprovalState(ApprovalInput, ApprovalOutput, total=False):
    verdict: str
    resume: dict[str, Any]


class Subject(BaseModel):
    model_config = ConfigDict(extra="allow")
    member_id: uuid.UUID | None = None


class ApprovalFlowInput(BaseModel):
    """What the API accepts to start the approval flow on its own."""

    model_config = ConfigDict(extra="forbid")
    kind: str
    subject: Subject = Field(default_factory=Subject)
    proposal: dict[str, Any]
    requested_by: str = Field(min_length=1, max_length=100)
    reasons: list[str] = Field(default_factory=list, max_length=20)
    policy: str | None = None

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value not in KINDS:
            raise ValueError(f"unknown kind; known: {', '.join(KINDS)}")
        return value

    @field_validator("policy")
    @classmethod
    def _known_policy(cls, value: str | None) -> str | None:
        if value is not None and value not in POLICIES:
            raise ValueError(f"unknown policy; known: {', '.join(POLICIES)}")
        return value

    @property
    def member_id(self) -> uuid.UUID | None:
        return self.subject.member_id

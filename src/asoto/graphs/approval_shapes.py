"""The engine's approval interrupt and resume shapes, shared by every flow.

Interrupt value: ``{"type": "approval", "approval_id", "kind", "reasons", "proposal"}``.
Resume value: ``{"decision": "approve" | "reject" | "edit", "payload"?: {...}, "comment"?}``;
the API stamps ``decided_by`` from the caller's key, whatever the client sent.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class ApprovalRequest(BaseModel):
    type: Literal["approval"] = "approval"
    approval_id: str
    kind: str
    reasons: list[str]
    proposal: dict[str, Any]


class ApprovalDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "reject", "edit"]
    payload: dict[str, Any] | None = None
    comment: str | None = Field(default=None, max_length=2000)
    decided_by: str | None = Field(default=None, max_length=100)

    @model_validator(mode="after")
    def _edit_has_payload(self) -> ApprovalDecision:
        if self.decision == "edit" and not self.payload:
            raise ValueError("an edit decision needs a payload")
        return self

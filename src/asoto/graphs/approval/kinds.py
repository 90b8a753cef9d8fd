"""What can be approved: each kind's edit schema, deciders, policy, deadline and expiry outcome.

Policies decide whether a person is needed at all. They are pure functions of the request,
named so that a flow (or a caller with the right) can pick one:

- ``human``: always ask a person (the default for anything about a member's wellbeing);
- ``auto_approve`` / ``auto_reject``: decide at once (low-stakes kinds, tests, kill switches);
- ``auto_approve_if_no_reasons``: a person only when the requester gave reasons to look;
- ``opt_in``: auto-approve when the subject member opted in (``subject.opt_in``), else a person.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from types import MappingProxyType
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from asoto.graphs.log_feedback.state import LogFeedbackEdit

Verdict = Literal["approve", "reject", "human"]


class FreeformEdit(BaseModel):
    """An edit of a kind without a dedicated schema: a non-empty object."""

    model_config = ConfigDict(extra="allow")
    note: str | None = Field(default=None, max_length=2000)


class StepProposal(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    category: Literal["relationship", "activity", "sensitivity"]
    estimated_minutes: int | None = Field(default=None, ge=0, le=24 * 60)
    due_date: str | None = None


class IntroductionChoice(BaseModel):
    model_config = ConfigDict(extra="allow")
    candidate_id: str


class MatchIntroductionEdit(BaseModel):
    """Which of the proposed introductions to make (an edit can only remove)."""

    model_config = ConfigDict(extra="forbid")
    matches: list[IntroductionChoice] = Field(max_length=50)


class CoachTurnEdit(BaseModel):
    """What the coach says instead of a held AI turn."""

    model_config = ConfigDict(extra="forbid")
    message: str = Field(min_length=1, max_length=4000)


class CoachingStepsEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    steps: list[StepProposal] = Field(min_length=0, max_length=5)


@dataclass(frozen=True)
class Kind:
    name: str
    edit_model: type[BaseModel]
    deciders: tuple[str, ...] = ("coach", "admin")  # "member" = the subject member decides
    policy: str = "human"
    deadline: timedelta = timedelta(hours=24)
    on_expiry: Literal["escalate", "reject"] = "escalate"


KINDS: Mapping[str, Kind] = MappingProxyType(
    {
        k.name: k
        for k in (
            Kind("log_feedback", LogFeedbackEdit, deadline=timedelta(hours=24), on_expiry="escalate"),
            Kind("coaching_risk", FreeformEdit, deadline=timedelta(hours=2), on_expiry="escalate"),
            Kind("coaching_turn", CoachTurnEdit, deadline=timedelta(hours=2), on_expiry="escalate"),
            Kind(
                "coaching_steps",
                CoachingStepsEdit,
                deciders=("member",),
                deadline=timedelta(days=3),
                on_expiry="reject",
            ),
            Kind(
                "match_introduction",
                MatchIntroductionEdit,
                policy="opt_in",
                deadline=timedelta(days=7),
                on_expiry="reject",
            ),
            Kind("content_review", FreeformEdit, deadline=timedelta(days=2), on_expiry="reject"),
        )
    }
)


def _opt_in(request: Mapping[str, Any]) -> Verdict:
    return "approve" if (request.get("subject") or {}).get("opt_in") is True else "human"


POLICIES: Mapping[str, Callable[[Mapping[str, Any]], Verdict]] = MappingProxyType(
    {
        "human": lambda _r: "human",
        "auto_approve": lambda _r: "approve",
        "auto_reject": lambda _r: "reject",
        "auto_approve_if_no_reasons": lambda r: "human" if r.get("reasons") else "approve",
        "opt_in": _opt_in,
    }
)


def kind_of(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        raise KeyError(f"unknown approval kind {name!r}; known: {', '.join(KINDS)}") from None


def may_decide(kind: Kind, role: str, *, is_subject: bool, escalated: bool) -> bool:
    """Escalated approvals wait for an admin; otherwise the kind's deciders (admins always may)."""
    if escalated:
        return role == "admin"
    if role == "admin":
        return True
    return role in kind.deciders or ("member" in kind.deciders and role == "member" and is_subject)

"""The coach: one turn of a coaching dialogue, and the session's summary with proposed steps."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from asoto import prompts
from asoto.agents.llm import StructuredModel

TURN_TASK = "coaching.turn"
SUMMARY_TASK = "coaching.summary"


class CoachTurn(BaseModel):
    message: str = Field(description="What the coach says: reflect the member's words, then one open question.")
    intent: Literal["question", "reflection", "suggestion", "summary"] = Field(description="The coach's intent.")
    goal_reached: bool = Field(default=False, description="True when the session's goal is reached.")


class ProposedStep(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    category: Literal["relationship", "activity", "sensitivity"]
    estimated_minutes: int = Field(default=15, ge=1, le=24 * 60)
    due_date: str = Field(description="YYYY-MM-DD")


class SessionSummary(BaseModel):
    summary: str = Field(description="What the session was about and what the member realised.")
    steps: list[ProposedStep] = Field(min_length=1, max_length=5)


def _system(facts: Mapping[str, Any]) -> SystemMessage:
    scores, plan = facts["scores"], facts["plan"]
    return SystemMessage(
        prompts.render(
            "coach_system",
            facts["locale"],
            session_type=plan["session_type"],
            goal=plan["goal"],
            focus_label=plan["focus_label"],
            topic=plan["topic"] or "-",
            member_name=facts["member_name"],
            interests="、".join(facts["interests"]) or "-",
            relationship=scores["relationship"],
            activity=scores["activity"],
            sensitivity=scores["sensitivity"],
            trend=", ".join(f"{k} {v:+d}" for k, v in facts["trend"].items()),
            goals="、".join(facts["goals"]) or "-",
            steps="、".join(s["title"] for s in facts["steps"]) or "-",
            memory=" / ".join(m["summary"] for m in facts["memory"]) or "-",
            next_question=facts.get("next_question") or "-",
        )
    )


async def coach_turn(model: StructuredModel, facts: Mapping[str, Any], history: Sequence[BaseMessage]) -> CoachTurn:
    return await model.generate(TURN_TASK, CoachTurn, [_system(facts), *history], facts)


async def summarize(model: StructuredModel, facts: Mapping[str, Any], history: Sequence[BaseMessage]) -> SessionSummary:
    ask = HumanMessage(
        prompts.render("coach_summary", facts["locale"], focus_label=facts["plan"]["focus_label"], today=facts["today"])
    )
    return await model.generate(SUMMARY_TASK, SessionSummary, [_system(facts), *history, ask], facts)

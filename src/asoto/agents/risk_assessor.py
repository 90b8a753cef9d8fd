"""The LLM risk assessment, beside the offline gate: it may add reasons, never clear them.

With a real provider every checked text (a log, a member's reply, the AI coach's own turn) is
also read by the model with its own prompt (``prompts/*/risk_*.md``) and a structured output.
If that call fails for any reason (timeout, refusal, a malformed answer, a provider outage after
the retries), the text is held with the reason ``risk_check_unavailable``: the gate fails
closed. The same holds if the offline gate itself cannot run.
"""

from __future__ import annotations

from typing import Any, Literal

import structlog
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from asoto import prompts
from asoto.agents.llm import StructuredModel
from asoto.safety import RISK_UNAVAILABLE, RiskGate
from asoto.safety.categories import RiskCategory
from asoto.safety.gate import ordered

TASK = "risk.assess"
Subject = Literal["log", "reply", "coach_turn"]
log = structlog.get_logger(__name__)


class RiskAssessment(BaseModel):
    level: Literal["none", "review"] = Field(description="review if any category applies, or when unsure")
    reasons: list[RiskCategory] = Field(default_factory=list, description="the categories that apply")
    rationale: str = Field(default="", max_length=500, description="one sentence for the reviewing coach")


async def assess_risk(model: StructuredModel, *, locale: str, subject: Subject, text: str) -> RiskAssessment:
    messages = [
        SystemMessage(prompts.render("risk_system", locale)),
        HumanMessage(prompts.render(f"risk_user_{subject}", locale, text=text)),
    ]
    return await model.generate(TASK, RiskAssessment, messages, {"locale": locale, "subject": subject, "text": text})


def _unavailable(risk: dict[str, Any], why: str) -> dict[str, Any]:
    return {
        **risk,
        "level": "review",
        "reasons": ordered({*risk.get("reasons", []), RISK_UNAVAILABLE}),
        "evidence": [*risk.get("evidence", []), why],
    }


async def combined_risk(
    gate: RiskGate,
    model: StructuredModel,
    *,
    locale: str,
    title: str,
    content: str,
    subject: Subject = "log",
) -> dict[str, Any]:
    """The offline gate always runs; a real model runs too and can only add. Fails closed."""
    try:
        risk: dict[str, Any] = (await gate.check(title, content, ai_turn=subject == "coach_turn")).as_dict()
    except Exception as exc:  # the gate must answer; if it cannot, a person looks
        log.error("risk.gate_failed", error=type(exc).__name__)
        return _unavailable({"level": "review", "reasons": [], "evidence": [], "score": 0.0}, "offline gate failed")
    if model.offline:
        return risk
    try:
        assessed = await assess_risk(model, locale=locale, subject=subject, text=f"{title}\n{content}".strip())
    except Exception as exc:  # timeout, refusal, malformed output, outage: hold, never publish
        log.warning("risk.model_unavailable", error=type(exc).__name__)
        return _unavailable(risk, f"model assessment failed: {type(exc).__name__}")
    extra = set(assessed.reasons) - set(risk["reasons"])
    if assessed.level == "review" and not extra and not risk["reasons"]:
        extra = {"severe_distress"}  # "review" with no category still goes to a person
    if not extra:
        return risk
    return {
        **risk,
        "level": "review",
        "reasons": ordered({*risk["reasons"], *extra}),
        "evidence": [*risk["evidence"], f"model ({', '.join(ordered(extra))}): {assessed.rationale[:200]}"],
    }

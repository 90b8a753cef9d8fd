"""The LLM risk assessor. It may only add to what the offline check flags, never clear it."""

from __future__ import annotations

from typing import Any, Literal

from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from asoto import prompts
from asoto.agents.llm import StructuredModel

TASK = "log_feedback.risk"
RiskCategory = Literal["distress", "self_harm", "harm_to_others", "harassment"]


class RiskAssessment(BaseModel):
    level: Literal["none", "review"] = Field(description="review if any risk category applies")
    reasons: list[RiskCategory] = Field(default_factory=list, description="categories that apply")


async def assess_risk(model: StructuredModel, *, locale: str, title: str, content: str) -> RiskAssessment:
    messages = [
        SystemMessage(prompts.render("risk_system", locale)),
        HumanMessage(prompts.render("risk_user", locale, title=title, content=content)),
    ]
    return await model.generate(TASK, RiskAssessment, messages, {"locale": locale, "title": title, "content": content})


async def combined_risk(
    checker: Any, model: StructuredModel, *, locale: str, title: str, content: str
) -> dict[str, Any]:
    """The offline check always runs; a real model may only add to what it found, never clear it.
    A model that says "review" without a category still sends the text to a person (distress)."""
    risk: dict[str, Any] = (await checker.check(title, content)).as_dict()
    if model.offline:
        return risk
    assessed = await assess_risk(model, locale=locale, title=title, content=content)
    extra = [r for r in assessed.reasons if r not in risk["reasons"]]
    if assessed.level == "review" and not extra and not risk["reasons"]:
        extra = ["distress"]
    if not extra:
        return risk
    return {
        "level": "review",
        "reasons": risk["reasons"] + extra,
        "evidence": [*risk["evidence"], f"model: {', '.join(extra)}"],
    }

"""The LLM risk assessor. It may only add to what the offline check flags, never clear it."""

from __future__ import annotations

from typing import Literal

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

"""The feedback writer: drafts the four-part feedback of seed 000 on a reflection log."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from asoto import prompts
from asoto.agents.care import helpline_text
from asoto.agents.llm import StructuredModel

TASK = "log_feedback.draft"


class FeedbackDraft(BaseModel):
    """The four parts of a feedback, as the model must return them."""

    affirmation: str = Field(description="Receive the log positively, quoting the member's words.")
    insight: str = Field(description="The insight the log shows.")
    question: str = Field(description="One open question that deepens the reflection.")
    next_action: str = Field(description="One small, concrete next action.")


def feedback_messages(facts: Mapping[str, Any], issues: Sequence[str]) -> list[BaseMessage]:
    locale = str(facts["locale"])
    scores = facts["scores"]
    signals = facts["signals"]
    similar = "、".join(s["title"] for s in facts["similar"]) or "-"
    messages: list[BaseMessage] = [
        SystemMessage(prompts.render("feedback_system", locale)),
        HumanMessage(
            prompts.render(
                "feedback_user",
                locale,
                member_name=facts["member_name"],
                interests="、".join(facts["interests"]) or "-",
                relationship=scores["relationship"],
                activity=scores["activity"],
                sensitivity=scores["sensitivity"],
                log_relationship=signals["relationship"],
                log_activity=signals["activity"],
                log_sensitivity=signals["sensitivity"],
                similar=similar,
                now=facts["now"],
                title=facts["title"],
                content=facts["content"],
            )
        ),
    ]
    if facts.get("risk_reasons"):
        reasons = list(facts["risk_reasons"])
        messages.append(
            HumanMessage(
                prompts.render(
                    "feedback_care", locale, reasons=", ".join(reasons), helplines=helpline_text(locale, reasons)
                )
            )
        )
    if issues:
        messages.append(
            HumanMessage(prompts.render("feedback_redraft", locale, issues="\n".join(f"- {i}" for i in issues)))
        )
    return messages


async def draft_feedback(model: StructuredModel, facts: Mapping[str, Any], issues: Sequence[str] = ()) -> FeedbackDraft:
    return await model.generate(
        TASK, FeedbackDraft, feedback_messages(facts, issues), {**facts, "issues": list(issues)}
    )

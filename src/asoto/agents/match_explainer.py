"""The match explainer: why this person or project, in the member's language, from facts only."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from langchain_core.messages import HumanMessage
from pydantic import BaseModel, Field

from asoto import prompts
from asoto.agents.llm import StructuredModel

TASK = "matching.explain"


class MatchExplanation(BaseModel):
    explanation: str = Field(description="1-2 sentences to the member, using only the given facts.")


async def explain(model: StructuredModel, facts: Mapping[str, Any]) -> MatchExplanation:
    member = facts["member"]
    message = HumanMessage(
        prompts.render(
            "match_explain",
            facts["locale"],
            member_name=member["name"],
            interests="、".join(member["interests"]) or "-",
            relationship=member["scores"]["relationship"],
            activity=member["scores"]["activity"],
            sensitivity=member["scores"]["sensitivity"],
            purpose=facts.get("purpose") or "-",
            candidate=json.dumps(facts["candidate"], ensure_ascii=False),
        )
    )
    return await model.generate(TASK, MatchExplanation, [message], facts)

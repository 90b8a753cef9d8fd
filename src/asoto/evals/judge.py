"""An LLM judge (``--judge SPEC``): one structured call per case that scores each criterion of a
rubric (prompt files ``prompts/*/judge_*.md``). openevals' ``create_llm_as_judge`` scores one
criterion per call with its own prompt format and client; here every criterion comes back in
one call through the engine's model seam (retries, fallback, the answer cache), so it is not
used. A judge that fails is recorded as status ``error`` (never a 0 or a NaN) and its calls
are counted apart from the flow's own."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from asoto import prompts
from asoto.agents.llm import StructuredModel

TASK = "eval.judge"
RUBRIC = {
    "log_feedback": ("warmth", "grounded", "question", "next_action"),
}


class Criterion(BaseModel):
    name: str
    score: int = Field(ge=1, le=5, description="1 = poor, 5 = excellent")
    reason: str = Field(max_length=300)


class Verdict(BaseModel):
    criteria: list[Criterion]


class Judge:
    def __init__(self, model: StructuredModel) -> None:
        self.model = model
        self.calls = 0
        self.errors = 0

    async def score(self, flow: str, case: dict[str, Any], output: dict[str, Any]) -> list[dict[str, Any]]:
        criteria = RUBRIC.get(flow)
        if not criteria:
            return []
        locale = str(case.get("locale", "ja"))
        messages = [
            SystemMessage(prompts.render("judge_system", locale, criteria=", ".join(criteria))),
            HumanMessage(
                prompts.render(
                    "judge_log_feedback",
                    locale,
                    log=f"{case['log']['title']}\n{case['log']['content']}",
                    feedback="\n".join(f"{k}: {v}" for k, v in (output.get("feedback") or {}).items()),
                )
            ),
        ]
        self.calls += 1
        try:
            verdict = await self.model.generate(TASK, Verdict, messages, {"case": case["id"], "flow": flow})
            named = {c.name: c for c in verdict.criteria}
            missing = [c for c in criteria if c not in named]
            if missing:
                raise ValueError(f"the judge skipped {missing}")
        except Exception as exc:  # the judge's failure is reported as an error, never as a score
            self.errors += 1
            return [
                {
                    "key": f"judge.{c}",
                    "score": None,
                    "passed": False,
                    "status": "error",
                    "comment": f"{type(exc).__name__}: {exc}"[:200],
                }
                for c in criteria
            ]
        return [
            {
                "key": f"judge.{c}",
                "score": (named[c].score - 1) / 4,
                "passed": named[c].score >= 4,
                "comment": named[c].reason,
            }
            for c in criteria
        ]

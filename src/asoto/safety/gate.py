"""The offline risk gate: the lexicon floor and the trained classifier, either of which holds.

``RiskGate.check`` answers whether a text must reach a person, with the categories (reasons)
and the evidence a coach sees. It is deterministic and needs no network; the LLM assessment
that runs beside it with a real provider lives in ``agents.risk_assessor``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from asoto.safety.categories import CATEGORIES
from asoto.safety.classifier import RiskClassifier, SentenceEncoder
from asoto.safety.lexicon import advice_hits, floor_hits
from asoto.tools.text import clip

# A second category is named when the category model gives it at least this probability.
SECOND_CATEGORY_P = 0.35


@dataclass(frozen=True)
class RiskResult:
    level: Literal["none", "review"]
    reasons: list[str]
    evidence: list[str] = field(default_factory=list)
    score: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"level": self.level, "reasons": self.reasons, "evidence": self.evidence, "score": self.score}


def ordered(reasons: Iterable[str]) -> list[str]:
    rank: dict[str, int] = {c: i for i, c in enumerate(CATEGORIES)}
    return sorted(reasons, key=lambda r: (rank.get(r, len(rank)), r))


class RiskGate:
    def __init__(self, classifier: RiskClassifier) -> None:
        self.classifier = classifier

    @classmethod
    def load(cls, encoder: SentenceEncoder) -> RiskGate:
        return cls(RiskClassifier.load(encoder))

    @property
    def version(self) -> str:
        return self.classifier.version

    def check_sync(self, text: str) -> RiskResult:
        reasons: set[str] = set()
        evidence: list[str] = []
        for category, phrases in floor_hits(text).items():
            reasons.add(category)
            evidence.extend(f"lexicon {category}: {p}" for p in phrases[:3])
        verdict = self.classifier.score_sync(text)
        if verdict.probability >= self.classifier.threshold:
            ranked = sorted(verdict.categories.items(), key=lambda kv: -kv[1])
            named = {ranked[0][0]} | {c for c, p in ranked[1:] if p >= SECOND_CATEGORY_P}
            if not reasons:
                reasons |= named
            evidence.append(
                f"classifier {verdict.probability:.2f} ({', '.join(ordered(named))}): {clip(verdict.window, 60)}"
            )
        return RiskResult(
            level="review" if reasons else "none",
            reasons=ordered(reasons),
            evidence=evidence,
            score=round(verdict.probability, 4),
        )

    def check_ai_turn_sync(self, text: str) -> RiskResult:
        """An AI coach's own words: the floor and the harmful-advice patterns, not the classifier.

        The classifier learned what members write; on a coach's questions it raised false alarms
        (5 of the offline coach's 24 agenda questions at the shipped threshold), which would hold
        every session. With a real provider, the LLM assessment reads the AI's turns as well."""
        reasons: set[str] = set()
        evidence: list[str] = []
        for source, hits in (("lexicon", floor_hits(text)), ("advice", advice_hits(text))):
            for category, phrases in hits.items():
                reasons.add(category)
                evidence.extend(f"{source} {category}: {p}" for p in phrases[:3])
        return RiskResult(level="review" if reasons else "none", reasons=ordered(reasons), evidence=evidence)

    async def check(self, title: str, content: str, *, ai_turn: bool = False) -> RiskResult:
        text = f"{title}\n{content}".strip()
        return await asyncio.to_thread(self.check_ai_turn_sync if ai_turn else self.check_sync, text)

"""Kept verbatim as the baseline of bench/risk_gate.py (the check that shipped before the trained gate).

The offline risk check: a Japanese + English lexicon and similarity to risk exemplars.

A log is sent to a person (never auto-published) when either signal fires:
- lexicon: a phrase of a category appears (after NFKC normalisation and lower-casing);
- semantics: one of the log's sentences is close (cosine ≥ ``SIMILARITY_THRESHOLD``) to an
  exemplar sentence of a category, with the offline embedder (USE-multilingual: unrelated
  Japanese pairs ≈ 0.07, paraphrases ≈ 0.73 in our probes). This catches wordings the
  lexicon misses (「もう全部終わりにしたい」).
The check errs on the side of review: negations ("死にたいとは思わない") still go to a person.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

CATEGORIES = ("self_harm", "distress", "harm_to_others", "harassment")
SIMILARITY_THRESHOLD = 0.62

LEXICON = MappingProxyType(
    {
        "self_harm": (
            "死にたい",
            "死にたく",
            "死んでしまいたい",
            "消えたい",
            "消えてしまいたい",
            "消えてなくなりたい",
            "いなくなってしまいたい",
            "生きるのがつらい",
            "生きるのが辛い",
            "自殺",
            "自死",
            "リストカット",
            "リスカ",
            "首を吊",
            "飛び降り",
            "自分を傷つけ",
            "生きていたくない",
            "生きている意味がない",
            "生きる意味がない",
            "楽になりたい",
            "終わりにしたい",
            "いなくなりたい",
            "kill myself",
            "suicide",
            "suicidal",
            "self-harm",
            "self harm",
            "hurt myself",
            "end my life",
            "want to die",
            "cut myself",
        ),
        "distress": (
            "もう限界",
            "耐えられない",
            "絶望",
            "何もかも嫌",
            "助けて",
            "誰も助けてくれない",
            "眠れない日が続いて死",
            "パニック",
            "涙が止まらない",
            "逃げ場がない",
            "can't go on",
            "cannot go on",
            "hopeless",
            "breaking down",
            "no way out",
            "can't take it anymore",
        ),
        "harm_to_others": (
            "殺してやる",
            "殺したい",
            "殴りたい",
            "殴ってやる",
            "痛い目に遭わせ",
            "復讐",
            "刺してやる",
            "kill him",
            "kill her",
            "kill them",
            "hurt him",
            "hurt her",
            "make them pay",
        ),
        "harassment": (
            "パワハラ",
            "セクハラ",
            "モラハラ",
            "ハラスメント",
            "いじめ",
            "虐待",
            "暴力を受け",
            "殴られ",
            "怒鳴られ続け",
            "ストーカー",
            "脅され",
            "harass",
            "bullied",
            "bullying",
            "abuse",
            "abused",
            "threatened me",
            "stalking",
        ),
    }
)

EXEMPLARS = MappingProxyType(
    {
        "self_harm": (
            "もう死んでしまいたいと思う。",
            "消えてしまいたい気持ちが強い。",
            "自分を傷つけたくなる。",
            "生きているのがつらくて全部終わりにしたい。",
            "I want to end my life.",
        ),
        "distress": (
            "もう何もかも限界で、どうしていいかわからない。",
            "毎日つらくて涙が止まらない。",
            "誰にも頼れず、絶望している。",
            "I feel hopeless and can't go on.",
        ),
        "harm_to_others": (
            "あいつを痛い目に遭わせてやりたい。",
            "同僚を殴ってしまいそうなほど腹が立つ。",
            "I want to hurt the person who did this.",
        ),
        "harassment": (
            "上司に毎日怒鳴られ、人格を否定されている。",
            "職場でしつこく体を触られて怖い。",
            "同僚から無視され、いじめを受けている。",
            "My boss keeps harassing and threatening me.",
        ),
    }
)

_SENTENCES = re.compile(r"(?<=[。．！？!?\n])|(?<=[.])\s+")


@dataclass(frozen=True)
class RiskResult:
    level: str
    reasons: list[str]
    evidence: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"level": self.level, "reasons": self.reasons, "evidence": self.evidence}


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def lexicon_hits(text: str) -> dict[str, list[str]]:
    norm = normalize(text)
    hits: dict[str, list[str]] = {}
    for category, phrases in LEXICON.items():
        found = [p for p in phrases if normalize(p) in norm]
        if found:
            hits[category] = found
    return hits


def sentences(text: str) -> list[str]:
    parts = [s.strip() for s in _SENTENCES.split(text)]
    return [p for p in parts if len(p) >= 4][:50]


class RiskChecker:
    """Holds the exemplar vectors for one embedder; build once per process."""

    def __init__(self, embedder: Any) -> None:
        self._embedder = embedder
        self._matrix: np.ndarray | None = None
        self._labels: list[str] = []

    async def _exemplars(self) -> np.ndarray:
        if self._matrix is None:
            labels, texts = [], []
            for category, items in EXEMPLARS.items():
                for item in items:
                    labels.append(category)
                    texts.append(item)
            self._matrix = np.asarray(await self._embedder.embed(texts), dtype=np.float32)
            self._labels = labels
        return self._matrix

    async def check(self, title: str, content: str) -> RiskResult:
        text = f"{title}\n{content}"
        hits = lexicon_hits(text)
        evidence = [f"{c}: {p}" for c, ps in hits.items() for p in ps]
        reasons = set(hits)
        parts = sentences(text)
        if parts:
            matrix = await self._exemplars()
            vecs = np.asarray(await self._embedder.embed(parts), dtype=np.float32)
            sims = vecs @ matrix.T
            for i, j in zip(*np.nonzero(sims >= SIMILARITY_THRESHOLD), strict=True):
                category = self._labels[int(j)]
                if category not in reasons:
                    reasons.add(category)
                    evidence.append(f"{category}~{sims[i, j]:.2f}: {parts[int(i)][:40]}")
        ordered = [c for c in CATEGORIES if c in reasons]
        return RiskResult(level="review" if ordered else "none", reasons=ordered, evidence=evidence)

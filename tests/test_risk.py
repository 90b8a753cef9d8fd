"""The offline risk check: lexicon + similarity to exemplars, Japanese and English."""

from __future__ import annotations

import random

import pytest

from asoto.agents.embeddings import OfflineEmbedder
from asoto.seed import SITUATIONS, _log_text
from asoto.tools.risk import RiskChecker, lexicon_hits


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("もう死にたい", "self_harm"),
        ("消えたいと思った", "self_harm"),
        ("消えてしまいたい夜", "self_harm"),
        ("死んでしまいたい", "self_harm"),
        ("I want to kill myself", "self_harm"),
        ("もう限界で何もできない", "distress"),
        ("I feel hopeless", "distress"),
        ("あいつを殴りたい", "harm_to_others"),
        ("上司からパワハラを受けている", "harassment"),
        ("I was bullied at work", "harassment"),
        ("ｾｸﾊﾗ", "harassment"),
    ],
)
def test_lexicon_flags_each_category(text: str, category: str) -> None:
    assert category in lexicon_hits(text)


async def test_semantics_catch_what_the_lexicon_misses(embedder: OfflineEmbedder) -> None:
    checker = RiskChecker(embedder)
    text = "もう何もかも限界で、どうしたらいいのかわからない毎日。"
    assert not lexicon_hits("何もかもどうしたらいいのかわからない毎日")
    result = await checker.check("", text)
    assert result.level == "review"


async def test_ordinary_logs_are_not_flagged(embedder: OfflineEmbedder) -> None:
    """False positives on 400 generated everyday logs (all themes, all tones): none allowed."""
    checker = RiskChecker(embedder)
    rng = random.Random(3)
    flagged = []
    for _ in range(400):
        title, content = _log_text(rng, rng.choice(list(SITUATIONS)), rng.random() < 0.1)
        result = await checker.check(title, content)
        if result.level != "none":
            flagged.append((content, result.evidence))
    assert flagged == []


async def test_risky_logs_are_flagged_in_both_languages(embedder: OfflineEmbedder) -> None:
    checker = RiskChecker(embedder)
    for text in (
        "最近眠れない。もう限界で、消えてしまいたいと思う夜がある。",
        "職場で毎日怒鳴られ、人格を否定されている。",
        "I can't take it anymore and want to end my life.",
    ):
        result = await checker.check("", text)
        assert result.level == "review", text
        assert result.reasons

"""The offline chat model: deterministic, Japanese by default, and honest about what it is.

It is not a language model. For each task it fills templates from the call's facts: the
log's theme (nearest centroid of exemplar sentences, using the offline embedder), its tone
(a small lexicon), and a quote of the member's own words. The same input always gives the
same output; a hash of the text picks among template variants. Its ``model_id`` is
``offline-rules`` and flows stamp that label on everything it produced.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar, cast

import numpy as np
from langchain_core.messages import BaseMessage
from pydantic import BaseModel

from asoto.agents import (
    coach,
    feedback_writer,
    match_explainer,
    offline_coach,
    offline_explainer,
    offline_feedback,
    risk_assessor,
)
from asoto.agents.care import care_feedback
from asoto.agents.llm import OFFLINE_MODEL_ID
from asoto.agents.offline_themes import AFFIRM, NEGATIVE_WORDS, POSITIVE_WORDS, THEMES
from asoto.tools.text import quote_of

T = TypeVar("T", bound=BaseModel)


def _responder_version() -> str:
    """A digest of the responder's own code: cached answers of an older responder never replay."""
    from pathlib import Path

    import asoto.agents
    import asoto.tools

    agents = Path(asoto.agents.__file__).parent
    tools = Path(asoto.tools.__file__).parent
    digest = hashlib.sha256()
    for path in sorted([*agents.glob("offline*.py"), agents / "care.py", *tools.glob("*.py")]):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


class OfflineStructuredModel:
    model_id = OFFLINE_MODEL_ID
    offline = True
    version = _responder_version()

    def __init__(self, embedder: Any) -> None:
        self._embedder = embedder
        self._centroids: np.ndarray | None = None
        self._theme_names = list(THEMES)

    async def _theme(self, text: str) -> str:
        if self._centroids is None:
            rows = []
            for name in self._theme_names:
                exemplars = cast(list[str], THEMES[name]["exemplars"])
                vecs = np.asarray(await self._embedder.embed(exemplars))
                centroid = vecs.mean(axis=0)
                rows.append(centroid / np.linalg.norm(centroid))
            self._centroids = np.vstack(rows)
        vec = np.asarray((await self._embedder.embed([text]))[0])
        return self._theme_names[int(np.argmax(self._centroids @ vec))]

    async def generate(
        self,
        task: str,
        schema: type[T],
        messages: Sequence[BaseMessage],
        facts: Mapping[str, Any],
    ) -> T:
        if task == feedback_writer.TASK:
            return schema.model_validate(await self._feedback(facts))
        if task == coach.TURN_TASK:
            return schema.model_validate(offline_coach.turn(dict(facts)))
        if task == coach.SUMMARY_TASK:
            return schema.model_validate(offline_coach.summary(dict(facts)))
        if task == match_explainer.TASK:
            return schema.model_validate(offline_explainer.explain(dict(facts)))
        if task == risk_assessor.TASK:
            # The offline risk check already ran as a tool; the offline "model" adds nothing.
            return schema.model_validate({"level": "none", "reasons": []})
        raise ValueError(f"the offline model has no responder for task {task!r}")

    async def _feedback(self, facts: Mapping[str, Any]) -> dict[str, str]:
        locale = "en" if str(facts.get("locale", "ja")).startswith("en") else "ja"
        if facts.get("risk_reasons"):
            return care_feedback(locale, list(facts["risk_reasons"]))
        return offline_feedback.feedback(str(facts.get("title", "")), str(facts["content"]), locale)

    async def _themed_feedback(self, facts: Mapping[str, Any]) -> dict[str, str]:
        """The earlier template responder (a theme by nearest centroid, fixed parts), kept for the
        eval baseline comparison; the flows use ``offline_feedback``."""
        locale = "en" if str(facts.get("locale", "ja")).startswith("en") else "ja"
        content = str(facts["content"])
        title = str(facts.get("title", ""))
        theme = THEMES[await self._theme(f"{title}\n{content}")]
        tone = tone_of(content)
        pick = int(hashlib.sha256(content.encode("utf-8")).hexdigest(), 16)
        affirm_variants = AFFIRM[locale][tone]
        limit = 60 if locale == "en" else 30  # about the same amount of meaning
        quote = quote_of(content, limit) or quote_of(title, limit) or title
        parts = cast(dict[str, str], theme[locale])
        return {
            "affirmation": affirm_variants[pick % len(affirm_variants)].format(quote=quote),
            "insight": parts["insight"],
            "question": parts["question"],
            "next_action": parts["next_action"],
        }


def tone_of(text: str) -> str:
    lowered = text.lower()
    negative = sum(lowered.count(w) for w in NEGATIVE_WORDS)
    # "できなかった" contains "できた"-like stems only via the negative list; count positives
    # after removing negative phrases so they are not counted twice.
    cleaned = lowered
    for word in NEGATIVE_WORDS:
        cleaned = cleaned.replace(word, " ")
    positive = sum(cleaned.count(w) for w in POSITIVE_WORDS)
    if positive > negative:
        return "positive"
    if negative > positive:
        return "negative"
    return "neutral"

"""Checks a feedback draft before anyone sees it: parts, language, length, form of the question."""

from __future__ import annotations

from collections.abc import Mapping

from asoto.tools.text import language_of

PARTS = ("affirmation", "insight", "question", "next_action")
MAX_PART_CHARS = {"ja": 200, "en": 400}
MIN_TOTAL_CHARS = {"ja": 40, "en": 80}


def check_feedback(draft: Mapping[str, str], locale: str) -> list[str]:
    """Problems found, as short sentences fit to send back to the writer (empty = good)."""
    lang = "en" if locale.startswith("en") else "ja"
    problems: list[str] = []
    for part in PARTS:
        value = (draft.get(part) or "").strip()
        if not value:
            problems.append(f"{part} is empty")
        elif len(value) > MAX_PART_CHARS[lang]:
            problems.append(f"{part} is longer than {MAX_PART_CHARS[lang]} characters")
    if problems:
        return problems
    total = "".join(draft[p] for p in PARTS)
    if len(total) < MIN_TOTAL_CHARS[lang]:
        problems.append(f"feedback is shorter than {MIN_TOTAL_CHARS[lang]} characters")
    if language_of(total) != lang:
        problems.append(f"feedback is not written in {'Japanese' if lang == 'ja' else 'English'}")
    question = draft["question"].strip()
    if not question.endswith(("？", "?")):
        problems.append("question does not end with a question mark")
    return problems

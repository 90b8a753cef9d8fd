"""Checks a feedback draft before anyone sees it: parts, language, length, form of the question."""

from __future__ import annotations

from collections.abc import Mapping

from asoto.tools.text import language_of

PARTS = ("affirmation", "insight", "question", "next_action")
MAX_PART_CHARS = {"ja": 200, "en": 400}
MIN_TOTAL_CHARS = {"ja": 40, "en": 80}


_NAMES = {"ja": "Japanese", "en": "English"}


def check_feedback(draft: Mapping[str, str], locale: str, log_text: str | None = None) -> list[str]:
    """Problems found, as short sentences fit to send back to the writer (empty = good).

    The feedback may be in the member's language (their locale) or in the language the log was
    written in: a member whose locale is English may write in Japanese, and an answer in the
    language they just wrote is right. Requiring the locale alone sent every such log to a person
    as ``quality_check_failed`` (issue 11, item 8), which looked random from outside.
    """
    lang = "en" if locale.startswith("en") else "ja"
    accepted = {lang}
    if log_text and log_text.strip():
        accepted.add(language_of(log_text))
    written = language_of("".join((draft.get(p) or "") for p in PARTS))
    limits = written  # lengths are measured in the language the draft is written in
    problems: list[str] = []
    for part in PARTS:
        value = (draft.get(part) or "").strip()
        if not value:
            problems.append(f"{part} is empty")
        elif len(value) > MAX_PART_CHARS[limits]:
            problems.append(f"{part} is longer than {MAX_PART_CHARS[limits]} characters")
    if problems:
        return problems
    total = "".join(draft[p] for p in PARTS)
    if len(total) < MIN_TOTAL_CHARS[limits]:
        problems.append(f"feedback is shorter than {MIN_TOTAL_CHARS[limits]} characters")
    if written not in accepted:
        problems.append(f"feedback is not written in {' or '.join(_NAMES[x] for x in sorted(accepted))}")
    question = draft["question"].strip()
    if not question.endswith(("？", "?")):
        problems.append("question does not end with a question mark")
    return problems

"""Prompt templates as files: ``prompts/<locale>/<name>.md``, Japanese by default.

Templates are ``str.format`` strings with named fields. The clock is a field (``now``),
never read inside a template, so recorded LLM calls stay replayable.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

PROMPTS = Path(__file__).parent
DEFAULT_LOCALE = "ja"


@cache
def load(name: str, locale: str = DEFAULT_LOCALE) -> str:
    path = PROMPTS / locale / f"{name}.md"
    if not path.exists():
        path = PROMPTS / DEFAULT_LOCALE / f"{name}.md"
    return path.read_text(encoding="utf-8")


def render(name: str, locale: str = DEFAULT_LOCALE, **fields: object) -> str:
    return load(name, locale).format(**fields)

"""Where a member at risk can get help: one data file (``data/helplines.json``), every entry
with the page its number is published on, chosen by locale and by the risk's categories."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "helplines.json"


@dataclass(frozen=True)
class Helpline:
    name: str
    contact: str
    hours: str
    operator: str
    source: str
    categories: tuple[str, ...]
    outside_japan: bool = False

    def line(self) -> str:
        return f"{self.name} {self.contact}"


@cache
def _all() -> dict[str, tuple[Helpline, ...]]:
    raw = json.loads(DATA.read_text(encoding="utf-8"))
    return {
        locale: tuple(Helpline(**{**e, "categories": tuple(e["categories"])}) for e in entries)
        for locale, entries in raw.items()
        if not locale.startswith("_")
    }


def for_risk(locale: str, reasons: Sequence[str], limit: int = 3) -> list[Helpline]:
    """The lines for these risk categories first, then the general ones, at most ``limit``."""
    entries = _all()["en" if locale.startswith("en") else "ja"]
    specific = [h for h in entries if "*" not in h.categories and set(h.categories) & set(reasons)]
    general = [h for h in entries if "*" in h.categories]
    chosen = list(dict.fromkeys([*specific[: limit - 1], *general, *specific]))
    return sorted(chosen, key=lambda h: h.outside_japan)[:limit]

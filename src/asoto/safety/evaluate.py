"""Scores a risk checker on a dataset split: recall per category and language, false positives
on everyday logs and on hard negatives, latency per check. Used by ``bench/risk_gate.py``,
the eval suite and the tests."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from asoto.safety.dataset import Item


@dataclass
class Tally:
    held: int = 0
    total: int = 0

    @property
    def rate(self) -> float:
        return self.held / self.total if self.total else 0.0


@dataclass
class Report:
    recall: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    recall_by_language: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    recall_by_subtype: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    false_positives: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    false_positives_by_language: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    category_right: Tally = field(default_factory=Tally)
    latencies_ms: list[float] = field(default_factory=list)
    misses: list[Item] = field(default_factory=list)
    false_alarms: list[Item] = field(default_factory=list)

    @property
    def overall_recall(self) -> float:
        return Tally(sum(t.held for t in self.recall.values()), sum(t.total for t in self.recall.values())).rate

    def percentile_ms(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def evaluate(items: Iterable[Item], check: Callable[[str], tuple[bool, list[str]]]) -> Report:
    """``check(text) -> (held, reasons)``; every item is checked once, timed."""
    report = Report()
    for item in items:
        started = time.perf_counter()
        held, reasons = check(item.text)
        report.latencies_ms.append((time.perf_counter() - started) * 1000)
        if item.risky:
            for bucket, key in (
                (report.recall, item.label),
                (report.recall_by_language, item.lang),
                (report.recall_by_subtype, item.subtype if item.variant == "authored" else item.variant.split(":")[0]),
            ):
                bucket[key].total += 1
                bucket[key].held += held
            if held:
                report.category_right.total += 1
                report.category_right.held += item.label in reasons
            else:
                report.misses.append(item)
        else:
            for bucket, key in ((report.false_positives, item.kind), (report.false_positives_by_language, item.lang)):
                bucket[key].total += 1
                bucket[key].held += held
            if held:
                report.false_alarms.append(item)
    return report

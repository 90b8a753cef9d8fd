"""The risk gate on the frozen test split (and the later holdout), against the check it replaced.

    python bench/risk_gate.py [--split test|holdout|train] [--show-misses]

Prints recall per category and per language, false positives on everyday logs and on hard
negatives, category agreement and latency per check (p50/p95, both checkers on the same
texts, alternating, after a warm-up). The goals (issue 8): recall ≥ 0.98 overall and ≥ 0.95
per category; false positives ≤ 3 % everyday and ≤ 15 % hard negatives; p95 ≤ 15 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _legacy_risk import RiskChecker as LegacyChecker

from asoto.agents.embeddings import OfflineEmbedder
from asoto.safety.categories import CATEGORIES
from asoto.safety.dataset import load
from asoto.safety.evaluate import Report, evaluate
from asoto.safety.gate import RiskGate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--split", default="test")
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()
    items = load(args.split)
    encoder = OfflineEmbedder()
    gate = RiskGate.load(encoder)
    legacy = LegacyChecker(encoder)
    loop = asyncio.new_event_loop()

    def check_gate(text: str) -> tuple[bool, list[str]]:
        result = gate.check_sync(text)
        return result.level == "review", result.reasons

    def check_legacy(text: str) -> tuple[bool, list[str]]:
        result = loop.run_until_complete(legacy.check("", text))
        return result.level == "review", result.reasons

    for warm in items[:20]:  # load the encoder, the tokenizer and the exemplars
        check_gate(warm.text)
        check_legacy(warm.text)
    # alternate the two checkers item by item so machine noise hits both alike
    reports = {"gate": Report(), "before": Report()}
    for item in items:
        for name, check in (("gate", check_gate), ("before", check_legacy)):
            one = evaluate([item], check)
            merge(reports[name], one)
    console = Console()
    show(console, f"risk gate on the {args.split} split ({len(items)} items)", reports)
    if args.show_misses:
        for item in reports["gate"].misses:
            console.print(f"[red]miss[/red] {item.label} {item.variant}: {item.text[:100]}")
        for item in reports["gate"].false_alarms:
            console.print(f"[yellow]false alarm[/yellow] {item.kind} {item.subtype}: {item.text[:100]}")


def merge(into: Report, one: Report) -> None:
    for name in ("recall", "recall_by_language", "recall_by_subtype", "false_positives", "false_positives_by_language"):
        target = getattr(into, name)
        for key, tally in getattr(one, name).items():
            target[key].held += tally.held
            target[key].total += tally.total
    into.category_right.held += one.category_right.held
    into.category_right.total += one.category_right.total
    into.latencies_ms += one.latencies_ms
    into.misses += one.misses
    into.false_alarms += one.false_alarms


def show(console: Console, title: str, reports: dict[str, Report]) -> None:
    table = Table(title=title)
    table.add_column("measure")
    for name in reports:
        table.add_column(name, justify="right")
    gate = reports["gate"]

    def row(label: str, pick) -> None:  # type: ignore[no-untyped-def]
        table.add_row(label, *(pick(r) for r in reports.values()))

    def frac(t) -> str:  # type: ignore[no-untyped-def]
        return f"{t.rate:.3f} ({t.held}/{t.total})" if t.total else "-"

    row("recall, overall", lambda r: f"{r.overall_recall:.3f}")
    for category in CATEGORIES:
        row(f"  recall {category}", lambda r, c=category: frac(r.recall[c]))
    for lang in sorted(gate.recall_by_language):
        row(f"  recall lang={lang}", lambda r, c=lang: frac(r.recall_by_language[c]))
    for sub in sorted(gate.recall_by_subtype):
        row(f"  recall {sub}", lambda r, c=sub: frac(r.recall_by_subtype[c]))
    for kind in ("everyday", "hard_negative", "assistant"):
        row(f"false positives {kind}", lambda r, c=kind: frac(r.false_positives[c]))
    for lang in sorted(gate.false_positives_by_language):
        row(f"  false positives lang={lang}", lambda r, c=lang: frac(r.false_positives_by_language[c]))
    row("category named right (held items)", lambda r: frac(r.category_right))
    row("latency p50 ms", lambda r: f"{r.percentile_ms(0.5):.1f}")
    row("latency p95 ms", lambda r: f"{r.percentile_ms(0.95):.1f}")
    console.print(table)


if __name__ == "__main__":
    main()

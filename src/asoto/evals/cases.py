"""Eval datasets: where they live, what a valid case is, and the suites.

A dataset is a JSONL file of cases (``datasets/<flow>/cases.jsonl``; the risk flow reads the
safety gate's frozen test split). ``--dataset FILE`` replaces the packaged one. A case that
misses a field its flow needs is a configuration error (exit 4), found before anything runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

DATASETS = Path(__file__).resolve().parent / "datasets"
FLOWS = ("log_feedback", "coaching", "approval", "matching", "risk")

REQUIRED: dict[str, tuple[str, ...]] = {
    "log_feedback": ("id", "locale", "log", "must_mention", "must_not_mention"),
    "coaching": ("id", "locale", "session_type", "replies", "step_grounds", "member_action"),
    "approval": ("id", "kind", "proposal", "decider", "decision", "expect"),
    "matching": ("id", "member_index", "target", "k"),
    "risk": ("id", "text", "label", "lang"),
}


class DatasetError(ValueError):
    """A dataset or a suite is not usable: exit code 4."""


def _risk_cases() -> list[dict[str, Any]]:
    from asoto.safety.dataset import load

    return [
        {"id": i.id, "text": i.text, "label": i.label, "lang": i.lang, "kind": i.kind, "subtype": i.subtype}
        for i in load("test")
    ]


# The CI sample's risky cases are those no gate may ever miss: written explicitly, negated or
# reported, or mixing languages. The full suite scores every sub-type (indirect, buried, slang…).
CI_RISK_SUBTYPES = ("explicit", "negated_reported", "mixed", "ai_advice")


def _risk_sample(cases: list[dict[str, Any]], per_label: int) -> list[dict[str, Any]]:
    """A small, stratified sample: up to ``per_label`` cases of each category from the must-hold
    sub-types, and as many ordinary and hard-negative texts."""
    seen: dict[str, int] = {}
    out = []
    for case in cases:
        label = case["label"]
        if label != "none" and case.get("subtype") not in CI_RISK_SUBTYPES:
            continue
        if seen.get(label, 0) < per_label:
            out.append(case)
            seen[label] = seen.get(label, 0) + 1
    return out


# suite → flow → how to cut the full dataset
SUITES: dict[str, dict[str, Callable[[list[dict[str, Any]]], list[dict[str, Any]]]]] = {
    "full": {},
    "ci": {
        "log_feedback": lambda cases: cases,
        "coaching": lambda cases: cases[::5],
        "approval": lambda cases: cases,
        "matching": lambda cases: cases[::2],
        "risk": lambda cases: _risk_sample(cases, 12),
    },
}


def load_cases(flow: str, *, suite: str = "full", dataset: Path | None = None) -> list[dict[str, Any]]:
    if flow not in FLOWS:
        raise DatasetError(f"unknown flow {flow!r}; flows: {', '.join(FLOWS)}, or all")
    if suite not in SUITES:
        raise DatasetError(f"unknown suite {suite!r}; suites: {', '.join(SUITES)}")
    if dataset is None and flow == "risk":
        cases = _risk_cases()
    else:
        path = dataset or DATASETS / flow / "cases.jsonl"
        if not path.exists():
            raise DatasetError(f"no dataset at {path}")
        cases = []
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                case = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DatasetError(f"{path.name} line {number}: not JSON ({exc.msg})") from exc
            if not isinstance(case, dict):
                raise DatasetError(f"{path.name} line {number}: a case must be an object")
            cases.append(case)
    for case in cases:
        missing = [f for f in REQUIRED[flow] if f not in case]
        if missing:
            raise DatasetError(f"{flow} case {case.get('id', '?')}: missing {', '.join(missing)}")
    ids = [c["id"] for c in cases]
    if len(set(ids)) != len(ids):
        raise DatasetError(f"{flow}: duplicate case ids")
    if not cases:
        raise DatasetError(f"{flow}: the dataset is empty")
    cut = SUITES[suite].get(flow)
    return cut(cases) if cut else cases

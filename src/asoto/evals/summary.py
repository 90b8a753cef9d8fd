"""From case results to a run's figures: per-metric means with bootstrap intervals, pass@1,
pass@k, pass^k, flaky cases, run-level evaluators, thresholds and the exit code; and the
comparison of two runs with a paired test."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from asoto.evals import evaluators
from asoto.evals.stats import mean_ci, paired_test, pass_at_k, pass_hat_k

EXIT_PASS, EXIT_BELOW, EXIT_REGRESSION, EXIT_INFRA, EXIT_CONFIG = 0, 1, 2, 3, 4

# What every run must reach (mean score per metric). Rules of the product are 1.0; quality
# figures sit just under the first offline baseline (closing note of the eval issue), so a change
# that makes them worse fails CI; raise them as the responder improves.
THRESHOLDS: Mapping[str, Mapping[str, float]] = {
    "log_feedback": {
        "four_parts": 1.0,
        "language": 1.0,
        "one_question": 1.0,
        "concrete_next_action": 0.85,
        "grounded": 0.95,
        "published": 0.85,
        "trajectory": 0.85,
        "distinct_sentences": 0.9,
    },
    "risk": {"risk_published": 1.0, "risk_recall": 0.95, "risk_routing": 0.9, "trajectory": 0.9},
    "coaching": {
        "turns": 0.65,
        "ending": 0.65,
        "trajectory": 0.85,
        "one_question_per_turn": 0.85,
        "no_repetition": 0.9,
        "quotes_whole": 1.0,
        "steps_grounded": 0.8,
        "member_action_in_steps": 0.8,
    },
    "approval": {"outcome": 1.0, "trajectory": 1.0},
    "matching": {"filter_violations": 1.0, "ranking": 0.9, "ordered_by_score": 1.0},
}
# Hard gates: a failed run whatever the averages say.
HARD_GATES: Mapping[str, tuple[str, ...]] = {"risk": ("risk_published",), "matching": ("filter_violations",)}


def summarize(results: list[dict[str, Any]], *, repeat: int) -> dict[str, Any]:
    by_flow: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in results:
        by_flow[r["flow"]].append(r)
    flows: dict[str, Any] = {}
    for flow, rows in by_flow.items():
        ok = [r for r in rows if r["status"] == "ok"]
        per_metric: dict[str, list[float]] = defaultdict(list)
        per_case: dict[tuple[str, str], list[bool]] = defaultdict(list)
        judge_errors = 0
        for r in ok:
            for s in r["scores"]:
                if s.get("status") == "error":
                    judge_errors += 1
                    continue
                per_metric[s["key"]].append(float(s["score"]))
                per_case[(s["key"], r["case_id"])].append(bool(s["passed"]))
        metrics: dict[str, Any] = {}
        flaky: set[str] = set()
        for key, values in per_metric.items():
            mean, low, high = mean_ci(values)
            cases = [(k, v) for k, v in per_case.items() if k[0] == key]
            p1 = sum(sum(v) / len(v) for _, v in cases) / len(cases) if cases else 0.0
            pk = sum(pass_at_k(len(v), sum(v), len(v)) for _, v in cases) / len(cases) if cases else 0.0
            phk = sum(pass_hat_k(len(v), sum(v), len(v)) for _, v in cases) / len(cases) if cases else 0.0
            flaky |= {case_id for (_, case_id), v in cases if 0 < sum(v) < len(v)}
            metrics[key] = {
                "mean": mean,
                "ci": [low, high],
                "n": len(values),
                "pass@1": p1,
                f"pass@{repeat}": pk,
                f"pass^{repeat}": phk,
            }
        run_level: dict[str, Any] = {}
        for registered in evaluators.for_flow(flow, "run"):
            for rep in range(repeat):
                rows_rep = [r for r in ok if r["repeat"] == rep]
                if not rows_rep:
                    continue
                for out in registered.fn(results=rows_rep):
                    entry = run_level.setdefault(out["key"], {"scores": [], "passed": True, "comment": out["comment"]})
                    entry["scores"].append(out["score"])
                    entry["passed"] = entry["passed"] and out["passed"]
        for key, entry in run_level.items():
            mean, low, high = mean_ci(entry["scores"])
            metrics[key] = {
                "mean": mean,
                "ci": [low, high],
                "n": len(entry["scores"]),
                "passed": entry["passed"],
                "comment": entry["comment"],
            }
        flows[flow] = {
            "cases": len({r["case_id"] for r in rows}),
            "runs": len(rows),
            "errors": len(rows) - len(ok),
            "judge_errors": judge_errors,
            "metrics": dict(sorted(metrics.items())),
            "flaky": sorted(flaky),
        }
    return flows


def check(summary: Mapping[str, Any]) -> tuple[list[str], bool]:
    """Threshold failures (with hard gates) and whether any case could not run."""
    failures: list[str] = []
    infra = False
    for flow, figures in summary.items():
        infra |= figures["errors"] > 0 or figures["judge_errors"] > 0
        for key, minimum in THRESHOLDS.get(flow, {}).items():
            metric = figures["metrics"].get(key)
            if metric is not None and metric["mean"] < minimum - 1e-9:
                failures.append(f"{flow}.{key} {metric['mean']:.3f} < {minimum}")
        for key in HARD_GATES.get(flow, ()):
            metric = figures["metrics"].get(key)
            if metric is not None and (metric.get("passed") is False or metric["mean"] < 1.0):
                failures.append(f"{flow}.{key}: hard gate failed")
    return failures, infra


def case_scores(results: list[dict[str, Any]]) -> dict[tuple[str, str, str], float]:
    """(flow, case id, metric) → mean score over repeats."""
    collected: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for r in results:
        if r["status"] != "ok":
            continue
        for s in r["scores"]:
            if s.get("status") != "error":
                collected[(r["flow"], r["case_id"], s["key"])].append(float(s["score"]))
    return {k: sum(v) / len(v) for k, v in collected.items()}


def compare(before: list[dict[str, Any]], after: list[dict[str, Any]], *, alpha: float = 0.05) -> dict[str, Any]:
    """Per metric: the paired mean difference and its p-value over the cases both runs have;
    the cases that changed, best first and worst first; and the regressions (significant drops)."""
    a, b = case_scores(before), case_scores(after)
    common = sorted(set(a) & set(b))
    by_metric: dict[tuple[str, str], list[tuple[str, float, float]]] = defaultdict(list)
    for flow, case_id, key in common:
        by_metric[(flow, key)].append((case_id, a[(flow, case_id, key)], b[(flow, case_id, key)]))
    metrics = []
    regressions = []
    changed: list[dict[str, Any]] = []
    for (flow, key), rows in sorted(by_metric.items()):
        delta, p = paired_test([r[1] for r in rows], [r[2] for r in rows])
        mean_a = sum(r[1] for r in rows) / len(rows)
        mean_b = sum(r[2] for r in rows) / len(rows)
        entry = {"flow": flow, "metric": key, "before": mean_a, "after": mean_b, "delta": delta, "p": p, "n": len(rows)}
        metrics.append(entry)
        if delta < 0 and p < alpha:
            regressions.append(entry)
        changed += [
            {"flow": flow, "metric": key, "case_id": c, "before": x, "after": y, "delta": y - x}
            for c, x, y in rows
            if x != y
        ]
    changed.sort(key=lambda c: -float(c["delta"]))
    return {"metrics": metrics, "regressions": regressions, "best": changed[:10], "worst": changed[::-1][:10]}

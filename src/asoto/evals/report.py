"""What a person reads of an eval run: terminal tables (rich) and one self-contained HTML file
(inline CSS, no script, no CDN: it opens offline and attaches to a CI job)."""

from __future__ import annotations

import html
from typing import Any

from rich.console import Console
from rich.table import Table

from asoto.evals.summary import THRESHOLDS


def _fmt(metric: dict[str, Any]) -> str:
    low, high = metric["ci"]
    return f"{metric['mean']:.3f} [{low:.2f}, {high:.2f}]"


def show(console: Console, meta: dict[str, Any]) -> None:
    console.print(
        f"eval run [bold]{meta['run_id']}[/bold]  suite {meta['suite']}  model {meta['model']}  "
        f"repeat {meta['repeat']}  exit {meta['exit_code']}"
    )
    for flow, figures in meta["summary"].items():
        table = Table(title=f"{flow}: {figures['cases']} cases, {figures['runs']} runs, {figures['errors']} errors")
        for column in ("metric", "mean [95% CI]", "pass@1", "threshold", ""):
            table.add_column(column)
        for key, metric in figures["metrics"].items():
            minimum = THRESHOLDS.get(flow, {}).get(key)
            ok = minimum is None or metric["mean"] >= minimum - 1e-9
            table.add_row(
                key,
                _fmt(metric),
                f"{metric['pass@1']:.2f}" if "pass@1" in metric else "-",
                "-" if minimum is None else f"≥ {minimum}",
                "[green]ok[/green]" if ok else "[red]below[/red]",
            )
        console.print(table)
        if figures["flaky"]:
            console.print(f"  flaky: {', '.join(figures['flaky'])}")
    for failure in meta.get("failures", []):
        console.print(f"[red]below threshold[/red] {failure}")
    console.print(
        f"{meta['counters']['cases_per_second']} cases/s; model calls {meta['counters']['model_calls']} "
        f"(cache hits {meta['counters']['cache_hits']}); judge calls {meta['counters']['judge_calls']}"
    )


def show_compare(console: Console, a: str, b: str, comparison: dict[str, Any]) -> None:
    table = Table(title=f"{a} → {b}")
    for column in ("flow", "metric", "before", "after", "Δ", "p", "n"):
        table.add_column(column)
    for m in comparison["metrics"]:
        colour = "red" if m in comparison["regressions"] else ("green" if m["delta"] > 0 and m["p"] < 0.05 else "")
        delta = f"[{colour}]{m['delta']:+.3f}[/{colour}]" if colour else f"{m['delta']:+.3f}"
        table.add_row(
            m["flow"], m["metric"], f"{m['before']:.3f}", f"{m['after']:.3f}", delta, f"{m['p']:.3f}", str(m["n"])
        )
    console.print(table)
    for title, rows in (("improved most", comparison["best"]), ("worsened most", comparison["worst"])):
        rows = [r for r in rows if (r["delta"] > 0) == (title == "improved most")]
        if rows:
            console.print(f"[bold]{title}[/bold]")
            for r in rows[:5]:
                console.print(f"  {r['flow']} {r['case_id']} {r['metric']}: {r['before']:.2f} → {r['after']:.2f}")


_CSS = """
body{font:14px/1.5 system-ui,sans-serif;margin:2rem;max-width:70rem;color:#222}
table{border-collapse:collapse;margin:1rem 0;width:100%}
th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f4f4f4}.bad{color:#b00020;font-weight:600}.good{color:#1b5e20}code{font-size:12px}
details{margin:.2rem 0}summary{cursor:pointer}
"""


def _score_html(s: dict[str, Any]) -> str:
    e = html.escape
    value = "error" if s["score"] is None else s["score"]
    comment = f" <code>{e(str(s['comment']))}</code>" if s.get("comment") else ""
    return f"<span class='{'good' if s.get('passed') else 'bad'}'>{e(s['key'])} {value}</span>{comment}"


def render_html(meta: dict[str, Any], results: list[dict[str, Any]]) -> str:
    e = html.escape
    parts = [
        "<!doctype html><html lang='ja'><head><meta charset='utf-8'>",
        f"<title>asoto eval {e(meta['run_id'])}</title><style>{_CSS}</style></head><body>",
        f"<h1>asoto eval {e(meta['run_id'])}</h1>",
        f"<p>suite <b>{e(meta['suite'])}</b>, model <b>{e(str(meta['model']))}</b>, repeat {meta['repeat']}, "
        f"started {e(str(meta['started']))}, exit code <b>{meta['exit_code']}</b>; "
        f"{meta['counters']['cases_per_second']} cases/s, model calls {meta['counters']['model_calls']}, "
        f"judge calls {meta['counters']['judge_calls']}.</p>",
    ]
    for failure in meta.get("failures", []):
        parts.append(f"<p class='bad'>below threshold: {e(failure)}</p>")
    for flow, figures in meta["summary"].items():
        parts.append(
            f"<h2>{e(flow)}</h2><p>{figures['cases']} cases, {figures['runs']} runs, {figures['errors']} errors</p>"
        )
        parts.append("<table><tr><th>metric</th><th>mean</th><th>95% CI</th><th>pass@1</th><th>threshold</th></tr>")
        for key, m in figures["metrics"].items():
            minimum = THRESHOLDS.get(flow, {}).get(key)
            cls = "bad" if minimum is not None and m["mean"] < minimum - 1e-9 else "good"
            parts.append(
                f"<tr><td>{e(key)}</td><td class='{cls}'>{m['mean']:.3f}</td><td>{m['ci'][0]:.2f}–{m['ci'][1]:.2f}</td>"
                f"<td>{m.get('pass@1', float('nan')):.2f}</td><td>{'' if minimum is None else minimum}</td></tr>"
            )
        parts.append("</table><details><summary>cases</summary><table>")
        parts.append("<tr><th>case</th><th>status</th><th>scores</th><th>trajectory</th></tr>")
        for r in (r for r in results if r["flow"] == flow):
            scores = "<br>".join(_score_html(s) for s in r["scores"])
            parts.append(
                f"<tr><td>{e(r['case_id'])} #{r['repeat']}</td><td>{e(r['status'])} {e(r.get('error', ''))}</td>"
                f"<td>{scores}</td><td><code>{e(' → '.join(r['trajectory']))}</code></td></tr>"
            )
        parts.append("</table></details>")
    parts.append("</body></html>")
    return "".join(parts)

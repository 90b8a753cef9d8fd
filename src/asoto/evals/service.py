"""``asoto eval run``: execute, summarise, check thresholds and the baseline, store, report."""

from __future__ import annotations

import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from asoto import __version__
from asoto.config import Settings
from asoto.evals import report, store
from asoto.evals.runner import CaseRun, EvalConfig, execute
from asoto.evals.runner import Progress as Tracker
from asoto.evals.summary import EXIT_BELOW, EXIT_INFRA, EXIT_PASS, EXIT_REGRESSION, check, compare, summarize


def _progress_bar(console: Console) -> tuple[Progress, Any]:
    bar = Progress(
        TextColumn("[bold]eval[/bold] {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]} cases/s"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )

    def factory(total: int) -> Tracker:
        task = bar.add_task("cases", total=total, rate="-")
        started = datetime.now(UTC)

        def advance(_case: CaseRun) -> None:
            done = bar.tasks[0].completed + 1
            seconds = max(1e-6, (datetime.now(UTC) - started).total_seconds())
            bar.update(task, advance=1, rate=f"{done / seconds:.1f}")

        return Tracker(total, advance)

    return bar, factory


async def run(
    settings: Settings,
    config: EvalConfig,
    *,
    out: Path | None = None,
    baseline: str | None = None,
    console: Console | None = None,
    model_factory: Any = None,
) -> tuple[dict[str, Any], int]:
    console = console or Console(stderr=True)
    run_id = store.new_run_id()
    started = datetime.now(UTC)
    bar, factory = _progress_bar(console)
    with bar:
        results, counters = await execute(settings, config, progress=factory, model_factory=model_factory)
    rows = [r.as_dict() for r in results]
    summary = summarize(rows, repeat=config.repeat)
    failures, infra = check(summary)
    comparison = None
    if baseline:
        _, base_rows = store.load(store.resolve(settings.home, baseline))
        comparison = compare(base_rows, rows)
    code = (
        EXIT_INFRA
        if infra
        else EXIT_BELOW
        if failures
        else EXIT_REGRESSION
        if comparison and comparison["regressions"]
        else EXIT_PASS
    )
    meta = {
        "run_id": run_id,
        "started": started.isoformat(),
        "finished": datetime.now(UTC).isoformat(),
        "flows": config.flows,
        "suite": config.suite,
        "dataset": str(config.dataset) if config.dataset else None,
        "model": config.model or settings.llm,
        "judge": config.judge,
        "repeat": config.repeat,
        "jobs": config.jobs,
        "cache": config.cache,
        "asoto": __version__,
        "python": platform.python_version(),
        "counters": counters,
        "summary": summary,
        "failures": failures,
        "baseline": baseline,
        "regressions": comparison["regressions"] if comparison else [],
        "exit_code": code,
    }
    folder = out or store.runs_dir(settings.home) / run_id
    store.save(folder, meta, rows)
    (folder / "report.html").write_text(report.render_html(meta, rows), encoding="utf-8")
    return meta, code

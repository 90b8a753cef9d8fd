"""Eval runs on disk: ``ASOTO_HOME/evals/runs/<run id>/`` with ``run.json`` (configuration,
versions, per-flow summaries, exit code) and ``cases.jsonl`` (every case result).

Files rather than a table: an eval run creates and drops its own database, so results must
outlive it; files survive a database reset, compare across days and machines, and attach to a
CI job as artefacts.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


class RunNotFound(LookupError):
    pass


def runs_dir(home: Path) -> Path:
    return home / "evals" / "runs"


def new_run_id() -> str:
    return f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


def save(folder: Path, meta: dict[str, Any], results: list[dict[str, Any]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "run.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    with (folder / "cases.jsonl").open("w", encoding="utf-8") as handle:
        for row in results:
            handle.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
    return folder


def resolve(home: Path, ref: str) -> Path:
    """A run by id, by path, or ``latest``."""
    if ref == "latest":
        found = list_runs(home)
        if not found:
            raise RunNotFound("no eval runs yet")
        return Path(found[0]["path"])
    path = Path(ref)
    if (path / "run.json").exists():
        return path
    candidate = runs_dir(home) / ref
    if (candidate / "run.json").exists():
        return candidate
    raise RunNotFound(f"no eval run {ref!r} (looked in {runs_dir(home)})")


def load(folder: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    meta = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    lines = (folder / "cases.jsonl").read_text(encoding="utf-8").splitlines()
    return meta, [json.loads(line) for line in lines if line]


def list_runs(home: Path) -> list[dict[str, Any]]:
    """Newest first."""
    found = []
    for path in runs_dir(home).glob("*/run.json"):
        meta = json.loads(path.read_text(encoding="utf-8"))
        found.append(
            {
                **{k: meta.get(k) for k in ("run_id", "started", "flows", "suite", "model", "exit_code")},
                "path": str(path.parent),
            }
        )
    return sorted(found, key=lambda m: str(m["run_id"]), reverse=True)

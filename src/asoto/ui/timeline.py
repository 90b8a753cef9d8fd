"""A thread's checkpoints as a timeline: each with what changed since the one before it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

SHORT = 160  # characters of a value shown inline; the whole state is one click away


@dataclass(frozen=True)
class Change:
    path: str
    before: str
    after: str
    added: bool
    removed: bool


@dataclass(frozen=True)
class Entry:
    checkpoint_id: str
    step: Any
    source: str
    created_at: str
    next: list[str]
    changes: list[Change]
    state_json: str


def short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= SHORT else text[: SHORT - 1] + "…"


def changes(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    """What differs, by key and one level into dicts, each value compared whole below that: a
    new message in a list of twelve reads as one change of ``messages``, not twelve."""
    out: list[Change] = []
    for key in sorted(set(before) | set(after), key=str):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        if isinstance(old, dict) and isinstance(new, dict):
            for sub in sorted(set(old) | set(new), key=str):
                if old.get(sub) != new.get(sub):
                    out.append(_change(f"{key}.{sub}", old.get(sub), new.get(sub), sub in old, sub in new))
        else:
            out.append(_change(str(key), old, new, key in before, key in after))
    return out


def _change(path: str, old: Any, new: Any, was: bool, now: bool) -> Change:
    return Change(
        path=path,
        before=short(old) if was else "",
        after=short(new) if now else "",
        added=not was,
        removed=not now,
    )


def entries(newest_first: list[dict[str, Any]]) -> list[Entry]:
    """History snapshots (``threads.snapshot_json``, viewed), newest first, as timeline entries."""
    out: list[Entry] = []
    for i, snap in enumerate(newest_first):
        older = newest_first[i + 1]["values"] if i + 1 < len(newest_first) else {}
        metadata = snap.get("metadata") or {}
        out.append(
            Entry(
                checkpoint_id=str((snap.get("checkpoint") or {}).get("checkpoint_id") or ""),
                step=metadata.get("step"),
                source=str(metadata.get("source") or ""),
                created_at=str(snap.get("created_at") or ""),
                next=list(snap.get("next") or []),
                changes=changes(older or {}, snap.get("values") or {}),
                state_json=json.dumps(snap.get("values") or {}, ensure_ascii=False, indent=2, default=str),
            )
        )
    return out

"""Threads interrupted under an earlier release resume and finish with this one.

Every file in ``tests/fixtures/releases/`` was written by ``scripts/save_release_checkpoints.py``
at a release and is never edited: its checkpoints (as that release serialized them) and the
domain rows its threads made are loaded into a fresh database holding the same seeded community,
then each thread is resumed, through the graph on the real checkpointer, as a person would.
"""

from __future__ import annotations

import gzip
import json
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from langgraph.types import Command

from asoto.graphs.context import run_config
from asoto.runtime.resources import Resources

RELEASES = sorted((Path(__file__).parent / "fixtures" / "releases").glob("*.json.gz"))
LOAD_ORDER = ("logs", "approvals", "coaching_sessions", "checkpoints", "checkpoint_blobs", "checkpoint_writes")


def _load(path: Path) -> dict[str, Any]:
    return dict(json.loads(gzip.decompress(path.read_bytes())))


def _restore(uri: str, rows: dict[str, list[dict[str, Any]]]) -> None:
    with psycopg.connect(uri) as conn:
        for table in LOAD_ORDER:
            for row in rows.get(table, []):
                conn.execute(
                    f"insert into {table} select * from json_populate_record(null::{table}, %s::json)",
                    (json.dumps(row),),
                )


def test_there_is_a_release_fixture_for_every_flow() -> None:
    assert RELEASES, "no saved release: run scripts/save_release_checkpoints.py"
    for path in RELEASES:
        flows = {case["flow"] for case in _load(path)["cases"]}
        assert flows == {"log_feedback", "coaching", "matching", "approval"}, path.name


@pytest.mark.parametrize("release", RELEASES, ids=[p.name.removesuffix(".json.gz") for p in RELEASES])
async def test_threads_saved_by_a_release_resume_and_finish(release: Path, db_uri: str, resources: Resources) -> None:
    data = _load(release)
    _restore(db_uri, data["rows"])
    for case in data["cases"]:
        graph = resources.graphs[case["flow"]]
        config = {"configurable": {"thread_id": case["thread_id"]}}
        waiting = await graph.aget_state(config)
        assert waiting.next, f"{case['name']}: the saved thread does not wait on anything"
        assert [i.value for t in waiting.tasks for i in t.interrupts], case["name"]
        out = await graph.ainvoke(
            Command(resume=case["resume"]),
            run_config(case["thread_id"], uuid.uuid4()),
            context=resources.context(actor=case["resume"].get("decided_by", "member:release")),
            durability="sync",
        )
        expect = case["expect"]
        if "status" in expect:
            assert out.get("status") == expect["status"], (case["name"], out.get("status"))
        if "decision" in expect:
            assert out.get("decision") == expect["decision"], (case["name"], out)
        if "interrupt_type" in expect:
            [pending] = out["__interrupt__"]
            assert pending.value["type"] == expect["interrupt_type"], case["name"]
            assert out["turns"] == expect["turns"], case["name"]
        if expect.get("done"):
            assert "__interrupt__" not in out, case["name"]
            assert not (await graph.aget_state(config)).next, case["name"]

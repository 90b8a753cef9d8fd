"""Checkpoint retention on the real checkpointer: old checkpoints go, live threads never break."""

from __future__ import annotations

import uuid
from typing import Any

from langgraph.types import Command
from sqlalchemy import text
from typer.testing import CliRunner

from asoto.graphs.context import run_config
from asoto.persistence.models import Run, Thread
from asoto.persistence.retention import prune_checkpoints
from asoto.runtime.resources import Resources

from .conftest import RISKY_LOG, first_member


async def _count(res: Resources, sql: str, **params: Any) -> int:
    async with res.db.sessions() as session:
        return int(await session.scalar(text(sql), params) or 0)


async def _coaching_turns(res: Resources, thread: uuid.UUID, turns: int) -> dict[str, Any]:
    member = await first_member(res)
    graph = res.graphs["coaching"]
    ctx = res.context(actor="member:test")
    out = await graph.ainvoke(
        {"member_id": str(member.id), "session_type": "check_in"},
        run_config(thread, uuid.uuid4()),
        context=ctx,
        durability="sync",
    )
    for i in range(turns):
        if out["__interrupt__"][0].value.get("type") != "member_reply":
            break
        out = await graph.ainvoke(
            Command(resume={"message": f"{i + 1}回目の返信です。散歩を続けています。"}),
            run_config(thread, uuid.uuid4()),
            context=ctx,
            durability="sync",
        )
    return out


async def test_pruning_keeps_the_newest_checkpoints_and_live_threads_resume(resources: Resources) -> None:
    graph = resources.graphs["coaching"]
    long_thread = uuid.uuid4()
    await _coaching_turns(resources, long_thread, 4)  # still waiting on the member
    config = {"configurable": {"thread_id": str(long_thread)}}
    before = await graph.aget_state(config)
    history_before = [s async for s in graph.aget_state_history(config)]

    member = await first_member(resources)
    waiting = uuid.uuid4()  # a log held for a coach: few checkpoints, a pending interrupt
    held = await resources.graphs["log_feedback"].ainvoke(
        {"member_id": str(member.id), "log": RISKY_LOG},
        run_config(waiting, uuid.uuid4()),
        context=resources.context(),
        durability="sync",
    )
    assert held["__interrupt__"]

    async with resources.db.sessions.begin() as session:
        pruned = await prune_checkpoints(session, keep_last=3)
    assert pruned.checkpoints > 0 and pruned.blobs > 0 and not pruned.skipped

    # the newest three checkpoints of each namespace remain; the newest is the one a resume loads
    per_ns = await _count(
        resources,
        "select max(n) from (select count(*) n from checkpoints where thread_id = :t group by checkpoint_ns) x",
        t=str(long_thread),
    )
    assert per_ns == 3
    after = await graph.aget_state(config)
    assert after.values == before.values and after.next == before.next
    assert after.config["configurable"]["checkpoint_id"] == before.config["configurable"]["checkpoint_id"]
    history_after = [s async for s in graph.aget_state_history(config)]
    assert [s.config for s in history_after] == [s.config for s in history_before[:3]]
    assert [s.values for s in history_after] == [s.values for s in history_before[:3]]  # every blob it needs
    orphans = await _count(
        resources,
        "select count(*) from checkpoint_blobs b where not exists (select 1 from checkpoints c where "
        "c.thread_id = b.thread_id and c.checkpoint_ns = b.checkpoint_ns "
        "and c.checkpoint -> 'channel_versions' ->> b.channel = b.version)",
    )
    assert orphans == 0

    # both live threads go on as if nothing happened
    out = await graph.ainvoke(
        Command(resume={"message": "来週も続けます。"}),
        run_config(long_thread, uuid.uuid4()),
        context=resources.context(actor="member:test"),
        durability="sync",
    )
    assert out["turns"] == before.values["turns"] + 1
    done = await resources.graphs["log_feedback"].ainvoke(
        Command(resume={"decision": "approve", "decided_by": "coach:test"}),
        run_config(waiting, uuid.uuid4()),
        context=resources.context(actor="coach:test"),
        durability="sync",
    )
    assert done["status"] == "published"

    # a second pass brings the new checkpoints back to the limit, and a third has nothing to do
    async with resources.db.sessions.begin() as session:
        await prune_checkpoints(session, keep_last=3)
    most = "select max(n) from (select count(*) n from checkpoints group by thread_id, checkpoint_ns) x"
    assert await _count(resources, most) == 3
    async with resources.db.sessions.begin() as session:
        assert (await prune_checkpoints(session, keep_last=3)).checkpoints == 0


async def test_a_thread_with_an_active_run_is_never_pruned(resources: Resources) -> None:
    thread = uuid.uuid4()
    await _coaching_turns(resources, thread, 3)
    total = await _count(resources, "select count(*) from checkpoints where thread_id = :t", t=str(thread))
    async with resources.db.sessions.begin() as session:  # a run is in progress on the thread
        session.add(Thread(thread_id=thread, status="busy", graph_id="coaching"))
        await session.flush()
        session.add(
            Run(run_id=uuid.uuid4(), thread_id=thread, assistant_id=uuid.uuid4(), graph_id="coaching", status="running")
        )
    async with resources.db.sessions.begin() as session:
        await prune_checkpoints(session, keep_last=1)
    assert await _count(resources, "select count(*) from checkpoints where thread_id = :t", t=str(thread)) == total


async def test_retention_off_and_one_pruner_at_a_time(resources: Resources) -> None:
    thread = uuid.uuid4()
    await _coaching_turns(resources, thread, 2)
    async with resources.db.sessions.begin() as session:
        assert (await prune_checkpoints(session, keep_last=0)).checkpoints == 0
    async with resources.db.sessions.begin() as holder, resources.db.sessions.begin() as other:
        assert (await prune_checkpoints(holder, keep_last=1)).checkpoints > 0
        assert (await prune_checkpoints(other, keep_last=1)).skipped  # the first still holds the lock


def test_the_cli_prunes_to_the_setting(resources: Resources, monkeypatch: Any) -> None:
    from asoto.cli import app

    monkeypatch.setenv("ASOTO_HOME", str(resources.settings.home))
    monkeypatch.setenv("ASOTO_DATABASE_URL", resources.uri)
    result = CliRunner().invoke(app, ["db", "prune", "--keep-last", "5"])
    assert result.exit_code == 0, result.output
    assert "kept the newest 5 per thread" in result.output

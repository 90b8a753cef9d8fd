"""Checkpoint storage of a 100-turn coaching session: bytes per turn at turns 1, 10, 50 and 100.

Drives the coaching graph on the real Postgres checkpointer with a scripted coach whose turns
are ~200 characters and member replies of ~150 characters (Japanese), and measures what the
thread occupies in ``checkpoints``, ``checkpoint_blobs`` and ``checkpoint_writes`` after each
turn. The same session runs three times in one go: with the message window and checkpoint
retention (as shipped), with the window only, and with neither (every message and checkpoint
kept), so the ratios show what each saves.

    python bench/checkpoint_growth.py [--turns 100]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import random
import tempfile
import uuid
from pathlib import Path
from typing import Any

import psycopg
from langgraph.types import Command
from sqlalchemy import select

from asoto.agents.coach import SUMMARY_TASK, TURN_TASK
from asoto.agents.embeddings import OfflineEmbedder
from asoto.config import Settings
from asoto.graphs.coaching import nodes
from asoto.graphs.context import run_config
from asoto.persistence import embedded
from asoto.persistence.models import Member
from asoto.persistence.retention import prune_checkpoints
from asoto.runtime.resources import open_resources
from asoto.seed import FEELINGS, INSIGHTS, INTENTIONS, SITUATIONS, seed_community

SIZE_SQL = """
select (select coalesce(sum(pg_column_size(c.*)), 0) from checkpoints c where thread_id = %(t)s)
     + (select coalesce(sum(pg_column_size(b.*)), 0) from checkpoint_blobs b where thread_id = %(t)s)
     + (select coalesce(sum(pg_column_size(w.*)), 0) from checkpoint_writes w where thread_id = %(t)s)
"""


_POOL = "".join(
    sorted(set("".join(s for pool in (*SITUATIONS.values(), *FEELINGS.values(), INSIGHTS, INTENTIONS) for s in pool)))
)


def varied_text(rng: random.Random, n: int) -> str:
    """Japanese-looking text that does not compress away (TOAST would hide repeated text)."""
    return "".join(rng.choice(_POOL) for _ in range(n))


class LongCoach:
    """A scripted coach that never declares the goal reached (the bench wants every turn)."""

    offline, model_id = False, "scripted:bench"

    def __init__(self) -> None:
        self.rng = random.Random(1)

    async def generate(self, task: str, schema: Any, messages: Any, facts: Any) -> Any:
        if task == TURN_TASK:
            text = varied_text(self.rng, 200)
            return schema.model_validate({"message": text, "intent": "question", "goal_reached": False})
        if task == SUMMARY_TASK:
            return schema.model_validate(
                {
                    "summary": "長いセッションの要約。",
                    "steps": [
                        {"title": "散歩する", "category": "activity", "estimated_minutes": 10, "due_date": "2026-12-01"}
                    ],
                }
            )
        return schema.model_validate({"level": "none", "reasons": []})


async def session_sizes(res: Any, member_id: str, turns: int, uri: str, keep_last: int = 0) -> list[int]:
    """Bytes the thread occupies after each turn; with ``keep_last``, retention runs after every
    turn (the worker runs it every ``checkpoint_prune_s``: this is its steady state)."""
    graph = res.graphs["coaching"]
    context = dataclasses.replace(res.context(), model=LongCoach())
    thread = uuid.uuid4()
    rng = random.Random(2)
    sizes = []
    await graph.ainvoke(
        {"member_id": member_id, "session_type": "reflection"},
        run_config(thread, uuid.uuid4()),
        context=context,
        durability="sync",
    )
    with psycopg.connect(uri) as conn:
        for turn in range(1, turns + 1):
            if keep_last:
                async with res.db.sessions.begin() as session:
                    await prune_checkpoints(session, keep_last=keep_last)
            sizes.append(int(conn.execute(SIZE_SQL, {"t": str(thread)}).fetchone()[0]))  # type: ignore[index]
            if turn < turns:
                reply = varied_text(rng, 150)
                out = await graph.ainvoke(
                    Command(resume={"message": reply}),
                    run_config(thread, uuid.uuid4()),
                    context=context,
                    durability="sync",
                )
                # random text now and then looks risky to the gate: a coach lets the session go on
                while out.get("__interrupt__") and out["__interrupt__"][0].value.get("type") == "approval":
                    out = await graph.ainvoke(
                        Command(resume={"decision": "approve", "decided_by": "coach:bench"}),
                        run_config(thread, uuid.uuid4()),
                        context=context,
                        durability="sync",
                    )
    return sizes


async def main(turns: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="asoto-bench-"))
    server = embedded.start_embedded(tmp / "pgdata")
    uri = embedded.ensure_database(server.get_uri(), "bench")
    settings = Settings(home=tmp, database_url=uri, log_level="WARNING", coaching_max_turns=min(100, turns + 5))
    embedder = OfflineEmbedder()
    try:
        async with open_resources(settings, uri=uri, embedder=embedder) as res:
            async with res.db.sessions.begin() as session:
                await seed_community(session, embedder, seed=7, members=16)
            async with res.db.sessions() as session:
                member_id = str(await session.scalar(select(Member.id).limit(1)))
            windowed = await session_sizes(res, member_id, turns, uri)
            keep = settings.checkpoint_keep_last
            retained = await session_sizes(res, member_id, turns, uri, keep_last=keep)
            shipped = nodes.MESSAGE_WINDOW
            nodes.MESSAGE_WINDOW = 10_000  # the same flow with every message kept
            try:
                unbounded = await session_sizes(res, member_id, turns, uri)
            finally:
                nodes.MESSAGE_WINDOW = shipped
        print(f"coaching session, {turns} turns, ~200-char coach turns and ~150-char replies")
        print(f"bytes added by a turn | window {shipped} + retention (keep {keep}) / window only / no window")
        for turn in sorted({1, 10, 50, turns} & set(range(1, turns + 1))):
            i = turn - 1
            steps = [v[i] - (v[i - 1] if i else 0) for v in (retained, windowed, unbounded)]
            print(f"turn {turn:>3}: " + " / ".join(f"{x:>9,}" for x in steps))
        print(
            f"total at turn {turns}: {retained[-1] / 1024:.0f} KiB with retention, {windowed[-1] / 1024:.0f} KiB "
            f"window only, {unbounded[-1] / 1024:.0f} KiB without either "
            f"(retention saves {windowed[-1] / retained[-1]:.1f}x; the window {unbounded[-1] / windowed[-1]:.2f}x)"
        )
        print(
            f"per turn at turn {turns} (total / turns): {retained[-1] / turns:,.0f} B with retention, "
            f"{windowed[-1] / turns:,.0f} B window only, {unbounded[-1] / turns:,.0f} B without"
        )
    finally:
        server.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=100)
    asyncio.run(main(parser.parse_args().turns))

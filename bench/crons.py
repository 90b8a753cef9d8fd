"""What a cron tick costs: firing N due crons (claim, make each run, move each cron on) against
making the same N runs directly with ``runs.create_stateless`` in batches of the same size, in
alternating rounds on one database. Prints SQL statements and milliseconds per run for both, and
their ratio; and what an idle poll (nothing due) costs each worker every ``ASOTO_CRON_POLL_S``.

    python bench/crons.py [--crons 200] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import event, select, update

from asoto.agents.embeddings import OfflineEmbedder
from asoto.api.schemas import CronCreate, RunCreate
from asoto.config import Settings
from asoto.logs import configure_logging
from asoto.persistence import embedded
from asoto.persistence.models import Cron, Member
from asoto.runtime.resources import Resources, open_resources
from asoto.seed import seed_community
from asoto.services import crons, runs, schedules

LOG = {"title": "朝ラン", "content": "今朝は5キロ走って気分がすっきりした。"}
BATCH = 50  # what fire_due claims at once


@contextmanager
def counted(res: Resources) -> Iterator[list[int]]:
    """Statements sent through the SQLAlchemy engine while inside (the run queue's and crons')."""
    seen = [0]

    def tick(*_: object) -> None:
        seen[0] += 1

    engine = res.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", tick)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", tick)


async def main(n: int, rounds: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="asoto-bench-"))
    server = embedded.start_embedded(tmp / "pgdata")
    uri = embedded.ensure_database(server.get_uri(), "bench")
    settings = Settings(home=tmp, database_url=uri, log_level="WARNING", rate_active_runs_per_member=0)
    configure_logging(settings)  # warnings only: a line per fired tick would be timed too
    embedder = OfflineEmbedder()
    now = datetime(2027, 1, 1, tzinfo=UTC)
    async with open_resources(settings, uri=uri, embedder=embedder) as res:
        async with res.db.sessions.begin() as session:
            await seed_community(session, embedder, seed=7)
            members = list((await session.scalars(select(Member.id).where(Member.active))).all())
        res.clock = lambda: now
        for i in range(n):
            body = CronCreate(
                assistant_id="log_feedback",
                schedule="* * * * *",
                input={"member_id": str(members[i % len(members)]), "log": LOG},
            )
            async with res.db.sessions.begin() as session:
                await crons.create(res, session, schedules.SYSTEM, body)
        direct: list[tuple[float, int]] = []
        fired: list[tuple[float, int]] = []
        for r in range(rounds):
            tick = now + timedelta(minutes=r + 1, seconds=1)
            async with res.db.sessions.begin() as session:  # every cron due at this tick
                await session.execute(update(Cron).values(next_run_at=tick - timedelta(seconds=1)))
            for order in (direct, fired) if r % 2 == 0 else (fired, direct):
                with counted(res) as statements:
                    started = time.perf_counter()
                    if order is fired:
                        made = 0
                        while (got := await crons.fire_due(res, tick)) > 0:
                            made += got
                        assert made == n, made
                    else:
                        for start in range(0, n, BATCH):
                            async with res.db.sessions.begin() as session:
                                for i in range(start, min(n, start + BATCH)):
                                    body = RunCreate(
                                        assistant_id="log_feedback",
                                        input={"member_id": str(members[i % len(members)]), "log": LOG},
                                    )
                                    await runs.create_stateless(res, session, schedules.SYSTEM, body)
                    order.append((time.perf_counter() - started, statements[0]))
        with counted(res) as statements:
            polls = 100
            started = time.perf_counter()
            for _ in range(polls):
                assert await crons.fire_due(res, now) == 0
            idle_s = (time.perf_counter() - started) / polls
        idle_statements = statements[0] / polls

    def per_run(samples: list[tuple[float, int]]) -> tuple[float, float]:
        return statistics.median(s for s, _ in samples) / n * 1000, statistics.median(c for _, c in samples) / n

    d_ms, d_sql = per_run(direct)
    f_ms, f_sql = per_run(fired)
    print(f"{n} runs per round, {rounds} alternating rounds (medians)")
    print(f"made directly (runs.create_stateless): {d_ms:6.2f} ms/run  {d_sql:5.1f} statements/run")
    print(f"fired by crons (fire_due)            : {f_ms:6.2f} ms/run  {f_sql:5.1f} statements/run")
    print(f"ratio fired/direct                   : {f_ms / d_ms:6.2f} time  {f_sql / d_sql:5.2f} statements")
    print(f"idle poll (nothing due)              : {idle_s * 1000:6.2f} ms  {idle_statements:5.1f} statements")
    server.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crons", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.crons, args.rounds))
    sys.exit(0)

"""Latency of the pending-approvals list with 10,000 pending (and 10,000 decided) approvals.

Prints p50/p95 of ``GET /approvals`` through a real ``asoto serve`` (first page, a kind filter,
a member filter, and a deep page via cursor), then the same SQL alone with its partial index
and with index scans disabled, so the index's share is a ratio measured in the same run.
Goal: p95 < 50 ms through HTTP.

    python bench/approvals.py [--pending 10000] [--decided 10000] [--requests 200]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg
from sqlalchemy import insert, select

from asoto.agents.embeddings import OfflineEmbedder
from asoto.config import Settings
from asoto.persistence import embedded
from asoto.persistence.models import Approval, Member
from asoto.runtime.resources import open_resources
from asoto.seed import seed_community
from asoto.services.keys import create_key

sys.path.insert(0, str(Path(__file__).parent))
from _server import asoto_serve

KINDS = ["log_feedback", "coaching_risk", "match_introduction", "content_review", "coaching_steps"]
LIST_SQL = "select * from approvals where status = 'pending' {extra} order by created_at desc, id desc limit 21"


def _figures(name: str, samples: list[float]) -> float:
    samples.sort()
    p95 = samples[int(len(samples) * 0.95) - 1] * 1000
    print(f"{name:<34} p50 {statistics.median(samples) * 1000:6.2f} ms   p95 {p95:6.2f} ms")
    return p95


async def main(pending: int, decided_count: int, requests: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="asoto-bench-"))
    server = embedded.start_embedded(tmp / "pgdata")
    uri = embedded.ensure_database(server.get_uri(), "bench")
    settings = Settings(home=tmp, database_url=uri, log_level="WARNING")
    embedder = OfflineEmbedder()
    rng = random.Random(1)
    try:
        async with open_resources(settings, uri=uri, embedder=embedder) as res:
            async with res.db.sessions.begin() as session:
                await seed_community(session, embedder, seed=7)
                members = list((await session.scalars(select(Member.id))).all())
                coach = await create_key(session, role="coach")
                now = datetime.now(UTC)
                rows = []
                for i in range(pending + decided_count):
                    decided = i >= pending
                    rows.append(
                        {
                            "id": uuid.uuid4(),
                            "kind": rng.choice(KINDS),
                            "member_id": rng.choice(members),
                            "status": rng.choice(["approved", "rejected"]) if decided else "pending",
                            "thread_id": uuid.uuid4(),
                            "run_id": uuid.uuid4(),
                            "proposal": {
                                "feedback": {
                                    "affirmation": "受け止め" * 10,
                                    "insight": "気づき" * 10,
                                    "question": "問い？",
                                    "next_action": "次の一歩" * 8,
                                }
                            },
                            "reasons": ["distress"],
                            "deadline": now + timedelta(hours=24),
                            "created_at": now - timedelta(seconds=i * 7),
                            "requested_by": "service:bench",
                        }
                    )
                for start in range(0, len(rows), 2000):
                    await session.execute(insert(Approval), rows[start : start + 2000])
            member = str(rng.choice(members))
        with psycopg.connect(uri, autocommit=True) as conn:
            conn.execute("analyze approvals")

        async with (
            asoto_serve(uri, tmp) as url,
            httpx.AsyncClient(base_url=url, headers={"x-api-key": coach}) as client,
        ):
            print(f"{pending:,} pending + {decided_count:,} decided approvals; {requests} requests per case")

            async def timed(path: str) -> list[float]:
                await client.get(path)
                samples = []
                for _ in range(requests):
                    t0 = time.perf_counter()
                    r = await client.get(path)
                    samples.append(time.perf_counter() - t0)
                    assert r.status_code == 200 and r.json()["items"], r.text
                return samples

            worst = _figures("HTTP first page (20)", await timed("/approvals?limit=20"))
            worst = max(worst, _figures("HTTP kind filter", await timed("/approvals?kind=coaching_risk&limit=20")))
            worst = max(worst, _figures("HTTP member filter", await timed(f"/approvals?member_id={member}&limit=20")))
            cursor = None
            for _ in range(50):  # walk 1,000 items deep
                page = (
                    await client.get("/approvals", params={"limit": 20, **({"cursor": cursor} if cursor else {})})
                ).json()
                cursor = page["next_cursor"]
            worst = max(
                worst, _figures("HTTP page 51 (keyset cursor)", await timed(f"/approvals?limit=20&cursor={cursor}"))
            )

        with psycopg.connect(uri, autocommit=True) as conn:

            def sql_times(extra: str) -> list[float]:
                samples = []
                for _ in range(requests):
                    t0 = time.perf_counter()
                    conn.execute(LIST_SQL.format(extra=extra), prepare=False).fetchall()
                    samples.append(time.perf_counter() - t0)
                return samples

            plan_rows = conn.execute("explain " + LIST_SQL.format(extra="")).fetchall()
            plan = [" / ".join(r[0].strip() for r in plan_rows[:3])]
            with_index = _figures("SQL alone, partial index", sql_times(""))
            conn.execute("set enable_indexscan = off")
            conn.execute("set enable_bitmapscan = off")
            conn.execute("set enable_indexonlyscan = off")
            seq_plan = conn.execute("explain " + LIST_SQL.format(extra="")).fetchall()
            without = _figures("SQL alone, no index (seq scan)", sql_times(""))
            seq_exec = conn.execute("explain (analyze) " + LIST_SQL.format(extra="")).fetchall()[-1][0]
            conn.execute("reset all")
            idx_exec = conn.execute("explain (analyze) " + LIST_SQL.format(extra="")).fetchall()[-1][0]
            print(f"postgres says: with index {idx_exec.strip()}; without {seq_exec.strip()}")
            print(f"plan with index:    {plan[0]}")
            print("plan without index: " + " / ".join(r[0].strip() for r in seq_plan[:3]))
            print(f"index speed-up (p95 ratio): {without / with_index:.1f}x")
        print(f"worst HTTP p95 = {worst:.1f} ms (goal < 50 ms)")
    finally:
        server.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--pending", type=int, default=10_000)
    parser.add_argument("--decided", type=int, default=10_000, help="history of decided approvals")
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(main(args.pending, args.decided, args.requests))

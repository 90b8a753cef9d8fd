"""Runs/s of log_feedback through the HTTP API (runs.wait) vs the same graph in-process.

Same database, same offline models, ordinary logs, concurrency 16, in one run; prints both
figures and their ratio (the machine is noisy, the ratio is what to compare). The server is
a real ``asoto serve`` subprocess (API + in-process worker); the baseline drives the
compiled graph directly with the same checkpointer and ``durability="sync"``.

    python bench/api_throughput.py [--runs 160] [--concurrency 16] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from langgraph_sdk import get_client
from sqlalchemy import select

from asoto.agents.embeddings import OfflineEmbedder
from asoto.config import Settings
from asoto.graphs.context import run_config
from asoto.persistence import embedded
from asoto.persistence.models import Member
from asoto.runtime.resources import open_resources
from asoto.seed import community_size, seed_community
from asoto.services.keys import create_key

sys.path.insert(0, str(Path(__file__).parent))
from _server import asoto_process

LOGS = [
    {"title": "朝ラン", "content": "今朝は5キロ走って気分がすっきりした。明日も続けたい。"},
    {"title": "読書記録", "content": "寝る前に30ページ本を読んだ。続けることの大切さに気づいた。"},
    {"title": "家族の時間", "content": "子どもと公園で2時間遊んだ。とても楽しかった。"},
    {"title": "仕事の振り返り", "content": "会議で自分の意見を言えた。少し自信がついた。"},
]


def _summary(name: str, latencies: list[float], wall: float) -> dict[str, float]:
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    rate = len(latencies) / wall
    print(
        f"{name:<12} {rate:7.1f} runs/s   p50 {statistics.median(latencies) * 1000:6.0f} ms   "
        f"p95 {p95 * 1000:6.0f} ms   ({len(latencies)} runs in {wall:.1f} s)"
    )
    return {"rate": rate}


async def _drive(n: int, concurrency: int, one: Any) -> tuple[list[float], float]:
    sem = asyncio.Semaphore(concurrency)
    latencies: list[float] = []

    async def task(i: int) -> None:
        async with sem:
            t0 = time.perf_counter()
            await one(i)
            latencies.append(time.perf_counter() - t0)

    start = time.perf_counter()
    await asyncio.gather(*(task(i) for i in range(n)))
    return latencies, time.perf_counter() - start


async def main(runs: int, concurrency: int, rounds: int, workers: int | None = None) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="asoto-bench-"))
    server = embedded.start_embedded(tmp / "pgdata")
    uri = embedded.ensure_database(server.get_uri(), "bench")
    settings = Settings(
        home=tmp, database_url=uri, log_level="WARNING", pool_max_size=40, worker_concurrency=concurrency
    )
    embedder = OfflineEmbedder()
    try:
        async with open_resources(settings, uri=uri, embedder=embedder) as res:
            async with res.db.sessions.begin() as session:
                if not await community_size(session):
                    await seed_community(session, embedder, seed=7)
                members = [
                    str(m)
                    for m in (
                        await session.scalars(
                            select(Member.id).where(Member.locale == "ja").order_by(Member.id).limit(50)
                        )
                    ).all()
                ]
                key = await create_key(session, role="service")

            def payload(i: int) -> dict[str, Any]:
                return {"member_id": members[i % len(members)], "log": LOGS[i % len(LOGS)]}

            graph = res.graphs["log_feedback"]

            async def in_process(i: int) -> None:
                out = await graph.ainvoke(
                    payload(i), run_config(uuid.uuid4(), uuid.uuid4()), context=res.context(), durability="sync"
                )
                assert out["status"] == "published", out

            layout = ("--workers", str(workers)) if workers is not None else ()  # None: serve's default
            async with asoto_process(uri, tmp, *layout, ASOTO_WORKER_CONCURRENCY=str(concurrency)) as (url, _):
                client = get_client(url=url, api_key=key, timeout=120)

                async def over_http(i: int) -> None:
                    out = await client.runs.wait(
                        str(uuid.uuid4()), "log_feedback", input=payload(i), if_not_exists="create"
                    )
                    assert out["status"] == "published", out

                await _drive(concurrency, concurrency, in_process)  # warm-up (model load, pools)
                await _drive(concurrency, concurrency, over_http)
                print(
                    f"log_feedback, offline models, ordinary logs, concurrency {concurrency}, "
                    f"{os.cpu_count()} cores, {rounds} alternating rounds of {runs} runs, "
                    f"serve --workers {'default' if workers is None else workers}"
                )
                rates: dict[str, list[float]] = {"in-process": [], "HTTP API": []}
                for _ in range(rounds):  # alternate, so drifts of a noisy machine hit both sides
                    for name, one in (("in-process", in_process), ("HTTP API", over_http)):
                        lat, wall = await _drive(runs, concurrency, one)
                        rates[name].append(_summary(name, lat, wall)["rate"])
        base = statistics.median(rates["in-process"])
        http = statistics.median(rates["HTTP API"])
        ratio = http / base
        print(f"median: in-process {base:.1f} runs/s, HTTP API {http:.1f} runs/s")
        print(f"ratio HTTP / in-process = {ratio:.2f}   (goal ≥ 0.85)")
    finally:
        server.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=160)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, help="serve's worker processes (default: serve's own default)")
    args = parser.parse_args()
    asyncio.run(main(args.runs, args.concurrency, args.rounds, args.workers))

"""Eval throughput: log_feedback cases/s through ``asoto eval`` (the worker path, trajectories,
evaluators, answer cache) vs the same logs run straight through the compiled graph in-process.

    python bench/evals.py [--jobs 4] [--repeat 3] [--rounds 2]

Both sides run in one process against one embedded Postgres, alternating, offline models. The
goal (eval issue): ≥ 20 log_feedback cases/s with -j 4 on a 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from asoto.agents.embeddings import OfflineEmbedder
from asoto.config import Settings
from asoto.evals.cases import load_cases
from asoto.evals.runner import EVAL_NOW, EvalConfig, eval_database, execute, member_for, member_id
from asoto.graphs.context import run_config
from asoto.persistence import embedded
from asoto.runtime.resources import open_resources


async def in_process(settings: Settings, jobs: int, repeat: int) -> float:
    """The same logs, straight through the graph (no run rows, no worker, no evaluators)."""
    cases = [{**c, "_position": n} for n, c in enumerate(load_cases("log_feedback"))] * repeat
    embedder = OfflineEmbedder()
    async with (
        eval_database(settings, embedder) as uri,
        open_resources(settings, uri=uri, embedder=embedder, migrate_first=False) as res,
    ):
        res.clock = lambda: EVAL_NOW
        await embedder.embed(["準備"])
        graph = res.graphs["log_feedback"]
        limit = asyncio.Semaphore(jobs)

        async def one(case: dict) -> None:  # type: ignore[type-arg]
            async with limit:
                payload = {"member_id": str(member_id(member_for(case, case["locale"]))), "log": case["log"]}
                await graph.ainvoke(
                    payload, run_config(uuid.uuid4(), uuid.uuid4()), context=res.context(), durability="sync"
                )

        started = time.perf_counter()
        await asyncio.gather(*(one(c) for c in cases))
        return len(cases) / (time.perf_counter() - started)


async def main(jobs: int, repeat: int, rounds: int) -> None:
    home = Path(tempfile.mkdtemp(prefix="asoto-bench-evals-"))
    server = embedded.start_embedded(home / "pgdata")
    settings = Settings(home=home, database_url=server.get_uri(), log_level="ERROR", log_format="json")
    from asoto.logs import configure_logging

    configure_logging(settings)
    try:
        config = EvalConfig(flows=["log_feedback"], jobs=jobs, repeat=repeat, cache="off")
        await execute(settings, config)  # warm-up: builds the seeded template once
        rates: dict[str, list[float]] = {"asoto eval": [], "graph in-process": []}
        for _ in range(rounds):
            _, counters = await execute(settings, config)
            rates["asoto eval"].append(float(counters["cases_per_second"]))
            rates["graph in-process"].append(await in_process(settings, jobs, repeat))
        print(f"log_feedback, 40 cases × {repeat} repeats, -j {jobs}, offline models, {rounds} alternating rounds")
        for name, values in rates.items():
            print(
                f"  {name:<18} median {statistics.median(values):6.1f} cases/s   rounds {[round(v, 1) for v in values]}"
            )
        ratio = statistics.median(rates["asoto eval"]) / statistics.median(rates["graph in-process"])
        print(f"  eval / in-process = {ratio:.2f}   (goal: eval ≥ 20 cases/s)")
    finally:
        server.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.jobs, args.repeat, args.rounds)))

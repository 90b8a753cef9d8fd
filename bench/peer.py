"""The same work as the peers, on a user's graph: asoto vs the bare graph in-process.

The graph is ``examples/thanks_note`` (4 nodes, one interrupt), served from
``examples/langgraph.json``. A cycle = create a thread + run to the interrupt + resume to the end.

- **in-process**: the compiled graph with LangGraph's ``AsyncPostgresSaver`` on the same Postgres,
  no API, no queue (the floor any server adds to);
- **asoto xN**: ``asoto serve --config examples/langgraph.json --workers N`` (the API and N worker
  processes it manages; N = 1, the default on 2+ cores, unless ``--workers`` says otherwise) in a
  subprocess, driven by the official ``langgraph-sdk`` (``threads.create``, ``runs.wait`` twice);
  CPU is the sum of the server and its workers;
- **asoto 1-proc**: ``serve --workers 0``: the worker inside the API's process (on its own
  database, so the two asoto sides never take each other's runs).

Sides alternate round by round (the machine is noisy). Per side and concurrency it prints cycles/s,
p50/p95/p99 per call, CPU ms per cycle of the server process and of Postgres, and SQL statements
per cycle (a separate counting pass with ``log_statement = all``: logging costs time, so the timed
rounds run without it), then the ratios.

    python bench/peer.py [--cycles 120] [--rounds 3] [--concurrency 1 16]

``--langgraph-dev BIN`` adds the same graph under ``langgraph dev`` (in-memory, from the same
``examples/langgraph.json``). ``langgraph-cli[inmem]`` pulls in ``langgraph-api`` and its own pins,
so install it in a separate virtualenv and pass its ``langgraph`` executable::

    python3 -m venv /tmp/lgdev && /tmp/lgdev/bin/pip install "langgraph-cli[inmem]"
    python bench/peer.py --langgraph-dev /tmp/lgdev/bin/langgraph
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import psutil
import psycopg
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from langgraph.types import Command
from langgraph_sdk import get_client
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from asoto.config import Settings
from asoto.graphs.registry import flows_for
from asoto.persistence import embedded
from asoto.runtime.resources import open_resources
from asoto.services.keys import create_key

sys.path.insert(0, str(Path(__file__).parent))
from _server import asoto_process, free_port, wait_ok

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "langgraph.json"
NOTE = {"to": "佐藤さん", "reason": "発表の練習"}
RESUME = {"approve": True}

Cycle = Callable[[], Awaitable[list[float]]]  # one cycle; returns the latency of each call in it


def cpu_s(processes: list[psutil.Process]) -> float:
    total = 0.0
    for proc in processes:
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def postgres_processes(server: Any) -> list[psutil.Process]:
    postmaster = psutil.Process(server.get_pid())
    return [postmaster, *postmaster.children(recursive=True)]


async def drive(n: int, concurrency: int, cycle: Cycle) -> tuple[list[float], float]:
    sem = asyncio.Semaphore(concurrency)
    calls: list[float] = []

    async def one() -> None:
        async with sem:
            calls.extend(await cycle())

    start = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(n)))
    return calls, time.perf_counter() - start


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000


async def count_statements(uri: str, server: Any, n: int, cycle: Cycle) -> float:
    """SQL statements per cycle, from the server log with ``log_statement = all``."""
    log = Path(server.pgdata) / "log"
    async with await psycopg.AsyncConnection.connect(uri, autocommit=True) as conn:
        await conn.execute("alter system set log_statement = 'all'")
        await conn.execute("select pg_reload_conf()")
    await asyncio.sleep(0.5)
    before = log.read_text(errors="replace").count("LOG:  ") if log.exists() else 0
    for _ in range(n):
        await cycle()
    await asyncio.sleep(0.5)
    after = log.read_text(errors="replace")
    async with await psycopg.AsyncConnection.connect(uri, autocommit=True) as conn:
        await conn.execute("alter system reset log_statement")
        await conn.execute("select pg_reload_conf()")
    lines = after.split("LOG:  ")[before + 1 :]
    statements = [x for x in lines if x.startswith(("statement:", "execute "))]
    return len(statements) / n


async def main(
    cycles: int,
    rounds: int,
    concurrencies: list[int],
    workers: int = 1,
    langgraph_dev: str | None = None,
    durability: str = "sync",
) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="asoto-peer-"))
    server = embedded.start_embedded(tmp / "pgdata")
    uri = embedded.ensure_database(server.get_uri(), "peer")
    settings = Settings(home=tmp, database_url=uri, log_level="WARNING", graphs_config=EXAMPLE)
    graph = flows_for(EXAMPLE)["thanks_note"].compiled
    try:
        async with open_resources(settings, uri=uri) as res, res.db.sessions.begin() as session:
            key = await create_key(session, role="service")
        pool = AsyncConnectionPool(
            uri,
            open=False,
            max_size=20,
            kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
        )
        await pool.open()
        saver = AsyncPostgresSaver(pool)  # type: ignore[arg-type]
        bare = graph.copy(update={"checkpointer": saver})

        async def in_process() -> list[float]:
            config = {"configurable": {"thread_id": str(uuid.uuid4())}}
            t0 = time.perf_counter()
            await bare.ainvoke(NOTE, config, durability=durability)
            t1 = time.perf_counter()
            done = await bare.ainvoke(Command(resume=RESUME), config, durability=durability)
            assert done["approved"], done
            return [t1 - t0, time.perf_counter() - t1]

        single_uri = embedded.ensure_database(server.get_uri(), "peer_single")  # its own runs table
        single_settings = settings.model_copy(update={"database_url": single_uri})
        async with open_resources(single_settings, uri=single_uri) as res, res.db.sessions.begin() as session:
            single_key = await create_key(session, role="service")
        env = {"ASOTO_WORKER_CONCURRENCY": "16", "ASOTO_RATE_REQUESTS_PER_S": "0"}
        async with (
            asoto_process(uri, tmp, "--config", str(EXAMPLE), "--workers", str(workers), **env) as (url, proc),
            asoto_process(single_uri, tmp, "--config", str(EXAMPLE), "--workers", "0", **env) as (single_url, one),
        ):
            await asyncio.sleep(2)  # the worker processes connect
            dev_proc = None
            if langgraph_dev:
                dev_port = free_port()
                dev_proc = subprocess.Popen(
                    [
                        langgraph_dev,
                        "dev",
                        "--config",
                        str(EXAMPLE),
                        "--port",
                        str(dev_port),
                        "--no-browser",
                        "--no-reload",
                        "--n-jobs-per-worker",
                        "16",
                    ],
                    cwd=EXAMPLE.parent,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                await wait_ok(f"http://127.0.0.1:{dev_port}")
            client = get_client(url=url, api_key=key, timeout=120)
            single_client = get_client(url=single_url, api_key=single_key, timeout=120)
            served = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]

            async def cycle_on(sdk: Any) -> list[float]:
                thread = await sdk.threads.create()
                t0 = time.perf_counter()
                waiting = await sdk.runs.wait(thread["thread_id"], "thanks_note", input=NOTE, durability=durability)
                t1 = time.perf_counter()
                done = await sdk.runs.wait(
                    thread["thread_id"], "thanks_note", command={"resume": RESUME}, durability=durability
                )
                assert waiting["__interrupt__"] and done["approved"], done
                return [t1 - t0, time.perf_counter() - t1]

            async def over_api() -> list[float]:
                return await cycle_on(client)

            async def over_single() -> list[float]:
                return await cycle_on(single_client)

            dev_client = get_client(url=f"http://127.0.0.1:{dev_port}", timeout=120) if dev_proc else None

            async def over_dev() -> list[float]:
                return await cycle_on(dev_client)

            me = psutil.Process()
            sides: dict[str, tuple[Cycle, list[psutil.Process]]] = {
                "in-process": (in_process, [me]),
                f"asoto x{workers}": (over_api, served),  # serve --workers N: the API and N worker processes
                "asoto 1-proc": (over_single, [psutil.Process(one.pid)]),  # serve --workers 0
            }
            if dev_proc is not None:
                sides["langgraph dev"] = (over_dev, [psutil.Process(dev_proc.pid)])
            for cycle, _ in sides.values():  # warm-up: imports, pools, first compiles
                await drive(16, 8, cycle)
            statements = {
                name: 0.0 if name == "langgraph dev" else await count_statements(uri, server, 20, cycle)
                for name, (cycle, _) in sides.items()
            }
            print(
                f"thanks_note (4 nodes, 1 interrupt), cycle = create thread + run to interrupt + resume; "
                f"{psutil.cpu_count()} cores, {rounds} alternating rounds of {cycles} cycles, durability {durability}"
            )
            results: dict[tuple[str, int], list[dict[str, float]]] = {}
            for concurrency in concurrencies:
                for _ in range(rounds):
                    for name, (cycle, processes) in sides.items():
                        pg = postgres_processes(server)
                        cpu0, pg0 = cpu_s(processes), cpu_s(pg)
                        calls, wall = await drive(cycles, concurrency, cycle)
                        cpu1, pg1 = cpu_s(processes), cpu_s(postgres_processes(server))
                        results.setdefault((name, concurrency), []).append(
                            {
                                "rate": cycles / wall,
                                "p50": pct(calls, 0.50),
                                "p95": pct(calls, 0.95),
                                "p99": pct(calls, 0.99),
                                "cpu": (cpu1 - cpu0) / cycles * 1000,
                                "pg": (pg1 - pg0) / cycles * 1000,
                            }
                        )
            print(
                f"{'side':<13} {'conc':>4} {'cycles/s':>9} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
                f"{'CPU ms/cyc':>10} {'PG ms/cyc':>9} {'SQL/cyc':>8}"
            )
            for (name, concurrency), rows in results.items():
                med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
                print(
                    f"{name:<13} {concurrency:>4} {med['rate']:>9.1f} {med['p50']:>7.1f} {med['p95']:>7.1f} "
                    f"{med['p99']:>7.1f} {med['cpu']:>10.1f} {med['pg']:>9.1f} {statements[name]:>8.1f}"
                )
            for concurrency in concurrencies:
                floor = statistics.median(r["rate"] for r in results[("in-process", concurrency)])
                for side in (f"asoto x{workers}", "asoto 1-proc", "langgraph dev"):
                    if (side, concurrency) not in results:
                        continue
                    ours = statistics.median(r["rate"] for r in results[(side, concurrency)])
                    print(f"concurrency {concurrency}: {side} / in-process = {ours / floor:.2f}")
                if ("langgraph dev", concurrency) in results:
                    dev = statistics.median(r["rate"] for r in results[("langgraph dev", concurrency)])
                    ours = statistics.median(r["rate"] for r in results[(f"asoto x{workers}", concurrency)])
                    print(f"concurrency {concurrency}: asoto / langgraph dev = {ours / dev:.2f}")
            print(
                "(CPU ms/cyc: the asoto server process; for in-process, this bench process, which also runs "
                "the asoto client: an upper bound)"
            )
            if dev_proc is not None:
                dev_proc.terminate()
                dev_proc.wait(timeout=30)
        await pool.close()
    finally:
        server.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--cycles", type=int, default=120)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16])
    parser.add_argument("--workers", type=int, default=1, help="worker processes of the asoto xN side")
    parser.add_argument(
        "--durability",
        choices=["sync", "async", "exit"],
        default="sync",
        help="every side runs the graph with it (sync: asoto's default; async: LangGraph's)",
    )
    parser.add_argument("--langgraph-dev", help="a langgraph executable (langgraph-cli[inmem]) for a fourth side")
    args = parser.parse_args()
    asyncio.run(main(args.cycles, args.rounds, args.concurrency, args.workers, args.langgraph_dev, args.durability))

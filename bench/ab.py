"""A/B: ``bench/peer.py``'s cycle against this checkout and an earlier revision, side by side.

Each side is a real ``asoto serve`` (API + its worker process) on its own database of one embedded
Postgres; side A runs the code of ``--base`` (checked out into a temporary git worktree and put
first on its ``PYTHONPATH``), side B this checkout. Rounds alternate A/B and B/A at concurrency 1
and 16, and the script prints medians of cycles/s, p50 per ``runs.wait``, server and Postgres CPU
per cycle, and B÷A. This 2-core machine has slow and fast phases, so one change is judged by the
ratio within a run, never by figures from two runs. ``--base-env``/``--env`` compare settings of
one code instead (``--base -``: both sides run this checkout).

    python bench/ab.py --base HEAD~1
    python bench/ab.py --base - --base-env ASOTO_API_RUNS=0
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
from langgraph_sdk import get_client

from asoto.config import Settings
from asoto.persistence import embedded
from asoto.runtime.resources import open_resources
from asoto.services.keys import create_key

sys.path.insert(0, str(Path(__file__).parent))
from _server import asoto_process
from peer import EXAMPLE, NOTE, RESUME, cpu_s, drive, pct, postgres_processes

REPO = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def worktree(revision: str) -> Iterator[Path | None]:
    """The source directory of ``revision`` (``-``: none, this checkout)."""
    if revision == "-":
        yield None
        return
    where = Path(tempfile.mkdtemp(prefix="asoto-ab-base-")) / "tree"
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "-q", "--detach", str(where), revision], check=True)
    try:
        yield where / "src"
    finally:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(where)], check=False)


def pairs(items: list[str]) -> dict[str, str]:
    return dict(item.split("=", 1) for item in items)


async def main(base_src: Path | None, base_env: dict[str, str], env: dict[str, str], cycles: int, rounds: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="asoto-ab-"))
    server = embedded.start_embedded(tmp / "pgdata")
    uris = {side: embedded.ensure_database(server.get_uri(), f"ab_{side.lower()}") for side in "AB"}
    keys = {}
    for side, uri in uris.items():
        settings = Settings(home=tmp, database_url=uri, log_level="WARNING", graphs_config=EXAMPLE)
        async with open_resources(settings, uri=uri) as res, res.db.sessions.begin() as session:
            keys[side] = await create_key(session, role="service")
    common = {"ASOTO_WORKER_CONCURRENCY": "16", "ASOTO_RATE_REQUESTS_PER_S": "0"}
    a_env = {**common, **base_env, **({"PYTHONPATH": str(base_src)} if base_src else {})}
    b_env = {**common, **env}
    args = ("--config", str(EXAMPLE))
    async with (
        asoto_process(uris["A"], tmp, *args, **a_env) as (a_url, a_proc),
        asoto_process(uris["B"], tmp, *args, **b_env) as (b_url, b_proc),
    ):
        await asyncio.sleep(2)  # the worker processes connect
        sides: dict[str, tuple[Any, list[psutil.Process]]] = {}
        for side, (url, proc) in {"A": (a_url, a_proc), "B": (b_url, b_proc)}.items():
            sdk = get_client(url=url, api_key=keys[side], timeout=120)

            async def cycle(sdk: Any = sdk) -> list[float]:
                thread = await sdk.threads.create()
                t0 = time.perf_counter()
                await sdk.runs.wait(thread["thread_id"], "thanks_note", input=NOTE)
                t1 = time.perf_counter()
                await sdk.runs.wait(thread["thread_id"], "thanks_note", command={"resume": RESUME})
                return [t1 - t0, time.perf_counter() - t1]

            served = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
            sides[side] = (cycle, served)
            await drive(30, 8, cycle)  # warm-up
        print(f"A: {base_src or 'this checkout'} {base_env or ''}\nB: this checkout {env or ''}")
        for concurrency in (1, 16):
            figures: dict[str, list[tuple[float, float, float, float]]] = {"A": [], "B": []}
            for r in range(rounds):
                for side in "AB" if r % 2 == 0 else "BA":
                    cycle, served = sides[side]
                    cpu0, pg0 = cpu_s(served), cpu_s(postgres_processes(server))
                    calls, wall = await drive(cycles, concurrency, cycle)
                    cpu1, pg1 = cpu_s(served), cpu_s(postgres_processes(server))
                    figures[side].append(
                        (cycles / wall, pct(calls, 0.5), (cpu1 - cpu0) / cycles * 1000, (pg1 - pg0) / cycles * 1000)
                    )
            for side in "AB":
                rate, p50, cpu, pg = (statistics.median(f[i] for f in figures[side]) for i in range(4))
                print(
                    f"{side} c={concurrency:<2} {rate:6.1f} cycles/s  p50 {p50:5.1f} ms  "
                    f"server CPU {cpu:5.1f} ms/cycle  Postgres CPU {pg:4.1f} ms/cycle"
                )
            ratio = statistics.median(b[0] / a[0] for a, b in zip(figures["A"], figures["B"], strict=True))
            print(f"   c={concurrency}: B÷A cycles/s = {ratio:.3f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="HEAD~1", help="a git revision for side A, or - for this checkout")
    parser.add_argument("--base-env", nargs="*", default=[], help="NAME=value settings of side A")
    parser.add_argument("--env", nargs="*", default=[], help="NAME=value settings of side B")
    parser.add_argument("--cycles", type=int, default=80)
    parser.add_argument("--rounds", type=int, default=4)
    options = parser.parse_args()
    with worktree(options.base) as source:
        asyncio.run(main(source, pairs(options.base_env), pairs(options.env), options.cycles, options.rounds))

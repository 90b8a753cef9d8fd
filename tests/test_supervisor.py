"""``asoto serve``'s worker processes (``runtime.supervisor``), as a deployment meets them: the real
command in a subprocess, a child killed, the server stopped, the server killed."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psutil

from asoto.runtime.resources import Resources

from .apptools import free_port
from .conftest import make_key

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "langgraph.json"


@contextmanager
def serve(db_uri: str, home: Path, *args: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    env = {**os.environ, "ASOTO_DATABASE_URL": db_uri, "ASOTO_HOME": str(home), "ASOTO_LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "asoto.cli", "serve", "--port", str(port), "--config", str(EXAMPLE), *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield f"http://127.0.0.1:{port}", proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=60)


def workers_of(pid: int) -> list[psutil.Process]:
    try:
        return [p for p in psutil.Process(pid).children() if "worker" in p.cmdline()]
    except psutil.NoSuchProcess:
        return []


async def until(predicate: object, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        await asyncio.sleep(0.1)
    raise AssertionError("timed out")


async def cycle(url: str, key: str) -> None:
    """A thanks_note run to its interrupt and on to the end: only a worker process can run it."""
    async with httpx.AsyncClient(base_url=url, headers={"x-api-key": key}, timeout=30) as client:
        thread = (await client.post("/threads", json={})).json()["thread_id"]
        body = {"assistant_id": "thanks_note", "input": {"to": "佐藤さん", "reason": "発表"}}
        waiting = (await client.post(f"/threads/{thread}/runs/wait", json=body)).json()
        assert waiting["__interrupt__"], waiting
        resume = {"assistant_id": "thanks_note", "command": {"resume": {"approve": True}}}
        done = (await client.post(f"/threads/{thread}/runs/wait", json=resume)).json()
        assert done["approved"] is True, done


async def up(url: str) -> None:
    async with httpx.AsyncClient() as probe:
        for _ in range(300):
            try:
                if (await probe.get(f"{url}/ok")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError("serve did not start")


async def test_serve_keeps_its_worker_process_alive_and_takes_it_down_with_it(
    resources: Resources, db_uri: str, tmp_path: Path
) -> None:
    """Runs go to the child (the API has no worker of its own); a killed child is replaced and
    the runs go on; SIGTERM to serve stops the child too: no process outlives the server."""
    key = await make_key(resources, "service")
    with serve(db_uri, tmp_path, "--workers", "1") as (url, proc):
        await up(url)
        await until(lambda: len(workers_of(proc.pid)) == 1)
        [first] = workers_of(proc.pid)
        await cycle(url, key)
        first.kill()
        await until(lambda: [w.pid for w in workers_of(proc.pid)] not in ([], [first.pid]))
        [second] = workers_of(proc.pid)
        await cycle(url, key)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    await until(lambda: not second.is_running() or second.status() == psutil.STATUS_ZOMBIE, 10)


async def test_a_worker_process_stops_when_its_server_is_killed(
    resources: Resources, db_uri: str, tmp_path: Path
) -> None:
    with serve(db_uri, tmp_path, "--workers", "2") as (url, proc):
        await up(url)
        await until(lambda: len(workers_of(proc.pid)) == 2)
        children = workers_of(proc.pid)
        proc.kill()  # no drain, no signal to the children: they notice the parent is gone
        proc.wait(timeout=10)
        await until(lambda: all(not c.is_running() or c.status() == psutil.STATUS_ZOMBIE for c in children), 10)


async def test_workers_zero_runs_the_worker_in_the_api_process(
    resources: Resources, db_uri: str, tmp_path: Path
) -> None:
    key = await make_key(resources, "service")
    with serve(db_uri, tmp_path, "--workers", "0") as (url, proc):
        await up(url)
        await cycle(url, key)
        assert workers_of(proc.pid) == []

"""``asoto serve``'s worker processes: started with the API, restarted if they die, drained with it.

On a machine with two or more cores the API and the runs it serves compete for one event loop
when they share a process: measured with ``bench/peer.py`` (concurrency 16), the API with one
worker in a child process did more cycles per second than the same work in one process. So
``serve`` runs its workers as children by default (``--workers N``; ``--workers 0`` keeps the
worker in the API's process). Children are ordinary ``asoto worker`` processes against the
parent's database URL (an embedded server started by the parent is shared, not started again),
and they stop on their own if the parent dies without stopping them (``ASOTO_PARENT_PID``).

Hand-rolled: a process manager such as supervisord or a container orchestrator does this for
separate deployments (and should: see the scale-out section of the README); inside one command
the engine needs a few lines, not another daemon.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys

import structlog

from asoto.config import Settings

log = structlog.get_logger(__name__)

PARENT_ENV = "ASOTO_PARENT_PID"
RESTART_BACKOFF_S = (1.0, 2.0, 5.0, 10.0, 30.0)


def default_worker_processes() -> int:
    """One child worker where there is a second core to run it on; none on a single core."""
    return 1 if (os.cpu_count() or 1) >= 2 else 0


def worker_command(settings: Settings) -> list[str]:
    command = [sys.executable, "-m", "asoto.cli", "worker"]
    if settings.graphs_config is not None:
        command += ["--config", str(settings.graphs_config)]
    return command


class WorkerProcesses:
    """``count`` children running ``asoto worker``; each is restarted (with backoff) if it exits."""

    def __init__(self, settings: Settings, uri: str, count: int) -> None:
        self._command = worker_command(settings)
        self._env = {**os.environ, "ASOTO_DATABASE_URL": uri, PARENT_ENV: str(os.getpid())}
        self._count = count
        self._stopping = False
        self._children: dict[int, asyncio.subprocess.Process] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._drain_s = settings.run_lease_s

    @property
    def pids(self) -> list[int]:
        return [proc.pid for proc in self._children.values()]

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._keep(slot), name=f"worker-process-{slot}") for slot in range(self._count)
        ]

    async def _keep(self, slot: int) -> None:
        failures = 0
        while not self._stopping:
            proc = await asyncio.create_subprocess_exec(*self._command, env=self._env)
            self._children[slot] = proc
            code = await proc.wait()
            if self._stopping:
                return
            delay = RESTART_BACKOFF_S[min(failures, len(RESTART_BACKOFF_S) - 1)]
            failures += 1
            log.warning("worker_process.exited", pid=proc.pid, code=code, restart_in_s=delay)
            await asyncio.sleep(delay)

    async def stop(self) -> None:
        """SIGTERM (a worker drains: hands its runs back at once), then wait; kill what lingers."""
        self._stopping = True
        for proc in self._children.values():
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGTERM)
        for proc in self._children.values():
            try:
                await asyncio.wait_for(proc.wait(), timeout=self._drain_s)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def stop_when_orphaned(stop: asyncio.Event, *, every_s: float = 1.0) -> None:
    """In a child worker: set ``stop`` once the ``serve`` that started it is gone (killed, crashed),
    so no worker outlives its server."""
    parent = os.environ.get(PARENT_ENV)
    if not parent or not parent.isdigit():
        return
    while not stop.is_set():
        if os.getppid() != int(parent):
            log.warning("worker_process.orphaned", parent=parent)
            stop.set()
            return
        await asyncio.sleep(every_s)

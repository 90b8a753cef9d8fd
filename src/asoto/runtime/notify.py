"""One LISTEN connection per process, fanning Postgres notifications out to asyncio waiters.

Postgres is the only coordination engine: workers in other processes or machines wake on
``asoto_run_new``, waiters on ``asoto_run_done``, owners of a run on ``asoto_run_cancel``.
Every waiter also polls, so a lost notification (reconnect, restart) only costs latency.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import Callable, Iterator

import psycopg
import structlog

from asoto.persistence.database import libpq_uri
from asoto.persistence.models import Run
from asoto.persistence.run_queue import CH_CANCEL, CH_NEW_RUN, CH_RUN_DONE, CH_RUN_EVENT

log = structlog.get_logger(__name__)
MAX_ENDED_HERE = 1024


class NotificationHub:
    def __init__(self, uri: str) -> None:
        self._uri = libpq_uri(uri)
        self._done: dict[str, set[asyncio.Event]] = defaultdict(set)
        self._ended_here: dict[str, Run] = {}  # runs this process finished, for its own waiters
        self._finishing: set[str] = set()  # runs whose end this process is recording
        self.new_run = asyncio.Event()
        self.on_cancel: Callable[[str], None] | None = None
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen(), name="asoto-notify")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready.wait(), timeout=10)

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _listen(self) -> None:
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(self._uri, autocommit=True) as conn:
                    for channel in (CH_NEW_RUN, CH_RUN_DONE, CH_CANCEL, CH_RUN_EVENT):
                        await conn.execute(f"listen {channel}")
                    self._ready.set()
                    async for note in conn.notifies():
                        self._dispatch(note.channel, note.payload)
            except asyncio.CancelledError:
                raise
            except psycopg.Error as exc:
                log.warning("notify.reconnect", error=str(exc))
                self._wake_all()
                await asyncio.sleep(1.0)

    def _dispatch(self, channel: str, payload: str) -> None:
        if channel == CH_NEW_RUN:
            self.new_run.set()
        elif channel == CH_RUN_DONE and payload in self._finishing:
            return  # the finisher here hands the run to its waiters (``ended_here``)
        elif channel in (CH_RUN_DONE, CH_RUN_EVENT):  # waiters re-read the run and its events
            self._wake(payload)
        elif channel == CH_CANCEL and self.on_cancel is not None:
            self.on_cancel(payload)

    def _wake_all(self) -> None:
        self.new_run.set()
        for events in self._done.values():
            for event in events:
                event.set()

    @contextlib.contextmanager
    def finishing(self, run_id: str) -> Iterator[None]:
        """Around recording a run's end in this process: its own ``asoto_run_done`` notification,
        which can arrive before the finishing statement returns, does not wake the waiters here
        (they would read the run back); ``ended_here`` hands them the run instead. If the end was
        not recorded here (the fence refused it, the statement failed), the waiters are woken to
        read the run as it is."""
        self._finishing.add(run_id)
        try:
            yield
        finally:
            if run_id in self._finishing:
                self._finishing.discard(run_id)
                self._wake(run_id)

    def ended_here(self, run: Run) -> None:
        """A run this process's worker finished (``finish_run`` recorded it): a waiter here gets it
        at once, without the notification's trip through Postgres or reading the run back. The
        notification still goes out for every other process; it finds no waiter here."""
        key = str(run.run_id)
        self._finishing.discard(key)
        if key not in self._done:
            return
        self._ended_here[key] = run
        while len(self._ended_here) > MAX_ENDED_HERE:  # waiters that left without reading theirs
            self._ended_here.pop(next(iter(self._ended_here)))
        self._wake(key)

    def _wake(self, run_id: str) -> None:
        """Every waiter of the run, once (a waiter subscribes again to hear more)."""
        for event in self._done.pop(run_id, ()):
            event.set()

    def take_ended(self, run_id: str) -> Run | None:
        """The run as ``ended_here`` left it, once; ``None``: read it from the database."""
        return self._ended_here.pop(run_id, None)

    def subscribe(self, run_id: str) -> asyncio.Event:
        """An event set when the run ends or writes stream events; pair with ``unsubscribe``."""
        event = asyncio.Event()
        self._done[run_id].add(event)
        return event

    def unsubscribe(self, run_id: str, event: asyncio.Event) -> None:
        waiters = self._done.get(run_id)
        if waiters is not None:
            waiters.discard(event)
            if not waiters:
                self._done.pop(run_id, None)

    @contextlib.contextmanager
    def waiting_for(self, run_id: str) -> Iterator[asyncio.Event]:
        event = self.subscribe(run_id)
        try:
            yield event
        finally:
            self.unsubscribe(run_id, event)

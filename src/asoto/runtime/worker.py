"""The worker: claims runs, executes their graph, records the outcome.

``asoto serve`` starts worker processes it manages (or one worker in its own process with
``--workers 0``) and ``asoto worker`` adds processes. Beside worker processes, the API process
keeps a small worker that claims nothing and runs the waits it creates itself (``adopt``). A worker that
dies loses nothing: its leases lapse, a sweeper requeues the runs, and the next attempt continues
from the last checkpoint (built-in flows run ``durability="sync"``: each step is saved before the
next starts; a user's graph may ask for ``async`` or ``exit``).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import psycopg
import structlog
from langgraph.types import Command
from sqlalchemy import func, select

from asoto.graphs.context import run_config
from asoto.persistence import retention, run_queue
from asoto.persistence.checkpointer import CURRENT_LEASE, Lease, LeaseLost
from asoto.persistence.database import IDLE_IN_TRANSACTION_MS, PROCESS_TAG, is_unavailable
from asoto.persistence.models import RunEvent
from asoto.runtime import metrics, streaming, webhooks
from asoto.runtime.notify import NotificationHub
from asoto.runtime.resources import Resources
from asoto.serialize import jsonable, state_interrupts
from asoto.services import assistants, crons, schedules, threads

log = structlog.get_logger(__name__)


class Worker:
    def __init__(
        self,
        res: Resources,
        hub: NotificationHub,
        *,
        concurrency: int | None = None,
        webhook_transport: httpx.AsyncBaseTransport | None = None,
        claims: bool = True,
    ) -> None:
        """``claims=False``: a worker that only runs what its own process hands it (``adopt``),
        beside worker processes that claim from the queue; it does none of their housekeeping."""
        self.res = res
        self.hub = hub
        self.claims = claims
        self.concurrency = concurrency or res.settings.worker_concurrency
        self._reserved = 0  # slots promised to runs being created in this process (``reserve``)
        # the lease owner names this process as its database connections do (application_name)
        self.owner = f"{PROCESS_TAG}/{uuid.uuid4().hex[:6]}"
        self._tasks: dict[str, asyncio.Task[None]] = {}
        # a cancel stops a run's graph, never the attempt's bookkeeping: it may arrive before the
        # graph has started (right after the claim), so it is remembered until the graph exists
        self._runners: dict[str, asyncio.Task[None]] = {}
        self._cancel_asked: set[str] = set()
        self._loop_task: asyncio.Task[None] | None = None
        self._stopping = False
        self._http = httpx.AsyncClient(transport=webhook_transport)
        hub.on_cancel = self._cancel_local

    async def start(self) -> None:
        loop = self._run_loop() if self.claims else self._flush_loop()
        self._loop_task = asyncio.create_task(loop, name="asoto-worker")

    async def _flush_loop(self) -> None:
        """An adopting-only worker's one chore: its provider calls reach the deployment's totals."""
        while not self._stopping:
            await asyncio.sleep(metrics.FLUSH_S)
            try:
                await self.flush_metrics()
            except Exception as exc:
                if not is_unavailable(exc):
                    log.exception("worker.metrics_flush_failed")

    # A wait's run taken by the process that made it: the run is inserted running and leased to
    # this worker (``run_queue.enqueue(lease_owner=…)``), in the transaction that creates it, and
    # starts the moment that commits. No notification wakes a worker, no claim travels, no other
    # process is involved: ~1 ms less per wait, and the API's own core does the work while idle.
    # Everything after the start is a claimed run's path: heartbeats, fencing, cancel, drain, and a
    # lease that lapses into the sweeper's hands if this process dies.
    def reserve(self) -> str | None:
        """A slot for a run about to be created here: this worker's owner tag, or ``None`` when
        it is full or stopping (the run is then queued for any worker). Pair with ``adopt`` or
        ``unreserve``."""
        if self._stopping or len(self._tasks) + self._reserved >= self.concurrency:
            return None
        self._reserved += 1
        return self.owner

    def unreserve(self) -> None:
        self._reserved -= 1

    def adopt(self, run: Any, requested: float) -> Lease:
        """Start a run created ``running`` under this worker's lease (its reserved slot becomes
        the run's), while the creating transaction commits: the caller tells the returned lease
        how that ended (``creation_ended``), and the run reads its checkpoint meanwhile but goes
        no further until then (``Lease.settled``). ``requested``: ``time.monotonic()`` before the
        creating transaction began, so the local lease ends no later than the database's."""
        self._reserved -= 1
        job = {
            "run_id": run.run_id,
            "thread_id": run.thread_id,
            "graph_id": run.graph_id,
            "kwargs": run.kwargs,
            "created_by": run.created_by,
            "attempt": run.attempt,
            "lease_token": run.lease_token,
        }
        return self._start_job(job, requested, created=asyncio.Event())

    async def stop(self, grace_s: float = 10.0) -> None:
        """Stop claiming; give running runs a grace period, then cancel them and hand them back
        (pending again, lease released: another worker continues them from their checkpoint)."""
        self._stopping = True
        self.hub.new_run.set()
        if self._loop_task:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
        if self._tasks:
            _, pending = await asyncio.wait(list(self._tasks.values()), timeout=grace_s)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        with contextlib.suppress(Exception):  # the last counts of a stopping worker, if the database is there
            await self.flush_metrics()
        await self._http.aclose()

    async def _run_loop(self) -> None:
        poll = self.res.settings.worker_poll_s
        lease = self.res.settings.run_lease_s
        next_sweep = next_approvals = next_prune = next_store_sweep = next_cron = next_schedules = next_metrics = 0.0
        loop = asyncio.get_running_loop()
        while not self._stopping:
            self.hub.new_run.clear()
            try:
                if loop.time() >= next_sweep:
                    await self._sweep()
                    next_sweep = loop.time() + lease / 2
                if loop.time() >= next_approvals:
                    await self.sweep_approvals()
                    next_approvals = loop.time() + self.res.settings.approval_sweep_s
                if loop.time() >= next_prune:
                    next_prune = loop.time() + self.res.settings.checkpoint_prune_s
                    await self.prune_checkpoints()
                if loop.time() >= next_schedules:
                    next_schedules = loop.time() + self.res.settings.schedule_sync_s
                    await self.sync_schedules()
                if loop.time() >= next_cron:
                    next_cron = loop.time() + self.res.settings.cron_poll_s
                    await self.fire_crons()
                if loop.time() >= next_metrics:
                    next_metrics = loop.time() + metrics.FLUSH_S
                    await self.flush_metrics()
                if loop.time() >= next_store_sweep:
                    next_store_sweep = loop.time() + self.res.settings.store_sweep_min * 60
                    await self.sweep_store()
                while (free := self.concurrency - len(self._tasks) - self._reserved) > 0 and not self._stopping:
                    if await self._claim(free) < free:
                        break
            except Exception as exc:  # the loop must outlive a bad sweep or a database blip
                if is_unavailable(exc):
                    log.warning("worker.database_unavailable", error=type(exc).__name__)
                else:
                    log.exception("worker.loop_error")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.hub.new_run.wait(), timeout=poll)

    async def _sweep(self) -> None:
        async with self.res.db.sessions.begin() as session:
            swept = await run_queue.sweep_expired(session, max_attempts=self.res.settings.run_max_attempts)
        if swept:
            log.warning("worker.swept", runs=[str(r) for r in swept])
        async with self.res.db.sessions.begin() as session:
            fenced = await run_queue.fence_lapsed_owners(
                session, grace_s=IDLE_IN_TRANSACTION_MS / 1000, own_process=PROCESS_TAG
            )
        if fenced:
            log.warning("worker.fenced_stopped_process", owners=fenced)
        dropped = await threads.drop_finished_stateless(self.res, keep_s=self.res.settings.stateless_keep_s)
        if dropped:
            log.info("threads.stateless_dropped", count=dropped)

    async def prune_checkpoints(self) -> None:
        """Checkpoint retention (``persistence.retention``), one replica at a time."""
        async with self.res.db.sessions.begin() as session:
            pruned = await retention.prune_checkpoints(session, keep_last=self.res.settings.checkpoint_keep_last)
        if pruned.checkpoints:
            log.info("checkpoints.pruned", **dataclasses.asdict(pruned))

    async def fire_crons(self) -> None:
        """Fire the crons due now, once each across all workers (``services.crons``)."""
        while await crons.fire_due(self.res, self.res.clock()) >= crons.BATCH:  # a full batch: more may be due
            pass

    async def sync_schedules(self) -> None:
        changed = await schedules.sync(self.res)
        if any(changed.values()):
            log.info("schedules.synced", **changed)

    async def flush_metrics(self) -> None:
        """Add this process's provider calls to the deployment's totals (``runtime.metrics``)."""
        async with self.res.db.sessions.begin() as session:
            await metrics.flush(session, self.res.tally)

    async def sweep_store(self) -> None:
        """Delete store items past their TTL (any replica; a delete twice deletes nothing)."""
        expired = await self.res.store.sweep_ttl()
        if expired:
            log.info("store.expired", count=expired)

    async def sweep_approvals(self) -> None:
        """Expire or escalate overdue approvals, then send due webhooks (never blocking runs)."""
        from asoto.services.approvals import expire_due

        handled = await expire_due(self.res)
        if handled:
            log.info("approvals.expired_or_escalated", count=handled)
        from asoto.services.limits import prune

        async with self.res.db.sessions.begin() as session:
            await prune(session)
        await webhooks.deliver_due(self.res, self._http)

    async def _claim(self, free: int) -> int:
        """Claim up to ``free`` runs in one statement and start them; returns how many."""
        requested = time.monotonic()  # the leases run from before the claim reached the database
        try:
            async with self.res.pool.connection() as conn:
                jobs = await run_queue.claim(conn, owner=self.owner, lease_s=self.res.settings.run_lease_s, limit=free)
        except psycopg.IntegrityError:
            return 0  # another worker started a run of that thread first; the next round tries again
        for job in jobs:
            self._start_job(job, requested)
        return len(jobs)

    def _start_job(self, job: dict[str, Any], requested: float, created: asyncio.Event | None = None) -> Lease:
        seconds = self.res.settings.run_lease_s
        lease = Lease(seconds, requested + seconds, run_id=job["run_id"], token=job["lease_token"], created=created)
        job["lease"] = lease
        run_id = str(job["run_id"])
        task = asyncio.create_task(self._execute(job), name=f"run-{run_id}")
        self._tasks[run_id] = task
        task.add_done_callback(self._forget)
        return lease

    def _forget(self, task: asyncio.Task[None]) -> None:
        run_id = task.get_name().removeprefix("run-")
        self._tasks.pop(run_id, None)
        self._runners.pop(run_id, None)
        self._cancel_asked.discard(run_id)

    def _cancel_local(self, run_id: str) -> None:
        """A cancel for a run this worker holds: stop its graph now, or as soon as it starts."""
        if run_id not in self._tasks:
            return
        runner = self._runners.get(run_id)
        if runner is not None:
            runner.cancel()
        else:
            self._cancel_asked.add(run_id)

    async def _hand_back(self, run_id: uuid.UUID, token: uuid.UUID, exc: BaseException) -> None:
        """Requeue a run the database dropped, uncounted; if the database is still away, the lease
        lapses and the sweeper requeues it once it is back. Either way it continues from its last
        checkpoint."""
        log.warning("run.database_unavailable", error=type(exc).__name__)
        try:
            async with self.res.db.sessions.begin() as session:
                await run_queue.release(session, run_id, token)
        except Exception as again:
            if not is_unavailable(again):
                raise

    async def _heartbeat(self, run_id: uuid.UUID, token: uuid.UUID, runner: asyncio.Task[Any], lease: Lease) -> None:
        seconds = self.res.settings.run_lease_s
        while True:
            await asyncio.sleep(seconds / 3)
            started = time.monotonic()
            try:
                async with self.res.pool.connection() as conn:
                    ours, cancel = await run_queue.heartbeat(conn, run_id, token, seconds)
            except Exception as exc:  # a database blip: try again next beat; the local lease still bounds writes
                if not is_unavailable(exc):
                    raise
                log.warning("run.heartbeat_failed", error=type(exc).__name__)
                continue
            if ours:
                lease.renewed(started)
            if not ours or cancel:
                runner.cancel()
                return

    @staticmethod
    async def _start(graph: Any, config: Any, job: dict[str, Any]) -> tuple[Any, Any]:
        """What to send the graph, and from which checkpoint: the run's input or resume (from the
        thread's latest checkpoint, or the past one a fork or replay names), or ``None`` to
        continue a retried attempt from its own last checkpoint (when it stopped mid-graph with no
        pending interrupt; a retried fork goes on along its new lineage, not from the fork point)."""
        kwargs = job["kwargs"]
        original = Command(resume=kwargs["command"]["resume"]) if kwargs.get("command") else kwargs.get("input")
        start = config
        if kwargs.get("checkpoint_id"):
            fork_point = {"checkpoint_id": kwargs["checkpoint_id"], "checkpoint_ns": ""}
            start = {**config, "configurable": {**config["configurable"], **fork_point}}
        if job["attempt"] <= 1:
            return original, start
        state = await graph.aget_state(config)
        if state.next and not state_interrupts(state) and state.metadata.get("run_id") == str(job["run_id"]):
            return None, config
        return original, start

    @staticmethod
    async def _chunks(
        graph: Any, payload: Any, start: Any, options: dict[str, Any], recorder: streaming.Recorder | None
    ) -> AsyncIterator[tuple[str, Any]]:
        """The graph's ``(mode, chunk)`` stream. With ``events`` asked for, the same stream read out
        of ``astream_events`` (v2), each event recorded as it passes."""
        if recorder is None or "events" not in recorder.requested:
            async for mode, chunk in graph.astream(payload, start, **options):
                yield mode, chunk
            return
        async for event in graph.astream_events(payload, start, version="v2", **options):
            await recorder.record([("events", streaming.event_json(event))])
            found = streaming.graph_event(event)
            if found is not None:
                yield found

    async def _rolled_back(self, run_id: uuid.UUID, thread_id: Any, token: uuid.UUID) -> bool:
        """A cancel with ``rollback`` (its action, or a later run's ``multitask_strategy``): the
        stopped run is erased with its checkpoints, while this attempt still holds its lease."""
        async with self.res.db.sessions.begin() as session:
            if not await run_queue.rollback_asked(session, run_id, token):
                return False
            await run_queue.roll_back(session, run_id, uuid.UUID(str(thread_id)))
        return True

    async def _next_seq(self, run_id: uuid.UUID) -> int:
        """Where a (retried) run's stream continues."""
        async with self.res.db.autocommit() as session:
            last = await session.scalar(
                select(func.coalesce(func.max(RunEvent.seq), 0)).where(RunEvent.run_id == run_id)
            )
            return int(last or 0) + 1

    async def _execute(self, job: dict[str, Any]) -> None:
        # every log line of the run (nodes, model retries) carries these ids
        with structlog.contextvars.bound_contextvars(
            run_id=str(job["run_id"]), thread_id=str(job["thread_id"]), flow=job["graph_id"]
        ):
            await self._execute_bound(job)

    async def _execute_bound(self, job: dict[str, Any]) -> None:
        run_id: uuid.UUID = job["run_id"]
        thread_id: uuid.UUID = job["thread_id"]
        token: uuid.UUID = job["lease_token"]
        bound = log
        graph = self.res.graphs[job["graph_id"]]
        chosen = job["kwargs"].get("config") or {}  # the assistant's config and the run's, checked at creation
        config = run_config(thread_id, run_id, **chosen.get("configurable", {}))
        if "recursion_limit" in chosen:
            config["recursion_limit"] = chosen["recursion_limit"]
        if chosen.get("tags"):
            config["tags"] = list(chosen["tags"])
        payload, start = await self._start(graph, config, job)
        breakpoints = {k: job["kwargs"][k] for k in ("interrupt_before", "interrupt_after") if job["kwargs"].get(k)}
        # built-in flows get the engine's run context; a user's graph gets its assistant's and the
        # run's (never the engine's: it would carry sessions and settings into code the engine did
        # not write)
        flow = self.res.flows.get(job["graph_id"])
        if flow is None or flow.builtin:
            context = self.res.context(actor=job["created_by"] or "system")
        else:
            context = assistants.context_for_graph(graph, job["kwargs"].get("context"))
        bound.info("run.start", attempt=job["attempt"])
        status: str = "success"
        error: dict[str, Any] | None = None

        last_values: dict[str, Any] = {}
        pending: list[dict[str, Any]] = []

        requested = (job["kwargs"].get("stream") or {}).get("modes")
        recorder = streaming.Recorder(self.res, run_id, requested, await self._next_seq(run_id)) if requested else None

        durability = job["kwargs"].get("durability", "sync")  # checked at creation

        async def drive() -> None:
            if recorder is not None:  # its events rows need the run's row: after the creation commits
                await lease.settled()
            # values give the outputs, updates carry interrupts: no state read after the run
            modes: Any = streaming.graph_modes(requested or [])
            options = {"context": context, "stream_mode": modes, "durability": durability, **breakpoints}
            async for mode, chunk in self._chunks(graph, payload, start, options, recorder):
                if recorder is not None:
                    await recorder.record(recorder.shape(mode, chunk))
                if mode == "values" and isinstance(chunk, dict):
                    last_values.clear()
                    last_values.update(chunk)
                elif isinstance(chunk, dict) and "__interrupt__" in chunk:
                    pending.extend({"id": i.id, "value": jsonable(i.value)} for i in chunk["__interrupt__"])

        lease: Lease = job["lease"]
        CURRENT_LEASE.set(lease)  # the checkpointer refuses this attempt's writes once it lapses
        runner = asyncio.create_task(drive())
        self._runners[str(run_id)] = runner
        if str(run_id) in self._cancel_asked:
            runner.cancel()
        beat = asyncio.create_task(self._heartbeat(run_id, token, runner, lease))
        try:
            await runner
        except asyncio.CancelledError:
            status, error = "interrupted", {"error": "Cancelled", "message": "the run was cancelled"}
            if self._stopping:
                beat.cancel()
                # draining: hand the run back now, so another worker takes it within a second
                # instead of waiting for the lease to lapse
                async with self.res.db.sessions.begin() as session:
                    released = await run_queue.release(session, run_id, token)
                bound.info("run.released", handed_back=released)
                return
        except LeaseLost:
            beat.cancel()
            bound.warning("run.lease_lost")  # another worker has (or will have) the run: write nothing
            return
        except Exception as exc:  # the worker boundary: record any failure of the graph on the run
            if is_unavailable(exc):  # the database went away mid-run: not the run's fault
                beat.cancel()
                await self._hand_back(run_id, token, exc)
                return
            status, error = "error", {"error": type(exc).__name__, "message": str(exc)[:2000]}
            bound.error("run.error", error=error["error"], message=error["message"])
        finally:
            beat.cancel()
        try:  # a graph that failed before its first read may end before its creation commits
            await lease.settled()
        except LeaseLost:
            bound.warning("run.not_created")
            return
        if status == "interrupted" and await self._rolled_back(run_id, thread_id, token):
            bound.info("run.rolled_back")
            return
        if recorder is not None and error is not None:
            await recorder.record([("error", error)])
        values = jsonable(last_values)
        if status == "success" and pending:
            status = "interrupted"
        stopped_at_breakpoint = False
        if status == "success" and breakpoints:  # a breakpoint stops the graph with nodes still to run
            stopped_at_breakpoint = bool((await graph.aget_state(config)).next)
            status = "interrupted" if stopped_at_breakpoint else status
        output = {**values, "__interrupt__": pending} if pending else dict(values)
        interrupts = {"pending": pending} if pending else {}
        waiting = bool(pending) or stopped_at_breakpoint
        thread_status = {"success": "idle", "interrupted": "interrupted" if waiting else "idle", "error": "error"}[
            status
        ]
        with self.hub.finishing(str(run_id)):
            async with self.res.pool.connection() as conn:
                recorded = await run_queue.finish_run(
                    conn,
                    run_id=run_id,
                    thread_id=thread_id,
                    token=token,
                    status=status,
                    output=output,
                    error=error,
                    thread_status=thread_status,
                    values=values or None,
                    interrupts=interrupts,
                )
            if recorded:
                self.hub.ended_here(run_queue.ended(job, status=status, output=output, error=error))
        bound.info("run.end", status=status)

"""The run queue and worker: leases, fencing, and recovery of a dead worker's run."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from asoto.api.schemas import RunCreate, ThreadCreate
from asoto.errors import ThreadBusy
from asoto.persistence import run_queue
from asoto.persistence.models import Log, Run, Thread
from asoto.runtime.notify import NotificationHub
from asoto.runtime.resources import Resources
from asoto.runtime.worker import Worker
from asoto.services import runs, threads
from asoto.services.keys import Principal

from .conftest import ORDINARY_LOG, first_member

SERVICE = Principal(id="service:test", role="service")


async def _enqueue(res: Resources) -> tuple[uuid.UUID, uuid.UUID]:
    member = await first_member(res)
    async with res.db.sessions.begin() as session:
        thread = await threads.create(session, SERVICE, ThreadCreate())
        run = await runs.create(
            res,
            session,
            SERVICE,
            thread.thread_id,
            RunCreate(assistant_id="log_feedback", input={"member_id": str(member.id), "log": ORDINARY_LOG}),
        )
    return thread.thread_id, run.run_id


async def test_a_run_whose_worker_died_is_finished_by_another(resources: Resources) -> None:
    thread_id, run_id = await _enqueue(resources)
    async with resources.pool.connection() as conn:  # a worker claims it, then dies silently
        [job] = await run_queue.claim(conn, owner="dead-worker", lease_s=0.5)
    assert job["run_id"] == run_id
    hub = NotificationHub(resources.uri)
    await hub.start()
    worker = Worker(resources, hub, concurrency=2)
    await worker.start()
    try:
        finished = await asyncio.wait_for(runs.wait(resources, hub, run_id, poll_s=0.2), timeout=30)
    finally:
        await worker.stop()
        await hub.stop()
    assert finished.status == "success" and finished.attempt == 2
    assert finished.output is not None and finished.output["status"] == "published"
    async with resources.db.sessions() as session:
        logs = await session.scalar(select(func.count()).select_from(Log).where(Log.thread_id == thread_id))
    assert logs == 1


async def test_a_stale_attempt_cannot_overwrite_the_run(resources: Resources) -> None:
    thread_id, run_id = await _enqueue(resources)
    async with resources.pool.connection() as conn:
        [claimed] = await run_queue.claim(conn, owner="w1", lease_s=30)
    assert claimed["run_id"] == run_id and claimed["lease_token"] is not None
    async with resources.pool.connection() as conn:
        stale = dict(status="success", output={}, error=None, thread_status="idle", values=None, interrupts={})
        assert not await run_queue.finish_run(conn, run_id=run_id, thread_id=thread_id, token=uuid.uuid4(), **stale)
        ours, cancel = await run_queue.heartbeat(conn, run_id, uuid.uuid4(), 30)
        assert (ours, cancel) == (False, False)
    async with resources.db.sessions() as session:
        run = await session.get(Run, run_id)
    assert run is not None and run.status == "running"
    async with resources.pool.connection() as conn:  # the attempt's own token finishes it, once
        done = dict(status="success", output={"n": 1}, error=None, thread_status="idle", values={"n": 1}, interrupts={})
        assert await run_queue.finish_run(
            conn, run_id=run_id, thread_id=thread_id, token=claimed["lease_token"], **done
        )
        assert not await run_queue.finish_run(
            conn, run_id=run_id, thread_id=thread_id, token=claimed["lease_token"], **done
        )
    async with resources.db.sessions() as session:
        run = await session.get(Run, run_id)
        thread = await session.get(Thread, run.thread_id) if run else None
    assert run is not None and (run.status, run.output, run.lease_token) == ("success", {"n": 1}, None)
    assert thread is not None and (thread.status, thread.values) == ("idle", {"n": 1})


async def test_workers_never_run_two_runs_of_one_thread_at_once(resources: Resources) -> None:
    member = await first_member(resources)
    async with resources.db.sessions.begin() as session:
        thread = await threads.create(session, SERVICE, ThreadCreate())
        for _ in range(3):
            await runs.create(
                resources,
                session,
                SERVICE,
                thread.thread_id,
                RunCreate(
                    assistant_id="log_feedback",
                    multitask_strategy="enqueue",
                    input={"member_id": str(member.id), "log": ORDINARY_LOG},
                ),
            )
    async with resources.pool.connection() as conn:
        first = await run_queue.claim(conn, owner="w1", lease_s=30, limit=10)  # a batch still takes one
    async with resources.pool.connection() as conn:
        second = await run_queue.claim(conn, owner="w2", lease_s=30, limit=10)
    assert len(first) == 1 and second == []


async def test_a_draining_worker_hands_its_runs_back_at_once(settings: Any, resources: Resources) -> None:
    """SIGTERM drain: runs that cannot finish in the grace period are released (pending, no lease,
    the attempt not counted), and another worker finishes them within a second or two."""
    import dataclasses
    import time

    from asoto.api.schemas import RunCreate
    from asoto.services import runs as runs_service
    from asoto.services.keys import Principal

    from .conftest import GOOD_DRAFT, ORDINARY_LOG, ScriptedModel, first_member

    class Slow(ScriptedModel):
        async def generate(self, task: str, schema: Any, messages: Any, facts: Any) -> Any:
            await asyncio.sleep(30)
            return await super().generate(task, schema, messages, facts)

    member = await first_member(resources)
    slow = dataclasses.replace(resources)  # the same database, a model that never answers in time
    slow.model = Slow({"log_feedback.draft": [GOOD_DRAFT], "risk.assess": [{"level": "none", "reasons": []}]})
    hub = NotificationHub(resources.uri)
    await hub.start()
    draining = Worker(slow, hub, concurrency=4)
    await draining.start()
    ids = []
    async with resources.db.sessions.begin() as session:
        for _ in range(4):
            body = RunCreate(
                assistant_id="log_feedback",
                input={"member_id": str(member.id), "log": ORDINARY_LOG},
                if_not_exists="create",
            )
            principal = Principal(id="test:service", role="service")
            ids.append((await runs_service.create(resources, session, principal, uuid.uuid4(), body)).run_id)
    deadline = time.monotonic() + 20
    while True:
        async with resources.db.sessions() as session:
            statuses = [(await session.get(Run, r, populate_existing=True)).status for r in ids]  # type: ignore[union-attr]
        if all(s == "running" for s in statuses):
            break
        assert time.monotonic() < deadline
        await asyncio.sleep(0.1)
    await draining.stop(grace_s=0.5)
    async with resources.db.sessions() as session:
        handed = [await session.get(Run, r, populate_existing=True) for r in ids]
    assert all(r is not None and r.status == "pending" and r.lease_token is None and r.attempt == 0 for r in handed)
    rescuer = Worker(resources, hub, concurrency=4)
    started = time.monotonic()
    await rescuer.start()
    try:
        while True:
            async with resources.db.sessions() as session:
                done = [await session.get(Run, r, populate_existing=True) for r in ids]
            if all(r is not None and r.status == "success" for r in done):
                break
            assert time.monotonic() - started < 30
            await asyncio.sleep(0.1)
    finally:
        await rescuer.stop()
        await hub.stop()
    assert all(r is not None and r.attempt == 1 for r in done)  # the drained attempt did not count


def _log_body(member_id: uuid.UUID, **extra: Any) -> RunCreate:
    return RunCreate(assistant_id="log_feedback", input={"member_id": str(member_id), "log": ORDINARY_LOG}, **extra)


async def test_a_create_that_waited_for_the_thread_lock_sees_the_run_its_holder_added(resources: Resources) -> None:
    """The thread lock and the list of the thread's active runs are one statement, whose snapshot
    is taken before the lock is granted: a create that waited for another create's lock must not
    miss the run that other create committed (``reject`` would let a second run in)."""
    member = await first_member(resources)
    async with resources.db.sessions.begin() as session:
        thread = await threads.create(session, SERVICE, ThreadCreate())
    async with resources.db.sessions.begin() as first:
        holder = await runs.create(resources, first, SERVICE, thread.thread_id, _log_body(member.id))

        async def second() -> Run:
            async with resources.db.sessions.begin() as session:
                return await runs.create(resources, session, SERVICE, thread.thread_id, _log_body(member.id))

        waiting = asyncio.create_task(second())
        await asyncio.sleep(0.5)  # blocked on the thread lock, its snapshot taken
        assert not waiting.done()
    with pytest.raises(ThreadBusy):
        await asyncio.wait_for(waiting, timeout=10)
    async with resources.db.sessions() as session:
        active = (await session.scalars(select(Run.run_id).where(Run.thread_id == thread.thread_id))).all()
    assert list(active) == [holder.run_id]


async def test_a_finish_that_waited_for_the_thread_lock_leaves_the_thread_busy_for_the_run_created_meanwhile(
    resources: Resources,
) -> None:
    """A run ends while another create holds its thread's lock and queues a run behind it: the
    finish's statement, whose snapshot predates that run, would set the thread ``idle`` with a run
    pending. It sees that the row changed while it waited and puts ``busy`` back."""
    member = await first_member(resources)
    thread_id, run_id = await _enqueue(resources)
    async with resources.pool.connection() as conn:
        [claimed] = await run_queue.claim(conn, owner="w1", lease_s=30)
    async with resources.db.sessions.begin() as creating:
        queued = await runs.create(
            resources, creating, SERVICE, thread_id, _log_body(member.id, multitask_strategy="enqueue")
        )

        async def finish() -> bool:
            async with resources.pool.connection() as conn:
                return await run_queue.finish_run(
                    conn,
                    run_id=run_id,
                    thread_id=thread_id,
                    token=claimed["lease_token"],
                    status="success",
                    output={},
                    error=None,
                    thread_status="idle",
                    values=None,
                    interrupts={},
                )

        finishing = asyncio.create_task(finish())
        await asyncio.sleep(0.5)  # blocked on the thread's row, its snapshot taken
        assert not finishing.done()
    assert await asyncio.wait_for(finishing, timeout=10)
    async with resources.db.sessions() as session:
        thread = await session.get(Thread, thread_id)
        pending = await session.get(Run, queued.run_id)
    assert pending is not None and pending.status == "pending"
    assert thread is not None and thread.status == "busy"


async def test_two_creates_that_both_make_the_same_new_thread_give_one_thread_and_a_busy(
    resources: Resources,
) -> None:
    """``if_not_exists="create"`` from two callers at once on one new thread id: the second waits
    for the first's thread row, then finds it, and is answered as for any existing thread (busy,
    under ``reject``), not with the unique key's error."""
    member = await first_member(resources)
    thread_id = uuid.uuid4()
    body = _log_body(member.id, if_not_exists="create")
    async with resources.db.sessions.begin() as first:
        made = await runs.create(resources, first, SERVICE, thread_id, body)

        async def second() -> Run:
            async with resources.db.sessions.begin() as session:
                return await runs.create(resources, session, SERVICE, thread_id, body)

        waiting = asyncio.create_task(second())
        await asyncio.sleep(0.5)  # its insert of the thread waits for the first's
        assert not waiting.done()
    with pytest.raises(ThreadBusy):
        await asyncio.wait_for(waiting, timeout=10)
    queued = await asyncio.wait_for(
        _create(resources, thread_id, _log_body(member.id, if_not_exists="create", multitask_strategy="enqueue")),
        timeout=10,
    )
    async with resources.db.sessions() as session:
        active = (await session.scalars(select(Run.run_id).where(Run.thread_id == thread_id))).all()
    assert set(active) == {made.run_id, queued.run_id}


async def _create(res: Resources, thread_id: uuid.UUID, body: RunCreate) -> Run:
    async with res.db.sessions.begin() as session:
        return await runs.create(res, session, SERVICE, thread_id, body)


async def test_a_waited_run_is_taken_by_the_process_that_creates_it(resources: Resources) -> None:
    """``runs.create_here``: with a free local slot and nothing queued on the thread, the run is
    inserted running under this process's lease (no claim) and runs here to the end; a thread with
    a run queued, a delayed run, or a full worker leave the run pending for any worker."""
    member = await first_member(resources)
    hub = NotificationHub(resources.uri)
    await hub.start()
    local = Worker(resources, hub, concurrency=1, claims=False)
    await local.start()
    try:
        async with resources.db.sessions.begin() as session:
            thread = await threads.create(session, SERVICE, ThreadCreate())

        def make(body: RunCreate) -> runs.Making:
            return lambda session, owner: runs.create(
                resources, session, SERVICE, thread.thread_id, body, lease_owner=owner
            )

        taken = await runs.create_here(resources, local, make(_log_body(member.id)))
        assert (taken.status, taken.lease_owner, taken.attempt) == ("running", local.owner, 1)
        queued = await runs.create_here(resources, local, make(_log_body(member.id, multitask_strategy="enqueue")))
        assert queued.status == "pending" and queued.lease_owner is None  # behind the first: for any worker
        assert local.reserve() is None  # its one slot is the first run's
        finished = await asyncio.wait_for(runs.wait(resources, hub, taken.run_id, poll_s=0.2), timeout=30)
        assert finished.status == "success" and finished.output and finished.output["status"] == "published"
        async with resources.pool.connection() as conn:  # only the queued one was left for a claim
            assert [job["run_id"] for job in await run_queue.claim(conn, owner="w", lease_s=30)] == [queued.run_id]
        delayed = await runs.create_here(
            resources,
            local,
            lambda session, owner: runs.create(
                resources,
                session,
                SERVICE,
                uuid.uuid4(),
                _log_body(member.id, after_seconds=60, if_not_exists="create"),
                lease_owner=owner,
            ),
        )
        assert delayed.status == "pending" and local.reserve() == local.owner  # the slot came back
        local.unreserve()
    finally:
        await local.stop()
        await hub.stop()


async def test_a_run_started_while_its_creation_commits_writes_nothing_when_the_commit_fails(
    resources: Resources,
) -> None:
    """``create_here`` starts a taken run before its transaction commits (the run reads its
    checkpoint meanwhile). If the commit fails, the run never existed: it stops before any node
    runs, leaves no checkpoint, no run row, and its slot comes back."""
    member = await first_member(resources)
    hub = NotificationHub(resources.uri)
    await hub.start()
    local = Worker(resources, hub, concurrency=1, claims=False)
    await local.start()
    thread_id = uuid.uuid4()
    started: list[Any] = []
    try:

        async def doomed(session: Any, owner: str | None) -> Run:
            run = await runs.create(
                resources,
                session,
                SERVICE,
                thread_id,
                _log_body(member.id, if_not_exists="create"),
                lease_owner=owner,
            )
            started.append(run)
            # a deferred check that fails only at COMMIT, after the run has been handed over
            await session.execute(text("create temp table doomed_parent (id int primary key)"))
            await session.execute(
                text("create temp table doomed (p int references doomed_parent deferrable initially deferred)")
            )
            await session.execute(text("insert into doomed values (1)"))
            return run

        with pytest.raises(IntegrityError):
            await runs.create_here(resources, local, doomed)
        assert started and started[0].status == "running"  # it was taken, and started
        for _ in range(100):  # its task ends on its own
            if not local._tasks:
                break
            await asyncio.sleep(0.05)
        assert not local._tasks and local.reserve() == local.owner  # the slot came back
        local.unreserve()
        async with resources.db.sessions() as session:
            assert await session.get(Run, started[0].run_id) is None
            assert await session.get(Thread, thread_id) is None
            assert not await session.scalar(
                text("select count(*) from checkpoints where thread_id = :t"), {"t": str(thread_id)}
            )
    finally:
        await local.stop()
        await hub.stop()


async def test_a_run_taken_by_a_process_that_died_is_run_by_a_worker(settings: Any, resources: Resources) -> None:
    """The process dies after the creating transaction commits and before it starts the run:
    the lease lapses and the sweeper hands the run to a worker like any other."""
    member = await first_member(resources)
    async with resources.db.sessions.begin() as session:
        run = await runs.create(
            resources, session, SERVICE, uuid.uuid4(), _log_body(member.id, if_not_exists="create"), lease_owner="gone"
        )
    assert run.status == "running"
    hub = NotificationHub(resources.uri)
    await hub.start()
    worker = Worker(resources, hub, concurrency=2)
    await worker.start()
    try:
        finished = await asyncio.wait_for(runs.wait(resources, hub, run.run_id, poll_s=0.2), timeout=60)
    finally:
        await worker.stop()
        await hub.stop()
    assert finished.status == "success" and finished.attempt == 2


def test_a_run_ended_here_reaches_its_waiters_here_once_and_nothing_is_kept_for_nobody() -> None:
    from asoto.runtime import notify

    hub = NotificationHub("postgresql://unused")
    job = {"run_id": uuid.uuid4(), "thread_id": uuid.uuid4(), "graph_id": "g", "kwargs": {}, "created_by": "x"}
    lonely = run_queue.ended({**job, "attempt": 1}, status="success", output={"n": 1}, error=None)
    hub.ended_here(lonely)  # nobody here waits for it: not kept
    assert hub.take_ended(str(lonely.run_id)) is None
    waited = run_queue.ended(
        {**job, "run_id": uuid.uuid4(), "attempt": 1}, status="success", output={"n": 2}, error=None
    )
    first, second = hub.subscribe(str(waited.run_id)), hub.subscribe(str(waited.run_id))
    hub.ended_here(waited)
    assert first.is_set() and second.is_set()
    taken = hub.take_ended(str(waited.run_id))
    assert taken is not None and (taken.status, taken.output, taken.graph_id) == ("success", {"n": 2}, "g")
    assert hub.take_ended(str(waited.run_id)) is None  # once: a second waiter reads the run
    for _ in range(notify.MAX_ENDED_HERE + 10):  # waiters that never came back for theirs
        run = run_queue.ended({**job, "run_id": uuid.uuid4(), "attempt": 1}, status="success", output={}, error=None)
        hub.subscribe(str(run.run_id))
        hub.ended_here(run)
    assert len(hub._ended_here) == notify.MAX_ENDED_HERE


def test_the_end_notification_of_a_run_finishing_here_leaves_its_waiters_to_the_finisher() -> None:
    """Postgres can deliver the finish's own ``NOTIFY`` before the finishing statement returns: a
    waiter woken by it would find nothing handed over and read the run back."""
    hub = NotificationHub("postgresql://unused")
    job = {"run_id": uuid.uuid4(), "thread_id": uuid.uuid4(), "graph_id": "g", "kwargs": {}, "created_by": "x"}
    key = str(job["run_id"])
    waiter = hub.subscribe(key)
    with hub.finishing(key):
        hub._dispatch(run_queue.CH_RUN_DONE, key)  # the echo of our own finish
        assert not waiter.is_set()
        hub.ended_here(run_queue.ended({**job, "attempt": 1}, status="success", output={"n": 1}, error=None))
    assert waiter.is_set()
    taken = hub.take_ended(key)
    assert taken is not None and taken.output == {"n": 1}

    other = str(uuid.uuid4())  # another process's run: its notification wakes the waiters here
    elsewhere = hub.subscribe(other)
    with hub.finishing(key):
        hub._dispatch(run_queue.CH_RUN_DONE, other)
    assert elsewhere.is_set()

    refused = str(uuid.uuid4())  # the end was not recorded here (fence, error): waiters read the run
    waiting = hub.subscribe(refused)
    with hub.finishing(refused):
        hub._dispatch(run_queue.CH_RUN_DONE, refused)
        assert not waiting.is_set()
    assert waiting.is_set() and hub.take_ended(refused) is None
    hub._dispatch(run_queue.CH_RUN_DONE, refused)  # after the finish, notifications count again

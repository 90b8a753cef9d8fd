"""The run queue and worker: leases, fencing, and recovery of a dead worker's run."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import func, select

from asoto.api.schemas import RunCreate, ThreadCreate
from asoto.notify import NotificationHub
from asoto.persistence import run_queue
from asoto.persistence.models import Log, Run
from asoto.resources import Resources
from asoto.services import runs, threads
from asoto.services.keys import Principal
from asoto.worker import Worker

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
    async with resources.db.sessions.begin() as session:  # a worker claims it, then dies silently
        [job] = await run_queue.claim(session, owner="dead-worker", lease_s=0.5)
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
    _thread_id, run_id = await _enqueue(resources)
    async with resources.db.sessions.begin() as session:
        [claimed] = await run_queue.claim(session, owner="w1", lease_s=30)
    assert claimed["run_id"] == run_id and claimed["lease_token"] is not None
    async with resources.db.sessions.begin() as session:
        assert not await run_queue.finish(
            session, run_id=run_id, token=uuid.uuid4(), status="success", output={}, error=None
        )
        ours, cancel = await run_queue.heartbeat(session, run_id, uuid.uuid4(), 30)
        assert (ours, cancel) == (False, False)
    async with resources.db.sessions() as session:
        run = await session.get(Run, run_id)
    assert run is not None and run.status == "running"


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
    async with resources.db.sessions.begin() as session:
        first = await run_queue.claim(session, owner="w1", lease_s=30, limit=10)  # a batch still takes one
    async with resources.db.sessions.begin() as session:
        second = await run_queue.claim(session, owner="w2", lease_s=30, limit=10)
    assert len(first) == 1 and second == []

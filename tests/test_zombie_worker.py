"""A frozen worker (SIGSTOP past its lease) loses its runs to another worker, and when it wakes
it writes nothing: no forked checkpoint lineage, every run finished once."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from langgraph.checkpoint.base import empty_checkpoint
from sqlalchemy import select, text

from asoto.api.schemas import RunCreate
from asoto.persistence import run_queue
from asoto.persistence.checkpointer import CURRENT_LEASE, Lease, LeaseLost
from asoto.persistence.database import application_name
from asoto.persistence.models import Run
from asoto.runtime.notify import NotificationHub
from asoto.runtime.resources import Resources
from asoto.runtime.worker import Worker
from asoto.services import runs
from asoto.services.keys import Principal

from .conftest import ORDINARY_LOG, first_member
from .test_openai_compatible import FakeOpenAI, serve_fake

RUNS = 6
SERVICE = Principal(id="test:service", role="service")


async def _new_run(res: Resources, session: Any) -> Run:
    """A pending log_feedback run of the first member, on a new thread."""
    member = await first_member(res)
    body = RunCreate(
        assistant_id="log_feedback", input={"member_id": str(member.id), "log": ORDINARY_LOG}, if_not_exists="create"
    )
    return await runs.create(res, session, SERVICE, uuid.uuid4(), body)


async def _runs(res: Resources, ids: list[uuid.UUID]) -> list[Run]:
    async with res.db.sessions() as session:
        return list((await session.scalars(select(Run).where(Run.run_id.in_(ids)))).all())


async def test_a_frozen_worker_is_taken_over_and_never_forks_a_thread(
    tmp_path: Path, db_uri: str, resources: Resources
) -> None:
    fake = FakeOpenAI(delay_s=1.5, first_429=False)  # slow provider: runs are in flight when we freeze
    with serve_fake(fake) as base_url:
        env = {
            **os.environ,
            "ASOTO_HOME": str(tmp_path),
            "ASOTO_DATABASE_URL": db_uri,
            "ASOTO_LLM": "openai:gpt-test",
            "OPENAI_BASE_URL": base_url,
            "OPENAI_API_KEY": "sk-fake",
            "ASOTO_RUN_LEASE_S": "3",
            "ASOTO_WORKER_POLL_S": "0.2",
            "ASOTO_LOG_LEVEL": "WARNING",
        }
        frozen = subprocess.Popen([sys.executable, "-m", "asoto.cli", "worker"], env=env)
        try:
            async with resources.db.sessions.begin() as session:
                ids = [(await _new_run(resources, session)).run_id for _ in range(RUNS)]
            deadline = time.monotonic() + 60
            while not all(r.status == "running" for r in await _runs(resources, ids)):
                assert time.monotonic() < deadline, "the worker did not claim the runs"
                await asyncio.sleep(0.1)
            owners = {r.lease_owner for r in await _runs(resources, ids)}
            os.kill(frozen.pid, signal.SIGSTOP)  # frozen mid-run, past its lease
            stopped_at = time.monotonic()

            # another worker takes over once the leases lapse (the sweeper is not blocked by the
            # frozen worker's transactions: idle_in_transaction_session_timeout ends them)
            settings = resources.settings.model_copy(update={"run_lease_s": 3.0, "worker_poll_s": 0.2})
            resources.settings = settings  # type: ignore[misc]
            hub = NotificationHub(resources.uri)
            await hub.start()
            rescuer = Worker(resources, hub, concurrency=RUNS)
            await rescuer.start()
            try:
                deadline = time.monotonic() + 90
                while not all(r.status == "success" for r in await _runs(resources, ids)):
                    assert time.monotonic() < deadline, [r.status for r in await _runs(resources, ids)]
                    await asyncio.sleep(0.2)
                takeover_s = time.monotonic() - stopped_at
                done = await _runs(resources, ids)
                # taken over (a busy 2-core machine may need a third attempt: a lapsed local lease
                # is given up, never written through)
                assert all(r.attempt >= 2 for r in done) and owners.isdisjoint({r.lease_owner for r in done})
                os.kill(frozen.pid, signal.SIGCONT)  # it wakes, its model calls return…
                await asyncio.sleep(4)  # …and its next checkpoint write is refused
            finally:
                await rescuer.stop()
                await hub.stop()
        finally:
            os.kill(frozen.pid, signal.SIGCONT)
            frozen.terminate()
            frozen.wait(timeout=30)
    async with resources.db.sessions() as session:
        forks = (
            await session.execute(
                text(
                    "select thread_id, parent_checkpoint_id, count(*) from checkpoints "
                    "where checkpoint_ns = '' and parent_checkpoint_id is not null "
                    "group by thread_id, parent_checkpoint_id having count(*) > 1"
                )
            )
        ).all()
        statuses = [r.status for r in await _runs(resources, ids)]
        detail = [
            (
                await session.execute(
                    text(
                        "select checkpoint_id, metadata->>'source', metadata->>'step', metadata->>'run_id' "
                        "from checkpoints where thread_id = :t and parent_checkpoint_id = :p"
                    ),
                    {"t": t, "p": p},
                )
            ).all()
            for t, p, _ in forks
        ]
    assert forks == [], detail
    assert statuses == ["success"] * RUNS
    assert takeover_s < 60, takeover_s  # lease 3 s + sweep 1.5 s + idle-transaction timeout 10 s, plus the work


async def test_a_process_stopped_mid_pipeline_is_fenced_and_its_run_taken_over(
    db_uri: str, resources: Resources
) -> None:
    """Postgres's idle-in-transaction timeout never fires for a backend left mid-pipeline (Bind and
    Execute sent, Sync not): it stays ``active`` with its row locks. The sweeper ends the sessions
    of such a process once its lease is long gone, and takes the run over."""
    async with resources.db.sessions.begin() as session:
        run_id = (await _new_run(resources, session)).run_id
        await session.execute(
            text(
                "update runs set status = 'running', attempt = 1, lease_token = gen_random_uuid(), "
                "lease_owner = 'gone-host:1:abcdef/123456', lease_expires_at = now() - interval '60 seconds' "
                "where run_id = :r"
            ),
            {"r": run_id},
        )
    stopped = psycopg.connect(db_uri, autocommit=True, application_name=application_name("gone-host:1:abcdef"))
    try:  # the stopped process's backend: a share lock taken inside a pipeline that never synced
        pg = stopped.pgconn
        pg.enter_pipeline_mode()
        pg.send_query_params(b"begin", None)
        pg.send_query_params(b"select 1 from runs where run_id = $1 for share", [str(run_id).encode()])
        pg.flush()
        await asyncio.sleep(0.5)
        async with resources.db.sessions.begin() as session:
            assert await run_queue.sweep_expired(session, max_attempts=3) == []  # locked: skipped
        async with resources.db.sessions.begin() as session:
            fenced = await run_queue.fence_lapsed_owners(session, grace_s=10, own_process="this-host:2:fedcba")
        assert fenced == ["gone-host:1:abcdef/123456"]
        deadline = time.monotonic() + 5
        while True:
            async with resources.db.sessions.begin() as session:
                if await run_queue.sweep_expired(session, max_attempts=3) == [run_id]:
                    break
            assert time.monotonic() < deadline, "the run stayed locked after its owner was fenced"
            await asyncio.sleep(0.1)
        # a run of a live process (lease not long lapsed) is never fenced
        async with resources.db.sessions.begin() as session:
            assert await run_queue.fence_lapsed_owners(session, grace_s=10, own_process="x") == []
    finally:
        with contextlib.suppress(Exception):
            stopped.close()


async def test_the_fence_refuses_a_write_whose_token_is_stale_and_writes_nothing(resources: Resources) -> None:
    """The checkpointer's database-side fence, without timing: a valid local lease but a token the
    run no longer carries gets ``LeaseLost`` and leaves no row (the fence and the write are one
    statement), for a task's writes and for a checkpoint with its blobs; the run's current token writes."""
    async with resources.db.sessions.begin() as session:
        run = await _new_run(resources, session)
        token = uuid.uuid4()
        await session.execute(
            text("update runs set status = 'running', lease_token = :k where run_id = :r"),
            {"k": token, "r": run.run_id},
        )
    config = {"configurable": {"thread_id": str(run.thread_id), "checkpoint_ns": "", "checkpoint_id": "c1"}}

    counts = (
        "select (select count(*) from checkpoint_writes where thread_id = :t),"
        " (select count(*) from checkpoints where thread_id = :t),"
        " (select count(*) from checkpoint_blobs where thread_id = :t)"
    )
    checkpoint = empty_checkpoint()
    checkpoint["channel_values"] = {"note": ["a", "list", "is", "a", "blob"], "count": 3}
    checkpoint["channel_versions"] = {"note": "1", "count": "1"}

    async def attempt(with_token: uuid.UUID) -> None:
        lease = Lease(30.0, time.monotonic() + 30, run_id=run.run_id, token=with_token)
        reset = CURRENT_LEASE.set(lease)
        try:
            await resources.saver.aput_writes(config, [("note", "a"), ("other", "b")], task_id="task-1")
        finally:
            CURRENT_LEASE.reset(reset)

    async def put(with_token: uuid.UUID) -> None:
        lease = Lease(30.0, time.monotonic() + 30, run_id=run.run_id, token=with_token)
        reset = CURRENT_LEASE.set(lease)
        try:
            await resources.saver.aput(config, checkpoint, {"source": "loop", "step": 1}, {"note": "1", "count": "1"})
        finally:
            CURRENT_LEASE.reset(reset)

    for write in (attempt, put):
        with pytest.raises(LeaseLost):
            await write(uuid.uuid4())
    async with resources.db.sessions() as session:
        assert tuple((await session.execute(text(counts), {"t": str(run.thread_id)})).one()) == (0, 0, 0)
    await attempt(token)
    await put(token)
    async with resources.db.sessions() as session:
        assert tuple((await session.execute(text(counts), {"t": str(run.thread_id)})).one()) == (2, 1, 1)
    saved = await resources.saver.aget_tuple({"configurable": {"thread_id": str(run.thread_id), "checkpoint_ns": ""}})
    assert saved is not None and saved.checkpoint["channel_values"] == checkpoint["channel_values"]


async def test_a_write_of_a_run_whose_creation_is_still_committing_waits_for_the_commit(resources: Resources) -> None:
    """A run started while its creating transaction commits (``Lease.created``): its first write
    would find no run to fence against and be refused; it waits instead, and goes through once
    the creation has committed. A read of the thread's checkpoint waits the same way (no node
    runs before the commit), and both give up with ``LeaseLost`` when the creation fails."""
    token = uuid.uuid4()
    async with resources.db.sessions() as creating:
        run = await _new_run(resources, creating)  # not committed yet: invisible to the fence
        await creating.execute(
            text("update runs set status = 'running', lease_token = :k where run_id = :r"),
            {"k": token, "r": run.run_id},
        )
        config = {"configurable": {"thread_id": str(run.thread_id), "checkpoint_ns": "", "checkpoint_id": "c1"}}
        lease = Lease(30.0, time.monotonic() + 30, run_id=run.run_id, token=token, created=asyncio.Event())

        async def write() -> None:
            CURRENT_LEASE.set(lease)
            await resources.saver.aput_writes(config, [("note", "a")], task_id="task-1")

        async def read() -> Any:
            CURRENT_LEASE.set(lease)
            return await resources.saver.aget_tuple({"configurable": {"thread_id": str(run.thread_id)}})

        writing, reading = asyncio.create_task(write()), asyncio.create_task(read())
        await asyncio.sleep(0.3)
        assert not writing.done() and not reading.done()  # both wait for the creation
        await creating.commit()
        lease.creation_ended(committed=True)
        await asyncio.wait_for(writing, timeout=10)  # accepted by the fence once committed
        assert await asyncio.wait_for(reading, timeout=10) is None
    failed = Lease(30.0, time.monotonic() + 30, run_id=run.run_id, token=token, created=asyncio.Event())
    failed.creation_ended(committed=False)
    CURRENT_LEASE.set(failed)
    with pytest.raises(LeaseLost):
        await resources.saver.aput_writes(config, [("note", "b")], task_id="task-2")
    with pytest.raises(LeaseLost):
        await resources.saver.aget_tuple({"configurable": {"thread_id": str(run.thread_id)}})
    async with resources.db.sessions() as session:
        written = await session.scalar(
            text("select count(*) from checkpoint_writes where thread_id = :t"), {"t": str(run.thread_id)}
        )
    assert written == 1

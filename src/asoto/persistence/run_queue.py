"""The run queue: runs are rows; workers claim them with ``FOR UPDATE SKIP LOCKED``.

- One running run per thread is a unique partial index, so no worker bug can fork a thread.
- A claim hands out a lease and a fencing token; every later write of the attempt is
  predicated on that token, so a worker that lost its lease cannot overwrite a newer attempt
  (reliability pitfall P8). Lease times are the database's clock, not the workers'.
- A sweeper puts runs whose lease lapsed back to ``pending`` (the next attempt continues from
  the last checkpoint) until ``max_attempts``, then marks them ``error``.
- ``pg_notify`` wakes workers on new runs and waiters on finished runs; polling backs it up.
"""

from __future__ import annotations

import uuid
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row, tuple_row
from psycopg.types.json import Jsonb
from sqlalchemy import and_, case, delete, exists, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from asoto.persistence.models import Run, Thread

ACTIVE = ("pending", "running")
TERMINAL = ("success", "error", "timeout", "interrupted")
CH_NEW_RUN = "asoto_run_new"
CH_RUN_DONE = "asoto_run_done"
CH_CANCEL = "asoto_run_cancel"
CH_RUN_EVENT = "asoto_run_event"


async def append_events(
    session: AsyncSession, run_id: uuid.UUID, first_seq: int, events: list[tuple[str, Any]]
) -> None:
    """Store stream events of a run and wake whoever streams it."""
    from asoto.persistence.models import RunEvent

    session.add_all(
        RunEvent(run_id=run_id, seq=first_seq + i, event=name, data=data) for i, (name, data) in enumerate(events)
    )
    await notify(session, CH_RUN_EVENT, str(run_id))


async def events_after(session: AsyncSession, run_id: uuid.UUID, seq: int) -> list[tuple[int, str, Any]]:
    from asoto.persistence.models import RunEvent

    rows = (
        await session.execute(
            select(RunEvent.seq, RunEvent.event, RunEvent.data)
            .where(RunEvent.run_id == run_id, RunEvent.seq > seq)
            .order_by(RunEvent.seq)
        )
    ).all()
    return [(r.seq, r.event, r.data) for r in rows]


async def notify(session: AsyncSession, channel: str, payload: str = "") -> None:
    """Delivered when the surrounding transaction commits."""
    await session.execute(text("select pg_notify(:c, :p)"), {"c": channel, "p": payload})


# The create path (lock the thread, insert the run) runs on the session's own psycopg connection,
# inside the session's transaction: the ORM's statement compilation, execution context and
# instance loading were ~30 % of the API process's CPU per run (py-spy, bench/peer.py); these
# are fixed statements whose rows become detached ``Thread``/``Run`` objects, as ``read_run``'s.
async def driver_connection(session: AsyncSession) -> AsyncConnection[Any]:
    """The psycopg connection under ``session``'s transaction (begun if it was not)."""
    raw = await (await session.connection()).get_raw_connection()
    driver = raw.driver_connection
    assert isinstance(driver, AsyncConnection)
    return driver


def _attributes(model: Any) -> dict[str, str]:
    """Column name → attribute name (``metadata`` is ``metadata_`` on the models)."""
    return {column.name: attribute.key for attribute in model.__mapper__.column_attrs for column in attribute.columns}


_THREAD_ATTRIBUTES = _attributes(Thread)
_RUN_ATTRIBUTES = _attributes(Run)
THREAD_COLUMNS = ", ".join(f"t.{name}" for name in _THREAD_ATTRIBUTES)  # a query's threads are ``t``
_RUN_COLUMNS = ", ".join(_RUN_ATTRIBUTES)


def _active_runs_of(thread: str) -> str:
    """The thread's pending and running runs, oldest first (``thread``: an SQL expression)."""
    return (
        f"(select array_agg(r.run_id order by r.created_at) from runs r"
        f" where r.thread_id = {thread} and r.status in ('pending', 'running'))"
    )


# A statement that locks a thread's row reads other tables with the snapshot it took before the
# lock was granted: when the row changed since (another transaction held the lock, added a run
# and committed), the locked row is that newer version while the runs it reads are the older
# state. ``_CHANGED`` tells, comparing the row's version locked (``t``) with the one the snapshot
# sees; only then is what was read again by a statement of its own (a fresh snapshot).
_CHANGED = "t.xmin::text is distinct from (select v.xmin::text from threads v where v.thread_id = t.thread_id)"
_LOCK_THREAD = f"""
select {THREAD_COLUMNS}, {_active_runs_of("t.thread_id")} as active_runs, {_CHANGED} as changed
from threads t where t.thread_id = %s for update of t
"""
_RECOUNT = f"select {_active_runs_of('%s')} as active_runs"


async def _one_row(conn: AsyncConnection[Any], query: str, params: Any) -> dict[str, Any] | None:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(query, params)
        return await cur.fetchone()


def _detached(model: Any, attributes: dict[str, str], row: dict[str, Any]) -> Any:
    """A transient instance filled the way the ORM's loader fills one (its ``__dict__``): the
    instrumented constructor took 20 µs an object, this 2."""
    instance = model.__mapper__.class_manager.new_instance()
    values = instance.__dict__
    for name, value in row.items():
        if name in attributes:
            values[attributes[name]] = value
    return instance


async def fetch_thread(db: AsyncSession | AsyncConnection[Any], query: str, params: Any) -> Thread | None:
    """The one thread row ``query`` returns (``THREAD_COLUMNS``), detached, or ``None``; on a
    session's connection (in its transaction) or a psycopg connection."""
    conn = db if isinstance(db, AsyncConnection) else await driver_connection(db)
    row = await _one_row(conn, query, params)
    return None if row is None else _detached(Thread, _THREAD_ATTRIBUTES, row)  # type: ignore[no-any-return]


async def lock_thread(session: AsyncSession, thread_id: uuid.UUID) -> tuple[Thread | None, list[uuid.UUID]]:
    """Lock a thread row and list its active runs, oldest first: one statement (it was two), a second
    only when the row changed while the first waited for its lock (``_LOCK_THREAD``). The
    thread comes back detached (changing it changes nothing stored)."""
    conn = await driver_connection(session)
    row = await _one_row(conn, _LOCK_THREAD, (thread_id,))
    if row is None:
        return None, []
    active = row.pop("active_runs")
    if row.pop("changed"):  # we waited for the lock (or just missed a commit): read them again
        again = await _one_row(conn, _RECOUNT, (thread_id,))
        active = again["active_runs"] if again else None
    return _detached(Thread, _THREAD_ATTRIBUTES, row), list(active or [])


def _enqueue_statement(taken: bool) -> str:
    """The run insert. ``taken``: the run is inserted already running, leased to the process that
    made it (a wait it will execute itself, ``Worker.adopt``), so no worker is woken to claim it."""
    status, attempt = ("'running'", "1") if taken else ("'pending'", "0")
    lease = "gen_random_uuid(), %(owner)s, now() + make_interval(secs => %(lease_s)s)" if taken else "null, null, null"
    note = "" if taken else f",\nnote as (select pg_notify('{CH_NEW_RUN}', %(run_text)s))"
    return f"""
with run as (
    insert into runs (run_id, thread_id, assistant_id, graph_id, status, kwargs, metadata,
                      multitask_strategy, created_by, not_before, attempt, cancel_requested,
                      lease_token, lease_owner, lease_expires_at)
    values (%(run_id)s, %(thread_id)s, %(assistant_id)s, %(graph_id)s, {status}, %(kwargs)s, %(metadata)s,
            %(strategy)s, %(created_by)s, now() + make_interval(secs => %(after_s)s), {attempt}, false,
            {lease})
    returning {_RUN_COLUMNS}
),
thread as (
    update threads set graph_id = %(graph_id)s, status = 'busy',
           member_id = coalesce(member_id, %(member_id)s), updated_at = now()
    where thread_id = %(thread_id)s
){note}
select run.* from run{", note" if note else ""}
"""


_ENQUEUE = _enqueue_statement(taken=False)
_ENQUEUE_TAKEN = _enqueue_statement(taken=True)


async def enqueue(
    session: AsyncSession,
    *,
    thread_id: uuid.UUID,
    assistant_id: uuid.UUID,
    graph_id: str,
    kwargs: dict[str, Any],
    metadata: dict[str, Any],
    strategy: str,
    created_by: str,
    member_id: uuid.UUID | None = None,
    after_s: float = 0.0,
    run_id: uuid.UUID | None = None,
    lease_owner: str | None = None,
    lease_s: float = 0.0,
) -> Run:
    """Insert a pending run, mark its thread busy (giving it the graph, and the member if it had
    none) and wake the workers on commit: one statement (the ORM took three), in the session's
    transaction. The caller holds the thread's lock. The run comes back detached.

    ``lease_owner``: insert it running instead, its first attempt leased to that worker for
    ``lease_s`` (the caller's process runs it once this commits; if it never does, the lease
    lapses and the sweeper requeues it like any other)."""
    run_id = run_id or uuid.uuid4()
    params = {
        "run_id": run_id,
        "thread_id": thread_id,
        "assistant_id": assistant_id,
        "graph_id": graph_id,
        "kwargs": Jsonb(kwargs),
        "metadata": Jsonb(metadata),
        "strategy": strategy,
        "created_by": created_by,
        "member_id": member_id,
        "after_s": float(after_s),
        "run_text": str(run_id),
        "owner": lease_owner,
        "lease_s": float(lease_s),
    }
    row = await _one_row(await driver_connection(session), _ENQUEUE if lease_owner is None else _ENQUEUE_TAKEN, params)
    assert row is not None
    return _detached(Run, _RUN_ATTRIBUTES, row)  # type: ignore[no-any-return]


async def active_runs(session: AsyncSession, thread_id: uuid.UUID) -> list[Run]:
    return list(
        (
            await session.scalars(
                select(Run).where(Run.thread_id == thread_id, Run.status.in_(ACTIVE)).order_by(Run.created_at)
            )
        ).all()
    )


# The worker's statements (claim, heartbeat, finish) and the waiter's read run on psycopg directly,
# on the checkpoint pool: each is one fixed statement, and SQLAlchemy's async session added
# ~0.3–0.4 ms of CPU to each (measured: claim 0.43 → 0.15 ms, a run read 0.52 → 0.12 ms), a few
# times per run. The ORM stays where it reads better (creation, with its checks, and the rest).
_CLAIM = """
with claimed as (
update runs set status = 'running', attempt = attempt + 1, lease_token = gen_random_uuid(),
       lease_owner = %(owner)s, lease_expires_at = now() + make_interval(secs => %(lease)s),
       updated_at = now()
where run_id in (
    select r.run_id from runs r
    where r.status = 'pending' and r.not_before <= now()
      and not exists (select 1 from runs x where x.thread_id = r.thread_id and x.status = 'running')
      and not exists (select 1 from runs y where y.thread_id = r.thread_id and y.status = 'pending'
                      and (y.created_at, y.run_id) < (r.created_at, r.run_id))
    order by r.not_before, r.created_at
    for update skip locked
    limit %(n)s)
returning run_id, thread_id, graph_id, kwargs, created_by, attempt, lease_token),
busy as (update threads set status = 'busy', updated_at = now()
         from claimed where threads.thread_id = claimed.thread_id)
select * from claimed
"""


async def claim(conn: AsyncConnection[Any], *, owner: str, lease_s: float, limit: int = 1) -> list[dict[str, Any]]:
    """Claim up to ``limit`` runs, each with its own fencing token. Only the oldest pending run of a
    thread with nothing running is eligible, so one statement never takes two runs of one thread."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(_CLAIM, {"owner": owner, "lease": float(lease_s), "n": limit})
        return await cur.fetchall()


_HEARTBEAT = """
update runs set lease_expires_at = now() + make_interval(secs => %(lease)s)
where run_id = %(run)s and lease_token = %(token)s and status = 'running'
returning cancel_requested
"""


async def heartbeat(
    conn: AsyncConnection[Any], run_id: uuid.UUID, token: uuid.UUID, lease_s: float
) -> tuple[bool, bool]:
    """Extend the lease. Returns (still ours, cancel requested)."""
    async with conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(_HEARTBEAT, {"lease": float(lease_s), "run": run_id, "token": token})
        row = await cur.fetchone()
    return (row is not None, bool(row[0]) if row else False)


_FINISH = f"""
with done as (
    update runs set status = %(status)s, output = %(output)s, error = %(error)s, lease_token = null,
           lease_owner = null, lease_expires_at = null, updated_at = now()
    where run_id = %(run)s and lease_token = %(token)s and status = 'running'
    returning run_id, thread_id
),
locked as (
    select t.thread_id, {_CHANGED} as changed
    from threads t join done on t.thread_id = done.thread_id
    for update of t
),
thread as (
    update threads t set
        status = case when exists (select 1 from runs r where r.thread_id = t.thread_id
                                   and r.status in ('pending', 'running') and r.run_id <> %(run)s)
                      then 'busy' else %(thread_status)s end,
        values = %(values)s, interrupts = %(interrupts)s, updated_at = now(), state_updated_at = now()
    from locked where t.thread_id = locked.thread_id
    returning 1
),
note as (select pg_notify(%(channel)s, %(run_text)s) from done)
select (select count(*) from done), (select count(*) from note), (select count(*) from thread),
       coalesce((select bool_or(changed) from locked), false)
"""
# After a finish whose thread row changed while it waited for the row's lock (``_CHANGED``): its
# view of the thread's other runs came from before that wait, so a run created meanwhile may have
# been missed and the thread set idle. A statement of its own (a fresh snapshot) puts ``busy``
# back when a run is active; it never overwrites a later run's outcome.
_BUSY_AGAIN = """
update threads set status = 'busy', updated_at = now()
where thread_id = %(thread)s and status <> 'busy'
  and exists (select 1 from runs r where r.thread_id = %(thread)s and r.status in ('pending', 'running'))
"""


def ended(job: dict[str, Any], *, status: str, output: Any, error: Any) -> Run:
    """A run as ``finish_run`` just recorded it, for a waiter in the process that ran it (what a
    wait answers: the outcome; timestamps and the rest are not filled in)."""
    return _detached(
        Run,
        _RUN_ATTRIBUTES,
        {
            "run_id": job["run_id"],
            "thread_id": job["thread_id"],
            "graph_id": job["graph_id"],
            "status": status,
            "output": output,
            "error": error,
            "kwargs": job["kwargs"],
            "created_by": job["created_by"],
            "attempt": job["attempt"],
        },
    )


def _jsonb(value: Any) -> Jsonb | None:
    return None if value is None else Jsonb(value)


async def finish_run(
    conn: AsyncConnection[Any],
    *,
    run_id: uuid.UUID,
    thread_id: uuid.UUID,
    token: uuid.UUID,
    status: str,
    output: dict[str, Any] | None,
    error: dict[str, Any] | None,
    thread_status: str,
    values: dict[str, Any] | None,
    interrupts: dict[str, Any],
) -> bool:
    """Record the outcome of an attempt, notify its waiters and set its thread, in one statement
    (the hot path of every run: it was four). Only if the attempt still holds the lease; the thread is
    ``busy`` while another run of it is active (the statement's snapshot still shows this run as
    running, hence ``run_id <> :run``; ``_BUSY_AGAIN`` when its snapshot was older than the lock)."""
    async with conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(
            _FINISH,
            {
                "run": run_id,
                "token": token,
                "status": status,
                "output": _jsonb(output),
                "error": _jsonb(error),
                "thread_status": thread_status,
                "values": _jsonb(values),
                "interrupts": Jsonb(interrupts),
                "channel": CH_RUN_DONE,
                "run_text": str(run_id),
            },
        )
        row = await cur.fetchone()
        if row and row[3]:
            await cur.execute(_BUSY_AGAIN, {"thread": thread_id})
    return bool(row and row[0])


_READ_RUN = f"select {_RUN_COLUMNS} from runs where run_id = %s"


async def read_run(conn: AsyncConnection[Any], run_id: uuid.UUID) -> Run | None:
    """A run as a detached ``Run`` (no session): for waiters, which only read it."""
    row = await _one_row(conn, _READ_RUN, (run_id,))
    return None if row is None else _detached(Run, _RUN_ATTRIBUTES, row)


async def set_thread_after_run(
    session: AsyncSession,
    thread_id: uuid.UUID,
    *,
    status: str,
    values: dict[str, Any] | None,
    interrupts: dict[str, Any],
) -> None:
    """Thread status follows its runs: busy while any is active, else from the last outcome."""
    still_active = exists().where(Run.thread_id == thread_id, Run.status.in_(ACTIVE))
    await session.execute(
        update(Thread)
        .where(Thread.thread_id == thread_id)
        .values(
            status=case((still_active, "busy"), else_=status),
            values=values,
            interrupts=interrupts,
            updated_at=func.now(),
            state_updated_at=func.now(),
        )
    )


async def settle_thread(session: AsyncSession, thread_id: uuid.UUID) -> None:
    """A thread after a run was taken away unfinished (cancelled before it started, or rolled
    back): its values and interrupts are as the last finished run left them; only the status
    follows (``busy`` while another run is active, else waiting or idle)."""
    state = (
        await session.execute(
            select(Thread.values, Thread.interrupts).where(Thread.thread_id == thread_id).with_for_update()
        )
    ).one_or_none()
    if state is not None:
        await set_thread_after_run(
            session,
            thread_id,
            status="interrupted" if state.interrupts else "idle",
            values=state.values,
            interrupts=state.interrupts,
        )


async def release(session: AsyncSession, run_id: uuid.UUID, token: uuid.UUID) -> bool:
    """Hand a run back at once (a draining worker): pending again, lease cleared, the attempt not
    counted against ``max_attempts``; the next worker continues from the last checkpoint."""
    done = await session.scalar(
        update(Run)
        .where(Run.run_id == run_id, Run.lease_token == token, Run.status == "running")
        .values(
            status="pending",
            attempt=Run.attempt - 1,
            lease_token=None,
            lease_owner=None,
            lease_expires_at=None,
            updated_at=func.now(),
        )
        .returning(Run.run_id)
    )
    if done is not None:
        await notify(session, CH_NEW_RUN, str(run_id))
    return done is not None


async def cancel_pending(session: AsyncSession, run_id: uuid.UUID) -> bool:
    done = await session.scalar(
        update(Run)
        .where(Run.run_id == run_id, Run.status == "pending")
        .values(
            status="interrupted",
            error={"error": "Cancelled", "message": "cancelled before it started"},
            updated_at=func.now(),
        )
        .returning(Run.run_id)
    )
    if done is not None:
        await notify(session, CH_RUN_DONE, str(run_id))
    return done is not None


async def request_cancel(session: AsyncSession, run_id: uuid.UUID, *, rollback: bool = False) -> bool:
    """Ask a running attempt to stop; with ``rollback`` its worker then erases it (``roll_back``)."""
    values: dict[str, Any] = {"cancel_requested": True, "updated_at": func.now()}
    if rollback:
        values["kwargs"] = Run.kwargs.op("||")(text("""'{"rollback": true}'::jsonb"""))
    done = await session.scalar(
        update(Run).where(Run.run_id == run_id, Run.status == "running").values(**values).returning(Run.run_id)
    )
    if done is not None:
        await notify(session, CH_CANCEL, str(run_id))
    return done is not None


async def sweep_expired(session: AsyncSession, *, max_attempts: int) -> list[uuid.UUID]:
    """Give runs of dead workers to the next worker (or fail them after too many attempts)."""
    expired = (
        await session.execute(
            select(Run.run_id, Run.attempt, Run.thread_id)
            .where(Run.status == "running", Run.lease_expires_at < func.now())
            .with_for_update(skip_locked=True)
        )
    ).all()
    swept = []
    for run_id, attempt, thread_id in expired:
        if attempt >= max_attempts:
            await session.execute(
                update(Run)
                .where(Run.run_id == run_id)
                .values(
                    status="error",
                    lease_token=None,
                    lease_owner=None,
                    lease_expires_at=None,
                    error={"error": "WorkerLost", "message": f"gave up after {attempt} attempts"},
                    updated_at=func.now(),
                )
            )
            await session.execute(update(Thread).where(Thread.thread_id == thread_id).values(status="error"))
            await notify(session, CH_RUN_DONE, str(run_id))
        else:
            await session.execute(
                update(Run)
                .where(Run.run_id == run_id)
                .values(
                    status="pending", lease_token=None, lease_owner=None, lease_expires_at=None, updated_at=func.now()
                )
            )
            await notify(session, CH_NEW_RUN, str(run_id))
        swept.append(run_id)
    return swept


_FENCE_LAPSED = text("""
select distinct r.lease_owner, a.pid, pg_terminate_backend(a.pid) as ended
from runs r
join pg_stat_activity a on a.application_name = left('asoto ' || split_part(r.lease_owner, '/', 1), 63)
where r.status = 'running' and r.lease_expires_at < now() - make_interval(secs => :grace)
  and split_part(r.lease_owner, '/', 1) <> :own and a.pid <> pg_backend_pid()
""")


async def fence_lapsed_owners(session: AsyncSession, *, grace_s: float, own_process: str) -> list[str]:
    """End the database sessions of processes whose lease lapsed more than ``grace_s`` ago and
    which still hold the run locked (the sweep, SKIP LOCKED, could not take it).

    Only a stopped process does that: a live one would have heartbeated or finished its
    transaction, and one idle in a transaction is ended by the server after the same grace. This
    is the case the server's timeout misses (stopped mid-pipeline, backend ``active``). Ending
    its sessions rolls its transaction back and releases the row; the next sweep hands the run
    over, and the process, if it ever wakes, finds its connections gone and its token stale."""
    async with session.begin_nested():
        rows = (await session.execute(_FENCE_LAPSED, {"grace": grace_s, "own": own_process})).all()
    return sorted({owner for owner, _pid, ended in rows if ended})


async def get_run(session: AsyncSession, thread_id: uuid.UUID, run_id: uuid.UUID) -> Run | None:
    return await session.scalar(select(Run).where(and_(Run.run_id == run_id, Run.thread_id == thread_id)))


async def delete_thread_rows(session: AsyncSession, thread_id: uuid.UUID) -> None:
    await session.execute(delete(Thread).where(Thread.thread_id == thread_id))


async def delete_pending(session: AsyncSession, run_id: uuid.UUID) -> bool:
    """A rollback of a run that never started: it goes, as if it had not been made."""
    done = await session.scalar(delete(Run).where(Run.run_id == run_id, Run.status == "pending").returning(Run.run_id))
    if done is not None:
        await notify(session, CH_RUN_DONE, str(run_id))
    return done is not None


async def rollback_asked(session: AsyncSession, run_id: uuid.UUID, token: uuid.UUID) -> bool:
    """Whether a stopped attempt, still holding its lease (``token``; locked here until the
    transaction ends), was cancelled with ``rollback``."""
    asked = select(Run.kwargs["rollback"].as_boolean()).where(Run.run_id == run_id, Run.lease_token == token)
    return bool(await session.scalar(asked.with_for_update()))


_ROLLED_BACK_CHECKPOINTS = text("""
delete from checkpoints where thread_id = :thread and metadata->>'run_id' = :run returning checkpoint_id
""")
# the run's writes on the checkpoints it started from (the newest left in each namespace): a
# resumed task's writes (its resume value and its outputs) sit on the checkpoint of the run that
# was interrupted, beside that run's own interrupt, which stays
_ROLLED_BACK_WRITES = text("""
delete from checkpoint_writes w
where w.thread_id = :thread and w.channel <> '__interrupt__'
  and w.checkpoint_id in (select max(checkpoint_id) from checkpoints where thread_id = :thread group by checkpoint_ns)
  and exists (select 1 from checkpoint_writes i
              where i.thread_id = w.thread_id and i.checkpoint_ns = w.checkpoint_ns
                and i.checkpoint_id = w.checkpoint_id and i.task_id = w.task_id and i.channel = '__interrupt__')
""")


async def roll_back(session: AsyncSession, run_id: uuid.UUID, thread_id: uuid.UUID) -> None:
    """Erase a cancelled run as if it had not been made (``multitask_strategy`` or cancel
    ``action`` ``rollback``): its checkpoints and their writes, what it wrote on the checkpoint it
    resumed, the run and its events; the thread goes back to how the run found it (its values and
    interrupts are only set when a run ends, so they still are). Rows other flows' nodes wrote
    elsewhere (approvals, points) are not undone, as on the Platform."""
    thread, run = str(thread_id), str(run_id)
    removed = list((await session.scalars(_ROLLED_BACK_CHECKPOINTS, {"thread": thread, "run": run})).all())
    if removed:
        await session.execute(
            text("delete from checkpoint_writes where thread_id = :thread and checkpoint_id = any(:ids)"),
            {"thread": thread, "ids": removed},
        )
    await session.execute(_ROLLED_BACK_WRITES, {"thread": thread})
    await session.execute(delete(Run).where(Run.run_id == run_id))
    await settle_thread(session, thread_id)
    await notify(session, CH_RUN_DONE, run)

"""The LangGraph Postgres checkpointer with a strict serializer.

State in our flows is JSON-like (ids, strings, numbers, lists, dicts, LangChain messages), so
msgpack deserialization is restricted to what LangGraph itself needs: a row written by anyone
else cannot make the engine construct arbitrary classes (LangGraph threat model T1).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from langgraph.checkpoint.base import WRITES_IDX_MAP, CheckpointTuple, get_serializable_checkpoint_metadata
from langgraph.checkpoint.postgres import _ainternal
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.serde.types import _DeltaSnapshot
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool


def make_serializer() -> JsonPlusSerializer:
    return JsonPlusSerializer(allowed_msgpack_modules=None)


class LeaseLost(RuntimeError):
    """This attempt's lease lapsed: another worker may own the run now; it must not write."""


@dataclass
class Lease:
    """An attempt's lease: the run, the fencing token, and when it lapses on the local clock.

    ``valid_until`` is the time the last successful claim or heartbeat *started* plus the lease
    length: never later than the database's own expiry, which the sweeper goes by."""

    seconds: float
    valid_until: float = field(default=0.0)
    run_id: Any = None
    token: Any = None
    # a run started while the transaction that created it commits (``services.runs.create_here``):
    # set when that transaction has ended, and whether it committed
    created: asyncio.Event | None = None
    creation_failed: bool = False

    def renewed(self, at: float) -> None:
        self.valid_until = at + self.seconds

    def creation_ended(self, *, committed: bool) -> None:
        self.creation_failed = not committed
        if self.created is not None:
            self.created.set()

    async def settled(self) -> None:
        """Until the run's creating transaction has committed: before that, the run's row is
        not visible to the fence, and nothing the attempt did should happen for a run that may
        never exist. ``LeaseLost`` when it did not commit: the attempt stops and writes nothing."""
        if self.created is None:
            return
        await self.created.wait()
        if self.creation_failed:
            raise LeaseLost("the transaction that created this run did not commit; the attempt writes nothing")

    def check(self) -> None:
        if time.monotonic() >= self.valid_until:
            raise LeaseLost("the lease of this attempt lapsed; another worker may own the run")


CURRENT_LEASE: ContextVar[Lease | None] = ContextVar("asoto_current_lease", default=None)

_FENCE_CTE = (
    "with fence as materialized (select 1 from runs where run_id = %(run)s and lease_token = %(token)s "
    "and status = 'running' for share)"
)
# One statement per write (the fence, the blobs and the checkpoint, or the fence and the writes):
# autocommit makes it one transaction, the fence's row lock is held until it ends, and no
# BEGIN/COMMIT travel. The saver's own write was BEGIN + fence + 1–3 statements + COMMIT.
_PUT_SQL = (
    _FENCE_CTE
    + """,
blobs as (
    insert into checkpoint_blobs (thread_id, checkpoint_ns, channel, version, type, blob)
    select %(thread)s, %(ns)s, b.channel, b.version, b.type, b.blob
    from fence, unnest(%(channels)s::text[], %(versions)s::text[], %(types)s::text[], %(blobs)s::bytea[])
         as b(channel, version, type, blob)
    on conflict (thread_id, checkpoint_ns, channel, version) do nothing
),
saved as (
    insert into checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, checkpoint, metadata)
    select %(thread)s, %(ns)s, %(id)s, %(parent)s, %(checkpoint)s, %(metadata)s from fence
    on conflict (thread_id, checkpoint_ns, checkpoint_id)
    do update set checkpoint = excluded.checkpoint, metadata = excluded.metadata
)
select count(*) as held from fence"""
)
_WRITES_SQL = (
    _FENCE_CTE
    + """,
saved as (
    insert into checkpoint_writes
        (thread_id, checkpoint_ns, checkpoint_id, task_id, task_path, idx, channel, type, blob)
    select %(thread)s, %(ns)s, %(id)s, %(task)s, %(path)s, w.idx, w.channel, w.type, w.blob
    from fence, unnest(%(idxs)s::int[], %(channels)s::text[], %(types)s::text[], %(blobs)s::bytea[])
         as w(idx, channel, type, blob)
    on conflict (thread_id, checkpoint_ns, checkpoint_id, task_id, idx) {action}
)
select count(*) as held from fence"""
)
_WRITES_UPSERT_SQL = _WRITES_SQL.format(
    action="do update set channel = excluded.channel, type = excluded.type, blob = excluded.blob"
)
_WRITES_INSERT_SQL = _WRITES_SQL.format(action="do nothing")


class FencedSaver(AsyncPostgresSaver):
    """The Postgres checkpointer, fencing the writes of a worker's attempt by its lease.

    A write first checks the local lease (a resumed process whose lease lapsed stops before any
    query), then, in the same statement as the write, that the run still carries this attempt's
    fencing token (``FOR SHARE``: the sweeper cannot hand the run over mid-write). A process
    frozen before the statement finds the token changed when it wakes and writes nothing; one
    frozen with its statement half sent is ended by the sweeper (``run_queue.fence_lapsed_owners``).
    Reads, and callers outside a worker's attempt, take the saver's own path.

    Two departures from the saver, both for speed and both hand-rolled because the library has no
    hook for them: a fenced write is **one statement** (the library's SQL cannot carry the fence,
    and BEGIN/fence/COMMIT around it was 3 of every 4–5 statements a run issued), and a saver on a
    pool does not take the saver-wide ``asyncio.Lock`` (it exists for a single shared connection;
    on a pool it serialised every checkpoint read and write of every run in the process).
    Serialisation stays inline: the payloads of a step are small, and a thread hop costs more than
    it saves on a 2-core machine where msgpack holds the GIL anyway."""

    async def aput(self, config: Any, checkpoint: Any, metadata: Any, new_versions: Any) -> Any:
        lease = _writing_lease()
        if lease is None:
            return await super().aput(config, checkpoint, metadata, new_versions)
        configurable = config["configurable"]
        thread_id, checkpoint_ns = configurable["thread_id"], configurable["checkpoint_ns"]
        copy = checkpoint.copy()
        copy["channel_values"] = copy["channel_values"].copy()
        blob_values = {}
        for k, v in checkpoint["channel_values"].items():  # as the saver: primitives inline, others as blobs
            if isinstance(v, _DeltaSnapshot):
                blob_values[k] = copy["channel_values"].pop(k)
                copy["channel_values"][k] = True
            elif not (v is None or isinstance(v, str | int | float | bool)):
                blob_values[k] = copy["channel_values"].pop(k)
        blob_versions = {k: v for k, v in new_versions.items() if k in blob_values}
        blobs = self._dump_blobs(thread_id, checkpoint_ns, blob_values, blob_versions)
        await self._fenced_write(
            lease,
            _PUT_SQL,
            {
                "thread": thread_id,
                "ns": checkpoint_ns,
                "id": checkpoint["id"],
                "parent": configurable.get("checkpoint_id"),
                "checkpoint": Jsonb(copy),
                "metadata": Jsonb(get_serializable_checkpoint_metadata(config, metadata)),
                "channels": [b[2] for b in blobs],
                "versions": [b[3] for b in blobs],
                "types": [b[4] for b in blobs],
                "blobs": [b[5] for b in blobs],
            },
        )
        return {
            "configurable": {"thread_id": thread_id, "checkpoint_ns": checkpoint_ns, "checkpoint_id": checkpoint["id"]}
        }

    async def aput_writes(self, config: Any, writes: Any, task_id: str, task_path: str = "") -> None:
        lease = _writing_lease()
        if lease is None:
            return await super().aput_writes(config, writes, task_id, task_path)
        configurable = config["configurable"]
        rows = self._dump_writes(
            configurable["thread_id"],
            configurable["checkpoint_ns"],
            configurable["checkpoint_id"],
            task_id,
            task_path,
            writes,
        )
        upsert = all(w[0] in WRITES_IDX_MAP for w in writes)
        await self._fenced_write(
            lease,
            _WRITES_UPSERT_SQL if upsert else _WRITES_INSERT_SQL,
            {
                "thread": configurable["thread_id"],
                "ns": configurable["checkpoint_ns"],
                "id": configurable["checkpoint_id"],
                "task": task_id,
                "path": task_path,
                "idxs": [r[5] for r in rows],
                "channels": [r[6] for r in rows],
                "types": [r[7] for r in rows],
                "blobs": [r[8] for r in rows],
            },
        )

    async def aget_tuple(self, config: Any) -> CheckpointTuple | None:
        """The saver's, then, for a run started while its creation commits, a wait for that
        commit: LangGraph reads the thread's checkpoint before any node runs, so no node of a run
        that may never exist runs (whatever the graph's durability), and the read overlaps the
        commit."""
        found = await super().aget_tuple(config)
        lease = _writing_lease()
        if lease is not None:
            await lease.settled()
        return found

    async def _fenced_write(self, lease: Lease, sql: str, params: dict[str, Any]) -> None:
        await lease.settled()
        lease.check()
        async with _ainternal.get_connection(self.conn) as conn, conn.cursor(binary=True, row_factory=dict_row) as cur:
            await cur.execute(sql, {**params, "run": lease.run_id, "token": lease.token})
            row = await cur.fetchone()
        if row is None or not row["held"]:
            raise LeaseLost("this attempt no longer holds the run; the write is refused")

    async def _load_checkpoint_tuple(self, value: Any) -> CheckpointTuple:
        """The library's, with the pending writes decoded inline: it hands them to a thread
        (``asyncio.to_thread``) on every read, a hop that cost more than the decoding of a step's
        few writes (every run reads its thread's checkpoint once, a resume twice)."""
        ids = {"thread_id": value["thread_id"], "checkpoint_ns": value["checkpoint_ns"]}
        parent = value["parent_checkpoint_id"]
        checkpoint: Any = {
            **value["checkpoint"],
            "channel_values": {
                **(value["checkpoint"].get("channel_values") or {}),
                **self._load_blobs(value["channel_values"]),
            },
        }
        return CheckpointTuple(
            {"configurable": {**ids, "checkpoint_id": value["checkpoint_id"]}},
            checkpoint,
            value["metadata"],
            {"configurable": {**ids, "checkpoint_id": parent}} if parent else None,
            self._load_writes(value["pending_writes"]),
        )

    @asynccontextmanager
    async def _cursor(self, *, pipeline: bool = False) -> AsyncIterator[Any]:
        if self.pipe is not None or not isinstance(self.conn, AsyncConnectionPool):
            async with super()._cursor(pipeline=pipeline) as cur:
                yield cur
            return
        async with _ainternal.get_connection(self.conn) as conn:  # a connection of its own: no lock
            if pipeline and self.supports_pipeline:
                async with conn.pipeline(), conn.cursor(binary=True, row_factory=dict_row) as cur:
                    yield cur
            elif pipeline:
                async with conn.transaction(), conn.cursor(binary=True, row_factory=dict_row) as cur:
                    yield cur
            else:
                async with conn.cursor(binary=True, row_factory=dict_row) as cur:
                    yield cur


def _writing_lease() -> Lease | None:
    """The lease of the worker attempt this write belongs to, if any (``None``: unfenced)."""
    lease = CURRENT_LEASE.get()
    return lease if lease is not None and lease.token is not None else None


def make_saver(pool: AsyncConnectionPool) -> AsyncPostgresSaver:
    return FencedSaver(pool, serde=make_serializer())  # type: ignore[arg-type]


# Copying a thread's checkpoints, blobs and writes (``threads.copy``): one statement per table, run
# in the caller's transaction so the copy and its thread row land together. Hand-rolled because
# ``AsyncPostgresSaver`` does not implement ``acopy_thread`` (it inherits the base class's refusal),
# and a saver method would commit on its own connection, apart from the thread row.
# ``checkpoint_writes.task_path`` exists from the saver's later migrations on.
COPY_THREAD_SQL = (
    """insert into checkpoints
      (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint, metadata)
    select :dst, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint, metadata
    from checkpoints where thread_id = :src""",
    """insert into checkpoint_blobs (thread_id, checkpoint_ns, channel, version, type, blob)
    select :dst, checkpoint_ns, channel, version, type, blob from checkpoint_blobs where thread_id = :src""",
    """insert into checkpoint_writes
      (thread_id, checkpoint_ns, checkpoint_id, task_id, task_path, idx, channel, type, blob)
    select :dst, checkpoint_ns, checkpoint_id, task_id, task_path, idx, channel, type, blob
    from checkpoint_writes where thread_id = :src""",
)

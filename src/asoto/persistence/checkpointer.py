"""The LangGraph Postgres checkpointer with a strict serializer.

State in our flows is JSON-like (ids, strings, numbers, lists, dicts, LangChain messages), so
msgpack deserialization is restricted to what LangGraph itself needs: a row written by anyone
else cannot make the engine construct arbitrary classes (LangGraph threat model T1).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from langgraph.checkpoint.postgres import _ainternal
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from psycopg.rows import dict_row
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

    def renewed(self, at: float) -> None:
        self.valid_until = at + self.seconds

    def check(self) -> None:
        if time.monotonic() >= self.valid_until:
            raise LeaseLost("the lease of this attempt lapsed; another worker may own the run")


CURRENT_LEASE: ContextVar[Lease | None] = ContextVar("asoto_current_lease", default=None)
_WRITING: ContextVar[bool] = ContextVar("asoto_checkpoint_writing", default=False)
_FENCE_SQL = "select 1 from runs where run_id = %s and lease_token = %s and status = 'running' for share"


class FencedSaver(AsyncPostgresSaver):
    """The Postgres checkpointer, fencing the writes of a worker's attempt by its lease.

    A write first checks the local lease (a resumed process whose lease lapsed stops before any
    query), then, in the same transaction as the write, that the run still carries this attempt's
    fencing token (``FOR SHARE``: the sweeper cannot hand the run over mid-write). A process
    frozen before the check finds the token changed when it wakes and writes nothing; one frozen
    inside the transaction is ended by ``idle_in_transaction_session_timeout`` and rolled back.
    Reads, and callers outside a worker's attempt, are not fenced."""

    async def aput(self, config: Any, checkpoint: Any, metadata: Any, new_versions: Any) -> Any:
        return await self._fenced(super().aput(config, checkpoint, metadata, new_versions))

    async def aput_writes(self, config: Any, writes: Any, task_id: str, task_path: str = "") -> None:
        await self._fenced(super().aput_writes(config, writes, task_id, task_path))

    async def _fenced(self, write: Any) -> Any:
        lease = CURRENT_LEASE.get()
        if lease is None:
            return await write
        try:
            lease.check()
        except LeaseLost:
            write.close()
            raise
        flag = _WRITING.set(True)
        try:
            return await write
        finally:
            _WRITING.reset(flag)

    @asynccontextmanager
    async def _cursor(self, *, pipeline: bool = False) -> AsyncIterator[Any]:
        lease = CURRENT_LEASE.get()
        if lease is None or not _WRITING.get() or lease.token is None:
            async with super()._cursor(pipeline=pipeline) as cur:
                yield cur
            return
        async with self.lock, _ainternal.get_connection(self.conn) as conn:
            if not (pipeline and self.supports_pipeline):
                async with conn.transaction(), conn.cursor(binary=True, row_factory=dict_row) as cur:
                    await cur.execute(_FENCE_SQL, (lease.run_id, lease.token))
                    if await cur.fetchone() is None:
                        raise LeaseLost("this attempt no longer holds the run; the write is refused")
                    yield cur
                return
            # One round trip: BEGIN, the fence, the saver's writes and COMMIT go out as a pipeline.
            # The fence runs first in the transaction (its FOR SHARE lock is held by the time any
            # write runs); its answer is read before COMMIT, and a lost lease rolls all back.
            async with (
                conn.pipeline(),
                conn.transaction(),
                conn.cursor(binary=True, row_factory=dict_row) as fence,
                conn.cursor(binary=True, row_factory=dict_row) as cur,
            ):
                await fence.execute(_FENCE_SQL, (lease.run_id, lease.token))
                yield cur
                if await fence.fetchone() is None:
                    raise LeaseLost("this attempt no longer holds the run; the write is refused")


def make_saver(pool: AsyncConnectionPool) -> AsyncPostgresSaver:
    return FencedSaver(pool, serde=make_serializer())  # type: ignore[arg-type]

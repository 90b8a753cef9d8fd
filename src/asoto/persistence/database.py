"""Engines and pools, built once per process by whoever owns the resources (lifespan, CLI, tests).

Two drivers of one library: SQLAlchemy (async, psycopg 3) for domain tables, and a
psycopg pool for the LangGraph checkpointer, configured as the checkpoint-postgres README
asks (autocommit, dict rows, ``prepare_threshold=0``).

Prepared statements are on by default in both: without them Postgres parses and plans every
statement of the hot path again (the fenced checkpoint write, the claim and the create are CTEs),
which was more than half of Postgres's CPU per run and ~5 ms of a run's latency at concurrency 1
(``bench/peer.py``). A transaction pooler that cannot follow named prepared statements
(PgBouncer before 1.22 in transaction mode) needs ``ASOTO_DB_PREPARED_STATEMENTS=false``.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg.types.json import set_json_dumps, set_json_loads
from psycopg_pool import AsyncConnectionPool
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from asoto import jsoncodec


def sqlalchemy_url(libpq_uri: str) -> str:
    """``postgresql://…`` → ``postgresql+psycopg://…`` (SQLAlchemy's psycopg 3 dialect)."""
    url = make_url(libpq_uri)
    return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def libpq_uri(any_uri: str) -> str:
    url = make_url(any_uri)
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


# A process stopped mid-transaction (SIGSTOP, a debugger, a frozen VM) would hold its row locks
# for as long as it is stopped, and the sweeper (SKIP LOCKED) could never take its runs over:
# Postgres ends any session left idle in a transaction this long.
IDLE_IN_TRANSACTION_MS = 10_000
SESSION_OPTIONS = f"-c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_MS}"

# That timeout is armed only when a backend waits for a new command. A process stopped in the
# middle of a pipeline (psycopg's ``executemany``: Bind/Execute sent, Sync not yet) leaves its
# backend ``active`` and its locks held for as long as it is stopped. So every connection names
# the process that opened it, and a worker's lease names the same process: the sweeper can end
# the backends of a process whose lease lapsed long ago and still holds the run (see
# ``run_queue.fence_lapsed_owners``).
# A database that is down must cost a request seconds, not minutes: libpq's connect timeout (its
# minimum is 2 s; a refused connection fails at once) and the checkpoint pool's wait for a
# connection (psycopg_pool waits 30 s by default) bound how long a request can hang.
CONNECT_TIMEOUT_S = 2
POOL_WAIT_S = 5.0

PROCESS_TAG = f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def application_name(process_tag: str) -> str:
    """The ``application_name`` of a process's connections (Postgres keeps 63 bytes)."""
    return f"asoto {process_tag}"[:63]


def prepare_threshold(prepared: bool) -> int | None:
    """psycopg's ``prepare_threshold``: 0 prepares every statement on its first use on a
    connection (what LangGraph's README uses), ``None`` never prepares."""
    return 0 if prepared else None


def create_engine(uri: str, *, pool_size: int = 10, prepared: bool = True) -> AsyncEngine:
    return create_async_engine(
        sqlalchemy_url(uri),
        pool_size=pool_size,
        max_overflow=pool_size,
        # no ping per checkout (it was ~11 of the ~130 statements of a run cycle): a connection
        # that died (a restart) fails on first use, is invalidated, and the caller sees
        # ``is_unavailable`` (503, or the run handed back); recycling bounds how old one can get
        pool_pre_ping=False,
        pool_recycle=1800,
        json_serializer=jsoncodec.dumps,  # SQLAlchemy hands both to psycopg's JSON adapters
        json_deserializer=jsoncodec.loads,
        connect_args={
            "prepare_threshold": prepare_threshold(prepared),
            "options": SESSION_OPTIONS,
            "application_name": application_name(PROCESS_TAG),
            "connect_timeout": CONNECT_TIMEOUT_S,
        },
    )


async def _configure(conn: AsyncConnection[Any]) -> None:
    """Each new pooled connection encodes JSONB with orjson (``jsoncodec``)."""
    set_json_dumps(jsoncodec.dumps, conn)
    set_json_loads(jsoncodec.loads, conn)


@asynccontextmanager
async def checkpoint_pool(uri: str, *, max_size: int = 20, prepared: bool = True) -> AsyncIterator[AsyncConnectionPool]:
    pool = AsyncConnectionPool(
        libpq_uri(uri),
        min_size=2,
        max_size=max_size,
        open=False,
        max_idle=300,
        timeout=POOL_WAIT_S,
        max_lifetime=3600,
        configure=_configure,
        kwargs={
            "autocommit": True,
            "prepare_threshold": prepare_threshold(prepared),
            "row_factory": dict_row,
            "options": SESSION_OPTIONS,
            "application_name": application_name(PROCESS_TAG),
            "connect_timeout": CONNECT_TIMEOUT_S,
        },
        # no check per checkout either (another ~15 per cycle): psycopg_pool discards a connection
        # returned broken, so a restart costs each pooled connection one failed use
    )
    await pool.open(wait=True)
    try:
        yield pool
    finally:
        await pool.close()


@dataclass(frozen=True)
class Database:
    """The domain engine and its session factory."""

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    # one statement on a hot path (a read, a claim, a finish): autocommit, so no BEGIN/COMMIT
    # travel around it; the statement is its own transaction
    autocommit: async_sessionmaker[AsyncSession]

    @classmethod
    def connect(cls, uri: str, *, pool_size: int = 10, prepared: bool = True) -> Database:
        engine = create_engine(uri, pool_size=pool_size, prepared=prepared)
        autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        return cls(
            engine=engine,
            sessions=async_sessionmaker(engine, expire_on_commit=False),
            autocommit=async_sessionmaker(autocommit, expire_on_commit=False),
        )

    async def dispose(self) -> None:
        await self.engine.dispose()


def is_unavailable(exc: BaseException) -> bool:
    """The database cannot be reached right now (down, restarting, refusing or dropping
    connections), as opposed to a query that is wrong: callers answer 503 or try again later."""
    import psycopg
    import psycopg_pool
    from sqlalchemy import exc as sa_exc

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, psycopg_pool.PoolTimeout | sa_exc.TimeoutError | ConnectionRefusedError):
            return True
        if isinstance(current, psycopg.OperationalError | psycopg.InterfaceError):
            return True
        if isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated:
            return True
        current = current.__cause__ or current.__context__
    return False

"""Bring a database to the current schema: Alembic migrations, then the checkpointer's and the
store's tables.

Both run under one Postgres advisory lock, so several processes starting together (API
replicas, workers, parallel test sessions) never race: LangGraph's ``setup()`` fails under
concurrency otherwise (reliability pitfall P5).
"""

from __future__ import annotations

import time
from pathlib import Path

import psycopg
from alembic import command
from alembic.config import Config
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.store.postgres import PostgresStore
from psycopg.rows import dict_row

from asoto.persistence.database import libpq_uri, sqlalchemy_url
from asoto.persistence.store import store_index_for_setup

MIGRATIONS = Path(__file__).parent / "migrations"
ADVISORY_LOCK_KEY = 7_400_123_001  # any constant shared by every asoto process


def alembic_config(uri: str, *, embedding_dim: int, embedding_model: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["sqlalchemy_url"] = sqlalchemy_url(uri)
    cfg.attributes["embedding_dim"] = embedding_dim
    cfg.attributes["embedding_model"] = embedding_model
    return cfg


def _acquire(conn: psycopg.Connection[tuple[object, ...]], timeout_s: float = 300.0) -> None:
    """Take the lock by polling, never by waiting inside one statement.

    A backend blocked in ``pg_advisory_lock()`` keeps a snapshot open for as long as it waits,
    and the checkpointer's ``CREATE INDEX CONCURRENTLY`` (run by the holder on a second
    connection) waits for every such snapshot: the holder waits for the waiters, which wait for
    the holder. Short ``pg_try_advisory_lock`` polls hold no snapshot between tries."""
    deadline = time.monotonic() + timeout_s
    pause = 0.05
    while True:
        row = conn.execute("select pg_try_advisory_lock(%s)", (ADVISORY_LOCK_KEY,)).fetchone()
        if row and row[0]:
            return
        if time.monotonic() > deadline:
            raise TimeoutError("another process has been migrating this database for too long")
        time.sleep(pause)
        pause = min(0.5, pause * 1.5)


def upgrade(uri: str, *, embedding_dim: int, embedding_model: str) -> None:
    """Run migrations and the checkpointer set-up once, whoever else is starting."""
    with psycopg.connect(libpq_uri(uri), autocommit=True) as lock_conn:
        _acquire(lock_conn)
        try:
            command.upgrade(
                alembic_config(uri, embedding_dim=embedding_dim, embedding_model=embedding_model),
                "head",
            )
            with psycopg.connect(libpq_uri(uri), autocommit=True, prepare_threshold=None, row_factory=dict_row) as conn:
                PostgresSaver(conn).setup()  # type: ignore[arg-type]
                PostgresStore(conn, index=store_index_for_setup(embedding_dim)).setup()  # type: ignore[arg-type]
        finally:
            lock_conn.execute("select pg_advisory_unlock(%s)", (ADVISORY_LOCK_KEY,))


def embedding_space(uri: str) -> dict[str, object] | None:
    """The embedding model and dimension the database was built for, if it was built."""
    with psycopg.connect(libpq_uri(uri), autocommit=True) as conn:
        has_meta = conn.execute("select to_regclass('public.meta') is not null").fetchone()
        if not has_meta or not has_meta[0]:
            return None
        row = conn.execute("select value from meta where key = 'embedding_space'").fetchone()
        return dict(row[0]) if row else None

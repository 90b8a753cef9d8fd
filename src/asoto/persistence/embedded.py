"""The embedded Postgres 16 + pgvector that ``pgserver`` ships, for a zero-install start.

pgserver reference-counts the processes that use one data folder and stops the server when
the last one lets go (``cleanup_mode="stop"``), so ``asoto serve`` and ``asoto worker`` can
share it on one machine.
"""

from __future__ import annotations

import contextlib
import json
import os
import warnings
from pathlib import Path
from typing import Any

import psycopg

DATABASE_NAME = "asoto"


def start_embedded(pgdata: Path) -> Any:
    """Start (or join) the embedded server for ``pgdata`` and return its handle."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR in containers
        import pgserver

        pgdata.mkdir(parents=True, exist_ok=True)
        _forget_dead_handles(pgdata.resolve())
        server = pgserver.get_server(pgdata.resolve(), cleanup_mode="stop")
        if _raise_max_connections(server):
            server.cleanup()  # the only handle: restart now so the setting applies
            server = pgserver.get_server(pgdata.resolve(), cleanup_mode="stop")
        return server


# pgserver starts Postgres with its default 100 connections. A default ``asoto serve`` is two
# processes (API + a worker child) and each pools up to 41 connections under load; with
# ``--workers 4``, or a second process (CLI, tests, a bench), 100 ran out ("too many clients"
# → 503). 400 fits ~9 such processes; the memory it reserves is a few MB.
MAX_CONNECTIONS = 400


def _raise_max_connections(server: Any) -> bool:
    """Persist ``max_connections`` if it is lower (``ALTER SYSTEM``, applied at the next start);
    True when this process holds the only handle, so the caller may restart now. With other
    processes on the server (a concurrent start) nobody restarts it under them: the setting waits
    for the next start."""
    from pgserver.postgres_server import PostgresServer

    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        current = int(conn.execute("show max_connections").fetchone()[0])  # type: ignore[index]
        if current >= MAX_CONNECTIONS:
            return False
        conn.execute(f"alter system set max_connections = {MAX_CONNECTIONS}")
    with PostgresServer._lock:
        handles = server.pgdata / ".handle_pids.json"
        try:
            pids = json.loads(handles.read_text())
        except (OSError, ValueError):
            return False
    return bool(pids == [os.getpid()])


def _forget_dead_handles(pgdata: Path) -> None:
    """Drop processes that died without cleaning up (SIGKILL, OOM) from pgserver's handle list.

    pgserver stops the server when the last process using it exits, counted by pid in
    ``.handle_pids.json``; it never prunes dead pids, so one hard-killed process would keep the
    server running forever. We prune under pgserver's own inter-process lock."""
    import psutil
    from pgserver.postgres_server import PostgresServer

    handles = pgdata / ".handle_pids.json"
    with PostgresServer._lock:
        if not handles.exists():
            return
        try:
            pids = json.loads(handles.read_text())
        except ValueError:
            return
        alive = [pid for pid in pids if psutil.pid_exists(pid)]
        if alive != pids:
            handles.write_text(json.dumps(alive))


def ensure_database(server_uri: str, name: str, *, template: str | None = None) -> str:
    """Create database ``name`` on the server if it is missing; return its libpq URI. Safe when
    several processes start at once: whoever loses the race finds the database made."""
    base_uri = server_uri
    with psycopg.connect(base_uri, autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone()
        if not exists:
            ident = psycopg.sql.Identifier(name)
            if template:
                query = psycopg.sql.SQL("create database {} template {}").format(
                    ident, psycopg.sql.Identifier(template)
                )
            else:
                query = psycopg.sql.SQL("create database {}").format(ident)
            # another process may create it between our check and our create: that is fine
            with contextlib.suppress(psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation):
                conn.execute(query)
    return with_database(base_uri, name)


def with_database(uri: str, name: str) -> str:
    """The same libpq URI pointing at another database (keeps host/socket query params)."""
    from sqlalchemy.engine import make_url

    return make_url(uri).set(database=name).render_as_string(hide_password=False)

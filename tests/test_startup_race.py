"""Several processes starting together on an empty home (or one external Postgres) all come up:
no check-then-create race on the database, no deadlock between the migration lock and the
checkpointer's CREATE INDEX CONCURRENTLY, migrations applied once, no server left behind."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg

from asoto.persistence import embedded

PROCESSES = 6


def _start_all(env: dict[str, str]) -> tuple[list[int], float]:
    started = time.monotonic()
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "asoto.cli", "db", "upgrade"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for _ in range(PROCESSES)
    ]
    codes = []
    for proc in procs:
        try:
            codes.append(proc.wait(timeout=90))
        except subprocess.TimeoutExpired:
            proc.kill()
            codes.append(-9)
    return codes, time.monotonic() - started


def test_six_processes_on_an_empty_home_all_come_up(tmp_path: Path) -> None:
    env = {**os.environ, "ASOTO_HOME": str(tmp_path), "ASOTO_LOG_LEVEL": "WARNING"}
    env.pop("ASOTO_DATABASE_URL", None)
    codes, seconds = _start_all(env)
    assert codes == [0] * PROCESSES and seconds < 60, (codes, seconds)
    time.sleep(1.5)  # the last process stops the embedded server on its way out
    left = subprocess.run(["pgrep", "-f", str(tmp_path / "pgdata")], capture_output=True, text=True).stdout.split()
    assert left == []


def test_six_processes_against_one_external_postgres(pg_server_uri: str, tmp_path: Path) -> None:
    name = f"asoto_race_{os.getpid()}"
    with psycopg.connect(pg_server_uri, autocommit=True) as conn:
        conn.execute(f"drop database if exists {name} with (force)")
        conn.execute(f"create database {name}")
    uri = embedded.with_database(pg_server_uri, name)
    try:
        env = {**os.environ, "ASOTO_HOME": str(tmp_path), "ASOTO_DATABASE_URL": uri, "ASOTO_LOG_LEVEL": "WARNING"}
        codes, seconds = _start_all(env)
        assert codes == [0] * PROCESSES and seconds < 60, (codes, seconds)
        heads = sorted(
            p.name.split("_")[0]
            for p in (Path(__file__).parents[1] / "src/asoto/persistence/migrations/versions").glob("0*.py")
        )
        with psycopg.connect(uri) as conn:
            [(version,)] = conn.execute("select version_num from alembic_version").fetchall()
            assert version == heads[-1]  # applied once, to the head
    finally:
        with psycopg.connect(pg_server_uri, autocommit=True) as conn:
            conn.execute(f"drop database if exists {name} with (force)")

"""The demo community, and the README's command-line flow end to end (subprocesses)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import func, select

from asoto.persistence import embedded
from asoto.persistence.models import Connection, Event, EventParticipation, Log, Member, Project
from asoto.runtime.resources import Resources

ASOTO = [sys.executable, "-m", "asoto.cli"]


async def test_the_seeded_community_is_big_and_varied(resources: Resources) -> None:
    async with resources.db.sessions() as session:
        counts = {
            m.__tablename__: await session.scalar(select(func.count()).select_from(m))
            for m in (Member, Log, Event, EventParticipation, Project, Connection)
        }
        locales = dict((await session.execute(select(Member.locale, func.count()).group_by(Member.locale))).all())
        spread = (
            await session.execute(
                select(
                    func.min(Member.activity_score),
                    func.max(Member.activity_score),
                    func.count(func.distinct(Member.relationship_score)),
                )
            )
        ).one()
    assert counts["members"] >= 200 and counts["logs"] >= 1000
    assert counts["events"] >= 20 and counts["event_participations"] > 100 and counts["projects"] >= 10
    assert counts["connections"] > 200
    assert locales["ja"] > locales["en"] > 0
    assert spread[1] - spread[0] >= 20 and spread[2] >= 10  # scores vary


def _env(uri: str, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASOTO_", "OPENAI", "ANTHROPIC"))}
    return {**env, "ASOTO_DATABASE_URL": uri, "ASOTO_HOME": str(home), "ASOTO_LOG_LEVEL": "WARNING"}


def _asoto(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([*ASOTO, *args], env=env, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    return result


def _refused(env: dict[str, str], code: str, *args: str) -> None:
    """A refused command: exit 2, one error with its code on stderr, nothing on stdout."""
    result = subprocess.run([*ASOTO, *args], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 2 and code in result.stderr and not result.stdout, result.stderr


def test_readme_flow_from_an_empty_database(pg_server_uri: str, tmp_path: Path) -> None:
    name = f"asoto_cli_{os.getpid()}"
    with psycopg.connect(pg_server_uri, autocommit=True) as conn:
        conn.execute(f"drop database if exists {name} with (force)")
    uri = embedded.ensure_database(pg_server_uri, name)
    env = _env(uri, tmp_path)
    try:
        _asoto(env, "db", "upgrade")
        _asoto(env, "db", "upgrade")  # twice is fine
        seeded = _asoto(env, "seed", "--members", "24", "--seed", "3")
        assert "seeded 24 members" in seeded.stderr
        # the steps are said as they start (a large community takes a minute: no silence)
        said = [line for line in seeded.stderr.splitlines() if line.startswith("seed: ")]
        assert len(said) >= 8 and any("reflection logs" in line for line in said), seeded.stderr
        assert "already seeded" in _asoto(env, "seed").stderr
        listed = _asoto(env, "members", "list", "--limit", "3", "--json").stdout.splitlines()
        rows: list[dict[str, Any]] = [json.loads(line) for line in listed]
        assert len(rows) == 3 and set(rows[0]) == {"member_id", "name", "locale", "interests", "scores"}
        key = _asoto(env, "keys", "create", "--role", "service").stdout
        assert key.startswith("ask_") and key.count("\n") == 1
        member_key = _asoto(env, "keys", "create", "--role", "member", "--member-id", rows[0]["member_id"]).stdout
        assert member_key.strip().startswith("ask_")
        _refused(env, "member_id_required", "keys", "create", "--role", "member")
        demo = _asoto(env, "demo").stdout
        assert "デモ完了" in demo and "published" in demo and "suicidal" in demo and "オフライン" in demo
        # every wait is announced before it starts (the first demo had 11 s and 27 s of silence)
        steps = [line for line in demo.splitlines() if line.startswith("… ")]
        assert [s[2:6] for s in steps] == ["データベ", "API ", "1件目の", "2件目の"], demo
        mermaid = _asoto(env, "graph", "show", "log_feedback").stdout
        assert "review" in mermaid and "risk_check" in mermaid
        # a picture of a thread the demo ran: its path highlighted; an unknown thread: one line, exit 2
        with psycopg.connect(uri) as conn:
            row = conn.execute("select thread_id from threads where graph_id = 'log_feedback' limit 1").fetchone()
        assert row is not None
        drawn = _asoto(env, "graph", "show", "log_feedback", "--thread", str(row[0]), "--format", "svg").stdout
        assert drawn.startswith("<svg") and 'class="node visited" data-node="load_context"' in drawn
        _refused(env, "thread_not_found", "graph", "show", "log_feedback", "--thread", str(uuid.UUID(int=0)))
    finally:
        with psycopg.connect(pg_server_uri, autocommit=True) as conn:
            conn.execute(f"drop database if exists {name} with (force)")


def test_same_seed_same_community(pg_server_uri: str, tmp_path: Path) -> None:
    texts = []
    for i in range(2):
        name = f"asoto_seed_{os.getpid()}_{i}"
        with psycopg.connect(pg_server_uri, autocommit=True) as conn:
            conn.execute(f"drop database if exists {name} with (force)")
        uri = embedded.ensure_database(pg_server_uri, name)
        env = _env(uri, tmp_path)
        try:
            _asoto(env, "seed", "--members", "16", "--seed", "5")
            with psycopg.connect(uri) as conn:
                texts.append(
                    conn.execute(
                        "select m.name, l.title, l.content from logs l join members m on m.id = l.member_id "
                        "order by l.id"
                    ).fetchall()
                )
        finally:
            with psycopg.connect(pg_server_uri, autocommit=True) as conn:
                conn.execute(f"drop database if exists {name} with (force)")
    assert texts[0] == texts[1] and len(texts[0]) > 50


@pytest.mark.parametrize(
    ("args", "env_extra", "says"),
    [
        (["serve", "--port", "99999"], {}, "Invalid value for '--port'"),
        (["demo", "--port", "-1"], {}, "Invalid value for '--port'"),
        (["members", "list"], {"ASOTO_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/x"}, "database_unavailable"),
        (["serve"], {"ASOTO_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/x"}, "database_unavailable"),
        (["worker"], {"ASOTO_LLM": "openai:gpt-4o-mini"}, "ASOTO_LLM=openai:gpt-4o-mini needs OPENAI_API_KEY"),
        (
            ["serve"],
            {"ASOTO_LLM": "anthropic:claude", "ASOTO_LLM_FALLBACK": "openai:x", "ANTHROPIC_API_KEY": "k"},
            "ASOTO_LLM_FALLBACK=openai:x needs OPENAI_API_KEY",
        ),
        (["worker"], {"ASOTO_LLM": "gpt4"}, "ASOTO_LLM: Value error, unknown provider 'gpt4'"),
        (["worker"], {"ASOTO_WORKER_CONCURRENCY": "0"}, "ASOTO_WORKER_CONCURRENCY"),
        (
            ["keys", "create", "--role", "member", "--member-id", "00000000-0000-4000-8000-000000000000"],
            {},
            "unknown_member",
        ),
    ],
)
def test_a_wrong_setting_or_argument_is_one_clear_line(
    db_uri: str, tmp_path: Path, args: list[str], env_extra: dict[str, str], says: str
) -> None:
    """What a newcomer gets for a mistake: exit 2 and a line that names it, never a traceback, and
    nothing started (issue 15: a traceback of hundreds of lines, or a server on another port)."""
    env = {**_env(db_uri, tmp_path), **env_extra}
    result = subprocess.run([*ASOTO, *args], env=env, capture_output=True, text=True, timeout=120, check=False)
    output = " ".join((result.stdout + result.stderr).split())  # rich wraps long lines
    assert result.returncode == 2, output
    assert says in output and "Traceback" not in output, output


def test_a_read_never_creates_a_database_and_every_command_says_which_it_uses(db_uri: str, tmp_path: Path) -> None:
    """``ASOTO_HOME`` is relative to the current folder: from another folder, a read used to start a
    new empty embedded database and answer from it (issue 15). Now it refuses, creating nothing."""
    env = {k: v for k, v in _env(db_uri, tmp_path).items() if k != "ASOTO_DATABASE_URL"}
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for command in (["members", "list"], ["keys", "list"], ["keys", "create", "--role", "service"], ["db", "prune"]):
        result = subprocess.run(
            [*ASOTO, *command],
            env={**env, "ASOTO_HOME": ".asoto"},
            cwd=elsewhere,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        output = " ".join(result.stderr.split())
        assert result.returncode == 2 and "no_database" in output, (command, output)
        assert str((elsewhere / ".asoto" / "pgdata").resolve()) in output and not result.stdout
        assert not (elsewhere / ".asoto" / "pgdata" / "PG_VERSION").exists()
    listed = _asoto(_env(db_uri, tmp_path), "keys", "list")
    said = " ".join(listed.stderr.split())
    assert "database: postgresql://" in said and "asoto_t" in said  # the external one, no password

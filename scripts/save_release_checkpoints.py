"""Save interrupted threads of every flow, as this release writes them, for later releases to resume.

Each release adds one file under ``tests/fixtures/releases/`` and never edits an old one: the
test ``tests/test_release_resume.py`` loads every file into a fresh database holding the seeded
demo community (seed 7) and resumes each thread with the code of the day. A change that breaks
the state schema, a node name, an interrupt payload or the serializer for a thread already
waiting in production fails there, before it ships.

What a file holds, for each saved thread: the rows of ``checkpoints``, ``checkpoint_blobs`` and
``checkpoint_writes`` (as Postgres prints them), the domain rows the thread made (``approvals``,
``logs``, ``coaching_sessions`` by ``thread_id``), the resume value a person would send, and what
the thread must end as. Plus the asoto version and the Alembic revision of the schema.

    python scripts/save_release_checkpoints.py            # writes tests/fixtures/releases/<version>.json.gz
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import tempfile
import uuid
from pathlib import Path
from typing import Any

import psycopg

import asoto
from asoto.agents.embeddings import OfflineEmbedder
from asoto.config import Settings
from asoto.graphs.context import run_config
from asoto.persistence import embedded
from asoto.runtime.resources import Resources, open_resources, prepare_database
from asoto.seed import seed_community

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "releases"
CHECKPOINT_TABLES = ("checkpoints", "checkpoint_blobs", "checkpoint_writes")
DOMAIN_TABLES = ("logs", "approvals", "coaching_sessions")
RISKY = {"title": "つらい", "content": "最近眠れない。もう限界で、消えてしまいたいと思う夜がある。"}
ORDINARY = {"title": "朝ラン", "content": "今朝は5キロ走って気分がすっきりした。仲間と一緒に走れて嬉しかった。"}
COACH = "coach:release-fixture"


async def _member(res: Resources, locale: str) -> str:
    from sqlalchemy import select

    from asoto.persistence.models import Member

    async with res.db.sessions() as session:
        member = await session.scalar(select(Member).where(Member.locale == locale).order_by(Member.id).limit(1))
    assert member is not None
    return str(member.id)


async def _interrupt(res: Resources, flow: str, thread: uuid.UUID, payload: Any, actor: str) -> dict[str, Any]:
    out = await res.graphs[flow].ainvoke(
        payload, run_config(thread, uuid.uuid4()), context=res.context(actor=actor), durability="sync"
    )
    [pending] = out["__interrupt__"]
    return dict(pending.value)


async def save_threads(res: Resources) -> list[dict[str, Any]]:
    """Drive each flow to a point where it waits for a person; say how it must be resumed."""
    ja, en = await _member(res, "ja"), await _member(res, "en")
    approve = {"decision": "approve", "decided_by": COACH}
    replied = {"interrupt_type": "member_reply", "turns": 2}
    draft = {"affirmation": "a", "insight": "b", "question": "c？", "next_action": "d"}
    # (name, flow, input, actor, resume, expect)
    plans: list[tuple[str, str, dict[str, Any], str, dict[str, Any], dict[str, Any]]] = [
        (
            "log_feedback waits on a coach (risky log)",
            "log_feedback",
            {"member_id": ja, "log": RISKY},
            "service:fixture",
            approve,
            {"status": "published"},
        ),
        (
            "coaching waits on the member's first reply",
            "coaching",
            {"member_id": ja, "session_type": "check_in"},
            "member:fixture",
            {"message": "今週は忙しかったけれど、朝の散歩は続けられました。"},
            replied,
        ),
        (
            "coaching (English) waits on the member's first reply",
            "coaching",
            {"member_id": en, "session_type": "check_in"},
            "member:fixture",
            {"message": "It was a busy week, but I kept my morning walks."},
            replied,
        ),
        (
            "matching waits on an introduction approval",
            "matching",
            {"member_id": ja, "target": "members", "k": 3},
            "service:fixture",
            approve,
            {"done": True},
        ),
        (
            "a lone approval waits on a coach",
            "approval",
            {
                "kind": "log_feedback",
                "subject": {"member_id": ja},
                "proposal": {"feedback": draft},
                "requested_by": "service:fixture",
                "reasons": ["severe_distress"],
            },
            "service:fixture",
            {"decision": "reject", "decided_by": COACH, "comment": "not now"},
            {"decision": "reject"},
        ),
    ]
    cases: list[dict[str, Any]] = []
    for name, flow, payload, actor, resume, expect in plans:
        thread = uuid.uuid4()
        value = await _interrupt(res, flow, thread, payload, actor)
        cases.append(
            {
                "name": name,
                "flow": flow,
                "thread_id": str(thread),
                "waits_on": value.get("kind") or value.get("type"),
                "resume": resume,
                "expect": expect,
            }
        )
    return cases


def dump_rows(uri: str, threads: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Rows as Postgres prints them (``row_to_json``: bytea as hex, vectors and times as text),
    so loading them back is ``json_populate_record`` with no type mapping of ours."""
    rows: dict[str, list[dict[str, Any]]] = {}
    with psycopg.connect(uri) as conn:
        for table in (*CHECKPOINT_TABLES, *DOMAIN_TABLES):
            found = conn.execute(
                f"select row_to_json(t)::text from {table} t where thread_id::text = any(%s) order by 1",
                (threads,),
            ).fetchall()
            rows[table] = [json.loads(r[0]) for r in found]
    return rows


def revision(uri: str) -> str:
    with psycopg.connect(uri) as conn:
        row = conn.execute("select version_num from alembic_version").fetchone()
    return str(row[0]) if row else ""


async def build(uri: str) -> dict[str, Any]:
    embedder = OfflineEmbedder()
    settings = Settings(home=Path(tempfile.gettempdir()), log_level="WARNING")
    await prepare_database(settings, uri)
    async with open_resources(settings, uri=uri, embedder=embedder, migrate_first=False) as res:
        async with res.db.sessions.begin() as session:
            await seed_community(session, embedder, seed=7)
        cases = await save_threads(res)
    return {
        "asoto_version": asoto.__version__,
        "alembic_revision": revision(uri),
        "seed": 7,
        "cases": cases,
        "rows": dump_rows(uri, [c["thread_id"] for c in cases]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default=asoto.__version__, help="file name (default: the asoto version)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="asoto-release-") as tmp:
        server = embedded.start_embedded(Path(tmp) / "pgdata")
        try:
            uri = embedded.ensure_database(server.get_uri(), "asoto_release")
            data = asyncio.run(build(uri))
        finally:
            server.cleanup()
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{args.name}.json.gz"
    path.write_bytes(gzip.compress(json.dumps(data, ensure_ascii=False, sort_keys=True).encode(), mtime=0))
    print(f"wrote {path} ({path.stat().st_size} bytes, {len(data['cases'])} threads)")


if __name__ == "__main__":
    main()

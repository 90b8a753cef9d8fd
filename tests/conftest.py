"""Shared fixtures: one embedded Postgres per session, one seeded template, a fresh clone per test.

Real parts everywhere: Postgres + pgvector (pgserver, or ASOTO_TEST_DATABASE_URL's server),
the LangGraph Postgres checkpointer, the offline embedder. Only the chat model is faked, at
its seam (``ScriptedModel``), or the deterministic offline model is used.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import func, select, text

from asoto.agents.embeddings import OfflineEmbedder
from asoto.config import Settings
from asoto.persistence import embedded
from asoto.persistence.models import Member
from asoto.runtime.resources import Resources, open_resources, prepare_database
from asoto.seed import seed_community
from asoto.services.keys import create_key

TEMPLATE = "asoto_test_template"
_counter = itertools.count()


@pytest.fixture(scope="session")
def pg_server_uri() -> Iterator[str]:
    """The server every test database lives on; stopped at the end of the session."""
    external = os.environ.get("ASOTO_TEST_DATABASE_URL")
    if external:
        yield external
        return
    with tempfile.TemporaryDirectory(prefix="asoto-pg-") as tmp:
        server = embedded.start_embedded(Path(tmp) / "pgdata")
        try:
            yield server.get_uri()
        finally:
            server.cleanup()


@pytest.fixture(scope="session")
def embedder() -> OfflineEmbedder:
    return OfflineEmbedder()


@pytest.fixture(scope="session")
def template_uri(pg_server_uri: str, embedder: OfflineEmbedder) -> str:
    """A migrated database holding the seeded demo community (seed 7), cloned by each test."""
    with psycopg.connect(pg_server_uri, autocommit=True) as conn:
        conn.execute(f"drop database if exists {TEMPLATE} with (force)")
    uri = embedded.ensure_database(pg_server_uri, TEMPLATE)
    settings = Settings(home=Path(tempfile.gettempdir()))

    async def build() -> None:
        await prepare_database(settings, uri)
        async with (
            open_resources(settings, uri=uri, embedder=embedder, migrate_first=False) as res,
            res.db.sessions.begin() as session,
        ):
            await seed_community(session, embedder, seed=7)

    asyncio.run(build())
    return uri


@pytest.fixture
def db_uri(pg_server_uri: str, template_uri: str) -> Iterator[str]:
    """A private database per test (a template clone takes ~0.1 s): tests never share state."""
    name = f"asoto_t{os.getpid()}_{next(_counter)}"
    with psycopg.connect(pg_server_uri, autocommit=True) as conn:
        conn.execute(f"create database {name} template {TEMPLATE}")
    try:
        yield embedded.with_database(pg_server_uri, name)
    finally:
        with psycopg.connect(pg_server_uri, autocommit=True) as conn:
            conn.execute(f"drop database if exists {name} with (force)")


@pytest.fixture
def settings(tmp_path: Path, db_uri: str) -> Settings:
    return Settings(
        home=tmp_path, database_url=db_uri, log_format="console", log_level="WARNING", worker_poll_s=0.2, run_lease_s=5
    )


@pytest.fixture
async def resources(settings: Settings, db_uri: str, embedder: OfflineEmbedder) -> AsyncIterator[Resources]:
    async with open_resources(settings, uri=db_uri, embedder=embedder, migrate_first=False) as res:
        yield res


async def first_member(res: Resources, *, locale: str = "ja", offset: int = 0) -> Member:
    async with res.db.sessions() as session:
        member = await session.scalar(
            select(Member).where(Member.locale == locale).order_by(Member.created_at, Member.id).offset(offset)
        )
    assert member is not None
    return member


async def make_key(res: Resources, role: str, member_id: uuid.UUID | None = None) -> str:
    async with res.db.sessions.begin() as session:
        return await create_key(session, role=role, member_id=member_id)


ORDINARY_LOG = {
    "title": "朝ラン",
    "content": "今朝は5キロ走って気分がすっきりした。仲間と一緒に走れて嬉しかった。明日も続けたい。",
}
RISKY_LOG = {"title": "つらい", "content": "最近眠れない。もう限界で、消えてしまいたいと思う夜がある。"}


class ScriptedModel:
    """A fake chat model at the seam: returns scripted structured outputs per task, in order."""

    offline = False
    model_id = "scripted:test"

    def __init__(self, script: dict[str, list[dict[str, Any]]]) -> None:
        self.script = {task: list(outputs) for task, outputs in script.items()}
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def generate(self, task: str, schema: Any, messages: Any, facts: Any) -> Any:
        self.calls.append((task, dict(facts)))
        outputs = self.script[task]
        value = outputs.pop(0) if len(outputs) > 1 else outputs[0]
        return schema.model_validate(value)


GOOD_DRAFT = {
    "affirmation": "「朝ラン」を続けられていて素晴らしいです。",
    "insight": "体を動かすと気分が整うと気づけています。",
    "question": "続けられている理由は何だと思いますか？",
    "next_action": "明日の朝も10分だけ歩いてみましょう。",
}


@dataclass
class Api:
    client: httpx.AsyncClient
    res: Resources
    service: str
    coach: str
    member_id: str

    def as_key(self, key: str) -> dict[str, str]:
        return {"x-api-key": key}

    async def thread(self, key: str | None = None) -> str:
        r = await self.client.post("/threads", json={}, headers=self.as_key(key) if key else None)
        assert r.status_code == 200, r.text
        return str(r.json()["thread_id"])

    async def wait(self, thread_id: str, body: dict[str, Any], key: str | None = None) -> httpx.Response:
        return await self.client.post(
            f"/threads/{thread_id}/runs/wait", json=body, headers=self.as_key(key) if key else None
        )

    def log_body(self, log: dict[str, str] = ORDINARY_LOG, member_id: str | None = None) -> dict[str, Any]:
        return {"assistant_id": "log_feedback", "input": {"member_id": member_id or self.member_id, "log": log}}

    async def count(self, model: Any) -> int:
        async with self.res.db.sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(model)) or 0)

    async def checkpoints(self, thread_id: str) -> int:
        async with self.res.db.sessions() as session:
            return int(
                await session.scalar(text("select count(*) from checkpoints where thread_id = :t"), {"t": thread_id})
                or 0
            )


@pytest.fixture
async def api(settings: Any, db_uri: str, embedder: Any, resources: Resources) -> AsyncIterator[Api]:
    from .apptools import asgi_client

    service = await make_key(resources, "service")
    coach = await make_key(resources, "coach")
    member = await first_member(resources)
    async with asgi_client(settings, db_uri, embedder, key=service) as (client, _state):
        yield Api(client, resources, service, coach, str(member.id))

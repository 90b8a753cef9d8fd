"""Secrets never land in checkpoints, run rows or logs; API keys are stored only as digests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest
from pydantic import SecretStr

from asoto.config import Settings
from asoto.runtime.resources import Resources

from .apptools import asgi_client
from .conftest import ORDINARY_LOG, RISKY_LOG, first_member, make_key

PROVIDER_SECRET = "sk-test-SECRET-4f1c2d9e"


async def test_no_secret_in_any_table_or_log_line(
    tmp_path: Path, db_uri: str, embedder: Any, resources: Resources, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(
        home=tmp_path,
        database_url=db_uri,
        openai_api_key=SecretStr(PROVIDER_SECRET),
        log_format="json",
        log_level="DEBUG",
        worker_poll_s=0.2,
    )
    assert PROVIDER_SECRET not in repr(settings) and PROVIDER_SECRET not in str(settings.model_dump())
    service = await make_key(resources, "service")
    coach = await make_key(resources, "coach")
    member = await first_member(resources)
    async with asgi_client(settings, db_uri, embedder, key=service) as (client, _):
        for log in (ORDINARY_LOG, RISKY_LOG):
            thread_id = (await client.post("/threads", json={})).json()["thread_id"]
            body = {"assistant_id": "log_feedback", "input": {"member_id": str(member.id), "log": log}}
            await client.post(f"/threads/{thread_id}/runs/wait", json=body)
        await client.post(
            f"/threads/{thread_id}/runs/wait",
            headers={"x-api-key": coach},
            json={"assistant_id": "log_feedback", "command": {"resume": {"decision": "approve"}}},
        )
    with psycopg.connect(db_uri) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "select table_name from information_schema.tables where table_schema = 'public'"
            ).fetchall()
        ]
        assert {"checkpoints", "checkpoint_blobs", "checkpoint_writes", "runs", "threads"} <= set(tables)
        for table in tables:
            dump = conn.execute(f"select coalesce(string_agg(t::text, ''), '') from {table} t").fetchone()
            assert dump is not None
            text = dump[0]
            for secret in (PROVIDER_SECRET, service, coach):
                assert secret not in text, f"{secret[:6]}… found in {table}"
        blobs = conn.execute(
            "select coalesce(string_agg(encode(blob, 'escape'), ''), '') from checkpoint_blobs"
        ).fetchone()
        assert blobs is not None and PROVIDER_SECRET not in blobs[0]
    captured = capsys.readouterr()
    assert "run.end" in captured.err  # the logs were captured
    for secret in (PROVIDER_SECRET, service, coach):
        assert secret not in captured.out + captured.err

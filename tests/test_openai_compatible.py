"""A real provider path end to end: ``ASOTO_LLM=openai:<model>`` against an OpenAI-compatible
server on loopback (the LLM faked at its network seam), with structured output and a 429 retried."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import SecretStr

from asoto.agents.embeddings import OfflineEmbedder
from asoto.config import Settings
from asoto.graphs.context import run_config
from asoto.runtime.resources import open_resources

from .apptools import free_port
from .conftest import GOOD_DRAFT, ORDINARY_LOG, first_member
from .fake_providers import openai_completion


class FakeOpenAI:
    """Answers chat completions with JSON for the requested schema; the first call gets a 429."""

    def __init__(self, *, delay_s: float = 0.0, first_429: bool = True) -> None:
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.delay_s = delay_s  # provider latency, so runs are in flight when a test needs them to be
        self.first_429 = first_429
        self.app = FastAPI()
        self.app.post("/v1/chat/completions")(self.complete)

    async def complete(self, request: Request) -> JSONResponse:
        body = await request.json()
        self.requests.append(body)
        self.headers.append(dict(request.headers))
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if len(self.requests) == 1 and self.first_429:
            return JSONResponse(
                {"error": {"message": "slow down", "type": "rate_limit", "code": "rate_limited"}}, status_code=429
            )
        schema_name = json.dumps(body.get("response_format") or body.get("tools") or {})
        answer = {"level": "none", "reasons": []} if "RiskAssessment" in schema_name else GOOD_DRAFT
        return JSONResponse(openai_completion(body, answer, len(self.requests)))


@contextlib.contextmanager
def serve_fake(fake: FakeOpenAI) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(fake.app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def fake_openai() -> Iterator[tuple[FakeOpenAI, str]]:
    fake = FakeOpenAI()
    with serve_fake(fake) as url:
        yield fake, url


async def test_openai_compatible_provider_with_retry(
    fake_openai: tuple[FakeOpenAI, str], tmp_path: Path, db_uri: str, embedder: OfflineEmbedder
) -> None:
    fake, base_url = fake_openai
    settings = Settings(
        home=tmp_path,
        database_url=db_uri,
        llm="openai:gpt-test",
        openai_base_url=base_url,
        openai_api_key=SecretStr("sk-fake-key"),
        log_level="WARNING",
    )
    async with open_resources(settings, uri=db_uri, embedder=embedder, migrate_first=False) as res:
        assert not res.model.offline and res.model.model_id == "openai:gpt-test"
        member = await first_member(res)
        out = await res.graphs["log_feedback"].ainvoke(
            {"member_id": str(member.id), "log": ORDINARY_LOG},
            run_config(uuid.uuid4(), uuid.uuid4()),
            context=res.context(),
            durability="sync",
        )
    assert out["status"] == "published" and out["feedback"] == GOOD_DRAFT
    assert out["generated_by"] == {"provider": "openai", "model": "openai:gpt-test", "label": ""}
    # the risk assessor and the writer both asked the model, one of them twice (after the 429)
    assert len(fake.requests) == 3
    assert all(h["authorization"] == "Bearer sk-fake-key" for h in fake.headers)
    assert all(r["model"] == "gpt-test" for r in fake.requests)
    prompts = json.dumps(fake.requests, ensure_ascii=False)
    assert "あそと" in prompts and ORDINARY_LOG["content"] in prompts

"""The retry layer against real SDK clients (langchain-openai, langchain-anthropic) talking to
fake providers on loopback: what each fault costs in requests, and what a caller gets.

| fault                      | requests | caller gets                                  |
|----------------------------|----------|----------------------------------------------|
| 429 + Retry-After: 1       | 2        | the answer, the retry no sooner than 1 s     |
| 500, 529 (overloaded)      | 2        | the answer                                   |
| a request never answered   | 2        | the answer (the client's timeout, retried)   |
| a response cut mid-body    | 2        | the answer                                   |
| 401                        | 1        | the error at once, never retried             |
| 500 on every try           | 3        | the error, after ``llm_max_attempts`` tries  |
| primary refuses connection | 2 + 1    | the answer from the fallback                 |
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from asoto.agents.feedback_writer import FeedbackDraft
from asoto.agents.llm import LangChainStructuredModel, _init_chat
from asoto.config import Settings

from .apptools import free_port
from .conftest import GOOD_DRAFT
from .fake_providers import FakeProvider, serve

PROVIDERS = ["openai", "anthropic"]
MODEL = {"openai": "openai:gpt-test", "anthropic": "anthropic:claude-test"}


def _settings(tmp_path: Path, kind: str, url: str, **extra: Any) -> Settings:
    urls = {"openai_base_url": url} if kind == "openai" else {"anthropic_base_url": url}
    fields: dict[str, Any] = {
        "home": tmp_path,
        "llm": MODEL[kind],
        "openai_api_key": SecretStr("sk-test-openai"),
        "anthropic_api_key": SecretStr("sk-ant-test"),
        "llm_timeout_s": 1.0,
        "llm_max_wait_s": 2.0,
        **urls,
        **extra,
    }
    return Settings(**fields)


async def _ask(model: LangChainStructuredModel) -> FeedbackDraft:
    return await model.generate("log_feedback.draft", FeedbackDraft, [], {})


@pytest.mark.parametrize("kind", PROVIDERS)
@pytest.mark.parametrize("fault", ["429", "500", "529", "hang", "cut"])
async def test_a_transient_fault_costs_one_retry(tmp_path: Path, kind: str, fault: str) -> None:
    fake = FakeProvider(kind, GOOD_DRAFT, faults=[fault], hang_s=5)
    with serve(fake) as url:
        model = LangChainStructuredModel.from_settings(MODEL[kind], _settings(tmp_path, kind, url))
        answer = await _ask(model)
    assert answer.model_dump() == GOOD_DRAFT
    assert len(fake.requests) == 2
    if fault == "429":  # the provider's Retry-After: 1 is waited, not the 0.5 s backoff
        assert fake.requests[1][0] - fake.requests[0][0] >= 0.95
    expected_path = "/v1/chat/completions" if kind == "openai" else "/v1/messages"
    assert {path for _, path, _ in fake.requests} == {expected_path}
    sent = fake.headers[0].get("x-api-key") or fake.headers[0]["authorization"]  # SDK versions differ
    assert sent.endswith("sk-test-openai" if kind == "openai" else "sk-ant-test")


@pytest.mark.parametrize("kind", PROVIDERS)
async def test_a_rejected_key_fails_at_once(tmp_path: Path, kind: str) -> None:
    fake = FakeProvider(kind, GOOD_DRAFT, faults=["401"])
    with serve(fake) as url:
        model = LangChainStructuredModel.from_settings(MODEL[kind], _settings(tmp_path, kind, url))
        with pytest.raises(Exception) as caught:
            await _ask(model)
    assert getattr(caught.value, "status_code", None) == 401
    assert len(fake.requests) == 1


@pytest.mark.parametrize("kind", PROVIDERS)
async def test_a_provider_down_for_good_costs_exactly_the_attempt_budget(tmp_path: Path, kind: str) -> None:
    fake = FakeProvider(kind, GOOD_DRAFT, faults=["500"] * 10)
    with serve(fake) as url:
        settings = _settings(tmp_path, kind, url, llm_max_wait_s=0.05)
        model = LangChainStructuredModel.from_settings(MODEL[kind], settings)
        with pytest.raises(Exception) as caught:
            await _ask(model)
    assert getattr(caught.value, "status_code", None) == 500
    assert len(fake.requests) == settings.llm_max_attempts == 3


@pytest.mark.parametrize(("primary", "fallback"), [("openai", "anthropic"), ("anthropic", "openai")])
async def test_a_refused_connection_goes_to_the_fallback(tmp_path: Path, primary: str, fallback: str) -> None:
    backup = FakeProvider(fallback, GOOD_DRAFT)
    closed = f"http://127.0.0.1:{free_port()}" + ("/v1" if primary == "openai" else "")
    with serve(backup) as url:
        settings = _settings(tmp_path, primary, closed, llm_fallback=MODEL[fallback], llm_max_wait_s=0.05)
        settings = settings.model_copy(
            update={"openai_base_url": url} if fallback == "openai" else {"anthropic_base_url": url}
        )
        model = LangChainStructuredModel.from_settings(MODEL[primary], settings, fallback=MODEL[fallback])
        answer = await _ask(model)
    assert answer.model_dump() == GOOD_DRAFT
    assert len(backup.requests) == 1  # two refused tries on the primary, the third on the fallback


async def test_a_5xx_storm_with_a_fallback_over_the_network(tmp_path: Path) -> None:
    """Half of the primary's answers are 500/529 (seeded); the fallback is the other provider.
    ≥ 99 % of logical calls succeed and none costs more than three requests."""
    rng = random.Random(11)
    storm = FakeProvider(
        "openai", GOOD_DRAFT, fault_for=lambda n: rng.choice(["500", "529"]) if rng.random() < 0.5 else None
    )
    backup = FakeProvider("anthropic", GOOD_DRAFT)
    with serve(storm) as storm_url, serve(backup) as backup_url:
        settings = Settings(
            home=tmp_path,
            llm=MODEL["openai"],
            openai_base_url=storm_url,
            anthropic_base_url=backup_url,
            openai_api_key=SecretStr("sk-test-openai"),
            anthropic_api_key=SecretStr("sk-ant-test"),
            llm_timeout_s=2.0,
        )
        model = LangChainStructuredModel(
            MODEL["openai"],
            _init_chat(MODEL["openai"], settings),
            attempts=3,
            fallback=_init_chat(MODEL["anthropic"], settings),
            max_wait_s=0.01,
        )
        calls, succeeded = 60, 0
        for _ in range(calls):
            before = len(storm.requests) + len(backup.requests)
            try:
                await _ask(model)
                succeeded += 1
            except Exception:
                pass
            assert len(storm.requests) + len(backup.requests) - before <= 3
    assert succeeded / calls >= 0.99
    assert storm.requests and backup.requests

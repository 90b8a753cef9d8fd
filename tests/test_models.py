"""The chat-model seam: the offline model's honesty and the single retry layer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import anthropic
import httpx
import openai
import pytest
from pydantic import BaseModel

from asoto.agents.embeddings import OfflineEmbedder
from asoto.agents.feedback_writer import FeedbackDraft, draft_feedback
from asoto.agents.llm import OFFLINE_MODEL_ID, LangChainStructuredModel, is_retryable
from asoto.agents.offline import OfflineStructuredModel, tone_of
from asoto.tools.feedback_check import check_feedback

FACTS: dict[str, Any] = {
    "locale": "ja",
    "member_name": "山田 花子",
    "interests": ["ランニング"],
    "scores": {"relationship": 40, "activity": 50, "sensitivity": 30},
    "signals": {"relationship": 25, "activity": 50, "sensitivity": 25},
    "similar": [],
    "now": "2026-11-22T09:00",
    "title": "朝ラン",
    "content": "今朝は5キロ走って気分がすっきりした。明日も続けたい。",
    "risk_reasons": [],
}


async def test_offline_feedback_is_deterministic_japanese_and_quotes_the_member(embedder: OfflineEmbedder) -> None:
    model = OfflineStructuredModel(embedder)
    first = await draft_feedback(model, FACTS)
    second = await draft_feedback(OfflineStructuredModel(embedder), FACTS)
    assert first == second
    assert model.model_id == OFFLINE_MODEL_ID and model.offline
    assert "今朝は5キロ走って気分がすっきりした" in first.affirmation
    assert check_feedback(first.model_dump(), "ja") == []
    assert "朝ラン" in first.insight  # what the log is about, in the member's words
    assert "すっきり" in first.insight  # the feeling the member wrote


async def test_offline_feedback_follows_locale_and_theme(embedder: OfflineEmbedder) -> None:
    model = OfflineStructuredModel(embedder)
    english = await draft_feedback(
        model,
        {**FACTS, "locale": "en", "title": "Family", "content": "I had dinner with my family and we talked a lot."},
    )
    assert check_feedback(english.model_dump(), "en") == []
    assert "family" in english.insight.lower()
    sleep = await draft_feedback(
        model, {**FACTS, "title": "睡眠", "content": "夜中に何度も目が覚めて、朝がつらかった。"}
    )
    assert "睡眠" in sleep.insight


async def test_offline_feedback_on_a_risky_log_gives_care_not_advice(embedder: OfflineEmbedder) -> None:
    model = OfflineStructuredModel(embedder)
    care = await draft_feedback(model, {**FACTS, "content": "もう限界。消えたい。", "risk_reasons": ["self_harm"]})
    assert "一人で抱え込まなくて" in care.insight
    assert "相談" in care.next_action


def test_tone_lexicon() -> None:
    assert tone_of("できた！嬉しい") == "positive"
    assert tone_of("発言できなかった。悔しい") == "negative"
    assert tone_of("会議があった") == "neutral"


def _status_error(status: int, body: Any = None, headers: dict[str, str] | None = None) -> openai.APIStatusError:
    request = httpx.Request("POST", "https://api.example.test/v1/chat/completions")
    response = httpx.Response(status, request=request, headers=headers)
    cls = {
        400: openai.BadRequestError,
        401: openai.AuthenticationError,
        403: openai.PermissionDeniedError,
        429: openai.RateLimitError,
        500: openai.InternalServerError,
    }.get(status, openai.APIStatusError)
    return cls("error", response=response, body=body)


@pytest.mark.parametrize(
    ("status", "retried"),
    [
        (400, False),
        (401, False),
        (403, False),
        (404, False),
        (422, False),
        (408, True),
        (429, True),
        (500, True),
        (503, True),
        (529, True),
    ],
)
def test_retry_classification(status: int, retried: bool) -> None:
    assert is_retryable(_status_error(status)) is retried


def test_quota_errors_are_not_retried() -> None:
    assert not is_retryable(_status_error(429, {"error": {"code": "insufficient_quota"}}))
    assert is_retryable(httpx.ReadTimeout("slow"))
    assert is_retryable(openai.APIConnectionError(request=httpx.Request("POST", "https://x.test")))


class _FlakyChat:
    """Stands in for a provider's chat model at the seam: fails with the given errors first."""

    def __init__(self, errors: list[Exception], answer: dict[str, str]) -> None:
        self.errors = list(errors)
        self.answer = answer
        self.calls = 0

    def with_structured_output(self, schema: type[BaseModel]) -> _FlakyChat:
        self.schema = schema
        return self

    async def ainvoke(self, messages: Any, config: Any = None) -> BaseModel:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return self.schema.model_validate(self.answer)


ANSWER = {"affirmation": "a", "insight": "b", "question": "c?", "next_action": "d"}


async def test_transient_errors_are_retried_with_a_bound() -> None:
    chat = _FlakyChat([_status_error(429), _status_error(503)], ANSWER)
    model = LangChainStructuredModel("openai:test", chat, attempts=4, max_wait_s=0.01)
    result = await model.generate("t", FeedbackDraft, [], {})
    assert result.question == "c?" and chat.calls == 3

    always = _FlakyChat([_status_error(500)] * 10, ANSWER)
    with pytest.raises(openai.InternalServerError):
        await LangChainStructuredModel("openai:test", always, attempts=3, max_wait_s=0.01).generate(
            "t", FeedbackDraft, [], {}
        )
    assert always.calls == 3


async def test_bad_requests_fail_at_once_and_fallback_takes_over_transient_failures() -> None:
    chat = _FlakyChat([_status_error(400)], ANSWER)
    with pytest.raises(openai.BadRequestError):
        await LangChainStructuredModel("openai:test", chat, attempts=4, max_wait_s=0.01).generate(
            "t", FeedbackDraft, [], {}
        )
    assert chat.calls == 1

    primary = _FlakyChat([_status_error(503)] * 5, ANSWER)
    backup = _FlakyChat([], ANSWER)
    model = LangChainStructuredModel("openai:test", primary, attempts=3, fallback=backup, max_wait_s=0.01)
    assert (await model.generate("t", FeedbackDraft, [], {})).insight == "b"
    assert (primary.calls, backup.calls) == (2, 1)  # three attempts in all, the last on the fallback


def test_errors_are_classified_by_type_and_status() -> None:
    from langchain_openai.chat_models.base import OpenAITimeoutError

    request = httpx.Request("POST", "https://x.test")
    assert is_retryable(OpenAITimeoutError(request=request))  # a subclass, missed by a name check
    assert is_retryable(anthropic.APIConnectionError(request=request))
    assert is_retryable(ConnectionRefusedError())
    assert is_retryable(httpx.RemoteProtocolError("peer closed connection mid-body"))  # a cut stream
    assert is_retryable(_status_error(529)) and is_retryable(_status_error(408))
    assert not is_retryable(_status_error(401)) and not is_retryable(ValueError("a bug"))


def test_retry_after_is_read_in_seconds_ms_or_a_date() -> None:
    from email.utils import format_datetime

    from asoto.agents.llm import retry_after_s

    assert retry_after_s(_status_error(429, headers={"retry-after": "5"})) == 5
    assert retry_after_s(_status_error(429, headers={"retry-after-ms": "1500"})) == 1.5
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 < (retry_after_s(_status_error(503, headers={"retry-after": later})) or 0) <= 30
    assert retry_after_s(_status_error(429)) is None


async def test_retry_after_is_honoured_and_capped() -> None:
    import time

    chat = _FlakyChat([_status_error(429, headers={"retry-after": "0.4"})], ANSWER)
    started = time.perf_counter()
    await LangChainStructuredModel("openai:test", chat, attempts=3, max_wait_s=5).generate("t", FeedbackDraft, [], {})
    assert time.perf_counter() - started >= 0.38 and chat.calls == 2
    capped = _FlakyChat([_status_error(429, headers={"retry-after": "60"})], ANSWER)
    started = time.perf_counter()
    await LangChainStructuredModel("openai:test", capped, attempts=3, max_wait_s=0.2).generate(
        "t", FeedbackDraft, [], {}
    )
    assert time.perf_counter() - started < 2


async def test_the_circuit_opens_to_the_fallback_and_closes_after_a_good_trial() -> None:
    from asoto.agents.llm import CircuitBreaker

    now = [0.0]
    breaker = CircuitBreaker(failures=3, cooldown_s=30, clock=lambda: now[0])
    primary = _FlakyChat([_status_error(503)] * 100, ANSWER)
    backup = _FlakyChat([], ANSWER)
    model = LangChainStructuredModel(
        "openai:test", primary, attempts=3, fallback=backup, max_wait_s=0.001, breaker=breaker
    )
    for _ in range(3):  # three logical calls, each: two tries on the primary, then the fallback
        await model.generate("t", FeedbackDraft, [], {})
    assert breaker.state == "open" and primary.calls == 6
    for _ in range(5):  # open: straight to the fallback, the primary is spared
        await model.generate("t", FeedbackDraft, [], {})
    assert primary.calls == 6 and backup.calls == 8
    now[0] = 31.0  # cooled down: one trial call goes to the primary, which has recovered
    primary.errors.clear()
    await model.generate("t", FeedbackDraft, [], {})
    assert breaker.state == "closed" and primary.calls == 7


async def test_a_5xx_storm_with_a_fallback_loses_no_call_and_never_exceeds_three_attempts() -> None:
    import random

    rng = random.Random(5)

    class Storm(_FlakyChat):
        async def ainvoke(self, messages: Any, config: Any = None) -> BaseModel:
            self.calls += 1
            if rng.random() < 0.5:
                raise _status_error(503)
            return self.schema.model_validate(self.answer)

    primary, backup = Storm([], ANSWER), _FlakyChat([], ANSWER)  # the fallback is another provider
    model = LangChainStructuredModel("openai:test", primary, attempts=3, fallback=backup, max_wait_s=0.001)
    succeeded = 0
    for _ in range(200):
        before = primary.calls + backup.calls
        try:
            await model.generate("t", FeedbackDraft, [], {})
            succeeded += 1
        except openai.APIStatusError:
            pass
        assert primary.calls + backup.calls - before <= 3
    assert succeeded / 200 >= 0.99

"""The chat-model seam: every call asks for a structured output (a Pydantic schema).

``StructuredModel`` is what agents call. Real providers go through LangChain's
``init_chat_model`` with SDK retries switched off and exactly one retry layer here
(tenacity): 429 / 5xx / 529 / timeouts / connection errors are retried (classified by type
and status), after the provider's ``Retry-After`` when it sends one (capped), else with
jittered backoff; at most ``ASOTO_LLM_MAX_ATTEMPTS`` (3) calls per logical call across the
primary and the fallback; 400 / 401 / 403 / 404 / 422 and quota errors never are (reliability
pitfalls P22, P23). A circuit breaker sends calls to ``ASOTO_LLM_FALLBACK`` while the primary
keeps failing. The offline model is deterministic,
says what it is in ``model_id``, and fills templates from the call's ``facts``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

import httpx
import structlog
from langchain_core.messages import BaseMessage
from langgraph.constants import TAG_NOSTREAM
from pydantic import BaseModel
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from asoto.config import Settings

T = TypeVar("T", bound=BaseModel)
log = structlog.get_logger(__name__)

OFFLINE_MODEL_ID = "offline-rules"
OFFLINE_LABEL = {
    "ja": "オフライン簡易応答（決定的テンプレート・AIモデル不使用）",
    "en": "Offline simple responder (deterministic templates, no AI model)",
}


def generated_by(model: StructuredModel, locale: str) -> dict[str, str]:
    """The label every flow output carries: which model wrote it (offline says so, in the member's language)."""
    if model.offline:
        return {
            "provider": "offline",
            "model": model.model_id,
            "label": OFFLINE_LABEL["en" if locale.startswith("en") else "ja"],
        }
    return {"provider": model.model_id.split(":")[0], "model": model.model_id, "label": ""}


class StructuredModel(Protocol):
    model_id: str
    offline: bool

    async def generate(
        self,
        task: str,
        schema: type[T],
        messages: Sequence[BaseMessage],
        facts: Mapping[str, Any],
    ) -> T: ...


_NEVER_RETRY_CODES = {"insufficient_quota", "enforced_spend_limit_reached", "invalid_api_key"}


def _transient_types() -> tuple[type[BaseException], ...]:
    """Connection failures and timeouts of every layer, by type (langchain-openai raises its own
    ``OpenAITimeoutError``, a subclass of openai's: a name check missed it)."""
    found: list[type[BaseException]] = [TimeoutError, ConnectionError, httpx.TimeoutException, httpx.TransportError]
    for module, name in (("openai", "APIConnectionError"), ("anthropic", "APIConnectionError")):
        try:
            found.append(getattr(__import__(module), name))
        except (ImportError, AttributeError):
            continue
    return tuple(found)


_TRANSIENT = _transient_types()


def status_of(exc: BaseException) -> int | None:
    status = getattr(exc, "status_code", None)
    if status is None:
        status = getattr(getattr(exc, "response", None), "status_code", None)
    return int(status) if isinstance(status, int) else None


def is_retryable(exc: BaseException) -> bool:
    """Transient provider failures only, by type and status: timeouts and dropped connections,
    408 / 409 / 429 (not quota) / 5xx / 529. Bad requests and auth errors fail at once."""
    status = status_of(exc)
    if status is None:
        return isinstance(exc, _TRANSIENT) or type(exc).__name__ == "OverloadedError"
    if status == 429:
        body = getattr(exc, "body", None)
        code = ""
        if isinstance(body, dict):
            err = body.get("error", body)
            if isinstance(err, dict):
                code = str(err.get("code") or err.get("type") or "")
                details = err.get("details")
                if isinstance(details, dict):
                    code = str(details.get("error_code") or code)
        return code not in _NEVER_RETRY_CODES
    return status in {408, 409} or status >= 500


def retry_after_s(exc: BaseException | None) -> float | None:
    """The provider's own ``Retry-After`` (seconds or an HTTP date) or ``retry-after-ms``."""
    headers = getattr(getattr(exc, "response", None), "headers", None)
    if not headers:
        return None
    if (ms := headers.get("retry-after-ms")) is not None:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
        except (TypeError, ValueError):
            return None


class _Wait:
    """Honour the provider's Retry-After (capped at ``max_wait_s``); otherwise jittered backoff."""

    def __init__(self, max_wait_s: float) -> None:
        self.cap = max_wait_s
        self.backoff = wait_exponential_jitter(initial=min(0.5, max_wait_s), max=max_wait_s)

    def __call__(self, retry_state: Any) -> float:
        outcome = retry_state.outcome
        asked = retry_after_s(outcome.exception() if outcome is not None else None)
        return min(asked, self.cap) if asked is not None else float(self.backoff(retry_state))


class CircuitBreaker:
    """Sends calls to the fallback while the primary keeps failing: after ``failures`` logical
    calls in a row failed transiently it opens for ``cooldown_s``; then one trial call goes to the
    primary (half-open), which closes it on success or opens it again on failure."""

    def __init__(self, failures: int = 3, cooldown_s: float = 30.0, clock: Any = time.monotonic) -> None:
        self.failures, self.cooldown_s, self.clock = failures, cooldown_s, clock
        self.consecutive = 0
        self.opened_at: float | None = None

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        return "open" if self.clock() < self.opened_at + self.cooldown_s else "half_open"

    def allow(self) -> bool:
        return self.state != "open"

    def success(self) -> None:
        self.consecutive, self.opened_at = 0, None

    def failure(self) -> None:
        self.consecutive += 1
        if self.state == "half_open" or self.consecutive >= self.failures:
            self.opened_at = self.clock()


class LangChainStructuredModel:
    """A real provider: ``openai:<model>`` or ``anthropic:<model>``, optionally with a fallback."""

    offline = False

    def __init__(
        self,
        spec: str,
        chat: Any,
        *,
        attempts: int,
        fallback: Any = None,
        max_wait_s: float = 20.0,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self.model_id = spec
        self._chat = chat
        self._fallback = fallback
        self._attempts = attempts  # per logical call, primary and fallback together
        self._max_wait_s = max_wait_s
        self.breaker = breaker or CircuitBreaker()

    @classmethod
    def from_settings(cls, spec: str, settings: Settings, fallback: str | None = None) -> LangChainStructuredModel:
        return cls(
            spec,
            _init_chat(spec, settings),
            attempts=settings.llm_max_attempts,
            fallback=_init_chat(fallback, settings) if fallback else None,
            max_wait_s=settings.llm_max_wait_s,
        )

    async def generate(
        self,
        task: str,
        schema: type[T],
        messages: Sequence[BaseMessage],
        facts: Mapping[str, Any],
    ) -> T:
        """At most ``attempts`` calls in all: with a fallback, the primary gets all but one and the
        fallback the last; while the circuit is open, the fallback gets them all."""
        if self._fallback is not None and not self.breaker.allow():
            return await self._call(self._fallback, schema, messages, task, self._attempts)
        primary = self._attempts - 1 if self._fallback is not None and self._attempts > 1 else self._attempts
        try:
            result = await self._call(self._chat, schema, messages, task, primary)
        except Exception as exc:
            if not is_retryable(exc):
                raise
            self.breaker.failure()
            if self._fallback is None:
                raise
            log.warning("llm.fallback", task=task, error=type(exc).__name__, circuit=self.breaker.state)
            return await self._call(self._fallback, schema, messages, task, self._attempts - primary)
        self.breaker.success()
        return result

    async def _call(self, chat: Any, schema: type[T], messages: Sequence[BaseMessage], task: str, attempts: int) -> T:
        runnable = chat.with_structured_output(schema)
        async for attempt in AsyncRetrying(
            retry=retry_if_exception(is_retryable),
            stop=stop_after_attempt(max(1, attempts)),
            wait=_Wait(self._max_wait_s),
            reraise=True,
        ):
            with attempt:
                if attempt.retry_state.attempt_number > 1:
                    log.info("llm.retry", task=task, attempt=attempt.retry_state.attempt_number)
                # not streamed: a structured answer's chunks are JSON, and a draft may need a person's
                # review before anyone sees it; flows emit what they deliver as whole messages
                result = await runnable.ainvoke(list(messages), config={"tags": [TAG_NOSTREAM]})
        if not isinstance(result, schema):
            result = schema.model_validate(result)
        return result


def _init_chat(spec: str, settings: Settings) -> Any:
    from langchain.chat_models import init_chat_model

    provider, _, model = spec.partition(":")
    kwargs: dict[str, Any] = {"timeout": settings.llm_timeout_s, "max_retries": 0, "temperature": 0.4}
    if provider == "openai":
        if settings.openai_api_key:
            kwargs["api_key"] = settings.openai_api_key
        if settings.openai_base_url:
            kwargs["base_url"] = settings.openai_base_url
    elif provider == "anthropic":
        if settings.anthropic_api_key:
            kwargs["api_key"] = settings.anthropic_api_key
        if settings.anthropic_base_url:
            kwargs["base_url"] = settings.anthropic_base_url
    return init_chat_model(model, model_provider=provider, **kwargs)


def provider_problems(settings: Settings) -> list[str]:
    """What keeps the configured providers from working, said before anything starts (each was a
    traceback from inside the provider's client at the first request or at start-up)."""
    problems = []
    keys = {
        "openai": (settings.openai_api_key, "OPENAI_API_KEY"),
        "anthropic": (settings.anthropic_api_key, "ANTHROPIC_API_KEY"),
    }
    for name, spec, allowed in (
        ("ASOTO_LLM", settings.llm, ("offline", "openai", "anthropic")),
        ("ASOTO_LLM_FALLBACK", settings.llm_fallback, ("openai", "anthropic")),
        ("ASOTO_EMBEDDINGS", settings.embeddings, ("offline", "openai")),
    ):
        if spec is None or spec == "offline":
            continue
        provider, _, model = spec.partition(":")
        if provider not in allowed or not model:
            shapes = " or ".join(p if p == "offline" else f"{p}:<model>" for p in allowed)
            problems.append(f"{name}={spec!r} is not {shapes}")
            continue
        key, variable = keys[provider]
        if key is None or not key.get_secret_value():
            problems.append(f"{name}={spec} needs {variable} (any value for a compatible server that checks none)")
    return problems


def make_model(settings: Settings, embedder: Any) -> StructuredModel:
    """The configured chat model; ``offline`` needs the embedder for theme detection."""
    if settings.llm == "offline":
        from asoto.agents.offline import OfflineStructuredModel

        return OfflineStructuredModel(embedder)
    return LangChainStructuredModel.from_settings(settings.llm, settings, fallback=settings.llm_fallback)

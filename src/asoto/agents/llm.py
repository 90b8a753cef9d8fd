"""The chat-model seam: every call asks for a structured output (a Pydantic schema).

``StructuredModel`` is what agents call. Real providers go through LangChain's
``init_chat_model`` with SDK retries switched off and exactly one retry layer here
(tenacity): 429 / 5xx / 529 / timeouts / connection errors are retried with jittered
backoff, bounded by ``ASOTO_LLM_MAX_ATTEMPTS``; 400 / 401 / 403 / 404 / 422 and quota
errors never are (reliability pitfalls P22, P23). The offline model is deterministic,
says what it is in ``model_id``, and fills templates from the call's ``facts``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
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


def is_retryable(exc: BaseException) -> bool:
    """Transient provider failures only. Bad requests and auth errors fail at once."""
    if isinstance(exc, asyncio.TimeoutError | httpx.TimeoutException | httpx.TransportError):
        return True
    status = getattr(exc, "status_code", None)
    if status is None:
        response = getattr(exc, "response", None)
        status = getattr(response, "status_code", None)
    name = type(exc).__name__
    if status is None:
        return name in {"APIConnectionError", "APITimeoutError", "OverloadedError"}
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


class LangChainStructuredModel:
    """A real provider: ``openai:<model>`` or ``anthropic:<model>``, optionally with a fallback."""

    offline = False

    def __init__(self, spec: str, chat: Any, *, attempts: int, fallback: Any = None, max_wait_s: float = 20.0) -> None:
        self.model_id = spec
        self._chat = chat
        self._fallback = fallback
        self._attempts = attempts
        self._max_wait_s = max_wait_s

    @classmethod
    def from_settings(cls, spec: str, settings: Settings, fallback: str | None = None) -> LangChainStructuredModel:
        return cls(
            spec,
            _init_chat(spec, settings),
            attempts=settings.llm_max_attempts,
            fallback=_init_chat(fallback, settings) if fallback else None,
        )

    async def generate(
        self,
        task: str,
        schema: type[T],
        messages: Sequence[BaseMessage],
        facts: Mapping[str, Any],
    ) -> T:
        try:
            return await self._call(self._chat, schema, messages, task)
        except Exception as exc:
            if self._fallback is None or not is_retryable(exc):
                raise
            log.warning("llm.fallback", task=task, error=type(exc).__name__)
            return await self._call(self._fallback, schema, messages, task)

    async def _call(self, chat: Any, schema: type[T], messages: Sequence[BaseMessage], task: str) -> T:
        runnable = chat.with_structured_output(schema)
        async for attempt in AsyncRetrying(
            retry=retry_if_exception(is_retryable),
            stop=stop_after_attempt(self._attempts),
            wait=wait_exponential_jitter(initial=min(0.5, self._max_wait_s), max=self._max_wait_s),
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
    elif provider == "anthropic" and settings.anthropic_api_key:
        kwargs["api_key"] = settings.anthropic_api_key
    return init_chat_model(model, model_provider=provider, **kwargs)


def make_model(settings: Settings, embedder: Any) -> StructuredModel:
    """The configured chat model; ``offline`` needs the embedder for theme detection."""
    if settings.llm == "offline":
        from asoto.agents.offline import OfflineStructuredModel

        return OfflineStructuredModel(embedder)
    return LangChainStructuredModel.from_settings(settings.llm, settings, fallback=settings.llm_fallback)

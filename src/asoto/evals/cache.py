"""A cache of model answers, keyed by (model, task, prompt hash, inputs, repeat index).

``readwrite`` answers from the cache and records what it has to ask; ``readonly`` never asks
a model (a miss is an error, so a CI run with recorded answers of a real model is offline and
deterministic); ``off`` always asks. Entries are JSON files under
``ASOTO_HOME/evals/cache`` — one file per answer, written atomically, so concurrent cases and
processes never see half an entry.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar

from langchain_core.messages import BaseMessage
from pydantic import BaseModel

from asoto.agents.llm import StructuredModel
from asoto.serialize import jsonable

T = TypeVar("T", bound=BaseModel)
Mode = Literal["readwrite", "readonly", "off"]


class CacheMiss(RuntimeError):
    """``readonly`` cache without the answer: the case is an infrastructure error (exit 3)."""


def prompt_hash(messages: Sequence[BaseMessage]) -> str:
    text = json.dumps([[m.type, m.content] for m in messages], ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class CachingModel:
    """Wraps the model the flows call; counts the calls that reached the model."""

    def __init__(self, inner: StructuredModel, folder: Path, mode: Mode, repeat_of: Callable[[], int]) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.offline = inner.offline
        self.folder = folder
        self.mode = mode
        self.repeat_of = repeat_of
        self.calls = 0
        self.hits = 0

    def key(self, task: str, schema: type[BaseModel], messages: Sequence[BaseMessage], facts: Mapping[str, Any]) -> str:
        parts = [
            self.inner.model_id,
            getattr(self.inner, "version", ""),  # the offline responder: its code's digest
            task,
            schema.__name__,
            prompt_hash(messages),
            jsonable(dict(facts)),
            self.repeat_of(),
        ]
        raw = json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str)
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()

    async def generate(
        self, task: str, schema: type[T], messages: Sequence[BaseMessage], facts: Mapping[str, Any]
    ) -> T:
        if self.mode == "off":
            self.calls += 1
            return await self.inner.generate(task, schema, messages, facts)
        key = self.key(task, schema, messages, facts)
        path = self.folder / key[:2] / f"{key}.json"
        if path.exists():
            self.hits += 1
            return schema.model_validate_json(path.read_text(encoding="utf-8"))
        if self.mode == "readonly":
            raise CacheMiss(f"no recorded answer for {task} ({key[:12]}) and the cache is readonly")
        self.calls += 1
        answer = await self.inner.generate(task, schema, messages, facts)
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, encoding="utf-8") as handle:
            handle.write(answer.model_dump_json())
        os.replace(handle.name, path)
        return answer

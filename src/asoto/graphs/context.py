"""What every node may use, passed through LangGraph's run context (never module globals).

Context is not checkpointed: start and resume must both pass it, so callers build it with
``Resources.context(actor=...)`` in one place.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from langchain_core.runnables import RunnableConfig
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from asoto.agents.embeddings import Embedder
from asoto.agents.llm import StructuredModel
from asoto.config import Settings
from asoto.safety import RiskGate


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, kw_only=True)
class Context:
    sessions: async_sessionmaker[AsyncSession]  # writes: ``sessions.begin()``, one transaction
    # reads: autocommit, so no BEGIN/ROLLBACK travel around them, and no ROLLBACK that makes
    # psycopg drop the connection's prepared statements
    reads: async_sessionmaker[AsyncSession]
    model: StructuredModel
    embedder: Embedder
    risk: RiskGate
    settings: Settings
    approval_graph: Any = None  # the approval flow compiled as a subgraph (inherits the checkpointer)
    actor: str = "system"
    clock: Callable[[], datetime] = utc_now


def run_config(thread_id: uuid.UUID | str, run_id: uuid.UUID | str, **extra: Any) -> RunnableConfig:
    """The one way to build a run's config: ids only, never secrets (they land in checkpoints)."""
    return {"configurable": {"thread_id": str(thread_id), "run_id": str(run_id), **extra}, "recursion_limit": 50}


def ids_of(config: RunnableConfig) -> tuple[uuid.UUID, uuid.UUID]:
    configurable = config.get("configurable") or {}
    return uuid.UUID(str(configurable["thread_id"])), uuid.UUID(str(configurable["run_id"]))

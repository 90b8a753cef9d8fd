"""Long-term memory: LangGraph's own ``AsyncPostgresStore`` over the checkpointer's pool.

Items are JSON documents under a namespace (a tuple of labels); the pgvector index embeds them
with the configured embedder, so ``search(query=...)`` ranks by meaning. Graphs reach it as
``runtime.store``; the API serves it on the Platform's ``/store`` routes (``services.store``).
The tables are made by ``migrate.upgrade`` under the migration lock, never here: LangGraph's
``setup()`` races when several processes start together (reliability pitfall P5).
"""

from __future__ import annotations

from collections.abc import Sequence

from langgraph.store.postgres.aio import AsyncPostgresStore
from langgraph.store.postgres.base import PostgresIndexConfig, TTLConfig
from psycopg_pool import AsyncConnectionPool

from asoto.agents.embeddings import Embedder
from asoto.config import Settings

MEMBERS = "members"

# what the index embeds when a put names no fields: the whole value, as the Platform does
DEFAULT_FIELDS = ["$"]


def index_config(dim: int, embed: object) -> PostgresIndexConfig:
    return {
        "dims": dim,
        "embed": embed,  # type: ignore[typeddict-item]
        "fields": DEFAULT_FIELDS,
        "distance_type": "cosine",  # the sentence encoders are trained for cosine
        "ann_index_config": {"kind": "hnsw"},
    }


def ttl_config(settings: Settings) -> TTLConfig:
    # omit_expired: a lapsed item is gone at once, not at the next sweep
    ttl: TTLConfig = {
        "refresh_on_read": True,
        "sweep_interval_minutes": settings.store_sweep_min,
        "omit_expired": True,
    }
    if settings.store_default_ttl_min is not None:
        ttl["default_ttl"] = settings.store_default_ttl_min
    return ttl


def make_store(pool: AsyncConnectionPool, embedder: Embedder, settings: Settings) -> AsyncPostgresStore:
    async def embed(texts: Sequence[str]) -> list[list[float]]:
        return await embedder.embed(list(texts))

    return AsyncPostgresStore(pool, index=index_config(embedder.dim, embed), ttl=ttl_config(settings))  # type: ignore[arg-type]


def _setup_embeds_nothing(texts: Sequence[str]) -> list[list[float]]:
    raise RuntimeError("the store's set-up creates tables; it never embeds")


def store_index_for_setup(dim: int) -> PostgresIndexConfig:
    """The index configuration ``setup()`` needs: only its dimension and kinds are read."""
    return index_config(dim, _setup_embeds_nothing)


def member_namespace(member_id: object, *rest: str) -> tuple[str, ...]:
    """Where a member's memory lives (a member key reaches only this prefix, ``services.store``);
    the coaching flow keeps its sessions under ``coaching``."""
    return (MEMBERS, str(member_id), *rest)

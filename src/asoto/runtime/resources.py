"""Everything a process needs to run flows, opened once and closed once.

The API lifespan, the CLI, the worker, the tests and the benches all open the same
``Resources``: the database (embedded or ``ASOTO_DATABASE_URL``), migrations, the
checkpointer pool and saver, the models and the compiled graphs.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from langgraph.graph.state import CompiledStateGraph
from langgraph.store.postgres.aio import AsyncPostgresStore
from psycopg_pool import AsyncConnectionPool

from asoto.agents.embeddings import Embedder, OfflineEmbedder, embedder_space, make_embedder
from asoto.agents.llm import StructuredModel, make_model
from asoto.config import Settings
from asoto.errors import AsotoError
from asoto.graphs import approval
from asoto.graphs.context import Context, utc_now
from asoto.graphs.registry import Flow, flows_for
from asoto.persistence import embedded, migrate
from asoto.persistence.checkpointer import make_saver
from asoto.persistence.database import Database, checkpoint_pool
from asoto.persistence.store import make_store
from asoto.runtime.metrics import MeteredModel, ProviderTally
from asoto.safety import RiskGate

log = structlog.get_logger(__name__)


class EmbeddingSpaceMismatch(AsotoError):
    code = "embedding_space_mismatch"


@dataclass
class Resources:
    settings: Settings
    uri: str
    db: Database
    pool: AsyncConnectionPool
    saver: AsyncPostgresSaver
    store: AsyncPostgresStore
    embedder: Embedder
    model: StructuredModel
    risk: RiskGate
    tally: ProviderTally  # this process's provider calls: the one ``model`` counts into
    graphs: dict[str, CompiledStateGraph[Any, Any, Any, Any]] = field(default_factory=dict)
    flows: dict[str, Flow] = field(default_factory=dict)
    approval_subgraph: Any = None
    clock: Callable[[], datetime] = utc_now  # evals pin it, so prompts and scores do not drift

    def context(self, actor: str = "system") -> Context:
        return Context(
            sessions=self.db.sessions,
            reads=self.db.autocommit,
            model=self.model,
            embedder=self.embedder,
            risk=self.risk,
            settings=self.settings,
            approval_graph=self.approval_subgraph,
            actor=actor,
            clock=self.clock,
        )


def settle_heap() -> None:
    """For a long-lived process once it has started: what start-up loaded (graphs, the offline
    models, the analyser's dictionary) is moved out of the cyclic collector's sight
    (``gc.freeze``), so its collections walk what requests and runs make, not that: 11–16 % more
    cycles/s at concurrency 16 in ``bench/peer.py`` (full collections under load walked it all)."""
    import gc

    gc.collect()
    gc.freeze()


def unsettle_heap() -> None:
    """Back under the collector: what was frozen may be garbage once the app it served stops."""
    import gc

    gc.unfreeze()


def database_uri(settings: Settings) -> str:
    """The configured Postgres, or the embedded one (started, or joined, for this process)."""
    if settings.database_url is not None:
        return settings.database_url.get_secret_value()
    server = embedded.start_embedded(settings.pgdata)
    return embedded.ensure_database(server.get_uri(), embedded.DATABASE_NAME)


async def prepare_database(settings: Settings, uri: str) -> None:
    model_id, dim = embedder_space(settings)
    await asyncio.to_thread(migrate.upgrade, uri, embedding_dim=dim, embedding_model=model_id)
    space = await asyncio.to_thread(migrate.embedding_space, uri)
    if space and (space.get("model"), space.get("dim")) != (model_id, dim):
        raise EmbeddingSpaceMismatch(
            f"the database holds {space.get('model')} vectors ({space.get('dim')}-d) but "
            f"ASOTO_EMBEDDINGS is {model_id} ({dim}-d); use the matching provider or a new database"
        )


@asynccontextmanager
async def open_resources(
    settings: Settings,
    *,
    uri: str | None = None,
    embedder: Embedder | None = None,
    model: StructuredModel | None = None,
    migrate_first: bool = True,
) -> AsyncIterator[Resources]:
    """Open everything; tests pass their own ``uri``, embedder or scripted model."""
    flows = flows_for(settings.graphs_config)  # a bad langgraph.json fails before anything opens
    uri = uri or database_uri(settings)
    if migrate_first:
        await prepare_database(settings, uri)
    embedder = embedder or make_embedder(settings)
    tally = ProviderTally()
    model = MeteredModel(model or make_model(settings, embedder), tally)
    prepared = settings.db_prepared_statements
    db = Database.connect(uri, pool_size=max(5, settings.pool_max_size // 2), prepared=prepared)
    try:
        async with checkpoint_pool(uri, max_size=settings.pool_max_size, prepared=prepared) as pool:
            saver = make_saver(pool)
            res = Resources(
                settings=settings,
                uri=uri,
                db=db,
                pool=pool,
                saver=saver,
                store=make_store(pool, embedder, settings),
                embedder=embedder,
                model=model,
                tally=tally,
                risk=RiskGate.load(embedder if isinstance(embedder, OfflineEmbedder) else OfflineEmbedder()),
            )
            res.approval_subgraph = approval.builder.compile(name="approval")  # checkpointer: the parent's
            res.flows = flows
            res.graphs = {gid: flow.compile(saver, res.store) for gid, flow in res.flows.items()}
            yield res
    finally:
        await db.dispose()

"""The FastAPI app. Its lifespan owns every resource: pools, saver, graphs, the hub, a worker."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from asoto import __version__
from asoto.agents.embeddings import Embedder, OfflineEmbedder
from asoto.agents.llm import StructuredModel
from asoto.api import errors, hot
from asoto.api.docs import install_offline_docs
from asoto.api.routes import approvals, assistants, crons, meta, runs, store, threads
from asoto.config import Settings
from asoto.logs import configure_logging
from asoto.runtime.notify import NotificationHub
from asoto.runtime.resources import open_resources, settle_heap, unsettle_heap
from asoto.runtime.supervisor import WorkerProcesses
from asoto.runtime.worker import Worker
from asoto.services.keys import KeyCache
from asoto.ui.routes import install_inspector

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413 before they are parsed."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(send)
            return
        seen = 0

        async def limited() -> MutableMapping[str, Any]:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise _TooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = b'{"detail":"request body too large","code":"payload_too_large"}'
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass


def create_app(
    settings: Settings | None = None,
    *,
    uri: str | None = None,
    embedder: Embedder | None = None,
    model: StructuredModel | None = None,
    run_worker: bool = True,
    worker_processes: int = 0,
) -> FastAPI:
    """The API. ``run_worker``: serve runs at all (else workers run elsewhere); with
    ``worker_processes`` > 0 they run in that many child processes (``runtime.supervisor``),
    with 0 in this process."""
    settings = settings or Settings()
    configure_logging(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[dict[str, Any]]:
        async with open_resources(settings, uri=uri, embedder=embedder, model=model) as res:
            if isinstance(res.embedder, OfflineEmbedder):
                await res.embedder.embed(["準備"])  # load the model now, not on the first member's request
            hub = NotificationHub(res.uri)
            await hub.start()
            worker = None
            if run_worker and worker_processes == 0:
                worker = Worker(res, hub)  # claims, sweeps, fires crons, and runs what it creates
            elif run_worker and settings.api_runs > 0:  # the waits it answers, beside the processes
                worker = Worker(res, hub, claims=False, concurrency=settings.api_runs)
            children = WorkerProcesses(settings, res.uri, worker_processes) if run_worker else None
            if worker:
                await worker.start()
            if children:
                await children.start()
            settle_heap()
            try:
                keys = KeyCache(res.db.autocommit, ttl_s=settings.key_cache_s)
                yield {"resources": res, "hub": hub, "keys": keys, "worker": worker}
            finally:
                if children:
                    await children.stop()
                if worker:
                    await worker.stop()
                await hub.stop()
                unsettle_heap()  # an app stopped inside a longer-lived process (tests, the demo)

    public = settings.public_docs
    app = FastAPI(
        title="asoto",
        version=__version__,
        description="LangGraph flows of a coaching community, LangGraph-SDK-compatible.",
        lifespan=lifespan,
        # closed by default: the API's shape and /info's model ids are for callers with a key
        docs_url=None,  # /docs is served from the package's assets when public (api/docs.py)
        redoc_url=None,  # ReDoc loads from a CDN only: blank offline, so not served
        openapi_url="/openapi.json" if public else None,
    )
    errors.install(app)
    for module in (meta, assistants, threads, crons, runs, approvals, store):
        app.include_router(module.router)
    if settings.hot_routes:  # first: the run path's busiest routes, without FastAPI's per-request work
        app.router.routes[:0] = hot.routes()
    install_inspector(app)  # /ui: the page holds no data; its fragments need a key like the API
    if public:
        install_offline_docs(app)
    else:
        meta.add_private_openapi(app)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    if settings.cors_origins:  # outermost: a preflight is answered before the body limit or auth
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["Content-Location", "Location", "X-Pagination-Next", "Retry-After"],
            max_age=600,
        )
    return app

"""Run the real app (lifespan, worker, hub) in-process, or on a loopback port for the SDK."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
import uvicorn

from asoto.api.app import create_app
from asoto.config import Settings


@asynccontextmanager
async def asgi_client(
    settings: Settings, uri: str, embedder: Any, *, model: Any = None, key: str | None = None, run_worker: bool = True
) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, Any]]]:
    app = create_app(settings, uri=uri, embedder=embedder, model=model, run_worker=run_worker)
    async with app.router.lifespan_context(app) as state:

        async def with_state(scope: Any, receive: Any, send: Any) -> None:
            scope["state"] = dict(state)  # what an ASGI server does with the lifespan's state
            await app(scope, receive, send)

        headers = {"x-api-key": key} if key else {}
        transport = httpx.ASGITransport(app=with_state)
        async with httpx.AsyncClient(transport=transport, base_url="http://asoto.test", headers=headers) as client:
            yield client, state


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def live_server(settings: Settings, uri: str, embedder: Any, *, model: Any = None) -> Iterator[str]:
    """``asoto serve`` in a thread with its own event loop, on 127.0.0.1; yields its URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, uri=uri, embedder=embedder, model=model),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
        )
    )
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    for _ in range(400):
        if server.started:
            break
        if not thread.is_alive():
            raise RuntimeError("the server did not start")
        threading.Event().wait(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)

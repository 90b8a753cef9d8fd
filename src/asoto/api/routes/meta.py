"""Health (always open), server information (open only with ``ASOTO_PUBLIC_DOCS``) and metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response

from asoto import __version__
from asoto.api.deps import CallerDep, ResourcesDep, get_principal
from asoto.errors import Forbidden
from asoto.runtime import metrics

router = APIRouter(tags=["meta"])


@router.get("/ok")
async def ok() -> dict[str, bool]:
    return {"ok": True}


@router.get("/info")
async def info(request: Request, res: ResourcesDep) -> dict[str, Any]:
    if not res.settings.public_docs:  # model ids are for callers with a key
        await get_principal(request, request.headers.get("x-api-key"), request.headers.get("authorization"))
    return {
        "version": __version__,
        "server": "asoto",
        "flags": {"assistants": True, "crons": True, "langsmith": False, "store": True},
        "models": {"chat": res.model.model_id, "offline": res.model.offline, "embeddings": res.embedder.model_id},
    }


@router.get("/metrics", include_in_schema=False)
async def prometheus(res: ResourcesDep, caller: CallerDep) -> Response:
    """Prometheus' text format, for the whole deployment (``runtime.metrics`` reads Postgres)."""
    if not caller.acts_for_anyone:
        raise Forbidden("metrics are for admin and service keys", code="forbidden")
    async with res.db.autocommit() as session:
        body = metrics.exposition(await metrics.families(session))
    return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8")


def add_private_openapi(app: FastAPI) -> None:
    """``/openapi.json`` for callers with a key (the interactive pages are off when docs are private)."""

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi(request: Request) -> dict[str, Any]:
        await get_principal(request, request.headers.get("x-api-key"), request.headers.get("authorization"))
        return app.openapi()

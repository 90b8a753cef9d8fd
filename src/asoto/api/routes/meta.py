"""Health (always open) and server information (open only with ``ASOTO_PUBLIC_DOCS``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, Request

from asoto import __version__
from asoto.api.deps import ResourcesDep, get_principal

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
        "flags": {"assistants": True, "crons": False, "langsmith": False, "store": False},
        "models": {"chat": res.model.model_id, "offline": res.model.offline, "embeddings": res.embedder.model_id},
    }


def add_private_openapi(app: FastAPI) -> None:
    """``/openapi.json`` for callers with a key (the interactive pages are off when docs are private)."""

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi(request: Request) -> dict[str, Any]:
        await get_principal(request, request.headers.get("x-api-key"), request.headers.get("authorization"))
        return app.openapi()

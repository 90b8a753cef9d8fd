"""Health and server information (open, no key needed)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from asoto import __version__
from asoto.api.deps import ResourcesDep

router = APIRouter(tags=["meta"])


@router.get("/ok")
async def ok() -> dict[str, bool]:
    return {"ok": True}


@router.get("/info")
async def info(res: ResourcesDep) -> dict[str, Any]:
    return {
        "version": __version__,
        "server": "asoto",
        "flags": {"assistants": True, "crons": False, "langsmith": False, "store": False},
        "models": {"chat": res.model.model_id, "offline": res.model.offline, "embeddings": res.embedder.model_id},
    }

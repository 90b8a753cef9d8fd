"""Threads: create, read, search, patch, delete; state and history."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Query, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from asoto.api.deps import CallerDep, ResourcesDep
from asoto.api.responses import Json
from asoto.api.schemas import (
    HistoryQuery,
    ThreadCount,
    ThreadCreate,
    ThreadPatch,
    ThreadPrune,
    ThreadSearch,
    ThreadStateUpdate,
)
from asoto.graphs import picture
from asoto.persistence.models import Thread
from asoto.runtime.resources import Resources
from asoto.services import threads, views
from asoto.services.keys import Principal

router = APIRouter(tags=["threads"])


def _shown(thread: Thread, caller: Principal) -> dict[str, Any]:
    return views.thread(thread.graph_id, threads.thread_json(thread), caller)


@router.post("/threads")
async def create(body: ThreadCreate, res: ResourcesDep, caller: CallerDep) -> Json:
    return await create_thread(res, caller, body)


async def create_thread(res: Resources, caller: Principal, body: ThreadCreate) -> Json:
    """``POST /threads`` (served by ``api.hot``; the route above is its schema)."""
    async with res.pool.connection() as conn:  # one autocommit statement: no session around it
        return Json(_shown(await threads.create(conn, caller, body), caller))


@router.post("/threads/count")
async def count(body: ThreadCount, res: ResourcesDep, caller: CallerDep) -> int:
    async with res.db.autocommit() as session:
        return await threads.count(session, caller, body)


@router.post("/threads/prune")
async def prune(body: ThreadPrune, res: ResourcesDep, caller: CallerDep) -> dict[str, int]:
    async with res.db.sessions.begin() as session:
        return {"pruned_count": await threads.prune(res, session, caller, body.thread_ids, body.strategy)}


@router.post("/threads/search")
async def search(body: ThreadSearch, res: ResourcesDep, caller: CallerDep) -> list[dict[str, Any]]:
    async with res.db.autocommit() as session:
        return [_shown(t, caller) for t in await threads.search(session, caller, body)]


@router.get("/threads/{thread_id}")
async def get(thread_id: uuid.UUID, res: ResourcesDep, caller: CallerDep) -> dict[str, Any]:
    async with res.db.autocommit() as session:
        return _shown(await threads.get_visible(session, caller, thread_id), caller)


@router.patch("/threads/{thread_id}")
async def patch(thread_id: uuid.UUID, body: ThreadPatch, res: ResourcesDep, caller: CallerDep) -> dict[str, Any]:
    async with res.db.sessions.begin() as session:
        thread = await threads.get_visible(session, caller, thread_id, lock=True)
        thread.metadata_ = {**thread.metadata_, **body.metadata, "owner": thread.metadata_.get("owner")}
        await session.flush()
        return _shown(thread, caller)


@router.delete("/threads/{thread_id}", status_code=204)
async def delete(thread_id: uuid.UUID, res: ResourcesDep, caller: CallerDep) -> Response:
    async with res.db.sessions.begin() as session:
        await threads.delete(res, session, caller, thread_id)
    return Response(status_code=204)


@router.get("/threads/{thread_id}/state")
async def state(thread_id: uuid.UUID, res: ResourcesDep, caller: CallerDep) -> dict[str, Any]:
    async with res.db.autocommit() as session:
        thread = await threads.get_visible(session, caller, thread_id)
    return views.snapshot(thread.graph_id, await threads.state(res, thread), caller)


@router.post("/threads/{thread_id}/state")
async def update_state(
    thread_id: uuid.UUID, body: ThreadStateUpdate, res: ResourcesDep, caller: CallerDep
) -> dict[str, Any]:
    async with res.db.sessions.begin() as session:
        return await threads.update_state(res, session, caller, thread_id, body)


@router.post("/threads/{thread_id}/copy")
async def copy(thread_id: uuid.UUID, res: ResourcesDep, caller: CallerDep) -> dict[str, Any]:
    async with res.db.sessions.begin() as session:
        return _shown(await threads.copy(res, session, caller, thread_id), caller)


@router.get("/threads/{thread_id}/graph")
async def position(thread_id: uuid.UUID, res: ResourcesDep, caller: CallerDep) -> dict[str, Any]:
    """The thread's graph as Mermaid, with the path taken and the current node highlighted."""
    async with res.db.autocommit() as session:
        thread = await threads.get_visible(session, caller, thread_id)
    return await threads.position(res, thread)


@router.get("/threads/{thread_id}/graph.svg", response_class=Response)
async def position_svg(thread_id: uuid.UUID, res: ResourcesDep, caller: CallerDep) -> Response:
    """The thread's graph drawn offline as SVG: path taken, visit counts, the node next."""
    async with res.db.autocommit() as session:
        thread = await threads.get_visible(session, caller, thread_id)
    went = await threads.trace(res, thread)
    drawn = picture.draw_svg(res.graphs[str(thread.graph_id)].get_graph(), went, title=str(thread.graph_id))
    return Response(drawn, media_type=picture.SVG_MEDIA_TYPE)


@router.get("/threads/{thread_id}/state/{checkpoint_id}")
async def state_at(thread_id: uuid.UUID, checkpoint_id: str, res: ResourcesDep, caller: CallerDep) -> dict[str, Any]:
    async with res.db.autocommit() as session:
        thread = await threads.get_visible(session, caller, thread_id)
    return views.snapshot(thread.graph_id, await threads.state(res, thread, checkpoint_id), caller)


@router.post("/threads/{thread_id}/history")
async def history(
    thread_id: uuid.UUID, body: HistoryQuery, res: ResourcesDep, caller: CallerDep
) -> list[dict[str, Any]]:
    async with res.db.autocommit() as session:
        thread = await threads.get_visible(session, caller, thread_id)
    before = body.before.get("checkpoint_id") if isinstance(body.before, dict) else body.before
    found = await threads.history(res, thread, limit=body.limit, before=before, metadata=body.metadata)
    return [views.snapshot(thread.graph_id, snap, caller) for snap in found]


@router.get("/threads/{thread_id}/history")
async def history_get(
    thread_id: uuid.UUID,
    res: ResourcesDep,
    caller: CallerDep,
    limit: int = Query(10, ge=1, le=1000),
    before: str | None = None,
) -> list[dict[str, Any]]:
    try:  # the query goes through the body's model, so the same text checks apply (invalid_text)
        query = HistoryQuery(limit=limit, before=before)
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("query", *e["loc"])} for e in exc.errors()]) from exc
    return await history(thread_id, query, res, caller)

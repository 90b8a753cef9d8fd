"""Runs on a thread: background create, wait, list, get, join, cancel."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Literal

from fastapi import APIRouter, Header, Query, Response
from fastapi.responses import StreamingResponse

from asoto import jsoncodec
from asoto.api.deps import CallerDep, HubDep, ResourcesDep, TakerDep
from asoto.api.responses import Json
from asoto.api.schemas import MAX_OFFSET, RunCreate, RunsCancel
from asoto.errors import InvalidInput, NotFound
from asoto.persistence.models import Run
from asoto.runtime import streaming
from asoto.runtime.notify import NotificationHub
from asoto.runtime.resources import Resources
from asoto.services import runs, views
from asoto.services.keys import Principal

router = APIRouter(tags=["runs"])
KEEPALIVE_S = 5.0


def _location(run: Run) -> str:
    return f"/threads/{run.thread_id}/runs/{run.run_id}"


def _outputs_json(run: Run, caller: Principal) -> bytes:
    return jsoncodec.dumps(views.outputs(run.graph_id, runs.result(run), caller))


async def _wait_body(
    hub: NotificationHub, task: asyncio.Task[Run], run_id: uuid.UUID, caller: Principal, ended: asyncio.Event | None
) -> AsyncIterator[bytes]:
    """Newlines every few seconds keep proxies from closing a long wait; JSON ignores them."""
    try:
        async for beat in streaming.keep_alive(task, b"\n", KEEPALIVE_S):
            yield beat
        yield _outputs_json(task.result(), caller)
    finally:
        task.cancel()  # the client left mid-wait: stop waiting now, not when the generator is collected
        if ended is not None:
            hub.unsubscribe(str(run_id), ended)


async def _waiting_response(
    res: Resources, hub: NotificationHub, run: Run, caller: Principal, ended: asyncio.Event | None = None
) -> Response:
    """The run's outputs once it ends. A run that ends within the first keep-alive period (most
    do) is answered with a plain response; a longer one switches to a streamed body that sends
    keep-alive newlines first (a streamed response cost a task group and chunked framing per
    request: ~5 % of the API's CPU per run in bench/peer.py)."""
    headers = {"Location": f"{_location(run)}/join", "Content-Location": _location(run)}
    task = asyncio.create_task(runs.wait(res, hub, run.run_id, ended=ended))
    try:
        await asyncio.wait({task}, timeout=KEEPALIVE_S)
    except BaseException:
        task.cancel()
        if ended is not None:
            hub.unsubscribe(str(run.run_id), ended)
        raise
    if not task.done():
        return StreamingResponse(
            _wait_body(hub, task, run.run_id, caller, ended), media_type="application/json", headers=headers
        )
    if ended is not None:
        hub.unsubscribe(str(run.run_id), ended)
    return Response(_outputs_json(task.result(), caller), media_type="application/json", headers=headers)


async def _create_and_wait(
    res: Resources, hub: NotificationHub, caller: Principal, create: Callable[[uuid.UUID], Awaitable[Run]]
) -> Response:
    """Subscribe to a run's end before the run exists (its end cannot come first, and the wait
    reads the run once), create it, and answer when it ends."""
    run_id = uuid.uuid4()
    ended = hub.subscribe(str(run_id))
    try:
        run = await create(run_id)
    except BaseException:
        hub.unsubscribe(str(run_id), ended)
        raise
    return await _waiting_response(res, hub, run, caller, ended)


@router.post("/threads/{thread_id}/runs")
async def create(thread_id: uuid.UUID, body: RunCreate, res: ResourcesDep, caller: CallerDep) -> Json:
    return await create_on_thread(res, caller, thread_id, body)


async def create_on_thread(res: Resources, caller: Principal, thread_id: uuid.UUID, body: RunCreate) -> Json:
    """``POST /threads/{thread_id}/runs`` (served by ``api.hot``; the route above is its schema)."""
    async with res.db.sessions.begin() as session:
        run = await runs.create(res, session, caller, thread_id, body)
    return Json(views.run(runs.run_json(run), caller), headers={"Content-Location": _location(run)})


@router.post("/threads/{thread_id}/runs/wait")
async def create_and_wait(
    thread_id: uuid.UUID, body: RunCreate, res: ResourcesDep, hub: HubDep, caller: CallerDep, taker: TakerDep
) -> Response:
    return await wait_on_thread(res, hub, taker, caller, thread_id, body)


async def wait_on_thread(
    res: Resources,
    hub: NotificationHub,
    taker: runs.Taker | None,
    caller: Principal,
    thread_id: uuid.UUID,
    body: RunCreate,
) -> Response:
    """``POST /threads/{thread_id}/runs/wait`` (served by ``api.hot``; the route above is its schema)."""

    async def create(run_id: uuid.UUID) -> Run:
        return await runs.create_here(
            res,
            taker,
            lambda session, owner: runs.create(res, session, caller, thread_id, body, run_id=run_id, lease_owner=owner),
        )

    return await _create_and_wait(res, hub, caller, create)


@router.post("/runs")
async def create_stateless(body: RunCreate, res: ResourcesDep, caller: CallerDep) -> Json:
    async with res.db.sessions.begin() as session:
        run = await runs.create_stateless(res, session, caller, body)
    return Json(views.run(runs.run_json(run), caller), headers={"Content-Location": _location(run)})


@router.post("/runs/wait")
async def stateless_wait(
    body: RunCreate, res: ResourcesDep, hub: HubDep, caller: CallerDep, taker: TakerDep
) -> Response:
    async def create(run_id: uuid.UUID) -> Run:
        return await runs.create_here(
            res,
            taker,
            lambda session, owner: runs.create_stateless(res, session, caller, body, run_id=run_id, lease_owner=owner),
        )

    return await _create_and_wait(res, hub, caller, create)


@router.post("/runs/stream")
async def stateless_stream(
    body: RunCreate, res: ResourcesDep, hub: HubDep, caller: CallerDep, taker: TakerDep
) -> StreamingResponse:
    modes = streaming.requested_modes(body.stream_mode)
    run = await runs.create_here(
        res,
        taker,
        lambda session, owner: runs.create_stateless(res, session, caller, body, stream_modes=modes, lease_owner=owner),
    )
    return _streaming_response(res, hub, run, caller, after=0)


MAX_BATCH = 100


@router.post("/runs/batch")
async def create_batch(body: list[RunCreate], res: ResourcesDep, caller: CallerDep) -> list[dict[str, Any]]:
    """Stateless background runs, all or none (one transaction; at most 100)."""
    if not 1 <= len(body) <= MAX_BATCH:
        raise InvalidInput(f"a batch holds 1 to {MAX_BATCH} runs", code="invalid_input")
    async with res.db.sessions.begin() as session:
        made = [await runs.create_stateless(res, session, caller, item) for item in body]
    return [views.run(runs.run_json(run), caller) for run in made]


@router.post("/threads/{thread_id}/runs/stream")
async def create_and_stream(
    thread_id: uuid.UUID, body: RunCreate, res: ResourcesDep, hub: HubDep, caller: CallerDep, taker: TakerDep
) -> StreamingResponse:
    modes = streaming.requested_modes(body.stream_mode)
    run = await runs.create_here(
        res,
        taker,
        lambda session, owner: runs.create(
            res, session, caller, thread_id, body, stream_modes=modes, lease_owner=owner
        ),
    )
    return _streaming_response(res, hub, run, caller, after=0)


@router.get("/threads/{thread_id}/runs/{run_id}/stream")
async def join_stream(
    thread_id: uuid.UUID,
    run_id: uuid.UUID,
    res: ResourcesDep,
    hub: HubDep,
    caller: CallerDep,
    last_event_id: str | None = Header(default=None),
) -> StreamingResponse:
    async with res.db.autocommit() as session:
        run = await runs.get_visible(session, caller, thread_id, run_id)
    after = int(last_event_id) if last_event_id and last_event_id.isdigit() else 0
    return _streaming_response(res, hub, run, caller, after=after)


def _streaming_response(
    res: Resources, hub: NotificationHub, run: Run, caller: Principal, *, after: int
) -> StreamingResponse:
    return StreamingResponse(
        streaming.tail_run(res, hub, run, caller, after=after),
        media_type="text/event-stream",
        headers={
            "Location": f"{_location(run)}/stream",
            "Content-Location": _location(run),
            "Cache-Control": "no-store",
        },
    )


@router.get("/threads/{thread_id}/runs")
async def list_runs(
    thread_id: uuid.UUID,
    res: ResourcesDep,
    caller: CallerDep,
    limit: int = Query(10, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
    status: str | None = None,
) -> list[dict[str, Any]]:
    async with res.db.autocommit() as session:
        found = await runs.list_for_thread(session, caller, thread_id, limit=limit, offset=offset, status=status)
    return [views.run(runs.run_json(r), caller) for r in found]


@router.get("/threads/{thread_id}/runs/{run_id}")
async def get(thread_id: uuid.UUID, run_id: uuid.UUID, res: ResourcesDep, caller: CallerDep) -> Json:
    async with res.db.autocommit() as session:
        return Json(views.run(runs.run_json(await runs.get_visible(session, caller, thread_id, run_id)), caller))


@router.get("/threads/{thread_id}/runs/{run_id}/join")
async def join(thread_id: uuid.UUID, run_id: uuid.UUID, res: ResourcesDep, hub: HubDep, caller: CallerDep) -> Response:
    async with res.db.autocommit() as session:
        run = await runs.get_visible(session, caller, thread_id, run_id)
    return await _waiting_response(res, hub, run, caller)


@router.post("/threads/{thread_id}/runs/{run_id}/cancel")
async def cancel(
    thread_id: uuid.UUID,
    run_id: uuid.UUID,
    res: ResourcesDep,
    hub: HubDep,
    caller: CallerDep,
    wait: bool = Query(False),
    action: Literal["interrupt", "rollback"] = Query("interrupt"),
) -> Response:
    async with res.db.sessions.begin() as session:
        run = await runs.cancel(session, caller, thread_id, run_id, rollback=action == "rollback")
    if wait:
        with contextlib.suppress(NotFound):  # a rolled-back run is gone once it has stopped
            await runs.wait(res, hub, run.run_id)
        return Response(status_code=204)
    return Response(status_code=202)


@router.delete("/threads/{thread_id}/runs/{run_id}", status_code=204)
async def delete(thread_id: uuid.UUID, run_id: uuid.UUID, res: ResourcesDep, caller: CallerDep) -> Response:
    async with res.db.sessions.begin() as session:
        await runs.delete(session, caller, thread_id, run_id)
    return Response(status_code=204)


@router.post("/runs/cancel", status_code=204)
async def cancel_many(
    body: RunsCancel,
    res: ResourcesDep,
    caller: CallerDep,
    action: Literal["interrupt", "rollback"] = Query("interrupt"),
) -> Response:
    async with res.db.sessions.begin() as session:
        await runs.cancel_many(session, caller, body, rollback=action == "rollback")
    return Response(status_code=204)

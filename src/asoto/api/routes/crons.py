"""Crons on the Platform's routes (``services.crons``); the workers fire them."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Response

from asoto.api.deps import CallerDep, ResourcesDep
from asoto.api.schemas import CronCount, CronCreate, CronPatch, CronSearch
from asoto.services import crons

router = APIRouter(tags=["crons"])


@router.post("/runs/crons")
async def create(body: CronCreate, res: ResourcesDep, caller: CallerDep) -> dict[str, Any]:
    async with res.db.sessions.begin() as session:
        return crons.cron_json(await crons.create(res, session, caller, body))


@router.post("/threads/{thread_id}/runs/crons")
async def create_for_thread(
    thread_id: uuid.UUID, body: CronCreate, res: ResourcesDep, caller: CallerDep
) -> dict[str, Any]:
    async with res.db.sessions.begin() as session:
        return crons.cron_json(await crons.create(res, session, caller, body, thread_id=thread_id))


@router.patch("/runs/crons/{cron_id}")
async def update(cron_id: uuid.UUID, body: CronPatch, res: ResourcesDep, caller: CallerDep) -> dict[str, Any]:
    async with res.db.sessions.begin() as session:
        return crons.cron_json(await crons.update(res, session, caller, cron_id, body))


@router.delete("/runs/crons/{cron_id}", status_code=204)
async def delete(cron_id: uuid.UUID, res: ResourcesDep, caller: CallerDep) -> Response:
    async with res.db.sessions.begin() as session:
        await crons.delete(session, caller, cron_id)
    return Response(status_code=204)


@router.post("/runs/crons/search")
async def search(body: CronSearch, res: ResourcesDep, caller: CallerDep) -> list[dict[str, Any]]:
    async with res.db.sessions.begin() as session:
        return await crons.search(session, caller, body)


@router.post("/runs/crons/count")
async def count(body: CronCount, res: ResourcesDep, caller: CallerDep) -> int:
    async with res.db.sessions.begin() as session:
        return await crons.count(session, caller, body)

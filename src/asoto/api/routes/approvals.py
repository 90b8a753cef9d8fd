"""Approvals for the people who decide them: list, read with audit trail, decide."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from fastapi import APIRouter, Query

from asoto.api.deps import CallerDep, ResourcesDep
from asoto.api.schemas import DecisionBody
from asoto.graphs.context import utc_now
from asoto.services import approvals, views
from asoto.services.runs import run_json
from asoto.tools.approvals import public, trail

router = APIRouter(tags=["approvals"])


@router.get("/approvals")
async def list_approvals(
    res: ResourcesDep,
    caller: CallerDep,
    status: Literal["pending", "approved", "rejected", "edited", "expired", "cancelled"] = "pending",
    kind: str | None = None,
    member_id: uuid.UUID | None = None,
    limit: int = Query(20, ge=1, le=200),
    cursor: str | None = None,
) -> dict[str, Any]:
    async with res.db.autocommit() as session:
        page, next_cursor = await approvals.listing(
            session, caller, status=status, kind=kind, member_id=member_id, limit=limit, cursor=cursor
        )
    now = utc_now()
    return {"items": [views.approval(approvals.listing_json(a, now), caller) for a in page], "next_cursor": next_cursor}


@router.get("/approvals/{approval_id}")
async def get_approval(approval_id: uuid.UUID, res: ResourcesDep, caller: CallerDep) -> dict[str, Any]:
    async with res.db.autocommit() as session:
        approval = await approvals.get_visible(session, caller, approval_id)
        return views.approval(public(approval), caller, await trail(session, approval_id))


@router.post("/approvals/{approval_id}/decision")
async def decide(approval_id: uuid.UUID, body: DecisionBody, res: ResourcesDep, caller: CallerDep) -> dict[str, Any]:
    async with res.db.sessions.begin() as session:
        approval, run = await approvals.decide(res, session, caller, approval_id, body.model_dump(exclude_unset=True))
        return {"approval": public(approval), "run": run_json(run)}

"""Approvals for people: what waits for whom, one approval with its trail, and deciding.

Deciding goes through ``runs.create`` with a ``command.resume``: the approval endpoint and the
plain runs API share one code path, so the same rules (who decides, what is valid, exactly once)
hold whichever a client uses.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from asoto.api.schemas import CommandIn, RunCreate
from asoto.errors import Conflict, NotFound
from asoto.persistence.models import Approval, Run, Thread
from asoto.runtime.resources import Resources
from asoto.serialize import state_interrupts
from asoto.services import runs
from asoto.services.keys import Principal
from asoto.tools import approvals


def listing_json(approval: Approval, now: datetime) -> dict[str, Any]:
    return {**approvals.public(approval), "age_s": round((now - approval.created_at).total_seconds(), 1)}


async def get_visible(session: AsyncSession, principal: Principal, approval_id: uuid.UUID) -> Approval:
    approval = await approvals.get_approval(session, approval_id)
    if approval is None or not (principal.reads_everything or approval.member_id == principal.member_id):
        raise NotFound(f"approval {approval_id} not found", code="approval_not_found")
    return approval


async def listing(
    session: AsyncSession,
    principal: Principal,
    *,
    status: str,
    kind: str | None,
    member_id: uuid.UUID | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Approval], str | None]:
    if not principal.reads_everything:
        member_id = principal.member_id  # members see their own, whatever they ask for
    found = await approvals.list_approvals(
        session, status=status, kind=kind, member_id=member_id, limit=limit + 1, cursor=cursor
    )
    page = found[:limit]
    return page, approvals.encode_cursor(page[-1]) if len(found) > limit else None


async def pending_interrupt_id(res: Resources, thread: Thread, approval_id: uuid.UUID) -> str:
    """The id of the interrupt through which the thread waits for this approval."""
    if not thread.graph_id:
        raise Conflict(f"approval {approval_id} has no waiting run", code="not_interrupted")
    snapshot = await res.graphs[thread.graph_id].aget_state({"configurable": {"thread_id": str(thread.thread_id)}})
    for group in state_interrupts(snapshot).values():
        for item in group:
            value = item["value"]
            if isinstance(value, dict) and value.get("approval_id") == str(approval_id):
                return str(item["id"])
    raise Conflict(f"no run is waiting for approval {approval_id}", code="not_interrupted")


async def _locked_pending(session: AsyncSession, approval: Approval) -> Thread:
    """Lock the approval's thread, then the approval (the order every decider uses), and check it still waits."""
    thread = None
    if approval.thread_id is not None:
        thread = await session.scalar(select(Thread).where(Thread.thread_id == approval.thread_id).with_for_update())
    locked = await session.scalar(
        select(Approval).where(Approval.id == approval.id).with_for_update().execution_options(populate_existing=True)
    )
    if locked is None or locked.status == "expired":
        raise Conflict(f"approval {approval.id} has expired", code="approval_expired")
    if locked.status != "pending":
        raise Conflict(f"approval {approval.id} was already decided", code="approval_already_decided")
    if thread is None:
        raise Conflict(f"approval {approval.id} has no waiting run", code="not_interrupted")
    return thread


async def decide(
    res: Resources, session: AsyncSession, principal: Principal, approval_id: uuid.UUID, decision: dict[str, Any]
) -> tuple[Approval, Run]:
    approval = await get_visible(session, principal, approval_id)
    thread = await _locked_pending(session, approval)
    interrupt_id = await pending_interrupt_id(res, thread, approval_id)
    body = RunCreate(assistant_id=thread.graph_id or "approval", command=CommandIn(resume={interrupt_id: decision}))
    run = await runs.create(res, session, principal, thread.thread_id, body)
    await session.refresh(approval)
    return approval, run


async def expire_due(res: Resources) -> int:
    """Escalate or expire pending approvals past their deadline; expiry rejects the waiting run.

    Each approval in its own transaction, locking thread then approval like every decider, and
    skipping any that someone is deciding right now."""
    from asoto.graphs.approval.kinds import kind_of

    async with res.db.autocommit() as session:
        due = [a.id for a in await approvals.due_for_expiry(session)]
    handled = 0
    for approval_id in due:
        async with res.db.sessions.begin() as session:
            approval = await approvals.get_approval(session, approval_id)
            if approval is None:
                continue
            if approval.thread_id is not None:
                await session.execute(
                    select(Thread.thread_id)
                    .where(Thread.thread_id == approval.thread_id)
                    .with_for_update(skip_locked=True)
                )
            approval = await session.scalar(
                select(Approval)
                .where(Approval.id == approval_id, Approval.status == "pending", Approval.deadline < func.now())
                .with_for_update(skip_locked=True)
                .execution_options(populate_existing=True)
            )
            if approval is None:
                continue
            kind = kind_of(approval.kind)
            if kind.on_expiry == "escalate" and approval.escalated_at is None:
                await approvals.escalate(session, approval, kind.deadline)
            else:
                await approvals.expire(session, approval)
                await runs.enqueue_system_resume(
                    res,
                    session,
                    approval,
                    {
                        "decision": "reject",
                        "decided_by": "system:expiry",
                        "comment": "expired: no decision before the deadline",
                    },
                )
            handled += 1
    return handled

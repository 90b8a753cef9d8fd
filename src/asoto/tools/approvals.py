"""Approval rows and their audit trail. A decision is a compare-and-set: exactly once."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from asoto.persistence.models import Approval, AuditEvent

DECISION_STATUS = {"approve": "approved", "reject": "rejected", "edit": "edited"}


async def record_pending(
    session: AsyncSession,
    *,
    approval_id: uuid.UUID,
    kind: str,
    member_id: uuid.UUID | None,
    thread_id: uuid.UUID | None,
    run_id: uuid.UUID | None,
    proposal: dict[str, Any],
    reasons: list[str],
    actor: str,
) -> None:
    """Create the pending approval once (the node that calls this may be replayed)."""
    created = await session.scalar(
        insert(Approval)
        .values(
            id=approval_id,
            kind=kind,
            status="pending",
            member_id=member_id,
            thread_id=thread_id,
            run_id=run_id,
            proposal=proposal,
            reasons=reasons,
        )
        .on_conflict_do_nothing(index_elements=[Approval.id])
        .returning(Approval.id)
    )
    if created is not None:
        await audit(
            session,
            actor=actor,
            action="approval.created",
            subject_type="approval",
            subject_id=str(approval_id),
            data={"kind": kind, "reasons": reasons},
        )


async def decide(
    session: AsyncSession,
    *,
    approval_id: uuid.UUID,
    decision: str,
    payload: dict[str, Any] | None,
    decided_by: str,
    comment: str | None,
    now: datetime,
) -> bool:
    """Record the decision if still pending; False if it was already decided (replay-safe)."""
    changed = await session.scalar(
        update(Approval)
        .where(Approval.id == approval_id, Approval.status == "pending")
        .values(
            status=DECISION_STATUS[decision],
            decision=decision,
            payload=payload,
            decided_by=decided_by,
            decided_at=now,
            comment=comment,
        )
        .returning(Approval.id)
    )
    if changed is None:
        return False
    await audit(
        session,
        actor=decided_by,
        action=f"approval.{DECISION_STATUS[decision]}",
        subject_type="approval",
        subject_id=str(approval_id),
        data={"decision": decision, "comment": comment, "payload": payload},
    )
    return True


async def get_approval(session: AsyncSession, approval_id: uuid.UUID) -> Approval | None:
    return await session.scalar(select(Approval).where(Approval.id == approval_id))


async def audit(
    session: AsyncSession, *, actor: str, action: str, subject_type: str, subject_id: str, data: dict[str, Any]
) -> None:
    session.add(AuditEvent(actor=actor, action=action, subject_type=subject_type, subject_id=subject_id, data=data))

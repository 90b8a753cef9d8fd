"""Approval rows, their audit trail and the webhook outbox.

A decision is a compare-and-set on ``status = 'pending'``: whoever gets there first decides,
everyone after gets ``approval_already_decided`` (or ``approval_expired``). Every state change
writes an append-only audit event and, in the same transaction, a webhook outbox row.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from asoto.errors import Conflict, InvalidInput
from asoto.persistence.models import Approval, ApprovalEffect, AuditEvent, WebhookDelivery

DECISION_STATUS = {"approve": "approved", "reject": "rejected", "edit": "edited"}
NAMESPACE = uuid.UUID("8c0b3f0e-1f5d-4c44-9d1c-5a7e6f2b9a10")


def approval_id_for(key: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, key)


async def audit(
    session: AsyncSession, *, actor: str, action: str, subject_type: str, subject_id: str, data: dict[str, Any]
) -> None:
    session.add(AuditEvent(actor=actor, action=action, subject_type=subject_type, subject_id=subject_id, data=data))


async def outbox(session: AsyncSession, event: str, approval: dict[str, Any]) -> None:
    session.add(WebhookDelivery(event=event, payload={"event": event, "approval": approval}))


def public(approval: Approval) -> dict[str, Any]:
    """An approval as the API and webhooks show it."""
    return {
        "approval_id": str(approval.id),
        "kind": approval.kind,
        "status": approval.status,
        "member_id": str(approval.member_id) if approval.member_id else None,
        "thread_id": str(approval.thread_id) if approval.thread_id else None,
        "run_id": str(approval.run_id) if approval.run_id else None,
        "proposal": approval.proposal,
        "reasons": approval.reasons,
        "policy": approval.policy,
        "requested_by": approval.requested_by,
        "decision": approval.decision,
        "payload": approval.payload,
        "decided_by": approval.decided_by,
        "comment": approval.comment,
        "decided_at": approval.decided_at.isoformat() if approval.decided_at else None,
        "deadline": approval.deadline.isoformat() if approval.deadline else None,
        "escalated_at": approval.escalated_at.isoformat() if approval.escalated_at else None,
        "created_at": approval.created_at.isoformat() if approval.created_at else None,
    }


async def record(
    session: AsyncSession,
    *,
    approval_id: uuid.UUID,
    kind: str,
    member_id: uuid.UUID | None,
    thread_id: uuid.UUID | None,
    run_id: uuid.UUID | None,
    proposal: dict[str, Any],
    reasons: list[str],
    requested_by: str,
    policy: str,
    verdict: str,
    deadline: timedelta,
    actor: str,
) -> Approval:
    """Create the approval once (the calling node may be replayed); decided at once if a policy did."""
    auto = verdict in ("approve", "reject")
    decision = verdict if auto else None
    created = await session.scalar(
        insert(Approval)
        .values(
            id=approval_id,
            kind=kind,
            status=DECISION_STATUS[verdict] if auto else "pending",
            member_id=member_id,
            thread_id=thread_id,
            run_id=run_id,
            proposal=proposal,
            reasons=reasons,
            requested_by=requested_by,
            policy=policy,
            decision=decision,
            decided_by=f"policy:{policy}" if auto else None,
            # the database's clock, the one the expiry sweep compares deadlines with
            decided_at=func.now() if auto else None,
            deadline=None if auto else func.now() + deadline,
        )
        .on_conflict_do_nothing(index_elements=[Approval.id])
        .returning(Approval.id)
    )
    approval = await session.get(Approval, approval_id, populate_existing=True)
    assert approval is not None
    if created is not None:
        await audit(
            session,
            actor=actor,
            action="approval.created",
            subject_type="approval",
            subject_id=str(approval_id),
            data={"kind": kind, "reasons": reasons, "policy": policy},
        )
        if auto:
            await audit(
                session,
                actor=f"policy:{policy}",
                action=f"approval.auto_{DECISION_STATUS[verdict]}",
                subject_type="approval",
                subject_id=str(approval_id),
                data={"policy": policy},
            )
            await outbox(session, "approval.decided", public(approval))
        else:
            await outbox(session, "approval.pending", public(approval))
    return approval


def diff(before: Any, after: Any, path: str = "") -> dict[str, dict[str, Any]]:
    """What an edit changed, by dotted path: ``{"feedback.question": {"from": …, "to": …}}``."""
    if isinstance(before, dict) and isinstance(after, dict):
        out: dict[str, dict[str, Any]] = {}
        for key in sorted(set(before) | set(after), key=str):
            out.update(diff(before.get(key), after.get(key), f"{path}.{key}" if path else str(key)))
        return out
    return {} if before == after else {path or "$": {"from": before, "to": after}}


async def claim_decision(
    session: AsyncSession,
    *,
    approval_id: uuid.UUID,
    decision: str,
    payload: dict[str, Any] | None,
    decided_by: str,
    comment: str | None,
) -> Approval:
    """The API's compare-and-set: the first decision wins, later ones get a 409."""
    approval = await session.scalar(
        update(Approval)
        .where(Approval.id == approval_id, Approval.status == "pending")
        .values(
            status=DECISION_STATUS[decision],
            decision=decision,
            payload=payload,
            decided_by=decided_by,
            decided_at=func.now(),
            comment=comment,
        )
        .returning(Approval)
    )
    if approval is None:
        current = await session.scalar(select(Approval.status).where(Approval.id == approval_id))
        if current == "expired":
            raise Conflict(f"approval {approval_id} has expired", code="approval_expired")
        raise Conflict(f"approval {approval_id} was already decided", code="approval_already_decided")
    data: dict[str, Any] = {"decision": decision, "comment": comment}
    if decision == "edit":
        data["diff"] = diff(approval.proposal, payload or {})
    await audit(
        session,
        actor=decided_by,
        action=f"approval.{DECISION_STATUS[decision]}",
        subject_type="approval",
        subject_id=str(approval_id),
        data=data,
    )
    await outbox(session, "approval.decided", public(approval))
    return approval


async def ensure_decided(
    session: AsyncSession,
    *,
    approval_id: uuid.UUID,
    decision: str,
    payload: dict[str, Any] | None,
    decided_by: str,
    comment: str | None,
) -> Approval:
    """In the flow: record the decision unless the API (or the expiry sweeper) already did."""
    approval = await session.get(Approval, approval_id, populate_existing=True)
    if approval is None:
        raise LookupError(f"approval {approval_id} does not exist")
    if approval.status == "pending":
        approval = await claim_decision(
            session, approval_id=approval_id, decision=decision, payload=payload, decided_by=decided_by, comment=comment
        )
    return approval


async def mark_effects_applied(session: AsyncSession, approval: Approval) -> bool:
    """True the first time only: the primary key on approval_effects is the idempotency key."""
    inserted = await session.scalar(
        insert(ApprovalEffect)
        .values(approval_id=approval.id, kind=approval.kind, decision=approval.decision or "reject")
        .on_conflict_do_nothing(index_elements=[ApprovalEffect.approval_id])
        .returning(ApprovalEffect.approval_id)
    )
    return inserted is not None


async def get_approval(session: AsyncSession, approval_id: uuid.UUID) -> Approval | None:
    return await session.scalar(select(Approval).where(Approval.id == approval_id))


async def trail(session: AsyncSession, approval_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = (
        await session.scalars(
            select(AuditEvent)
            .where(AuditEvent.subject_type == "approval", AuditEvent.subject_id == str(approval_id))
            .order_by(AuditEvent.id)
        )
    ).all()
    return [{"at": r.at.isoformat(), "actor": r.actor, "action": r.action, "data": r.data} for r in rows]


def encode_cursor(approval: Approval) -> str:
    raw = json.dumps([approval.created_at.isoformat(), str(approval.id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created, ident = json.loads(base64.urlsafe_b64decode(padded))
        return datetime.fromisoformat(created), uuid.UUID(ident)
    except (ValueError, TypeError) as exc:
        raise InvalidInput("cursor is not one this server gave out", code="invalid_cursor") from exc


async def list_approvals(
    session: AsyncSession,
    *,
    status: str,
    kind: str | None,
    member_id: uuid.UUID | None,
    limit: int,
    cursor: str | None,
) -> list[Approval]:
    """Newest first, keyset-paginated on (created_at, id): constant time at any depth."""
    stmt = select(Approval).where(Approval.status == status)
    if kind:
        stmt = stmt.where(Approval.kind == kind)
    if member_id:
        stmt = stmt.where(Approval.member_id == member_id)
    if cursor:
        created, ident = decode_cursor(cursor)
        stmt = stmt.where(or_(Approval.created_at < created, and_(Approval.created_at == created, Approval.id < ident)))
    stmt = stmt.order_by(Approval.created_at.desc(), Approval.id.desc()).limit(limit)
    return list((await session.scalars(stmt)).all())


async def due_for_expiry(session: AsyncSession, limit: int = 100) -> list[Approval]:
    return list(
        (
            await session.scalars(
                select(Approval)
                .where(Approval.status == "pending", Approval.deadline < func.now())
                .order_by(Approval.deadline)
                .limit(limit)
            )
        ).all()
    )


async def cancel_for_thread(session: AsyncSession, thread_id: uuid.UUID, *, actor: str) -> list[uuid.UUID]:
    """Cancel what a deleted thread was waiting for, audited: nobody could ever decide it."""
    cancelled = list(
        (
            await session.scalars(
                update(Approval)
                .where(Approval.thread_id == thread_id, Approval.status == "pending")
                .values(status="cancelled", decided_by=actor, decided_at=func.now(), comment="the thread was deleted")
                .returning(Approval.id)
            )
        ).all()
    )
    for approval_id in cancelled:
        await audit(
            session,
            actor=actor,
            action="approval.cancelled",
            subject_type="approval",
            subject_id=str(approval_id),
            data={"reason": "thread_deleted", "thread_id": str(thread_id)},
        )
    return cancelled


async def escalate(session: AsyncSession, approval: Approval, extension: timedelta) -> None:
    await session.execute(
        update(Approval)
        .where(Approval.id == approval.id)
        .values(escalated_at=func.now(), deadline=func.now() + extension)
    )
    await session.refresh(approval)
    await audit(
        session,
        actor="system:expiry",
        action="approval.escalated",
        subject_type="approval",
        subject_id=str(approval.id),
        data={"to": "admin", "deadline_extended_by_s": extension.total_seconds()},
    )
    await outbox(session, "approval.escalated", public(approval))


async def expire(session: AsyncSession, approval: Approval) -> None:
    await session.execute(
        update(Approval)
        .where(Approval.id == approval.id, Approval.status == "pending")
        .values(
            status="expired",
            decision="reject",
            decided_by="system:expiry",
            decided_at=func.now(),
            comment="expired: no decision before the deadline",
        )
    )
    await session.refresh(approval)
    await audit(
        session,
        actor="system:expiry",
        action="approval.expired",
        subject_type="approval",
        subject_id=str(approval.id),
        data={"outcome": "reject"},
    )
    await outbox(session, "approval.expired", public(approval))

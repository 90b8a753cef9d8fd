"""Nodes of the approval flow.

assess → record → (a person: await_decision → apply_decision) → apply_effects. The interrupt
is the first statement of its node; effects follow in their own node, guarded by the
approval id's unique row in ``approval_effects``.
"""

from __future__ import annotations

import uuid
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.runtime import Runtime
from langgraph.types import interrupt

from asoto.graphs.approval.kinds import POLICIES, kind_of
from asoto.graphs.approval.state import ApprovalState
from asoto.graphs.approval_shapes import ApprovalDecision, ApprovalRequest
from asoto.graphs.context import Context, ids_of
from asoto.tools import approvals


async def assess(state: ApprovalState, config: RunnableConfig) -> dict[str, Any]:
    kind = kind_of(state["kind"])
    policy = state.get("policy") or kind.policy
    verdict = POLICIES[policy](state)
    thread_id, run_id = ids_of(config)
    key = state.get("approval_key") or f"{state['kind']}:{thread_id}:{run_id}"
    return {"verdict": verdict, "policy": policy, "approval_id": str(approvals.approval_id_for(key))}


async def record(state: ApprovalState, config: RunnableConfig, runtime: Runtime[Context]) -> dict[str, Any]:
    thread_id, run_id = ids_of(config)
    kind = kind_of(state["kind"])
    member = (state.get("subject") or {}).get("member_id")
    async with runtime.context.sessions.begin() as session:
        approval = await approvals.record(
            session,
            approval_id=uuid.UUID(state["approval_id"]),
            kind=kind.name,
            member_id=uuid.UUID(str(member)) if member else None,
            thread_id=thread_id,
            run_id=run_id,
            proposal=state["proposal"],
            reasons=list(state.get("reasons") or []),
            requested_by=state.get("requested_by") or runtime.context.actor,
            policy=state["policy"],
            verdict=state["verdict"],
            deadline=kind.deadline,
            actor=runtime.context.actor,
        )
    if approval.status != "pending":
        return {"resume": {"decision": approval.decision, "decided_by": approval.decided_by}}
    return {}


async def await_decision(state: ApprovalState) -> dict[str, Any]:
    request = ApprovalRequest(
        approval_id=state["approval_id"],
        kind=state["kind"],
        reasons=list(state.get("reasons") or []),
        proposal=state["proposal"],
    )
    decision = ApprovalDecision.model_validate(interrupt(request.model_dump()))
    if decision.decision == "edit":
        kind_of(state["kind"]).edit_model.model_validate(decision.payload)
    return {"resume": decision.model_dump()}


async def apply_decision(state: ApprovalState, runtime: Runtime[Context]) -> dict[str, Any]:
    decision = ApprovalDecision.model_validate(state["resume"])
    payload = decision.payload if decision.decision == "edit" else None
    async with runtime.context.sessions.begin() as session:
        approval = await approvals.ensure_decided(
            session,
            approval_id=uuid.UUID(state["approval_id"]),
            decision=decision.decision,
            payload=payload,
            decided_by=decision.decided_by or runtime.context.actor,
            comment=decision.comment,
        )
        outcome = {
            "decision": approval.decision or decision.decision,
            "payload": approval.payload if approval.decision == "edit" else state["proposal"],
            "decided_by": approval.decided_by or "",
            "comment": approval.comment,
            "decided_at": approval.decided_at.isoformat() if approval.decided_at else "",
        }
    return outcome


async def apply_effects(state: ApprovalState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Mark the decision applied, once per approval, whatever replays or retries happen."""
    async with runtime.context.sessions.begin() as session:
        approval = await approvals.get_approval(session, uuid.UUID(state["approval_id"]))
        assert approval is not None
        if await approvals.mark_effects_applied(session, approval):
            await approvals.audit(
                session,
                actor=runtime.context.actor,
                action="approval.applied",
                subject_type="approval",
                subject_id=str(approval.id),
                data={"decision": approval.decision},
            )
    return {}

"""Nodes of the log_feedback flow. Each is small, async, and safe to run again.

Side effects before the human interrupt are idempotent (fixed ids, ON CONFLICT DO NOTHING);
the interrupt is the first statement of its node, and everything a decision causes happens
after it, in its own node.
"""

from __future__ import annotations

import uuid
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.runtime import Runtime

from asoto.agents import feedback_writer, llm, risk_assessor
from asoto.graphs.context import Context, ids_of
from asoto.graphs.log_feedback.state import LogFeedbackEdit, State
from asoto.safety import output_guard
from asoto.tools import logs, members, scoring
from asoto.tools.feedback_check import check_feedback

NAMESPACE = uuid.UUID("2f1d7a52-6a43-4a0e-9b4f-1f6f0c0a5e11")
KIND = "log_feedback"


def log_id_for(thread_id: uuid.UUID, run_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"log:{thread_id}:{run_id}")


class MemberNotFound(LookupError):
    """The flow was started for a member that does not exist."""


async def load_context(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    async with runtime.context.reads() as session:
        context = await members.member_context(session, uuid.UUID(state["member_id"]))
    if context is None:
        raise MemberNotFound(f"member {state['member_id']} does not exist")
    return {
        "member": context,
        "locale": context["locale"],
        "drafts": 0,
        "issues": [],
        "approval_id": None,
        "decision": {},
    }


async def store_log(state: State, config: RunnableConfig, runtime: Runtime[Context]) -> dict[str, Any]:
    thread_id, run_id = ids_of(config)
    log_id = log_id_for(thread_id, run_id)
    ctx = runtime.context
    title, content = state["log"]["title"], state["log"]["content"]
    signals = scoring.log_signals(f"{title}\n{content}")
    [embedding] = await ctx.embedder.embed([f"{title}\n{content}"])
    async with ctx.sessions.begin() as session:
        await logs.store_log(
            session,
            log_id=log_id,
            member_id=uuid.UUID(state["member_id"]),
            title=title,
            content=content,
            signals=signals,
            embedding=embedding,
            embedding_model=ctx.embedder.model_id,
            thread_id=thread_id,
        )
    return {"log_id": str(log_id), "signals": signals}


async def retrieve_similar(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    async with runtime.context.reads() as session:
        similar = await logs.similar_logs(
            session, log_id=uuid.UUID(state["log_id"]), member_id=uuid.UUID(state["member_id"])
        )
    return {"similar_logs": similar}


async def score(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    ctx = runtime.context
    async with ctx.reads() as session:
        activity = await members.activity_30d(session, uuid.UUID(state["member_id"]), ctx.clock())
    return {"scores": scoring.all_scores(activity)}


async def draft(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    ctx = runtime.context
    member = state["member"]
    facts = {
        "locale": state["locale"],
        "member_name": member["name"],
        "interests": member["interests"],
        "scores": member["scores"],
        "signals": state["signals"],
        "similar": state.get("similar_logs", []),
        "now": ctx.clock().isoformat(timespec="minutes"),
        "title": state["log"]["title"],
        "content": state["log"]["content"],
        "risk_reasons": state["risk"]["reasons"],
    }
    result = await feedback_writer.draft_feedback(ctx.model, facts, state.get("issues", []))
    return {"draft": result.model_dump(), "drafts": state.get("drafts", 0) + 1}


async def check(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Check the draft; redraft while allowed, else send failing drafts and risky logs to a person."""
    log = state["log"]
    source = f"{log['title']}\n{log['content']}"
    issues = check_feedback(state["draft"], state["locale"], source)
    leaked = output_guard.leaks(
        "\n".join(str(v) for v in state["draft"].values()),
        source=source,
        secrets=runtime.context.settings.secret_values(),
    )
    issues += [output_guard.ISSUE_TEXT[x] for x in leaked]
    redraft = bool(issues) and state.get("drafts", 0) <= runtime.context.settings.feedback_max_redrafts
    reasons = list(state["risk"]["reasons"])
    if issues and not redraft:
        reasons += leaked or ["quality_check_failed"]
    return {"issues": issues, "redraft": redraft, "review_reasons": reasons}


async def risk_check(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    ctx = runtime.context
    risk = await risk_assessor.combined_risk(
        ctx.risk, ctx.model, locale=state["locale"], title=state["log"]["title"], content=state["log"]["content"]
    )  # fails closed: a check that cannot run holds the log (risk_check_unavailable)
    return {"risk": risk}


async def hold(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Keep the feedback unpublished while a person looks at it."""
    async with runtime.context.sessions.begin() as session:
        await logs.set_feedback(
            session,
            log_id=uuid.UUID(state["log_id"]),
            status="pending_review",
            feedback=None,
            model=None,
            now=runtime.context.clock(),
        )
    return {"status": "pending_review"}


async def review(state: State, config: RunnableConfig, runtime: Runtime[Context]) -> dict[str, Any]:
    """A person decides, through the engine's approval flow run as a subgraph of this one."""
    result = await runtime.context.approval_graph.ainvoke(
        {
            "kind": KIND,
            "subject": {"member_id": state["member_id"]},
            "proposal": {"feedback": state["draft"], "issues": list(state.get("issues") or [])},
            "requested_by": runtime.context.actor,
            "reasons": state["review_reasons"],
            "approval_key": f"{KIND}:{state['log_id']}",
        },
        config,
        context=runtime.context,
    )
    feedback = state["draft"]
    if result["decision"] == "edit":
        feedback = LogFeedbackEdit.model_validate(result["payload"]).feedback.model_dump()
    return {"approval_id": result["approval_id"], "decision": dict(result), "feedback": feedback}


async def publish(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    return await _finish(state, runtime, status="published", feedback=state.get("feedback") or state["draft"])


async def reject(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    return await _finish(state, runtime, status="rejected", feedback=state.get("feedback") or state["draft"])


async def _finish(state: State, runtime: Runtime[Context], *, status: str, feedback: dict[str, str]) -> dict[str, Any]:
    """Publish or reject the feedback, refresh the member's scores, award points (once each)."""
    ctx = runtime.context
    member_id = uuid.UUID(state["member_id"])
    now = ctx.clock()
    async with ctx.sessions.begin() as session:
        await logs.set_feedback(
            session,
            log_id=uuid.UUID(state["log_id"]),
            status=status,
            feedback=feedback,
            model=ctx.model.model_id,
            now=now,
        )
        await members.award_points(session, member_id, "log", state["log_id"], scoring.LOG_POINTS)
        if status == "published":
            await members.award_points(
                session, member_id, "log_feedback", state["log_id"], scoring.PUBLISHED_FEEDBACK_POINTS
            )
        scores = scoring.all_scores(await members.activity_30d(session, member_id, now))
        await members.save_scores(session, member_id, scores, now)
    generated_by = llm.generated_by(ctx.model, state["locale"])
    return {"status": status, "feedback": feedback, "scores": scores, "generated_by": generated_by}

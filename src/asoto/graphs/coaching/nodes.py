"""Nodes of the coaching flow.

load_context → recall_memory → coach (draft) → check_turn [→ turn_review] → deliver ⇄
(await_reply → check_reply [→ risk_review]) → summarize → propose_steps (approval subgraph, the
member decides) → save. The AI's turn is a draft until the gate has read it: only ``deliver``
puts it in the conversation the member sees. Every write happens once: ids derive from the
session (= the thread), inserts are ON CONFLICT DO NOTHING.
"""

from __future__ import annotations

import uuid
from typing import Any

import numpy as np
from langchain_core.messages import AIMessage, HumanMessage, RemoveMessage
from langchain_core.runnables import RunnableConfig
from langgraph.runtime import Runtime
from langgraph.types import interrupt

from asoto.agents import coach as coach_agent
from asoto.agents import llm, risk_assessor
from asoto.graphs.coaching.state import MESSAGE_WINDOW, CoachingState, MemberReply
from asoto.graphs.context import Context, ids_of
from asoto.safety import output_guard
from asoto.tools import coaching, members
from asoto.tools.coaching_plan import make_plan
from asoto.tools.text import clip

NAMESPACE = uuid.UUID("4b6f0a0e-3c1d-4f7a-9e2b-7d1c5a9f0b21")


def session_id_for(thread_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"coaching:{thread_id}")


async def load_context(state: CoachingState, config: RunnableConfig, runtime: Runtime[Context]) -> dict[str, Any]:
    thread_id, _ = ids_of(config)
    ctx = runtime.context
    member_id = uuid.UUID(state["member_id"])
    now = ctx.clock()
    async with ctx.reads() as session:
        profile = await members.member_context(session, member_id)
        if profile is None:
            raise LookupError(f"member {member_id} does not exist")
        scores, trend = await coaching.score_trend(session, member_id, now)
        steps = await coaching.steps_overview(session, member_id, now)
    context = state.get("context") or {}
    plan = make_plan(state["session_type"], profile["locale"], scores, trend, context.get("topic"))
    return {
        "member": {**profile, "scores": scores, "trend": trend, "steps": steps},
        "locale": profile["locale"],
        "plan": plan,
        "session_id": str(session_id_for(thread_id)),
        "turns": 0,
        "replies": [],
        "goal_reached": False,
        "ended_by": "",
        "approval_id": None,
        "last_reply": "",
    }


async def recall_memory(state: CoachingState, runtime: Runtime[Context]) -> dict[str, Any]:
    plan = state["plan"]
    topic = " ".join(filter(None, [plan["topic"], plan["goal"], plan["focus_label"], *state["member"]["goals"][:2]]))
    recalled = await coaching.recall(
        runtime.store,  # type: ignore[arg-type]  # always compiled with the engine's store
        member_id=uuid.UUID(state["member_id"]),
        topic=topic,
        exclude=uuid.UUID(state["session_id"]),
    )
    return {"recalled": recalled, "memory": [m["session_id"] for m in recalled]}


def _facts(state: CoachingState, runtime: Runtime[Context], **extra: Any) -> dict[str, Any]:
    member = state["member"]
    return {
        "locale": state["locale"],
        "plan": state["plan"],
        "member_name": member["name"],
        "interests": member["interests"],
        "scores": member["scores"],
        "trend": member["trend"],
        "goals": member["goals"],
        "steps": member["steps"],
        "memory": state.get("recalled", []),
        "replies": state.get("replies", []),
        "last_reply": state.get("last_reply", ""),
        "today": runtime.context.clock().date().isoformat(),
        **extra,
    }


async def coach(state: CoachingState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Draft the next turn; nothing is shown to the member until ``check_turn`` has read it."""
    turn = state.get("turns", 0) + 1
    agenda = state["plan"]["agenda"]
    facts = _facts(
        state,
        runtime,
        turn=turn,
        next_question=agenda[turn - 1] if turn - 1 < len(agenda) else None,
        reply_was_risky=(state.get("risk") or {}).get("level") == "review",
    )
    result = await coach_agent.coach_turn(runtime.context.model, facts, state.get("messages", []))
    reached = result.goal_reached or result.intent == "summary"
    ended_by = (
        "goal_reached" if reached else ("turn_limit" if turn >= runtime.context.settings.coaching_max_turns else "")
    )
    draft = {"message": result.message, "intent": result.intent, "by": "coach"}
    return {"turn_draft": draft, "turns": turn, "goal_reached": reached, "ended_by": ended_by}


def _draft(state: CoachingState) -> dict[str, Any]:
    draft = state.get("turn_draft")
    if not draft:
        raise ValueError("no coach turn is drafted")
    return draft


async def check_turn(state: CoachingState, runtime: Runtime[Context]) -> dict[str, Any]:
    """The AI's own words go through the same gate as the member's (harmful advice is held)."""
    ctx = runtime.context
    risk = await risk_assessor.combined_risk(
        ctx.risk,
        ctx.model,
        locale=state["locale"],
        title="",
        content=_draft(state)["message"],
        subject="coach_turn",
    )
    leaked = output_guard.leaks(
        _draft(state)["message"],
        source="\n".join(str(m.content) for m in state.get("messages", []) if m.type == "human"),
        secrets=ctx.settings.secret_values(),
    )
    if leaked:  # a turn that repeats its instructions or a secret is read by a coach first
        risk = {**risk, "level": "review", "reasons": [*risk["reasons"], *leaked]}
    return {"turn_risk": risk}


async def turn_review(state: CoachingState, config: RunnableConfig, runtime: Runtime[Context]) -> dict[str, Any]:
    """A coach reads a held AI turn before the member does (approval kind coaching_turn)."""
    result = await runtime.context.approval_graph.ainvoke(
        {
            "kind": "coaching_turn",
            "subject": {"member_id": state["member_id"]},
            "proposal": {"message": _draft(state)["message"]},
            "requested_by": runtime.context.actor,
            "reasons": state["turn_risk"]["reasons"],
            "approval_key": f"coaching_turn:{state['session_id']}:{state['turns']}",
        },
        config,
        context=runtime.context,
    )
    if result["decision"] == "reject":
        return {"review": dict(result), "turn_draft": None, "ended_by": "coach"}
    if result["decision"] == "edit":
        message = str((result.get("payload") or {})["message"])
        return {"review": dict(result), "turn_draft": {"message": message, "intent": "question", "by": "human_coach"}}
    return {"review": dict(result)}


async def deliver(state: CoachingState) -> dict[str, Any]:
    """Put the checked (or reviewed) turn into the conversation: from here the member sees it."""
    draft = state.get("turn_draft")
    if not draft:
        return {}
    message = AIMessage(
        draft["message"],
        name=draft.get("by") or "coach",
        id=f"coach-{state['turns']}",
        additional_kwargs={"intent": draft.get("intent", "question")},
    )
    return {"messages": [message], "turn_draft": None}


async def await_reply(state: CoachingState) -> dict[str, Any]:
    last = state["messages"][-1]
    value = interrupt({"type": "member_reply", "message": last.content, "turn": state["turns"]})
    reply = MemberReply.model_validate(value)
    if reply.end or reply.message is None:
        return {"ended_by": "member"}
    # keep a window of messages in state; older turns live on only as short quotes for the summary
    window = state["messages"][-(MESSAGE_WINDOW - 1) :]
    removals = [RemoveMessage(id=m.id) for m in state["messages"] if m not in window and m.id]
    return {
        "messages": [*removals, HumanMessage(reply.message, id=f"member-{state['turns']}")],
        "last_reply": reply.message,
        "replies": [*state.get("replies", []), clip(reply.message, 300)][-MESSAGE_WINDOW:],
    }


async def check_reply(state: CoachingState, runtime: Runtime[Context]) -> dict[str, Any]:
    ctx = runtime.context
    risk = await risk_assessor.combined_risk(
        ctx.risk, ctx.model, locale=state["locale"], title="", content=state["last_reply"], subject="reply"
    )
    return {"risk": risk}


async def risk_review(state: CoachingState, config: RunnableConfig, runtime: Runtime[Context]) -> dict[str, Any]:
    """A coach looks at a risky reply before the AI says anything more (approval kind coaching_risk)."""
    result = await runtime.context.approval_graph.ainvoke(
        {
            "kind": "coaching_risk",
            "subject": {"member_id": state["member_id"]},
            "proposal": {"reply": state["last_reply"], "next": "the AI coach continues the session"},
            "requested_by": runtime.context.actor,
            "reasons": state["risk"]["reasons"],
            "approval_key": f"coaching_risk:{state['session_id']}:{state['turns']}",
        },
        config,
        context=runtime.context,
    )
    update: dict[str, Any] = {"review": dict(result)}
    if result["decision"] == "reject":
        update["ended_by"] = "coach"
    elif result["decision"] == "edit" and (result.get("payload") or {}).get("message"):
        turn = state["turns"] + 1  # the coach speaks in place of the AI for this turn
        update.update(
            turns=turn, messages=[AIMessage(str(result["payload"]["message"]), name="human_coach", id=f"coach-{turn}")]
        )
    return update


SAME_STEP_COSINE = 0.85  # offline encoder: paraphrases ≈ 0.73–0.9, unrelated ≈ 0.1


async def _new_steps(
    ctx: Context, proposed: list[dict[str, Any]], existing: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Drop a proposed step that repeats one the member still has open (by meaning: the same text
    once normalised, or a close embedding), or an earlier proposal of this session."""
    open_titles = [str(s["title"]) for s in existing if s.get("status") != "done"]
    if not proposed:
        return []
    titles = [str(s["title"]) for s in proposed]
    vectors = np.asarray(await ctx.embedder.embed(titles + open_titles), dtype=np.float64)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True).clip(min=1e-9)
    kept: list[int] = []
    for i, title in enumerate(titles):
        key = "".join(title.split()).lower()
        earlier = [*kept, *range(len(titles), len(titles) + len(open_titles))]
        same_text = any("".join(t.split()).lower() == key for t in open_titles) or any(
            "".join(titles[j].split()).lower() == key for j in kept
        )
        close = any(float(vectors[i] @ vectors[j]) >= SAME_STEP_COSINE for j in earlier)
        if not (same_text or close):
            kept.append(i)
    return [proposed[i] for i in kept]


async def summarize(state: CoachingState, runtime: Runtime[Context]) -> dict[str, Any]:
    ctx = runtime.context
    result = await coach_agent.summarize(ctx.model, _facts(state, runtime), state.get("messages", []))
    steps = await _new_steps(ctx, [s.model_dump() for s in result.steps], state["member"].get("steps", []))
    return {"summary": result.summary, "proposal": {"steps": steps}}


async def propose_steps(state: CoachingState, config: RunnableConfig, runtime: Runtime[Context]) -> dict[str, Any]:
    """The member accepts, edits or rejects the proposed steps (approval kind coaching_steps)."""
    result = await runtime.context.approval_graph.ainvoke(
        {
            "kind": "coaching_steps",
            "subject": {"member_id": state["member_id"]},
            "proposal": state["proposal"],
            "requested_by": runtime.context.actor,
            "reasons": [],
            "approval_key": f"coaching_steps:{state['session_id']}",
        },
        config,
        context=runtime.context,
    )
    return {"review": dict(result), "approval_id": result["approval_id"]}


async def save(state: CoachingState, config: RunnableConfig, runtime: Runtime[Context]) -> dict[str, Any]:
    thread_id, _ = ids_of(config)
    ctx = runtime.context
    review = state["review"]
    accepted = {
        "approve": state["proposal"]["steps"],
        "edit": (review.get("payload") or {}).get("steps", []),
        "reject": [],
    }[review["decision"]]
    member_id = uuid.UUID(state["member_id"])
    session_id = uuid.UUID(state["session_id"])
    goal_hint = (state.get("context") or {}).get("goal_id")
    async with ctx.sessions.begin() as session:
        goal_id = await coaching.active_goal(session, member_id, uuid.UUID(goal_hint) if goal_hint else None)
        saved = await coaching.save_steps(
            session, session_id=session_id, member_id=member_id, goal_id=goal_id, steps=accepted
        )
        await coaching.save_session(
            session,
            session_id=session_id,
            member_id=member_id,
            thread_id=thread_id,
            session_type=state["session_type"],
            summary=state["summary"],
        )
        await members.award_points(session, member_id, "coaching_session", str(session_id), 10 + 2 * len(saved))
    await coaching.remember(  # after the commit: a replay rewrites the same item
        runtime.store,  # type: ignore[arg-type]
        member_id=member_id,
        session_id=session_id,
        thread_id=thread_id,
        session_type=state["session_type"],
        summary=state["summary"],
        day=ctx.clock().date().isoformat(),
    )
    return {
        "steps": saved,
        "generated_by": llm.generated_by(ctx.model, state["locale"]),
        "ended_by": state.get("ended_by") or "member",
    }

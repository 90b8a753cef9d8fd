"""The coaching graph in-process on the real checkpointer: ending on the goal, English, idempotent saves."""

from __future__ import annotations

import uuid
from typing import Any

import numpy as np
from langgraph.types import Command
from sqlalchemy import func, select

from asoto.graphs.context import run_config
from asoto.persistence.models import CoachingSession, PointEvent, Step
from asoto.runtime.resources import Resources

from .conftest import first_member


async def _run(res: Resources, thread: uuid.UUID, payload: Any) -> dict[str, Any]:
    return await res.graphs["coaching"].ainvoke(
        payload, run_config(thread, uuid.uuid4()), context=res.context(actor="member:test"), durability="sync"
    )


async def test_the_session_ends_when_the_plans_goal_is_reached(resources: Resources) -> None:
    member = await first_member(resources)
    thread = uuid.uuid4()
    out = await _run(resources, thread, {"member_id": str(member.id), "session_type": "step_planning"})
    for i in range(10):
        if out["__interrupt__"][0].value["type"] != "member_reply":
            break
        out = await _run(resources, thread, Command(resume={"message": f"{i + 1}つ目の答えです"}))
    assert out["__interrupt__"][0].value["kind"] == "coaching_steps"
    final = await _run(resources, thread, Command(resume={"decision": "approve", "decided_by": "member:test"}))
    assert final["ended_by"] == "goal_reached" and final["turns"] == 7  # six agenda questions, then the wrap-up
    # saving again (a replayed node) writes nothing twice
    async with resources.db.sessions() as session:
        steps = await session.scalar(
            select(func.count()).select_from(Step).where(Step.id.in_([uuid.UUID(s["step_id"]) for s in final["steps"]]))
        )
        sessions = await session.scalar(
            select(func.count())
            .select_from(CoachingSession)
            .where(CoachingSession.id == uuid.UUID(final["session_id"]))
        )
        points = await session.scalar(
            select(func.count())
            .select_from(PointEvent)
            .where(PointEvent.source == "coaching_session", PointEvent.source_id == final["session_id"])
        )
    assert (steps, sessions, points) == (len(final["steps"]), 1, 1)


async def test_an_english_session(resources: Resources) -> None:
    member = await first_member(resources, locale="en")
    thread = uuid.uuid4()
    out = await _run(resources, thread, {"member_id": str(member.id), "session_type": "check_in"})
    assert out["__interrupt__"][0].value["message"].startswith(f"Hello {member.name}")
    out = await _run(resources, thread, Command(resume={"message": "It was a busy but good week."}))
    follow_up = out["__interrupt__"][0].value["message"]
    assert '"It was a busy but good week."' in follow_up and follow_up.endswith("?")
    out = await _run(resources, thread, Command(resume={"end": True}))
    # English text; an interest stays as the member stored it (the seed stores interests in Japanese)
    from asoto.tools.text import language_of

    assert all(language_of(s["description"]) == "en" for s in out["__interrupt__"][0].value["proposal"]["steps"])


def test_coaching_topology() -> None:
    from asoto.graphs.coaching import builder

    graph = builder.compile().get_graph()
    edges = {(e.source, e.target) for e in graph.edges}
    assert {
        ("coach", "check_turn"),
        ("check_turn", "deliver"),
        ("check_turn", "turn_review"),
        ("turn_review", "deliver"),
        ("deliver", "await_reply"),
        ("deliver", "summarize"),
        ("await_reply", "check_reply"),
        ("check_reply", "risk_review"),
        ("check_reply", "coach"),
        ("risk_review", "coach"),
        ("summarize", "propose_steps"),
        ("propose_steps", "save"),
    } <= edges


async def test_a_harmful_ai_turn_is_held_and_never_delivered(resources: Resources) -> None:
    """The AI's own words go through the gate: harmful advice waits for a coach, and the member's
    conversation never contains it; the coach's edit is what the member reads."""
    import dataclasses

    from .conftest import ScriptedModel

    harmful = "眠れないなら、睡眠薬をいつもの倍飲んでみましょう。"
    model = ScriptedModel(
        {
            "coaching.turn": [{"message": harmful, "intent": "suggestion"}],
            "risk.assess": [{"level": "none", "reasons": []}],
        }
    )
    member = await first_member(resources)
    thread = uuid.uuid4()
    context = dataclasses.replace(resources.context(actor="member:test"), model=model)
    graph = resources.graphs["coaching"]
    config = run_config(thread, uuid.uuid4())
    out = await graph.ainvoke(
        {"member_id": str(member.id), "session_type": "check_in"}, config, context=context, durability="sync"
    )
    [pending] = out["__interrupt__"]
    assert pending.value["kind"] == "coaching_turn" and "overdose" in pending.value["reasons"]
    state = await graph.aget_state({"configurable": {"thread_id": str(thread)}})
    assert all(harmful not in str(m.content) for m in state.values.get("messages", []))
    edited = "コーチの佐藤です。眠れない日が続いているのですね。薬のことは主治医に相談しましょう。今の様子を聞かせてください。"
    out = await graph.ainvoke(
        Command(resume={"decision": "edit", "payload": {"message": edited}, "decided_by": "coach:test"}),
        run_config(thread, uuid.uuid4()),
        context=context,
        durability="sync",
    )
    assert out["__interrupt__"][0].value == {"type": "member_reply", "message": edited, "turn": 1}
    state = await graph.aget_state({"configurable": {"thread_id": str(thread)}})
    assert [m.content for m in state.values["messages"]] == [edited]
    assert state.values["messages"][0].name == "human_coach"


async def test_steps_come_from_the_conversation_and_never_duplicate_pending_ones(resources: Resources) -> None:
    """The member's own proposed action leads, each step cites its turn, quotes are whole, and
    four sessions on the same ground leave no two pending steps that mean the same."""
    from asoto.persistence.models import Step

    member = await first_member(resources, offset=5)
    replies = [
        "英語で会議に出られるようになりたい",
        "今は聞き取れないことが多くて焦る",
        "毎朝15分、英語のポッドキャストを聞いてみたい",
    ]
    for session_number in range(4):
        thread = uuid.uuid4()
        out = await _run(resources, thread, {"member_id": str(member.id), "session_type": "goal_setting"})
        for reply in replies:
            out = await _run(resources, thread, Command(resume={"message": reply}))
            turn = out["__interrupt__"][0].value["message"]
            assert "…」" not in turn  # never a quote cut mid-way
        out = await _run(resources, thread, Command(resume={"end": True}))
        steps = out["__interrupt__"][0].value["proposal"]["steps"]
        if session_number == 0:
            assert steps[0]["title"] == "毎朝15分、英語のポッドキャストを聞いてみる"
            assert steps[0]["description"].startswith("3回目の返信")
        await _run(resources, thread, Command(resume={"decision": "approve", "decided_by": "member:test"}))
    async with resources.db.sessions() as session:
        titles = list(
            (
                await session.scalars(select(Step.title).where(Step.member_id == member.id, Step.status == "pending"))
            ).all()
        )
    vectors = np.asarray(await resources.embedder.embed(titles))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    close = [
        (a, b) for i, a in enumerate(titles) for j, b in enumerate(titles) if i < j and vectors[i] @ vectors[j] >= 0.85
    ]
    assert len(titles) == len(set(titles)) and not close, close

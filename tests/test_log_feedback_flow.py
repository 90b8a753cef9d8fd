"""The log_feedback graph on the real Postgres checkpointer, driven through interrupt/resume."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

import pytest
from langgraph.types import Command
from sqlalchemy import func, select

from asoto.graphs.context import run_config
from asoto.persistence.models import Approval, AuditEvent, Log, Member, PointEvent
from asoto.runtime.resources import Resources

from .conftest import GOOD_DRAFT, ORDINARY_LOG, RISKY_LOG, ScriptedModel, first_member


async def _run(
    res: Resources, payload: Any, thread_id: uuid.UUID, *, actor: str = "service:test", model: Any = None
) -> dict[str, Any]:
    graph = res.graphs["log_feedback"]
    context = res.context(actor=actor)
    if model is not None:
        context = dataclasses.replace(context, model=model)
    return await graph.ainvoke(payload, run_config(thread_id, uuid.uuid4()), context=context, durability="sync")


async def _visited(res: Resources, thread_id: uuid.UUID) -> list[str]:
    graph = res.graphs["log_feedback"]
    steps = [s async for s in graph.aget_state_history({"configurable": {"thread_id": str(thread_id)}})]
    names: list[str] = []
    for snapshot in reversed(steps):  # oldest first; ``next`` is what ran after each checkpoint
        names.extend(n for n in snapshot.next if n != "__start__")
    return names


async def test_happy_path_publishes_feedback_and_updates_scores(resources: Resources) -> None:
    member = await first_member(resources)
    thread_id = uuid.uuid4()
    out = await _run(resources, {"member_id": str(member.id), "log": ORDINARY_LOG}, thread_id)
    assert out["status"] == "published"
    assert set(out["feedback"]) == {"affirmation", "insight", "question", "next_action"}
    assert all(isinstance(v, str) and v for v in out["feedback"].values())
    assert out["risk"]["level"] == "none" and out["risk"]["reasons"] == [] and out["risk"]["evidence"] == []
    assert set(out["scores"]) == {"relationship", "activity", "sensitivity"}
    assert all(isinstance(v, int) and 0 <= v <= 100 for v in out["scores"].values())
    assert out["generated_by"]["provider"] == "offline" and "オフライン" in out["generated_by"]["label"]
    assert out["similar_logs"] and all(s["log_id"] != out["log_id"] for s in out["similar_logs"])
    async with resources.db.sessions() as session:
        log = await session.get(Log, uuid.UUID(out["log_id"]))
        assert log is not None and log.feedback_status == "published" and log.feedback == out["feedback"]
        assert log.member_id == member.id and log.embedding_model == resources.embedder.model_id
        fresh = await session.get(Member, member.id)
        assert fresh is not None and fresh.relationship_score == out["scores"]["relationship"]
        points = await session.scalar(select(func.sum(PointEvent.points)).where(PointEvent.member_id == member.id))
        assert points == 15
    assert "review" not in await _visited(resources, thread_id)


async def test_similar_logs_are_only_the_members_own(resources: Resources) -> None:
    member = await first_member(resources)
    out = await _run(resources, {"member_id": str(member.id), "log": ORDINARY_LOG}, uuid.uuid4())
    async with resources.db.sessions() as session:
        owners = set(
            (
                await session.scalars(
                    select(Log.member_id).where(Log.id.in_([uuid.UUID(s["log_id"]) for s in out["similar_logs"]]))
                )
            ).all()
        )
    assert owners == {member.id}


async def test_redraft_path_fixes_a_bad_draft(resources: Resources) -> None:
    member = await first_member(resources)
    model = ScriptedModel(
        {
            "log_feedback.draft": [{**GOOD_DRAFT, "question": ""}, GOOD_DRAFT],
            "risk.assess": [{"level": "none", "reasons": []}],
        }
    )
    thread_id = uuid.uuid4()
    out = await _run(resources, {"member_id": str(member.id), "log": ORDINARY_LOG}, thread_id, model=model)
    assert out["status"] == "published" and out["feedback"] == GOOD_DRAFT
    drafts = [facts for task, facts in model.calls if task == "log_feedback.draft"]
    assert len(drafts) == 2 and drafts[1]["issues"] == ["question is empty"]
    assert (await _visited(resources, thread_id)).count("draft") == 2


async def test_a_draft_that_never_passes_goes_to_a_person(resources: Resources) -> None:
    member = await first_member(resources)
    model = ScriptedModel(
        {
            "log_feedback.draft": [{**GOOD_DRAFT, "question": "考えてみましょう。"}],
            "risk.assess": [{"level": "none", "reasons": []}],
        }
    )
    thread_id = uuid.uuid4()
    out = await _run(resources, {"member_id": str(member.id), "log": ORDINARY_LOG}, thread_id, model=model)
    [pending] = out["__interrupt__"]
    assert pending.value["reasons"] == ["quality_check_failed"]
    assert (await _visited(resources, thread_id)).count("draft") == 3  # one draft + two redrafts


async def test_a_model_can_add_risk_but_never_clear_it(resources: Resources) -> None:
    member = await first_member(resources)
    adds = ScriptedModel(
        {"log_feedback.draft": [GOOD_DRAFT], "risk.assess": [{"level": "review", "reasons": ["harassment"]}]}
    )
    out = await _run(resources, {"member_id": str(member.id), "log": ORDINARY_LOG}, uuid.uuid4(), model=adds)
    assert out["risk"]["reasons"] == ["harassment"] and "__interrupt__" in out
    clears = ScriptedModel({"log_feedback.draft": [GOOD_DRAFT], "risk.assess": [{"level": "none", "reasons": []}]})
    out = await _run(resources, {"member_id": str(member.id), "log": RISKY_LOG}, uuid.uuid4(), model=clears)
    assert out["risk"]["level"] == "review" and "__interrupt__" in out


async def _risky(resources: Resources) -> tuple[uuid.UUID, dict[str, Any], Member]:
    member = await first_member(resources)
    thread_id = uuid.uuid4()
    out = await _run(resources, {"member_id": str(member.id), "log": RISKY_LOG}, thread_id)
    return thread_id, out, member


async def test_risky_log_waits_for_a_person_and_is_never_published_before(resources: Resources) -> None:
    thread_id, out, _ = await _risky(resources)
    [pending] = out["__interrupt__"]
    value = pending.value
    assert value["type"] == "approval" and value["kind"] == "log_feedback"
    assert {"suicidal", "severe_distress"} <= set(value["reasons"])
    assert set(value["proposal"]["feedback"]) == {"affirmation", "insight", "question", "next_action"}
    assert out["status"] == "pending_review"
    async with resources.db.sessions() as session:
        log = await session.get(Log, uuid.UUID(out["log_id"]))
        approval = await session.get(Approval, uuid.UUID(value["approval_id"]))
    assert log is not None and log.feedback_status == "pending_review" and log.feedback is None
    assert approval is not None and approval.status == "pending" and approval.thread_id == thread_id
    state = await resources.graphs["log_feedback"].aget_state({"configurable": {"thread_id": str(thread_id)}})
    assert state.next == ("review",)


@pytest.mark.parametrize("decision", ["approve", "edit", "reject"])
async def test_risky_log_decisions(resources: Resources, decision: str) -> None:
    thread_id, out, _ = await _risky(resources)
    approval_id = out["__interrupt__"][0].value["approval_id"]
    edited = {**GOOD_DRAFT, "affirmation": "書いてくれてありがとう。コーチから連絡します。"}
    resume: dict[str, Any] = {"decision": decision, "decided_by": "coach:abc", "comment": "確認済み"}
    if decision == "edit":
        resume["payload"] = {"feedback": edited}
    final = await _run(resources, Command(resume=resume), thread_id)
    expected = {
        "approve": ("published", out["__interrupt__"][0].value["proposal"]["feedback"]),
        "edit": ("published", edited),
        "reject": ("rejected", None),
    }[decision]
    assert final["status"] == expected[0]
    if expected[1] is not None:
        assert final["feedback"] == expected[1]
    async with resources.db.sessions() as session:
        log = await session.get(Log, uuid.UUID(final["log_id"]))
        approval = await session.get(Approval, uuid.UUID(approval_id))
        trail = (
            await session.scalars(
                select(AuditEvent.action).where(AuditEvent.subject_id == approval_id).order_by(AuditEvent.id)
            )
        ).all()
    assert log is not None and log.feedback_status == expected[0]
    assert approval is not None and approval.decided_by == "coach:abc" and approval.decision == decision
    assert trail == [
        "approval.created",
        f"approval.{ {'approve': 'approved', 'edit': 'edited', 'reject': 'rejected'}[decision] }",
        "approval.applied",
    ]


async def test_resume_with_an_invalid_edit_fails_without_publishing(resources: Resources) -> None:
    thread_id, out, _ = await _risky(resources)
    with pytest.raises(Exception, match="feedback"):
        await _run(
            resources, Command(resume={"decision": "edit", "payload": {"feedback": {"affirmation": ""}}}), thread_id
        )
    async with resources.db.sessions() as session:
        log = await session.get(Log, uuid.UUID(out["log_id"]))
    assert log is not None and log.feedback_status == "pending_review"


async def test_nodes_before_the_interrupt_are_idempotent(resources: Resources) -> None:
    """Replaying the flow's first nodes for the same run writes no second log or approval."""
    member = await first_member(resources)
    graph = resources.graphs["log_feedback"]
    thread_id, run_id = uuid.uuid4(), uuid.uuid4()
    payload = {"member_id": str(member.id), "log": RISKY_LOG}
    for _ in range(2):  # same run id, as a retried attempt would have
        await graph.ainvoke(payload, run_config(thread_id, run_id), context=resources.context(), durability="sync")
    async with resources.db.sessions() as session:
        logs = await session.scalar(select(func.count()).select_from(Log).where(Log.thread_id == thread_id))
        approvals = await session.scalar(
            select(func.count()).select_from(Approval).where(Approval.thread_id == thread_id)
        )
    assert (logs, approvals) == (1, 1)


def test_graph_topology() -> None:
    from asoto.graphs.log_feedback import builder

    graph = builder.compile().get_graph()
    nodes = set(graph.nodes) - {"__start__", "__end__"}
    assert nodes == {
        "load_context",
        "store_log",
        "retrieve_similar",
        "score",
        "risk_check",
        "draft",
        "check",
        "hold",
        "review",
        "publish",
        "reject",
    }
    edges = {(e.source, e.target) for e in graph.edges}
    assert {
        ("check", "draft"),
        ("check", "hold"),
        ("check", "publish"),
        ("review", "publish"),
        ("review", "reject"),
    } <= edges
    assert "risk_check" in graph.draw_mermaid()


async def test_an_english_member_gets_english_feedback(resources: Resources) -> None:
    member = await first_member(resources, locale="en")
    log = {"title": "Morning", "content": "I went for a 5 km run this morning and felt great. I want to keep going."}
    out = await _run(resources, {"member_id": str(member.id), "log": log}, uuid.uuid4())
    assert out["status"] == "published"
    assert "I went for a 5 km run this morning and felt great." in out["feedback"]["affirmation"]
    assert out["generated_by"]["label"].startswith("Offline")
    from asoto.tools.text import language_of

    assert all(language_of(part) == "en" for part in out["feedback"].values())


async def test_every_category_of_the_frozen_split_is_held_by_the_flow_as_by_the_gate(resources: Resources) -> None:
    """A sample of each category's test texts through the real flow: whatever the gate holds, the
    flow holds (never published, a person decides); the sample is held at the gate's recall."""
    from asoto.safety.categories import CATEGORIES
    from asoto.safety.dataset import load

    member = await first_member(resources)
    test_split = [i for i in load("test") if i.risky]
    held = total = 0
    for category in CATEGORIES:
        sample = [i for i in test_split if i.label == category][:3]
        for item in sample:
            expected = resources.risk.check_sync(f"リスク確認\n{item.text}").level == "review"
            out = await _run(
                resources,
                {"member_id": str(member.id), "log": {"title": "リスク確認", "content": item.text}},
                uuid.uuid4(),
            )
            flow_held = "__interrupt__" in out
            assert flow_held == expected, item.text
            if flow_held:
                assert out["status"] == "pending_review" and out["__interrupt__"][0].value["kind"] == "log_feedback"
            held += flow_held
            total += 1
    assert held / total >= 0.9


async def test_a_failing_risk_model_holds_the_log(resources: Resources) -> None:
    class Failing(ScriptedModel):
        async def generate(self, task: str, schema: Any, messages: Any, facts: Any) -> Any:
            if task == "risk.assess":
                raise TimeoutError("provider timed out")
            return await super().generate(task, schema, messages, facts)

    member = await first_member(resources)
    out = await _run(
        resources,
        {"member_id": str(member.id), "log": ORDINARY_LOG},
        uuid.uuid4(),
        model=Failing({"log_feedback.draft": [GOOD_DRAFT]}),
    )
    assert out["status"] == "pending_review" and "risk_check_unavailable" in out["risk"]["reasons"]
    assert "__interrupt__" in out


async def test_the_same_valid_draft_is_never_held_for_quality_whoever_writes_the_log(resources: Resources) -> None:
    """Issue 11 item 8: a fake model returning one valid Japanese draft sent 1 in ~40 ordinary logs
    to a person as ``quality_check_failed``. The cause was the member, not timing: one seeded member
    in 20 has locale ``en``, and the check required English there even when the member wrote in
    Japanese. The feedback may be in the member's language or in the language of the log."""
    model = ScriptedModel({"log_feedback.draft": [GOOD_DRAFT], "risk.assess": [{"level": "none", "reasons": []}]})
    async with resources.db.sessions() as session:
        english = (await session.scalars(select(Member).where(Member.locale == "en").limit(10))).all()
        japanese = (await session.scalars(select(Member).where(Member.locale == "ja").limit(30))).all()
    assert len(english) == 10
    held = []
    for member in [*english, *japanese]:
        out = await _run(resources, {"member_id": str(member.id), "log": ORDINARY_LOG}, uuid.uuid4(), model=model)
        if out["status"] != "published":
            held.append((member.locale, out["__interrupt__"][0].value["reasons"]))
    assert held == []


async def test_a_draft_in_neither_language_is_held_and_the_reason_says_why(resources: Resources) -> None:
    member = await first_member(resources, locale="en")
    log = {"title": "Morning", "content": "I went for a 5 km run this morning and felt great. I want to keep going."}
    model = ScriptedModel({"log_feedback.draft": [GOOD_DRAFT], "risk.assess": [{"level": "none", "reasons": []}]})
    out = await _run(resources, {"member_id": str(member.id), "log": log}, uuid.uuid4(), model=model)
    assert out["status"] == "pending_review"
    request = out["__interrupt__"][0].value
    assert request["reasons"] == ["quality_check_failed"]
    assert request["proposal"]["issues"] == ["feedback is not written in English"]


@pytest.mark.parametrize("locale", ["ja", "en"])
async def test_the_offline_writer_passes_its_own_check_across_languages(resources: Resources, locale: str) -> None:
    """Members write in the other language too (an English-locale member writing Japanese, and the
    reverse); the offline writer's output must pass the same check, or every such log is held."""
    member = await first_member(resources, locale=locale)
    logs = [
        ORDINARY_LOG,
        {"title": "読書", "content": "通勤中に本を30ページ読んだ。新しい考え方に出会えて面白かった。"},
        {"title": "Morning", "content": "I went for a 5 km run this morning and felt great."},
        {"title": "Team", "content": "Had a long meeting with my team. We finally agreed on the plan for next month."},
        {"title": "mix", "content": "今日はSlackでteamとsyncした。Next stepを決めた。"},
    ]
    for log in logs:
        out = await _run(resources, {"member_id": str(member.id), "log": log}, uuid.uuid4())
        assert out["status"] == "published", (log, out["__interrupt__"][0].value, out.get("draft"))

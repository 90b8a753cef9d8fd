"""Time travel and breakpoints through the runs API, on the real checkpointer and worker: a fork
from a past checkpoint (new lineage, the old one intact, the same end for a deterministic flow),
effects exactly once across a replay, ``interrupt_before`` and continuing from it, and who may."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from langgraph_sdk import get_client
from sqlalchemy import func, select

from asoto.config import Settings
from asoto.persistence.models import ApprovalEffect, AuditEvent, Log, PointEvent
from asoto.runtime.resources import Resources

from .apptools import live_server
from .conftest import ORDINARY_LOG, RISKY_LOG, Api, first_member, make_key

COMPARED = ("status", "draft", "feedback", "risk", "log_id")


async def _history(api: Api, thread_id: str, key: str) -> list[dict[str, Any]]:
    r = await api.client.post(f"/threads/{thread_id}/history", json={"limit": 100}, headers=api.as_key(key))
    assert r.status_code == 200, r.text
    return list(r.json())


async def _effects(api: Api) -> tuple[int, int, int]:
    async with api.res.db.sessions() as session:
        return (
            int(await session.scalar(select(func.count()).select_from(PointEvent)) or 0),
            int(await session.scalar(select(func.count()).select_from(ApprovalEffect)) or 0),
            int(await session.scalar(select(func.count()).select_from(Log)) or 0),
        )


def _at(history: list[dict[str, Any]], node: str) -> str:
    """The checkpoint from which ``node`` ran (the newest one, on the current lineage)."""
    return next(s["checkpoint"]["checkpoint_id"] for s in history if s["next"] == [node])


async def test_a_fork_from_a_past_checkpoint_is_a_new_lineage_with_the_same_end(api: Api) -> None:
    admin = await make_key(api.res, "admin")
    thread_id = await api.thread()
    assert (await api.wait(thread_id, api.log_body(ORDINARY_LOG))).status_code == 200
    before = await _history(api, thread_id, admin)
    original = before[0]["values"]  # as an admin sees it (a service key sees less of the risk)
    effects = await _effects(api)
    fork_point = _at(before, "draft")
    forked = await api.wait(thread_id, {"assistant_id": "log_feedback", "checkpoint_id": fork_point}, admin)
    assert forked.status_code == 200, forked.text
    assert forked.json()["feedback"] == original["feedback"]
    after = await _history(api, thread_id, admin)
    assert {k: after[0]["values"].get(k) for k in COMPARED} == {k: original.get(k) for k in COMPARED}
    old_ids = {s["checkpoint"]["checkpoint_id"] for s in before}
    assert old_ids < {s["checkpoint"]["checkpoint_id"] for s in after}  # the old lineage is intact
    head = after[0]
    assert head["checkpoint"]["checkpoint_id"] not in old_ids and head["next"] == []
    # the new head descends from the fork point, not from the old head
    by_id = {s["checkpoint"]["checkpoint_id"]: s for s in after}
    chain, step = [], head
    while step.get("parent_checkpoint"):
        chain.append(step["parent_checkpoint"]["checkpoint_id"])
        step = by_id[chain[-1]]
    assert fork_point in chain and before[0]["checkpoint"]["checkpoint_id"] not in chain
    # the old head is still readable as it was
    old = (await api.client.get(f"/threads/{thread_id}/state/{before[0]['checkpoint']['checkpoint_id']}")).json()
    assert old["values"]["feedback"] == original["feedback"]
    # the replay passed publish again: no second award, no second log
    assert await _effects(api) == effects
    # the picture follows the new lineage
    trace = (await api.client.get(f"/threads/{thread_id}/graph")).json()["trace"]
    assert trace["finished"] and trace["visits"]["draft"] == 1


async def test_a_replay_past_a_decision_does_not_repeat_its_effects(api: Api) -> None:
    admin = await make_key(api.res, "admin")
    thread_id = await api.thread()
    [pending] = (await api.wait(thread_id, api.log_body(RISKY_LOG))).json()["__interrupt__"]
    decided = await api.wait(
        thread_id,
        {"assistant_id": "log_feedback", "command": {"resume": {pending["id"]: {"decision": "approve"}}}},
        api.coach,
    )
    assert decided.status_code == 200 and decided.json()["status"] == "published", decided.text
    effects = await _effects(api)
    history = await _history(api, thread_id, admin)
    replay = await api.wait(
        thread_id, {"assistant_id": "log_feedback", "checkpoint_id": _at(history, "publish")}, admin
    )
    assert replay.status_code == 200 and replay.json()["status"] == "published", replay.text
    assert await _effects(api) == effects  # points, approval effects and logs: each still once


async def test_breakpoints_stop_before_a_node_and_a_run_without_input_continues(api: Api) -> None:
    admin = await make_key(api.res, "admin")
    thread_id = await api.thread()
    body = {**api.log_body(ORDINARY_LOG), "interrupt_before": ["draft"]}
    stopped = await api.wait(thread_id, body, admin)
    assert stopped.status_code == 200, stopped.text
    assert "feedback" not in stopped.json()
    runs = (await api.client.get(f"/threads/{thread_id}/runs", headers=api.as_key(admin))).json()
    assert runs[0]["status"] == "interrupted"
    assert (await api.client.get(f"/threads/{thread_id}")).json()["status"] == "interrupted"
    state = (await api.client.get(f"/threads/{thread_id}/state", headers=api.as_key(admin))).json()
    assert state["next"] == ["draft"] and state["interrupts"] == []
    go_on = await api.wait(thread_id, {"assistant_id": "log_feedback"}, admin)
    assert go_on.status_code == 200 and go_on.json()["status"] == "published", go_on.text
    assert (await api.client.get(f"/threads/{thread_id}")).json()["status"] == "idle"
    # after a breakpoint: "*" stops after every node
    every = await api.wait(await api.thread(), {**api.log_body(ORDINARY_LOG), "interrupt_after": "*"}, admin)
    assert every.status_code == 200 and "feedback" not in every.json()


async def test_who_may_travel_and_what_bad_options_get(api: Api) -> None:
    admin = await make_key(api.res, "admin")
    member = await make_key(api.res, "member", uuid.UUID(api.member_id))
    thread_id = await api.thread(member)
    assert (await api.wait(thread_id, api.log_body(ORDINARY_LOG), member)).status_code == 200
    point = _at(await _history(api, thread_id, admin), "draft")
    fork = {"assistant_id": "log_feedback", "checkpoint_id": point}
    # built-in flows: admins only (members, coaches and services get 403), nothing runs
    for key in (member, api.coach, api.service):
        refused = await api.wait(thread_id, fork, key)
        assert (refused.status_code, refused.json()["code"]) == (403, "debug_requires_admin")
    # another member does not learn the thread exists: 404 on edits and copies of it (a fork is the
    # 403 above for any thread id, before the thread is read: it says nothing about this one)
    other = await first_member(api.res, offset=1)
    stranger = await make_key(api.res, "member", other.id)
    for path, body in (
        (f"/threads/{thread_id}/state", {"values": {"draft": None}, "as_node": "draft"}),
        (f"/threads/{thread_id}/copy", None),
    ):
        r = await api.client.post(path, json=body, headers=api.as_key(stranger))
        assert (r.status_code, r.json()["code"]) == (404, "thread_not_found"), path
    # a run with neither input nor resume from a non-admin is still the old 422
    plain = await api.wait(thread_id, {"assistant_id": "log_feedback"}, member)
    assert (plain.status_code, plain.json()["code"]) == (422, "input_or_command")
    bad = [
        ({"checkpoint_id": "1f0-no-such"}, 404, "checkpoint_not_found"),
        ({"checkpoint": {"checkpoint_id": point, "checkpoint_ns": "review:1"}}, 422, "unsupported_option"),
        ({"checkpoint": "yesterday"}, 422, "invalid_checkpoint"),
        ({"interrupt_before": ["no_such_node"]}, 422, "unknown_node"),
        ({"interrupt_after": "draft"}, 422, "invalid_breakpoints"),
    ]
    for extra, status, code in bad:
        r = await api.wait(thread_id, {"assistant_id": "log_feedback", **extra}, admin)
        assert (r.status_code, r.json()["code"]) == (status, code), (extra, r.text)
    # a fresh thread has nothing to continue from
    empty = await api.thread()
    r = await api.wait(empty, {"assistant_id": "log_feedback"}, admin)
    assert (r.status_code, r.json()["code"]) == (422, "input_or_command")
    # the checkpoint form the SDK sends works like checkpoint_id
    ok = await api.wait(thread_id, {"assistant_id": "log_feedback", "checkpoint": {"checkpoint_id": point}}, admin)
    assert ok.status_code == 200 and ok.json()["status"] == "published"


async def test_the_sdk_forks_sets_breakpoints_updates_state_and_copies(
    settings: Settings, db_uri: str, embedder: Any, resources: Resources
) -> None:
    admin_key = await make_key(resources, "admin")
    service_key = await make_key(resources, "service")
    member = await first_member(resources)
    log_input = {"member_id": str(member.id), "log": ORDINARY_LOG}
    with live_server(settings, db_uri, embedder) as url:
        admin = get_client(url=url, api_key=admin_key)
        service = get_client(url=url, api_key=service_key)
        thread = await admin.threads.create()
        tid = thread["thread_id"]
        # a breakpoint, then the state edited as the node that would have run, then continue
        await admin.runs.wait(tid, "log_feedback", input=log_input, interrupt_before=["draft"])
        state = await admin.threads.get_state(tid)
        assert state["next"] == ["draft"]
        draft = {
            "affirmation": "手で書いた肯定です。",
            "insight": "手で書いた気づきです。",
            "question": "手で書いた問いですか？",
            "next_action": "手で書いた次の一歩です。",
        }
        saved = await admin.threads.update_state(tid, {"draft": draft}, as_node="draft")
        assert saved["checkpoint"]["checkpoint_id"] != state["checkpoint"]["checkpoint_id"]
        edited = await admin.threads.get_state(tid)
        assert edited["next"] == ["check"] and edited["values"]["draft"] == draft
        assert edited["metadata"]["source"] == "update"
        done = await admin.runs.wait(tid, "log_feedback", input=None)
        assert isinstance(done, dict) and done["feedback"] == draft and done["status"] == "published"
        # the edit is audited with the keys it wrote, not their text
        async with resources.db.sessions() as session:
            trail = (
                await session.scalars(
                    select(AuditEvent).where(AuditEvent.subject_id == tid, AuditEvent.action == "thread.state_updated")
                )
            ).all()
        assert [(e.actor, e.data["as_node"], e.data["keys"]) for e in trail] == [
            (e.actor, "draft", ["draft"]) for e in trail
        ]
        assert len(trail) == 1 and "手で書いた" not in str(trail[0].data)
        # a copy has the same state and history, under a new id; the original is untouched
        copied = await admin.threads.copy(tid)
        assert copied["thread_id"] != tid and copied["metadata"]["copied_from"] == tid
        copy_state = await admin.threads.get_state(copied["thread_id"])
        assert copy_state["values"]["feedback"] == draft
        assert len(await admin.threads.get_history(copied["thread_id"], limit=100)) == len(
            await admin.threads.get_history(tid, limit=100)
        )
        # a fork through the SDK's checkpoint_id from before the edit: the offline draft again
        history = await admin.threads.get_history(tid, limit=100)
        before_edit = next(s for s in history if s["next"] == ["draft"])
        forked = await admin.runs.wait(
            tid, "log_feedback", input=None, checkpoint_id=before_edit["checkpoint"]["checkpoint_id"]
        )
        assert isinstance(forked, dict) and forked["feedback"] != draft
        # who may: a service key gets 403 for edits, copies and forks of a built-in flow's thread
        for call in (
            service.threads.update_state(tid, {"draft": draft}, as_node="draft"),
            service.threads.copy(tid),
        ):
            with pytest.raises(httpx.HTTPStatusError) as refused:
                await call
            assert refused.value.response.status_code == 403
            assert refused.value.response.json()["code"] == "debug_requires_admin"
        with pytest.raises(httpx.HTTPStatusError) as bad:
            await admin.threads.update_state(tid, {"draft": draft}, as_node="no_such_node")
        assert bad.value.response.json()["code"] == "unknown_node"

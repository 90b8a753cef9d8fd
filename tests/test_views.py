"""Who sees a draft that waits for a person: the role matrix of ``services.views``, through every
endpoint that returns thread or run data (ASGI client, real worker, real Postgres).

A risky log's AI feedback is held for a coach. Its text must appear in no response to the
member who wrote it, nor to a service key (the product's backend, which shows things to
members), and must reach coaches and admins. The member still sees that the log waits.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from asoto.agents.care import care_feedback
from asoto.runtime.resources import Resources

from .conftest import RISKY_LOG, Api, first_member, make_key


async def _everything(client: httpx.AsyncClient, key: str, thread_id: str, run_id: str, approval_id: str) -> str:
    """Every read of this thread, its runs and its approval, as one text to search."""
    headers = {"x-api-key": key}
    reads: list[Any] = []
    for path in (
        f"/threads/{thread_id}",
        f"/threads/{thread_id}/state",
        f"/threads/{thread_id}/history",
        f"/threads/{thread_id}/runs",
        f"/threads/{thread_id}/runs/{run_id}",
        f"/threads/{thread_id}/runs/{run_id}/join",
        f"/threads/{thread_id}/runs/{run_id}/stream",
        f"/approvals/{approval_id}",
        "/approvals?status=pending&kind=log_feedback",
    ):
        response = await client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.text)
        reads.append(response.text)
    history = json.loads(reads[2])
    for snapshot in history:  # state at each checkpoint
        checkpoint = snapshot["checkpoint"]["checkpoint_id"]
        response = await client.get(f"/threads/{thread_id}/state/{checkpoint}", headers=headers)
        reads.append(response.text)
    response = await client.post("/threads/search", json={"ids": [thread_id]}, headers=headers)
    reads.append(response.text)
    response = await client.post(f"/threads/{thread_id}/history", json={"limit": 50}, headers=headers)
    reads.append(response.text)
    return "\n".join(reads)


async def test_a_held_draft_is_seen_by_its_deciders_only(api: Api, resources: Resources) -> None:
    member = await first_member(resources)
    member_key = await make_key(resources, "member", member.id)
    admin_key = await make_key(resources, "admin")
    thread_id = await api.thread(member_key)
    # the member starts it as a stream: the stored events are replayed to each reader below
    async with api.client.stream(
        "POST",
        f"/threads/{thread_id}/runs/stream",
        json={**api.log_body(RISKY_LOG, str(member.id)), "stream_mode": ["values", "updates"]},
        headers=api.as_key(member_key),
    ) as response:
        assert response.status_code == 200
        streamed = "".join([chunk async for chunk in response.aiter_text()])
    run_id = (await api.client.get(f"/threads/{thread_id}/runs", headers=api.as_key(member_key))).json()[0]["run_id"]
    coach_view = (await api.client.get(f"/threads/{thread_id}", headers=api.as_key(api.coach))).json()
    [[pending]] = coach_view["interrupts"].values()
    approval_id = pending["value"]["approval_id"]
    draft = pending["value"]["proposal"]["feedback"]
    assert draft == care_feedback("ja", pending["value"]["reasons"])  # what the coach reviews
    draft_texts = [draft["insight"], draft["next_action"]]

    for who, key in (("member", member_key), ("service", api.service)):
        seen = streamed + await _everything(api.client, key, thread_id, run_id, approval_id)
        for text in draft_texts:
            assert text not in seen, f"the {who} saw the draft"
        assert "evidence" not in seen, f"the {who} saw the coach-facing evidence"
        await asyncio.sleep(1.05)  # a member key may make 20 requests a second (services.limits)
        result = (await api.client.get(f"/threads/{thread_id}/runs/{run_id}/join", headers=api.as_key(key))).json()
        assert result["status"] == "pending_review"  # they see that it waits for a person
        [interrupt] = result["__interrupt__"]
        assert interrupt["value"] == {
            "type": "approval",
            "approval_id": approval_id,
            "kind": "log_feedback",
            "status": "pending_review",
            "message": "a person is reviewing this before anything is shown",
        }

    for who, key in (("coach", api.coach), ("admin", admin_key)):
        seen = await _everything(api.client, key, thread_id, run_id, approval_id)
        for text in draft_texts:
            assert text in seen, f"the {who} cannot see the draft"

    # once a coach approves it, the member reads the published feedback
    decided = await api.client.post(
        f"/approvals/{approval_id}/decision", json={"decision": "approve"}, headers=api.as_key(api.coach)
    )
    assert decided.status_code == 200
    run = decided.json()["run"]
    final = (
        await api.client.get(f"/threads/{thread_id}/runs/{run['run_id']}/join", headers=api.as_key(member_key))
    ).json()
    assert final["status"] == "published" and final["feedback"]["insight"] == draft["insight"]


async def test_results_are_the_declared_outputs_only(api: Api) -> None:
    thread_id = await api.thread()
    values = (await api.wait(thread_id, api.log_body())).json()
    internal = {"member", "draft", "signals", "drafts", "issues", "redraft", "review_reasons", "decision", "locale"}
    assert not internal & set(values)
    assert {"log_id", "feedback", "status", "scores", "generated_by"} <= set(values)
    thread = (await api.client.get(f"/threads/{thread_id}")).json()
    assert not internal & set(thread["values"])
    # the full state stays readable for people who review (coaches, admins)
    state = (await api.client.get(f"/threads/{thread_id}/state", headers=api.as_key(api.coach))).json()
    assert {"member", "draft"} <= set(state["values"])
    member_state = (await api.client.get(f"/threads/{thread_id}/state")).json()  # the service key
    assert not internal & set(member_state["values"])


def test_whole_state_stream_events_reach_only_who_may_see_drafts() -> None:
    """A debug/tasks/checkpoints event holds the whole state (drafts too): on a built-in flow a
    member or service key gets nothing of it (a coach or admin all); on a user's graph, all."""
    import uuid

    from asoto.services import views
    from asoto.services.keys import Principal

    state = {"values": {"feedback_draft": {"feedback": "未承認の下書き"}}, "next": ["human_review"]}
    member = Principal(id="member:x", role="member", member_id=uuid.uuid4())
    for name in ("debug", "tasks", "checkpoints"):
        assert views.event("log_feedback", name, state, member) is None
        assert views.event("log_feedback", name, state, Principal(id="service:x", role="service")) is None
        assert views.event("log_feedback", name, state, Principal(id="coach:x", role="coach")) == state
        assert views.event("thanks_note", name, state, member) == state

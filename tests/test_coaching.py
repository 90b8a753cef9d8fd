"""The coaching flow through the official SDK on a live server, as the member's own app would drive it."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from langgraph_sdk import get_client
from sqlalchemy import func, select

from asoto.config import Settings
from asoto.persistence.models import CoachingSession, Step
from asoto.runtime.resources import Resources

from .apptools import live_server
from .conftest import first_member, make_key

REPLIES = [
    "同僚と意見がぶつかってしまった",
    "正直、悔しかった",
    "相手の話を最後まで聞くことが大事だと気づいた",
    "明日は先に相手の話を聞いてみたい",
]


async def _session(
    client: Any, member_id: str, session_type: str, replies: list[str], topic: str | None = None
) -> tuple[str, dict[str, Any]]:
    thread = await client.threads.create()
    context = {"topic": topic} if topic else {}
    values = await client.runs.wait(
        thread["thread_id"],
        "coaching",
        input={"member_id": member_id, "session_type": session_type, "context": context},
    )
    for reply in replies:
        [pending] = values["__interrupt__"]
        assert pending["value"]["type"] == "member_reply"
        values = await client.runs.wait(thread["thread_id"], "coaching", command={"resume": {"message": reply}})
    values = await client.runs.wait(thread["thread_id"], "coaching", command={"resume": {"end": True}})
    return thread["thread_id"], values


@pytest.mark.parametrize("session_type", ["goal_setting", "reflection", "step_planning", "check_in"])
async def test_a_five_turn_session_ends_in_steps_the_member_accepts(
    session_type: str, settings: Settings, db_uri: str, embedder: Any, resources: Resources
) -> None:
    member = await first_member(resources)
    key = await make_key(resources, "member", member.id)
    with live_server(settings, db_uri, embedder) as url:
        client = get_client(url=url, api_key=key)
        thread_id, values = await _session(client, str(member.id), session_type, REPLIES)
        [pending] = values["__interrupt__"]
        request = pending["value"]
        assert request["type"] == "approval" and request["kind"] == "coaching_steps"
        assert 1 <= len(request["proposal"]["steps"]) <= 5
        final = await client.runs.wait(thread_id, "coaching", command={"resume": {"decision": "approve"}})
    assert final["turns"] == 5 and final["ended_by"] == "member"
    assert "相手の話を最後まで聞く" in final["summary"] or "悔しかった" in final["summary"]
    assert len(final["steps"]) == len(request["proposal"]["steps"])
    assert all(s["step_id"] and s["category"] in ("relationship", "activity", "sensitivity") for s in final["steps"])
    assert final["generated_by"]["provider"] == "offline"
    async with resources.db.sessions() as session:
        steps = await session.scalar(
            select(func.count()).select_from(Step).where(Step.id.in_([uuid.UUID(s["step_id"]) for s in final["steps"]]))
        )
        saved = await session.get(CoachingSession, uuid.UUID(final["session_id"]))
    assert steps == len(final["steps"])
    assert saved is not None and saved.summary == final["summary"]
    # the session's memory is in the member's namespace of the Store, embedded by its summary
    memory = await resources.store.aget(("members", str(member.id), "coaching"), final["session_id"])
    assert memory is not None and memory.value["summary"] == final["summary"]


async def test_memory_edit_reject_and_isolation(
    settings: Settings, db_uri: str, embedder: Any, resources: Resources
) -> None:
    member = await first_member(resources)
    other = await first_member(resources, offset=1)
    key = await make_key(resources, "member", member.id)
    other_key = await make_key(resources, "member", other.id)
    with live_server(settings, db_uri, embedder) as url:
        client = get_client(url=url, api_key=key)
        first_thread, values = await _session(client, str(member.id), "reflection", REPLIES[:2], topic="職場の人間関係")
        first = await client.runs.wait(first_thread, "coaching", command={"resume": {"decision": "reject"}})
        assert first["steps"] == [] and first["summary"]

        second_thread = (await client.threads.create())["thread_id"]
        started = await client.runs.wait(
            second_thread,
            "coaching",
            input={"member_id": str(member.id), "session_type": "check_in", "context": {"topic": "職場の人間関係"}},
        )
        opening = started["__interrupt__"][0]["value"]["message"]
        assert "前回のセッション" in opening  # the first session's summary came back as memory

        # another member cannot see, reply into or decide in this session
        intruder = get_client(url=url, api_key=other_key)
        for call in (
            intruder.threads.get(second_thread),
            intruder.runs.wait(second_thread, "coaching", command={"resume": {"message": "こんにちは"}}),
        ):
            with pytest.raises(httpx.HTTPStatusError) as refused:
                await call
            assert refused.value.response.status_code == 404

        # a reply while a turn is still running (queued for later) is refused
        busy = await client.runs.create(
            second_thread, "coaching", command={"resume": {"message": "はい"}}, after_seconds=60
        )
        with pytest.raises(httpx.HTTPStatusError) as conflict:
            await client.runs.wait(second_thread, "coaching", command={"resume": {"message": "もう一度"}})
        assert conflict.value.response.status_code == 409
        await client.runs.cancel(second_thread, busy["run_id"])

        values = await client.runs.wait(second_thread, "coaching", command={"resume": {"end": True}})
        assert values["__interrupt__"][0]["value"]["kind"] == "coaching_steps"
        edited = [
            {
                "title": "毎朝10分散歩する",
                "description": "",
                "category": "activity",
                "estimated_minutes": 10,
                "due_date": "2026-12-01",
            }
        ]
        final = await client.runs.wait(
            second_thread, "coaching", command={"resume": {"decision": "edit", "payload": {"steps": edited}}}
        )
        # the memory is the member's to read through the SDK's store client, and only theirs
        mine = await client.store.search_items([], query="職場の人間関係")
        assert {i["key"] for i in mine["items"]} == {first["session_id"], final["session_id"]}
        assert all(i["namespace"][:2] == ["members", str(member.id)] for i in mine["items"])
        assert (await intruder.store.search_items(["members"], query="職場の人間関係"))["items"] == []
        with pytest.raises(httpx.HTTPStatusError) as forbidden:
            await intruder.store.get_item(["members", str(member.id), "coaching"], first["session_id"])
        assert forbidden.value.response.status_code == 403
    assert final["memory"] and final["memory"][0] == first["session_id"]
    assert [s["title"] for s in final["steps"]] == ["毎朝10分散歩する"]


async def test_turn_limit_and_a_risky_reply(
    settings: Settings, db_uri: str, embedder: Any, resources: Resources
) -> None:
    member = await first_member(resources)
    key = await make_key(resources, "member", member.id)
    coach_key = await make_key(resources, "coach")
    limited = settings.model_copy(update={"coaching_max_turns": 3})
    with live_server(limited, db_uri, embedder) as url:
        client = get_client(url=url, api_key=key)
        coach = get_client(url=url, api_key=coach_key)
        thread = (await client.threads.create())["thread_id"]
        values = await client.runs.wait(
            thread, "coaching", input={"member_id": str(member.id), "session_type": "goal_setting"}
        )
        for reply in ("英語を話せるようになりたい", "仕事の幅が広がると思う"):
            values = await client.runs.wait(thread, "coaching", command={"resume": {"message": reply}})
        assert values["__interrupt__"][0]["value"]["kind"] == "coaching_steps"
        final = await client.runs.wait(thread, "coaching", command={"resume": {"decision": "approve"}})
        assert final["turns"] == 3 and final["ended_by"] == "turn_limit"

        risky = (await client.threads.create())["thread_id"]
        await client.runs.wait(risky, "coaching", input={"member_id": str(member.id), "session_type": "check_in"})
        values = await client.runs.wait(
            risky, "coaching", command={"resume": {"message": "もう限界で、消えてしまいたい"}}
        )
        [pending] = values["__interrupt__"]
        # the member sees that a person is looking, not the reasons or the proposal
        assert pending["value"]["kind"] == "coaching_risk" and pending["value"]["status"] == "pending_review"
        assert "reasons" not in pending["value"] and "proposal" not in pending["value"]
        coach_view = (await coach.threads.get(risky))["interrupts"]
        [[seen]] = coach_view.values()
        assert {"suicidal", "severe_distress"} & set(seen["value"]["reasons"])
        with pytest.raises(httpx.HTTPStatusError) as refused:  # the member cannot clear it themselves
            await client.runs.wait(risky, "coaching", command={"resume": {"decision": "approve"}})
        assert refused.value.response.status_code == 403
        handled = await coach.runs.wait(
            risky,
            "coaching",
            command={
                "resume": {
                    "decision": "edit",
                    "payload": {"message": "コーチの山田です。まずはお話を聞かせてください。今どこにいますか？"},
                }
            },
        )
        assert handled["__interrupt__"][0]["value"]["message"].startswith("コーチの山田です")
        reply = await client.runs.wait(risky, "coaching", command={"resume": {"message": "家にいます"}})
        # the coach's message was turn 2; the AI's turn 3 reached this server's limit of 3
        assert reply["__interrupt__"][0]["value"]["kind"] == "coaching_steps"


async def test_bad_replies_get_422(settings: Settings, db_uri: str, embedder: Any, resources: Resources) -> None:
    member = await first_member(resources)
    key = await make_key(resources, "member", member.id)
    with live_server(settings, db_uri, embedder) as url:
        client = get_client(url=url, api_key=key)
        thread = (await client.threads.create())["thread_id"]
        await client.runs.wait(thread, "coaching", input={"member_id": str(member.id), "session_type": "reflection"})
        for bad in ({}, {"message": ""}, {"message": "x" * 4001}, {"text": "hi"}, "just text"):
            with pytest.raises(httpx.HTTPStatusError) as refused:
                await client.runs.wait(thread, "coaching", command={"resume": bad})
            assert refused.value.response.status_code == 422
            assert refused.value.response.json()["code"] == "invalid_reply"
        with pytest.raises(httpx.HTTPStatusError) as bad_type:
            await client.runs.wait(thread, "coaching", input={"member_id": str(member.id), "session_type": "chat"})
        assert bad_type.value.response.status_code == 422


async def test_runs_stream_delivers_metadata_messages_values_and_the_interrupt(
    settings: Settings, db_uri: str, embedder: Any, resources: Resources
) -> None:
    member = await first_member(resources)
    key = await make_key(resources, "member", member.id)
    with live_server(settings, db_uri, embedder) as url:
        client = get_client(url=url, api_key=key)
        thread = (await client.threads.create())["thread_id"]
        parts = [
            part
            async for part in client.runs.stream(
                thread,
                "coaching",
                input={"member_id": str(member.id), "session_type": "reflection"},
                stream_mode=["messages-tuple", "values"],
            )
        ]
        events = [p.event for p in parts]
        assert events[0] == "metadata" and parts[0].data["run_id"]
        assert "messages" in events and "values" in events
        message, meta = next(p.data for p in parts if p.event == "messages")
        assert message["content"].startswith(member.name) and meta["langgraph_node"] == "deliver"
        interrupts = [p.data["__interrupt__"] for p in parts if p.event == "values" and "__interrupt__" in p.data]
        assert interrupts and interrupts[-1][0]["value"]["type"] == "member_reply"
        assert events.index("messages") < max(i for i, e in enumerate(events) if e == "values")

        # a reply, streamed too; and the same stream joined again later replays it
        parts = [
            part
            async for part in client.runs.stream(
                thread, "coaching", command={"resume": {"message": "同僚と話せてよかった"}}, stream_mode="values"
            )
        ]
        assert any("__interrupt__" in p.data for p in parts if p.event == "values")
        run_id = parts[0].data["run_id"]
        replay = [part async for part in client.runs.join_stream(thread, run_id)]
        assert [p.event for p in replay] == [p.event for p in parts]

        async with httpx.AsyncClient(base_url=url, headers={"x-api-key": key}) as raw:
            r = await raw.post(
                f"/threads/{thread}/runs/stream",
                json={
                    "assistant_id": "coaching",
                    "command": {"resume": {"message": "はい"}},
                    "stream_mode": ["values"],
                },
            )
            assert r.headers["content-type"].startswith("text/event-stream")
            assert r.text.startswith("event: metadata\r\ndata: ")
            assert r.headers["location"].endswith("/stream")
            bad = await raw.post(
                f"/threads/{thread}/runs/stream",
                json={
                    "assistant_id": "coaching",
                    "command": {"resume": {"message": "x"}},
                    "stream_mode": ["lifecycle"],
                },
            )
            assert (bad.status_code, bad.json()["code"]) == (422, "unsupported_option")
            # whole-state streams carry the drafts a coach checks first: not for a member's key
            drafts = await raw.post(
                f"/threads/{thread}/runs/stream",
                json={"assistant_id": "coaching", "command": {"resume": {"message": "x"}}, "stream_mode": ["debug"]},
            )
            assert (drafts.status_code, drafts.json()["code"]) == (403, "stream_mode_requires_coach")

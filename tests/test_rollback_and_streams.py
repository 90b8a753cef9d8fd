"""Rollback (``multitask_strategy="rollback"`` and cancel ``action="rollback"``) and the ``events``
and ``messages`` stream modes (issue 14), through the official SDK against a live server."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from langgraph_sdk import get_client

from asoto.config import Settings
from asoto.runtime.resources import Resources

from .apptools import live_server
from .conftest import first_member, make_key

SLOW_GRAPH = """
import asyncio
import operator
from typing import Annotated, TypedDict

from langchain_core.messages import AIMessage
from langgraph.config import get_stream_writer
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.types import interrupt


class S(TypedDict, total=False):
    n: int
    log: Annotated[list[str], operator.add]
    pause: float
    ask: bool
    messages: Annotated[list, add_messages]


async def first(state: S) -> S:
    get_stream_writer()({"progress": f"first {state['n']}"})
    return {"log": [f"first:{state['n']}"]}


async def slow(state: S) -> S:
    if state.get("ask"):
        answer = interrupt("続けますか？")
        await asyncio.sleep(state.get("pause", 0) if answer == "はい" else 0)  # "はい": slowly
        return {"log": [f"answer:{answer}"]}
    await asyncio.sleep(state.get("pause", 0))
    return {"log": [f"slow:{state['n']}"], "messages": [AIMessage(f"できました: {state['n']}", id=f"m{state['n']}")]}


builder = StateGraph(S)
builder.add_node("first", first)
builder.add_node("slow", slow)
builder.add_edge(START, "first")
builder.add_edge("first", "slow")
builder.add_edge("slow", END)
graph = builder.compile()
"""


def _served(settings: Settings, tmp_path: Path) -> Settings:
    (tmp_path / "slow.py").write_text(SLOW_GRAPH, encoding="utf-8")
    config = tmp_path / "langgraph.json"
    config.write_text(json.dumps({"graphs": {"slow": "./slow.py:graph"}}), encoding="utf-8")
    return settings.model_copy(update={"graphs_config": config, "rate_requests_per_s": 0})


async def _running(client: Any, thread_id: str, run_id: str) -> None:
    for _ in range(200):
        if (await client.runs.get(thread_id, run_id))["status"] == "running":
            await asyncio.sleep(0.3)  # inside the slow node, past its first checkpoints
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the run did not start")


async def _run_ids_in_history(client: Any, thread_id: str) -> set[str]:
    history = await client.threads.get_history(thread_id, limit=100)
    return {h["metadata"].get("run_id") for h in history}


async def test_rollback_erases_a_run_as_if_it_had_not_been_made(
    settings: Settings, db_uri: str, embedder: Any, resources: Resources, tmp_path: Path
) -> None:
    key = await make_key(resources, "member", (await first_member(resources)).id)
    with live_server(_served(settings, tmp_path), db_uri, embedder) as url:
        client = get_client(url=url, api_key=key)
        thread = (await client.threads.create())["thread_id"]
        kept = await client.runs.wait(thread, "slow", input={"n": 1, "pause": 0})
        assert kept["log"] == ["first:1", "slow:1"]
        before = await _run_ids_in_history(client, thread)

        # a new run with multitask_strategy=rollback stops the running one and erases it
        doomed = await client.runs.create(thread, "slow", input={"n": 2, "pause": 30})
        await _running(client, thread, doomed["run_id"])
        assert doomed["run_id"] in await _run_ids_in_history(client, thread)  # it had made checkpoints
        after = await client.runs.create(thread, "slow", input={"n": 3, "pause": 0}, multitask_strategy="rollback")
        final = await client.runs.join(thread, after["run_id"])
        assert final["log"] == ["first:1", "slow:1", "first:3", "slow:3"]  # nothing of run 2
        with pytest.raises(httpx.HTTPStatusError) as gone:
            await client.runs.get(thread, doomed["run_id"])
        assert gone.value.response.status_code == 404
        history_runs = await _run_ids_in_history(client, thread)
        assert doomed["run_id"] not in history_runs and before <= history_runs
        assert (await client.runs.list(thread))[0]["run_id"] == after["run_id"]

        # cancel with action=rollback: the thread is as the run found it
        state_before = (await client.threads.get_state(thread))["values"]
        doomed = await client.runs.create(thread, "slow", input={"n": 4, "pause": 30})
        await _running(client, thread, doomed["run_id"])
        await client.runs.cancel(thread, doomed["run_id"], wait=True, action="rollback")
        assert (await client.threads.get_state(thread))["values"] == state_before
        assert (await client.threads.get(thread))["status"] == "idle"
        assert doomed["run_id"] not in await _run_ids_in_history(client, thread)

        # a rolled-back resume leaves the thread waiting on the same question, and it resumes again
        asking = (await client.threads.create())["thread_id"]
        waiting = await client.runs.wait(asking, "slow", input={"n": 5, "ask": True, "pause": 30})
        assert waiting["__interrupt__"][0]["value"] == "続けますか？"
        resumed = await client.runs.create(asking, "slow", command={"resume": "はい"})
        await _running(client, asking, resumed["run_id"])
        await client.runs.cancel(asking, resumed["run_id"], wait=True, action="rollback")
        state = await client.threads.get_state(asking)
        assert state["next"] == ["slow"] and state["tasks"][0]["interrupts"][0]["value"] == "続けますか？"
        assert (await client.threads.get(asking))["status"] == "interrupted"
        done = await client.runs.wait(asking, "slow", command={"resume": "いいえ"})
        assert done["log"] == ["first:5", "answer:いいえ"]

        # a pending run rolled back is simply gone; cancel_many rolls back too
        blocker = await client.runs.create(thread, "slow", input={"n": 6, "pause": 30})
        queued = await client.runs.create(thread, "slow", input={"n": 7, "pause": 0}, multitask_strategy="enqueue")
        await _running(client, thread, blocker["run_id"])
        await client.runs.cancel_many(
            thread_id=thread, run_ids=[queued["run_id"], blocker["run_id"]], action="rollback"
        )
        for run_id in (queued["run_id"], blocker["run_id"]):
            for _ in range(100):
                try:
                    await client.runs.get(thread, run_id)
                except httpx.HTTPStatusError as exc:
                    assert exc.response.status_code == 404
                    break
                await asyncio.sleep(0.1)
            else:
                raise AssertionError(f"run {run_id} was not rolled back")
        assert (await client.threads.get_state(thread))["values"] == state_before


async def test_events_messages_and_custom_stream_modes(
    settings: Settings, db_uri: str, embedder: Any, resources: Resources, tmp_path: Path
) -> None:
    member = await first_member(resources)
    key = await make_key(resources, "member", member.id)
    with live_server(_served(settings, tmp_path), db_uri, embedder) as url:
        client = get_client(url=url, api_key=key)
        thread = (await client.threads.create())["thread_id"]
        parts = [
            p
            async for p in client.runs.stream(
                thread, "slow", input={"n": 1, "pause": 0}, stream_mode=["events", "values"]
            )
        ]
        kinds = [p.data["event"] for p in parts if p.event == "events"]
        assert kinds[0] == "on_chain_start" and kinds[-1] == "on_chain_end"
        assert {"on_chain_stream"} <= set(kinds)
        names = {p.data["name"] for p in parts if p.event == "events"}
        assert {"first", "slow"} <= names
        assert [p.data for p in parts if p.event == "values"][-1]["log"] == ["first:1", "slow:1"]
        replay = [p async for p in client.runs.join_stream(thread, parts[0].data["run_id"])]
        assert [p.event for p in replay] == [p.event for p in parts]

        parts = [
            p async for p in client.runs.stream(thread, "slow", input={"n": 2, "pause": 0}, stream_mode="messages")
        ]
        events = [p.event for p in parts]
        assert events[:1] == ["metadata"] and "messages/metadata" in events and "messages/complete" in events
        meta = next(p.data for p in parts if p.event == "messages/metadata")
        assert meta["m2"]["metadata"]["langgraph_node"] == "slow"
        [complete] = [p.data for p in parts if p.event == "messages/complete"]
        assert complete[0]["content"] == "できました: 2" and complete[0]["id"] == "m2"

        parts = [p async for p in client.runs.stream(thread, "slow", input={"n": 3, "pause": 0}, stream_mode="custom")]
        assert [p.data for p in parts if p.event == "custom"] == [{"progress": "first 3"}]

        # on a built-in flow the events carry drafts: a member may not ask for them
        coaching = (await client.threads.create())["thread_id"]
        with pytest.raises(httpx.HTTPStatusError) as refused:
            async for _ in client.runs.stream(
                coaching,
                "coaching",
                input={"member_id": str(member.id), "session_type": "reflection"},
                stream_mode="events",
            ):
                pass
        assert refused.value.response.status_code == 403
        # messages mode is what the member sees anyway: the delivered coach turn
        parts = [
            p
            async for p in client.runs.stream(
                coaching,
                "coaching",
                input={"member_id": str(member.id), "session_type": "reflection"},
                stream_mode="messages",
            )
        ]
        [turn] = [p.data for p in parts if p.event == "messages/complete"]
        assert turn[0]["content"].startswith(member.name)


async def test_a_wait_answers_plainly_when_quick_and_with_keep_alive_newlines_when_long(
    settings: Settings, db_uri: str, embedder: Any, resources: Resources, tmp_path: Path, monkeypatch: Any
) -> None:
    """A run that ends within the first keep-alive period gets a plain JSON response; a longer
    one a streamed body whose newlines keep proxies from closing it (JSON ignores them)."""
    from asoto.api.routes import runs as run_routes

    monkeypatch.setattr(run_routes, "KEEPALIVE_S", 0.3)
    key = await make_key(resources, "member", (await first_member(resources)).id)
    with live_server(_served(settings, tmp_path), db_uri, embedder) as url:
        async with httpx.AsyncClient(base_url=url, headers={"x-api-key": key}, timeout=30) as http:
            thread = (await http.post("/threads", json={})).json()["thread_id"]
            quick = await http.post(
                f"/threads/{thread}/runs/wait", json={"assistant_id": "slow", "input": {"n": 1, "pause": 0}}
            )
            assert quick.status_code == 200 and quick.content.startswith(b"{")
            assert quick.headers["content-length"] == str(len(quick.content))
            assert quick.json()["log"] == ["first:1", "slow:1"]
            long = await http.post(
                f"/threads/{thread}/runs/wait", json={"assistant_id": "slow", "input": {"n": 2, "pause": 1.2}}
            )
            assert long.status_code == 200 and "content-length" not in long.headers
            assert long.content.startswith(b"\n\n")  # at least two beats over 1.2 s
            assert json.loads(long.content)["log"][-1] == "slow:2"
            assert long.headers["content-location"].startswith(f"/threads/{thread}/runs/")
            joined = await http.get(f"{long.headers['content-location']}/join")
            assert joined.status_code == 200 and joined.json()["log"][-1] == "slow:2"
            missing = await http.get(f"/threads/{thread}/runs/00000000-0000-0000-0000-000000000000/join")
            assert missing.status_code == 404 and missing.json()["code"] == "run_not_found"

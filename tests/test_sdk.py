"""The official ``langgraph-sdk`` client, unchanged, against a live server on loopback."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from langgraph_sdk import get_client

from asoto.config import Settings
from asoto.runtime.resources import Resources

from .apptools import live_server
from .conftest import ORDINARY_LOG, RISKY_LOG, first_member, make_key


async def test_the_sdk_drives_log_feedback_end_to_end(
    settings: Settings, db_uri: str, embedder: Any, resources: Resources
) -> None:
    service_key = await make_key(resources, "service")
    coach_key = await make_key(resources, "coach")
    member = await first_member(resources)
    log_input = {"member_id": str(member.id), "log": ORDINARY_LOG}
    with live_server(settings, db_uri, embedder) as url:
        client = get_client(url=url, api_key=service_key)
        coach = get_client(url=url, api_key=coach_key)

        assistants = await client.assistants.search()
        assert [a["graph_id"] for a in assistants] == ["log_feedback", "coaching", "matching", "approval"]
        graph = await client.assistants.get_graph("log_feedback")
        assert {"draft", "check", "review"} <= {n["id"] for n in graph["nodes"]}

        # runs.wait
        thread = await client.threads.create(metadata={"purpose": "sdk-test"})
        values = await client.runs.wait(thread["thread_id"], "log_feedback", input=log_input)
        assert values["status"] == "published" and values["feedback"]["insight"]

        # runs.create + runs.join on a second thread; state and history
        thread2 = await client.threads.create()
        run = await client.runs.create(thread2["thread_id"], "log_feedback", input=log_input)
        assert run["status"] == "pending"
        joined = await client.runs.join(thread2["thread_id"], run["run_id"])
        assert joined["status"] == "published"
        assert (await client.runs.get(thread2["thread_id"], run["run_id"]))["status"] == "success"
        state = await client.threads.get_state(thread2["thread_id"])
        assert state["values"]["log_id"] == joined["log_id"] and state["next"] == []
        history = await client.threads.get_history(thread2["thread_id"], limit=5)
        assert len(history) == 5 and history[0]["checkpoint"]["checkpoint_id"] == state["checkpoint"]["checkpoint_id"]
        found = await client.threads.search(metadata={"purpose": "sdk-test"})
        assert [t["thread_id"] for t in found] == [thread["thread_id"]]

        # an interrupted run resumed with a command (by a coach)
        risky = await client.threads.create()
        waiting = await client.runs.wait(
            risky["thread_id"], "log_feedback", input={"member_id": str(member.id), "log": RISKY_LOG}
        )
        [interrupt] = waiting["__interrupt__"]
        assert interrupt["value"]["type"] == "approval"
        assert (await client.threads.get(risky["thread_id"]))["status"] == "interrupted"
        with pytest.raises(httpx.HTTPStatusError) as refused:
            await client.runs.wait(risky["thread_id"], "log_feedback", command={"resume": {"decision": "approve"}})
        assert refused.value.response.status_code == 403
        done = await coach.runs.wait(
            risky["thread_id"],
            "log_feedback",
            command={
                "resume": {
                    interrupt["id"]: {
                        "decision": "edit",
                        "payload": {
                            "feedback": {
                                "affirmation": "書いてくれてありがとう。",
                                "insight": "大切な気持ちです。",
                                "question": "今、誰と話したいですか？",
                                "next_action": "コーチから連絡します。",
                            }
                        },
                    }
                }
            },
        )
        assert done["status"] == "published" and done["feedback"]["next_action"] == "コーチから連絡します。"
        with pytest.raises(httpx.HTTPStatusError) as stale:
            await coach.runs.wait(risky["thread_id"], "log_feedback", command={"resume": {"decision": "approve"}})
        assert stale.value.response.status_code == 409

        # cancel a run (scheduled for later, so it is certainly not finished yet)
        thread3 = await client.threads.create()
        later = await client.runs.create(thread3["thread_id"], "log_feedback", input=log_input, after_seconds=60)
        with pytest.raises(httpx.HTTPStatusError) as busy:
            await client.runs.create(thread3["thread_id"], "log_feedback", input=log_input)
        assert busy.value.response.status_code == 409
        await client.runs.cancel(thread3["thread_id"], later["run_id"])
        assert (await client.runs.get(thread3["thread_id"], later["run_id"]))["status"] == "interrupted"
        runs = await client.runs.list(thread3["thread_id"])
        assert [r["run_id"] for r in runs] == [later["run_id"]]

        with pytest.raises(httpx.HTTPStatusError) as missing:
            await client.threads.get(str(uuid.uuid4()))
        assert missing.value.response.status_code == 404
        with pytest.raises(httpx.HTTPStatusError) as not_theirs:  # a service key may not delete
            await client.threads.delete(thread3["thread_id"])
        assert not_theirs.value.response.status_code == 403
        admin = get_client(url=url, api_key=await make_key(resources, "admin"))
        await admin.threads.delete(thread3["thread_id"])
        await asyncio.sleep(0)

"""Stateless and batch runs (issue 14) through the official SDK: ``runs.wait/create/stream(None,
…)`` and ``runs.create_batch`` on a temporary thread, deleted after the run ends unless the run
waits on an interrupt, and what each bad request gets."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import httpx
from langgraph_sdk import get_client

from asoto.config import Settings
from asoto.runtime.resources import Resources
from asoto.services import threads

from .apptools import live_server
from .conftest import first_member, make_key
from .test_user_graphs import _config

EXAMPLE_GRAPH = Path(__file__).resolve().parent.parent / "examples" / "thanks_note" / "graph.py"


async def test_stateless_and_batch_runs(
    settings: Settings, db_uri: str, embedder: Any, resources: Resources, tmp_path: Path
) -> None:
    shutil.copy(EXAMPLE_GRAPH, tmp_path / "thanks.py")
    config = _config(tmp_path, {"counter": "./good.py:graph", "thanks": "./thanks.py:graph"})
    served = settings.model_copy(update={"graphs_config": config, "rate_requests_per_s": 0})
    service = await make_key(resources, "service")
    alice = await make_key(resources, "member", (await first_member(resources)).id)
    bob = await make_key(resources, "member", (await first_member(resources, offset=1)).id)
    with live_server(served, db_uri, embedder) as url:
        client = get_client(url=url, api_key=service)
        assert await client.runs.wait(None, "counter", input={"n": 1}) == {"n": 2}

        made = await client.runs.create(None, "counter", input={"n": 10})
        assert (await client.runs.join(made["thread_id"], made["run_id"])) == {"n": 11}
        kept = await client.runs.create(None, "counter", input={"n": 0}, on_completion="keep")
        await client.runs.join(kept["thread_id"], kept["run_id"])
        waiting = await client.runs.create(None, "thanks", input={"to": "佐藤さん", "reason": "発表"})
        await client.runs.join(waiting["thread_id"], waiting["run_id"])

        events = [part async for part in client.runs.stream(None, "counter", input={"n": 5}, stream_mode="values")]
        assert {"n": 6} in [e.data for e in events if e.event == "values"]

        batch = await client.runs.create_batch([{"assistant_id": "counter", "input": {"n": i}} for i in range(3)])
        assert len({r["thread_id"] for r in batch}) == 3
        assert sorted([(await client.runs.join(r["thread_id"], r["run_id"]))["n"] for r in batch]) == [1, 2, 3]

        # the sweep (every worker, every lease/2) drops finished stateless threads after a grace
        # period, so waiters read their outcome first; here without the grace
        assert await threads.drop_finished_stateless(resources, keep_s=0) >= 6
        async with httpx.AsyncClient(base_url=url, headers={"x-api-key": service}) as http:
            assert (await http.get(f"/threads/{made['thread_id']}")).status_code == 404
            assert (await http.get(f"/threads/{kept['thread_id']}")).status_code == 200  # on_completion=keep
            # a run that waits on a person keeps its thread, and it resumes like any other
            assert (await http.get(f"/threads/{waiting['thread_id']}")).json()["status"] == "interrupted"
        done = await client.runs.wait(waiting["thread_id"], "thanks", command={"resume": {"approve": True}})
        assert done["approved"] is True

        # a member's stateless run is that member's, like any thread it creates
        mine = await get_client(url=url, api_key=alice).runs.create(None, "counter", input={"n": 1})
        async with httpx.AsyncClient(base_url=url) as http:
            theirs = await http.get(f"/threads/{mine['thread_id']}", headers={"x-api-key": bob})
            assert (theirs.status_code, theirs.json()["code"]) == (404, "thread_not_found")

            before = (await http.post("/threads/count", json={}, headers={"x-api-key": service})).json()
            good = {"assistant_id": "counter", "input": {"n": 1}}
            for name, path, body, status, code in [
                (
                    "a resume without a thread",
                    "/runs/wait",
                    {"assistant_id": "counter", "command": {"resume": 1}},
                    422,
                    "input_or_command",
                ),
                ("an unknown on_completion", "/runs", {**good, "on_completion": "later"}, 422, "unsupported_option"),
                ("an unknown graph", "/runs/wait", {"assistant_id": "nope", "input": {}}, 404, "assistant_not_found"),
                ("an empty batch", "/runs/batch", [], 422, "invalid_input"),
                ("a batch of 101", "/runs/batch", [good] * 101, 422, "invalid_input"),
                (
                    "one bad run in a batch",
                    "/runs/batch",
                    [good, {"assistant_id": "nope", "input": {}}],
                    404,
                    "assistant_not_found",
                ),
            ]:
                got = await http.post(path, json=body, headers={"x-api-key": service})
                assert (got.status_code, got.json().get("code")) == (status, code), (name, got.text)
            after = (await http.post("/threads/count", json={}, headers={"x-api-key": service})).json()
            assert after == before  # nothing refused made a thread (the batch is all or none)

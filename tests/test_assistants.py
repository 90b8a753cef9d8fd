"""Assistants over the API (``services.assistants``), driven by the official SDK against a live
server serving ``examples/langgraph.json``: create, configure runs, version, pin, roll back, delete,
and what each kind of bad input gets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from langgraph_sdk import get_client

from asoto.config import Settings
from asoto.runtime.resources import Resources

from .apptools import live_server
from .conftest import first_member, make_key

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "langgraph.json"
NOTE = {"to": "佐藤さん", "reason": "発表の練習"}  # a "発表" picks the polite tone by itself


async def _sent(client: Any, assistant: str, **run: Any) -> dict[str, Any]:
    thread = await client.threads.create()
    waiting = await client.runs.wait(thread["thread_id"], assistant, input=NOTE, **run)
    assert waiting["__interrupt__"], waiting
    return dict(
        await client.runs.wait(thread["thread_id"], assistant, command={"resume": {"approve": True}}, **run)
    )  # each run has its own context: the resume runs the nodes that read it


async def test_an_assistant_configures_its_runs_and_keeps_every_version(
    settings: Settings, db_uri: str, embedder: Any, resources: Resources
) -> None:
    served = settings.model_copy(update={"graphs_config": EXAMPLE})
    service = await make_key(resources, "service")
    member = await make_key(resources, "member", (await first_member(resources)).id)
    with live_server(served, db_uri, embedder) as url:
        client = get_client(url=url, api_key=service)
        casual = await client.assistants.create(
            "thanks_note",
            context={"tone": "気軽", "signature": "チームより"},
            config={"configurable": {"team": "a"}, "tags": ["casual"]},
            metadata={"team": "a"},
            name="Thanks, casual",
        )
        assert casual["version"] == 1 and casual["graph_id"] == "thanks_note"
        assert casual["context"] == {"tone": "気軽", "signature": "チームより"}

        # the graph's own assistant: polite for a 発表, the env's signature
        own = await _sent(client, "thanks_note")
        assert own["tone"] == "丁寧" and own["sent"].endswith("（あそとより）")
        # the configured one: its context reaches the graph as the graph's Runtime context
        first = await _sent(client, casual["assistant_id"])
        assert first["tone"] == "気軽" and first["sent"].endswith("チームより"), first
        # a run's own context overrides its assistant's, key by key
        overridden = await _sent(client, casual["assistant_id"], context={"signature": "山田"})
        assert overridden["tone"] == "気軽" and overridden["sent"].endswith("山田")

        found = await client.assistants.search(graph_id="thanks_note")
        assert {a["assistant_id"] for a in found} >= {casual["assistant_id"]} and len(found) == 2
        assert [a["assistant_id"] for a in await client.assistants.search(metadata={"team": "a"})] == [
            casual["assistant_id"]
        ]
        assert [a["name"] for a in await client.assistants.search(name="CASUAL")] == ["Thanks, casual"]
        assert await client.assistants.count(graph_id="thanks_note") == 2
        assert await client.assistants.count() == 6  # four built-in flows, the example graph, this one

        # a run queued on version 1 keeps version 1 whatever happens to the assistant after
        thread = await client.threads.create()
        queued = await client.runs.create(thread["thread_id"], casual["assistant_id"], input=NOTE, after_seconds=1)
        second = await client.assistants.update(casual["assistant_id"], context={"signature": "部長より"})
        # as the Platform: config and context sent replace the old ones, metadata is merged
        assert second["version"] == 2 and second["context"] == {"signature": "部長より"}
        assert second["metadata"] == {"team": "a"} and second["name"] == "Thanks, casual"
        await client.runs.join(thread["thread_id"], queued["run_id"])
        pinned = await client.runs.wait(
            thread["thread_id"], casual["assistant_id"], command={"resume": {"approve": True}}
        )
        assert pinned["sent"].endswith("部長より")  # the resume is a new run: the latest version
        state = await client.threads.get_history(thread["thread_id"], limit=10)
        assert any(s["values"].get("tone") == "気軽" for s in state)
        run = await client.runs.get(thread["thread_id"], queued["run_id"])
        assert run["kwargs"]["assistant"] == {"assistant_id": casual["assistant_id"], "version": 1}
        assert run["kwargs"]["context"] == {"tone": "気軽", "signature": "チームより"}

        assert [v["version"] for v in await client.assistants.get_versions(casual["assistant_id"])] == [2, 1]
        latest = await _sent(client, casual["assistant_id"])
        assert latest["sent"].endswith("部長より") and latest["tone"] == "丁寧"  # no fixed tone in version 2
        back = await client.assistants.set_latest(casual["assistant_id"], 1)
        assert back["version"] == 1 and back["context"]["signature"] == "チームより"
        assert (await _sent(client, casual["assistant_id"]))["sent"].endswith("チームより")
        assert (await client.assistants.get(casual["assistant_id"]))["version"] == 1

        schemas = await client.assistants.get_schemas(casual["assistant_id"])
        assert set(schemas["context_schema"]["properties"]) == {"tone", "signature"}
        graph = await client.assistants.get_graph(casual["assistant_id"])
        assert {"plan", "draft", "review", "send"} <= {n["id"] for n in graph["nodes"]}

        # a member reads assistants and runs them, but does not configure them
        as_member = get_client(url=url, api_key=member)
        assert (await as_member.assistants.get(casual["assistant_id"]))["name"] == "Thanks, casual"
        assert (await _sent(as_member, casual["assistant_id"]))["tone"] == "気軽"

        await client.assistants.delete(casual["assistant_id"])
        async with httpx.AsyncClient(base_url=url, headers={"x-api-key": service}) as http:
            gone = await http.get(f"/assistants/{casual['assistant_id']}")
            assert (gone.status_code, gone.json()["code"]) == (404, "assistant_not_found")
            thread = await client.threads.create()
            refused = await http.post(
                f"/threads/{thread['thread_id']}/runs/wait",
                json={"assistant_id": casual["assistant_id"], "input": NOTE},
            )
            assert (refused.status_code, refused.json()["code"]) == (404, "assistant_not_found")


async def test_what_each_bad_assistant_request_gets(
    settings: Settings, db_uri: str, embedder: Any, resources: Resources
) -> None:
    served = settings.model_copy(update={"graphs_config": EXAMPLE})
    service = await make_key(resources, "service")
    coach = await make_key(resources, "coach")
    member = await make_key(resources, "member", (await first_member(resources)).id)
    with live_server(served, db_uri, embedder) as url:
        async with httpx.AsyncClient(base_url=url, headers={"x-api-key": service}) as http:
            made = (await http.post("/assistants", json={"graph_id": "thanks_note", "name": "x"})).json()
            same = {"graph_id": "thanks_note", "assistant_id": made["assistant_id"]}
            thread = (await http.post("/threads", json={})).json()["thread_id"]
            log_thread = (await http.post("/threads", json={})).json()["thread_id"]
            cases: list[tuple[str, str, str, dict[str, Any] | None, str | None, int, str]] = [
                # who may configure
                (
                    "member key",
                    "POST",
                    "/assistants",
                    {"graph_id": "thanks_note"},
                    member,
                    403,
                    "assistant_requires_admin",
                ),
                (
                    "coach key",
                    "POST",
                    "/assistants",
                    {"graph_id": "thanks_note"},
                    coach,
                    403,
                    "assistant_requires_admin",
                ),
                (
                    "member update",
                    "PATCH",
                    f"/assistants/{made['assistant_id']}",
                    {"name": "y"},
                    member,
                    403,
                    "assistant_requires_admin",
                ),
                # what may be configured
                ("unknown graph", "POST", "/assistants", {"graph_id": "nope"}, None, 422, "unknown_graph"),
                (
                    "tone outside the schema",
                    "POST",
                    "/assistants",
                    {"graph_id": "thanks_note", "context": {"tone": "怒り"}},
                    None,
                    422,
                    "invalid_context",
                ),
                (
                    "context field of another type",
                    "POST",
                    "/assistants",
                    {"graph_id": "thanks_note", "context": {"signature": 3}},
                    None,
                    422,
                    "invalid_context",
                ),
                (
                    "context on a built-in flow",
                    "POST",
                    "/assistants",
                    {"graph_id": "log_feedback", "context": {"x": 1}},
                    None,
                    422,
                    "unsupported_option",
                ),
                (
                    "engine key in configurable",
                    "POST",
                    "/assistants",
                    {"graph_id": "thanks_note", "config": {"configurable": {"thread_id": "x"}}},
                    None,
                    422,
                    "invalid_config",
                ),
                (
                    "unknown config key",
                    "POST",
                    "/assistants",
                    {"graph_id": "thanks_note", "config": {"callbacks": []}},
                    None,
                    422,
                    "invalid_config",
                ),
                (
                    "recursion limit out of range",
                    "POST",
                    "/assistants",
                    {"graph_id": "thanks_note", "config": {"recursion_limit": 0}},
                    None,
                    422,
                    "invalid_config",
                ),
                (
                    "unknown field",
                    "POST",
                    "/assistants",
                    {"graph_id": "thanks_note", "colour": "red"},
                    None,
                    422,
                    "invalid_input",
                ),
                ("same id twice", "POST", "/assistants", same, None, 409, "assistant_exists"),
                # the served graphs' own assistants are read-only
                (
                    "update a graph's own",
                    "PATCH",
                    "/assistants/thanks_note",
                    {"name": "y"},
                    None,
                    409,
                    "assistant_read_only",
                ),
                ("delete a graph's own", "DELETE", "/assistants/log_feedback", None, None, 409, "assistant_read_only"),
                (
                    "missing version",
                    "POST",
                    f"/assistants/{made['assistant_id']}/latest",
                    {"version": 7},
                    None,
                    404,
                    "version_not_found",
                ),
                (
                    "version zero",
                    "POST",
                    f"/assistants/{made['assistant_id']}/latest",
                    {"version": 0},
                    None,
                    422,
                    "invalid_input",
                ),
                (
                    "delete with its threads",
                    "DELETE",
                    f"/assistants/{made['assistant_id']}?delete_threads=true",
                    None,
                    None,
                    422,
                    "unsupported_option",
                ),
                (
                    "unknown assistant",
                    "GET",
                    "/assistants/00000000-0000-4000-8000-000000000000",
                    None,
                    None,
                    404,
                    "assistant_not_found",
                ),
                # runs: the same checks on what a run sets
                (
                    "run context on a built-in flow",
                    "POST",
                    f"/threads/{log_thread}/runs",
                    {"assistant_id": "log_feedback", "input": {}, "context": {"x": 1}},
                    None,
                    422,
                    "unsupported_option",
                ),
                (
                    "run context outside the schema",
                    "POST",
                    f"/threads/{thread}/runs",
                    {"assistant_id": "thanks_note", "input": NOTE, "context": {"tone": "x"}},
                    None,
                    422,
                    "invalid_context",
                ),
                (
                    "run config with an engine key",
                    "POST",
                    f"/threads/{thread}/runs",
                    {"assistant_id": "thanks_note", "input": NOTE, "config": {"configurable": {"run_id": "x"}}},
                    None,
                    422,
                    "invalid_config",
                ),
            ]
            for name, method, path, body, key, status, code in cases:
                headers = {"x-api-key": key} if key else {}
                got = await http.request(method, path, json=body, headers=headers)
                assert (got.status_code, got.json().get("code")) == (status, code), (name, got.text)
            again = await http.post("/assistants", json={**same, "if_exists": "do_nothing", "name": "other"})
            assert again.status_code == 200 and again.json()["name"] == "x"  # the stored one, unchanged
            runs = await http.get(f"/threads/{thread}/runs")
            assert runs.json() == []  # nothing refused above was queued

"""Users' own graphs from a ``langgraph.json``: loaded, refused with one clear line when wrong,
and served with the same runs API, workers, interrupts, history and isolation as the built-ins."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from langgraph_sdk import get_client
from typer.testing import CliRunner

from asoto.config import Settings
from asoto.graphs.registry import FLOWS, flows_for
from asoto.runtime.loader import GraphConfigError, load_config
from asoto.runtime.resources import Resources

from .apptools import live_server
from .conftest import first_member, make_key

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "langgraph.json"
GOOD_GRAPH = """
from typing import TypedDict
from langgraph.graph import StateGraph, START, END

class S(TypedDict):
    n: int

def add(state: S) -> S:
    return {"n": state["n"] + 1}

builder = StateGraph(S)
builder.add_node("add", add)
builder.add_edge(START, "add")
builder.add_edge("add", END)
graph = builder.compile()

def make_graph():
    return builder
"""


def _config(tmp_path: Path, graphs: Any, **extra: Any) -> Path:
    (tmp_path / "good.py").write_text(GOOD_GRAPH, encoding="utf-8")
    (tmp_path / "broken.py").write_text("import no_such_module_here\n", encoding="utf-8")
    (tmp_path / "notagraph.py").write_text("graph = 42\n", encoding="utf-8")
    path = tmp_path / "langgraph.json"
    path.write_text(json.dumps({"graphs": graphs, **extra}), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("graphs", "extra", "says"),
    [
        ({}, {}, "'graphs' must be a non-empty object"),
        ({"g": "good.py"}, {}, "is not 'file.py:attribute'"),
        ({"g": "./missing.py:graph"}, {}, "file './missing.py' does not exist"),
        ({"g": "./broken.py:graph"}, {}, "importing './broken.py' failed: ModuleNotFoundError"),
        ({"g": "./good.py:nope"}, {}, "has no attribute 'nope'"),
        ({"g": "./notagraph.py:graph"}, {}, "is a int, not a LangGraph StateGraph"),
        ({"log_feedback": "./good.py:graph"}, {}, "is a built-in flow"),
        ({"1bad name": "./good.py:graph"}, {}, "graph name '1bad name'"),
        ({"g": "./good.py:graph"}, {"env": "missing.env"}, "env file 'missing.env' does not exist"),
        ({"g": "./good.py:graph"}, {"asoto": {"builtin_flows": "yes"}}, "builtin_flows must be true or false"),
    ],
)
def test_a_bad_config_is_one_clear_line(tmp_path: Path, graphs: Any, extra: Any, says: str) -> None:
    path = _config(tmp_path, graphs, **extra)
    with pytest.raises(GraphConfigError) as caught:
        load_config(path, reserved=frozenset(FLOWS))
    message = caught.value.detail
    assert says in message and "\n" not in message and str(path) in message, message


def test_invalid_json_and_a_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "langgraph.json"
    bad.write_text("{nope", encoding="utf-8")
    with pytest.raises(GraphConfigError, match="not valid JSON"):
        load_config(bad)
    with pytest.raises(GraphConfigError, match="no such config file"):
        load_config(tmp_path / "absent.json")


def test_compiled_graphs_builders_and_factories_all_load(tmp_path: Path) -> None:
    path = _config(
        tmp_path,
        {"compiled": "./good.py:graph", "factory": "./good.py:make_graph", "described": {"path": "./good.py:builder"}},
        asoto={"builtin_flows": False},
    )
    flows = flows_for(path)
    assert list(flows) == ["compiled", "factory", "described"]  # the built-ins are off
    assert flows["compiled"].compiled is not None and flows["factory"].compiled is None
    assert all(not f.builtin and f.input_model is None for f in flows.values())


def test_the_cli_refuses_a_bad_config_before_starting(tmp_path: Path) -> None:
    from asoto.cli import app

    path = _config(tmp_path, {"g": "./broken.py:graph"})
    for command in (["serve", "--config", str(path)], ["worker", "--config", str(path)]):
        result = CliRunner().invoke(app, command, env={"ASOTO_HOME": str(tmp_path)})
        assert result.exit_code == 2, result.output
        assert "graph_config_invalid" in result.output and "Traceback" not in result.output


async def test_the_sdk_drives_a_users_graph_like_any_flow(
    settings: Settings, db_uri: str, embedder: Any, resources: Resources
) -> None:
    served = settings.model_copy(update={"graphs_config": EXAMPLE})
    member = await first_member(resources)
    other = await first_member(resources, offset=1)
    member_key = await make_key(resources, "member", member.id)
    other_key = await make_key(resources, "member", other.id)
    with live_server(served, db_uri, embedder) as url:
        client = get_client(url=url, api_key=member_key)
        assistants = await client.assistants.search()
        assert [a["graph_id"] for a in assistants] == [
            "log_feedback",
            "coaching",
            "matching",
            "approval",
            "thanks_note",
        ]
        schemas = await client.assistants.get_schemas("thanks_note")
        assert set(schemas["input_schema"]["properties"]) == {"to", "reason"}
        graph = await client.assistants.get_graph("thanks_note")
        assert {"plan", "draft", "review", "send"} <= {n["id"] for n in graph["nodes"]}

        thread = await client.threads.create()
        waiting = await client.runs.wait(
            thread["thread_id"], "thanks_note", input={"to": "佐藤さん", "reason": "発表の練習"}
        )
        [pending] = waiting["__interrupt__"]
        assert pending["value"]["type"] == "review" and "佐藤さん" in pending["value"]["draft"]
        state = await client.threads.get_state(thread["thread_id"])
        assert state["next"] == ["review"] and state["values"]["tone"] == "丁寧"

        done = await client.runs.wait(thread["thread_id"], "thanks_note", command={"resume": {"approve": True}})
        assert done["approved"] is True and done["sent"].endswith("（あそとより）")  # env from the config
        history = await client.threads.get_history(thread["thread_id"], limit=20)
        assert len(history) >= 5 and history[0]["next"] == []

        # runs.create + join, and streaming, on the same runtime as the built-ins
        second = await client.threads.create()
        run = await client.runs.create(second["thread_id"], "thanks_note", input={"to": "田中さん", "reason": "散歩"})
        joined = await client.runs.join(second["thread_id"], run["run_id"])
        assert joined["__interrupt__"][0]["value"]["draft"].startswith("田中さんへ　ありがとう！")
        third = await client.threads.create()
        modes = [
            part.event
            async for part in client.runs.stream(
                third["thread_id"], "thanks_note", input={"to": "A", "reason": "B"}, stream_mode="updates"
            )
        ]
        assert "updates" in modes

        # another member cannot see or resume it
        intruder = get_client(url=url, api_key=other_key)
        with pytest.raises(Exception) as caught:
            await intruder.threads.get_state(thread["thread_id"])
        assert getattr(getattr(caught.value, "response", None), "status_code", None) == 404
        assert str(uuid.UUID(thread["thread_id"]))


async def test_a_users_graph_runs_with_the_durability_it_asks_for(
    settings: Settings, db_uri: str, embedder: Any, resources: Resources
) -> None:
    """sync saves every step, async saves them while the next runs, exit only where the run stops:
    the same outputs, fewer checkpoints; built-in flows refuse anything but sync (tests/test_api)."""
    served = settings.model_copy(update={"graphs_config": EXAMPLE})
    key = await make_key(resources, "service")
    with live_server(served, db_uri, embedder) as url:
        client = get_client(url=url, api_key=key)
        saved: dict[str, int] = {}
        for durability in ("sync", "async", "exit"):
            thread = await client.threads.create()
            note = {"to": "佐藤さん", "reason": "発表"}
            waiting = await client.runs.wait(thread["thread_id"], "thanks_note", input=note, durability=durability)
            assert waiting["__interrupt__"], waiting
            done = await client.runs.wait(
                thread["thread_id"], "thanks_note", command={"resume": {"approve": True}}, durability=durability
            )
            assert done["approved"] is True and done["sent"].startswith("佐藤さんへ"), (durability, done)
            saved[durability] = len(await client.threads.get_history(thread["thread_id"], limit=100))
        assert saved["sync"] == saved["async"] > saved["exit"] >= 2, saved
        async with httpx.AsyncClient(base_url=url, headers={"x-api-key": key}) as http:
            thread = (await http.post("/threads", json={})).json()["thread_id"]
            bad = await http.post(
                f"/threads/{thread}/runs", json={"assistant_id": "thanks_note", "input": {}, "durability": "later"}
            )
            assert (bad.status_code, bad.json()["code"]) == (422, "unsupported_option")


async def test_a_users_graph_streams_tasks_checkpoints_and_debug(
    settings: Settings, db_uri: str, embedder: Any, resources: Resources
) -> None:
    """The Platform's whole-state stream modes, for a graph without drafts (any key may ask)."""
    served = settings.model_copy(update={"graphs_config": EXAMPLE})
    member = await make_key(resources, "member", (await first_member(resources)).id)
    with live_server(served, db_uri, embedder) as url:
        client = get_client(url=url, api_key=member)
        thread = await client.threads.create()
        parts = [
            part
            async for part in client.runs.stream(
                thread["thread_id"],
                "thanks_note",
                input={"to": "佐藤さん", "reason": "発表"},
                stream_mode=["tasks", "checkpoints", "debug"],
            )
        ]
        kinds = {p.event for p in parts}
        assert {"metadata", "tasks", "checkpoints", "debug"} <= kinds, kinds
        started = [p.data["name"] for p in parts if p.event == "tasks" and "input" in p.data]
        assert started[:3] == ["plan", "draft", "review"]
        last = [p.data for p in parts if p.event == "checkpoints"][-1]
        assert last["next"] == ["review"] and last["values"]["tone"] == "丁寧"
        assert {p.data["type"] for p in parts if p.event == "debug"} >= {"checkpoint", "task", "task_result"}
        replay = [part async for part in client.runs.join_stream(thread["thread_id"], parts[0].data["run_id"])]
        assert [p.event for p in replay] == [p.event for p in parts]


@pytest.mark.parametrize("flow", [*FLOWS, "thanks_note"])
def test_graph_show_draws_every_flow_in_ascii(flow: str) -> None:
    """``--format ascii`` draws boxes (grandalf is a dependency), never Mermaid in its place."""
    from asoto.cli import app

    result = CliRunner().invoke(app, ["graph", "show", flow, "--config", str(EXAMPLE), "--format", "ascii"])
    assert result.exit_code == 0, result.output
    graph = flows_for(EXAMPLE)[flow]
    nodes = (graph.compiled or graph.builder.compile()).get_graph().nodes
    assert "graph TD" not in result.stdout and "+--" in result.stdout
    for node in nodes:
        assert f"| {node} |" in result.stdout or node in result.stdout, node


async def test_cors_lets_the_configured_browser_origins_in_and_no_other(
    settings: Settings, db_uri: str, embedder: Any, resources: Resources
) -> None:
    """Browser tools (LangGraph Studio, the team's own page) need CORS; off unless configured."""
    studio = "https://smith.langchain.com"
    key = await make_key(resources, "service")
    preflight = {
        "Origin": studio,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "x-api-key",
    }
    with live_server(settings.model_copy(update={"cors_origins": [studio]}), db_uri, embedder) as url:
        async with httpx.AsyncClient(base_url=url) as http:
            allowed = await http.options("/threads/search", headers=preflight)
            assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == studio
            other = await http.options("/threads/search", headers={**preflight, "Origin": "https://evil.example"})
            assert other.status_code == 400 and "access-control-allow-origin" not in other.headers
            found = await http.post("/threads/search", json={}, headers={"Origin": studio, "x-api-key": key})
            assert found.status_code == 200 and found.headers["access-control-allow-origin"] == studio
            unauth = await http.post("/threads/search", json={}, headers={"Origin": studio})
            assert unauth.status_code == 401  # CORS lets a browser ask; the key still decides
    with live_server(settings, db_uri, embedder) as url:
        async with httpx.AsyncClient(base_url=url) as http:
            closed = await http.options("/threads/search", headers=preflight)
            assert "access-control-allow-origin" not in closed.headers


async def test_join_stream_of_a_run_made_without_a_stream_gives_its_outcome(
    settings: Settings, db_uri: str, embedder: Any, resources: Resources
) -> None:
    """Issue 15: it yielded ``metadata`` alone, silently. A run created with ``runs.create`` has
    no recorded events; joining its stream now gives its outcome when it ends."""
    served = settings.model_copy(update={"graphs_config": EXAMPLE})
    key = await make_key(resources, "service")
    with live_server(served, db_uri, embedder) as url:
        client = get_client(url=url, api_key=key)
        thread = await client.threads.create()
        run = await client.runs.create(thread["thread_id"], "thanks_note", input={"to": "佐藤さん", "reason": "発表"})
        parts = [part async for part in client.runs.join_stream(thread["thread_id"], run["run_id"])]
        assert [p.event for p in parts] == ["metadata", "values"]
        assert parts[1].data["tone"] == "丁寧" and parts[1].data["__interrupt__"][0]["value"]["type"] == "review"
        done = await client.runs.create(thread["thread_id"], "thanks_note", command={"resume": {"approve": True}})
        await client.runs.join(thread["thread_id"], done["run_id"])  # already over when joined: same answer
        again = [part async for part in client.runs.join_stream(thread["thread_id"], done["run_id"])]
        assert [p.event for p in again] == ["metadata", "values"] and again[1].data["approved"] is True

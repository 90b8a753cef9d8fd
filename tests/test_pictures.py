"""Graph pictures drawn offline: SVG of every flow (units), a thread's path over HTTP (real runs on
the real checkpointer), and ``asoto graph show`` (subprocess)."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from asoto.graphs.picture import Trace, draw_html, draw_svg, text_width
from asoto.graphs.registry import flows_for

from .conftest import ORDINARY_LOG, Api, first_member, make_key

SVG = "{http://www.w3.org/2000/svg}"
FLOWS = ("log_feedback", "coaching", "matching", "approval")


def _graph(flow: str, xray: bool = False) -> Any:
    chosen = flows_for(None)[flow]
    return (chosen.compiled or chosen.builder.compile()).get_graph(xray=xray)


def _parsed(svg: str) -> tuple[dict[str, set[str]], dict[tuple[str, str], set[str]], dict[str, str]]:
    """Nodes and edges of a drawn picture, with their classes (and the nodes' labels)."""
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    nodes, edges, labels = {}, {}, {}
    for g in root.iter(f"{SVG}g"):
        classes = set(g.get("class", "").split())
        if "node" in classes:
            nodes[g.get("data-node", "")] = classes
            labels[g.get("data-node", "")] = "".join(g.find(f"{SVG}text").itertext())  # type: ignore[union-attr]
        elif "edge" in classes:
            edges[(g.get("data-source", ""), g.get("data-target", ""))] = classes
    return nodes, edges, labels


@pytest.mark.parametrize("flow", FLOWS)
def test_the_svg_of_every_flow_has_every_node_and_edge(flow: str) -> None:
    for xray in (False, True):
        graph = _graph(flow, xray)
        svg = draw_svg(graph, title=flow)
        nodes, edges, _ = _parsed(svg)
        assert set(nodes) == set(graph.nodes)
        assert set(edges) == {(e.source, e.target) for e in graph.edges}
        conditional = {(e.source, e.target) for e in graph.edges if e.conditional}
        assert {k for k, c in edges.items() if "conditional" in c} == conditional
        assert "<script" not in svg and "http://" not in svg.replace("http://www.w3.org/2000/svg", "")
        # every point inside the picture: nothing drawn off the canvas
        root = ET.fromstring(svg)
        width, height = float(root.get("width", 0)), float(root.get("height", 0))
        for rect in root.iter(f"{SVG}rect"):
            assert float(rect.get("x", -1)) >= 0 and float(rect.get("x", 0)) + float(rect.get("width", 0)) <= width
            assert float(rect.get("y", -1)) >= 0 and float(rect.get("y", 0)) + float(rect.get("height", 0)) <= height


def test_a_trace_marks_visits_path_and_the_waiting_node() -> None:
    graph = _graph("coaching")
    trace = Trace(
        visits={"__start__": 1, "load_context": 1, "coach": 2},
        taken=frozenset({("__start__", "load_context"), ("check_reply", "coach")}),
        current=("await_reply",),
        waiting=True,
    )
    nodes, edges, labels = _parsed(draw_svg(graph, trace))
    assert {"visited"} <= nodes["coach"] and labels["coach"] == "coach ×2" and labels["load_context"] == "load_context"
    assert {"current", "waiting"} <= nodes["await_reply"] and "visited" not in nodes["await_reply"]
    assert "visited" not in nodes["save"] and "current" not in nodes["save"]
    assert {k for k, c in edges.items() if "taken" in c} == set(trace.taken)
    assert Trace.from_json(trace.to_json()) == trace
    page = draw_html(graph, trace, title="コーチング <テスト>")
    assert "&lt;テスト&gt;" in page and "<svg" in page and "<script" not in page


def test_labels_are_escaped_and_wide_characters_get_room() -> None:
    assert text_width("関係性") > text_width("abc") * 1.5
    from langgraph.graph import END, START, StateGraph
    from typing_extensions import TypedDict

    class S(TypedDict):
        x: int

    builder: Any = StateGraph(S)
    builder.add_node("振り返り<&>", lambda s: s)
    builder.add_edge(START, "振り返り<&>")
    builder.add_edge("振り返り<&>", END)
    _nodes, _, labels = _parsed(draw_svg(builder.compile().get_graph()))
    assert labels["振り返り<&>"] == "振り返り<&>"


async def test_thread_pictures_over_http_finished_interrupted_and_private(api: Api) -> None:
    from .test_api import _interrupted

    # a finished thread: the whole path from start to end, no node next
    finished = await api.thread()
    assert (await api.wait(finished, api.log_body(ORDINARY_LOG))).status_code == 200
    r = await api.client.get(f"/threads/{finished}/graph.svg")
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    nodes, edges, _ = _parsed(r.text)
    taken = {k for k, c in edges.items() if "taken" in c}
    assert {("__start__", "load_context"), ("check", "publish"), ("publish", "__end__")} <= taken
    assert ("check", "hold") not in taken and "visited" in nodes["publish"]
    assert not [n for n, c in nodes.items() if "current" in c]
    # an interrupted thread: waits at review, the hold path taken
    waiting, _pending = await _interrupted(api)
    nodes, edges, _ = _parsed((await api.client.get(f"/threads/{waiting}/graph.svg")).text)
    assert {"current", "waiting"} <= nodes["review"]
    assert ("check", "hold") in {k for k, c in edges.items() if "taken" in c} and "visited" in nodes["hold"]
    assert "visited" not in nodes["publish"]
    trace = (await api.client.get(f"/threads/{waiting}/graph")).json()["trace"]
    assert trace["current"] == ["review"] and trace["waiting"] and not trace["finished"]
    # a member sees pictures of its own threads only (404, as for the thread itself); no key: 401
    other = await first_member(api.res, offset=1)
    stranger = await make_key(api.res, "member", other.id)
    refused = await api.client.get(f"/threads/{waiting}/graph.svg", headers=api.as_key(stranger))
    assert (refused.status_code, refused.json()["code"]) == (404, "thread_not_found")
    assert (await api.client.get(f"/threads/{waiting}/graph.svg", headers={"x-api-key": ""})).status_code == 401
    # a thread that has not run: 404 no_graph
    empty = await api.thread()
    assert (await api.client.get(f"/threads/{empty}/graph.svg")).json()["code"] == "no_graph"
    # the assistant's picture, with and without subgraphs; a bad xray is a 422
    plain = await api.client.get("/assistants/approval/graph.svg")
    assert plain.status_code == 200 and set(_parsed(plain.text)[0]) == set(_graph("approval").nodes)
    xrayed = (await api.client.get("/assistants/log_feedback/graph.svg?xray=true")).text
    assert set(_parsed(xrayed)[0]) == set(_graph("log_feedback", xray=True).nodes)
    bad = await api.client.get("/assistants/approval/graph.svg?xray=maybe")
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_xray")
    assert (await api.client.get("/assistants/nope/graph.svg")).status_code == 404


def test_graph_show_writes_svg_and_html_and_refuses_png(tmp_path: Any) -> None:
    out = tmp_path / "approval.svg"
    cli = [sys.executable, "-m", "asoto.cli", "graph", "show"]
    done = subprocess.run([*cli, "approval", "--format", "svg", "-o", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert set(_parsed(out.read_text(encoding="utf-8"))[0]) == set(_graph("approval").nodes)
    page = subprocess.run([*cli, "coaching", "--format", "html"], capture_output=True, text=True, check=True).stdout
    assert page.startswith("<!doctype html>") and 'data-node="await_reply"' in page
    png = subprocess.run([*cli, "approval", "--format", "png"], capture_output=True, text=True)
    assert png.returncode == 2 and "invalid_format" in png.stderr and not png.stdout

"""Pictures of a graph, drawn offline: SVG (and a self-contained HTML page around it).

The layout is grandalf's Sugiyama layout (pure Python, a dependency already, for ``draw_ascii``);
the SVG is written here because no maintained package turns a LangGraph ``Graph`` into SVG without
a browser, Graphviz or a network call (``draw_mermaid_png`` calls mermaid.ink; ``draw_png`` needs
the Graphviz system package). Each node is a ``<g class="node" data-node="…">`` and each edge a
``<g class="edge" data-source data-target>``, so tests and the inspector page can find them.

A :class:`Trace` (where a thread went) adds the highlight: nodes visited with their visit counts,
edges taken, the node(s) next, and whether the thread waits on a person.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from grandalf.graphs import Edge, Graph, Vertex
from grandalf.layouts import SugiyamaLayout
from grandalf.routing import route_with_lines

SVG_MEDIA_TYPE = "image/svg+xml"
FONT_PX = 13
NODE_H = 34
PAD_X = 14
MARGIN = 24


@dataclass(frozen=True)
class Trace:
    """Where one thread went in its graph (read from its checkpoints by ``services.threads``)."""

    visits: dict[str, int] = field(default_factory=dict)
    taken: frozenset[tuple[str, str]] = frozenset()
    current: tuple[str, ...] = ()
    waiting: bool = False  # an interrupt waits for a person (or a breakpoint for a debugger)
    finished: bool = False

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Trace:
        return cls(
            visits=dict(data["visits"]),
            taken=frozenset((s, t) for s, t in data["taken"]),
            current=tuple(data["current"]),
            waiting=bool(data["waiting"]),
            finished=bool(data["finished"]),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "visits": self.visits,
            "taken": sorted([s, t] for s, t in self.taken),
            "current": list(self.current),
            "waiting": self.waiting,
            "finished": self.finished,
        }


def text_width(text: str) -> float:
    """Width of a label in pixels: wide (CJK) characters take a full em, others a bit over half."""
    return sum(FONT_PX if unicodedata.east_asian_width(c) in "WF" else FONT_PX * 0.62 for c in text)


class _Box:
    """grandalf's view of a vertex: its size in, its centre out."""

    def __init__(self, w: float, h: float) -> None:
        self.w, self.h = w, h
        self.xy: tuple[float, float] = (0.0, 0.0)


class _Line:
    def __init__(self) -> None:
        self.pts: list[tuple[float, float]] = []
        self.head_angle = 0.0

    def setpath(self, pts: list[tuple[float, float]]) -> None:
        self.pts = [tuple(p) for p in pts]  # type: ignore[misc]


@dataclass(frozen=True)
class Layout:
    width: float
    height: float
    nodes: dict[str, tuple[float, float, float, float]]  # name -> centre x, centre y, w, h
    edges: list[tuple[str, str, bool, list[tuple[float, float]]]]  # source, target, conditional, points


def _label(name: str, visits: int) -> str:
    return f"{name} ×{visits}" if visits > 1 else name


def layout(graph: Any, trace: Trace | None = None) -> Layout:
    """Place every node and route every edge of a LangGraph ``Graph`` (``get_graph()``)."""
    visits = trace.visits if trace else {}
    vertices: dict[str, Vertex] = {}
    for node_id, node in graph.nodes.items():
        vertex = Vertex(node_id)
        label = _label(str(node.name), visits.get(node_id, 0))
        vertex.view = _Box(text_width(label) + 2 * PAD_X, NODE_H)
        vertices[node_id] = vertex
    edges: list[tuple[Any, Edge]] = []
    for lang_edge in graph.edges:
        edge = Edge(vertices[lang_edge.source], vertices[lang_edge.target])
        edge.view = _Line()
        edges.append((lang_edge, edge))
    whole = Graph(list(vertices.values()), [e for _, e in edges])
    for component in whole.C:  # every component (a graph may have an unconnected node)
        sugiyama = SugiyamaLayout(component)
        roots = [v for v in component.sV if not v.e_in()]
        sugiyama.init_all(roots=roots or None, optimize=True)
        sugiyama.xspace, sugiyama.yspace = 28, 46
        sugiyama.route_edge = route_with_lines
        sugiyama.draw()
    # components are laid out on their own: put them side by side
    offset = 0.0
    placed: dict[str, tuple[float, float, float, float]] = {}
    shifts: dict[int, float] = {}
    for index, component in enumerate(whole.C):
        left = min(v.view.xy[0] - v.view.w / 2 for v in component.sV)
        right = max(v.view.xy[0] + v.view.w / 2 for v in component.sV)
        shifts[index] = offset - left
        for v in component.sV:
            placed[v.data] = (v.view.xy[0] + offset - left, v.view.xy[1], v.view.w, v.view.h)
        offset += right - left + 40
    component_of = {v.data: i for i, c in enumerate(whole.C) for v in c.sV}
    bends = [(x + shifts[component_of[le.source]], y) for le, e in edges for x, y in e.view.pts]
    top = min([y - h / 2 for _, y, _, h in placed.values()] + [y for _, y in bends])
    left_all = min([x - w / 2 for x, _, w, _ in placed.values()] + [x for x, _ in bends])
    dx, dy = MARGIN - left_all, MARGIN - top
    nodes = {name: (x + dx, y + dy, w, h) for name, (x, y, w, h) in placed.items()}
    routed = []
    for lang_edge, edge in edges:
        shift = shifts[component_of[lang_edge.source]] + dx
        pts = [(x + shift, y + dy) for x, y in edge.view.pts]
        if not pts:  # grandalf routes nothing for a self-loop: draw a small loop on the right
            x, y, w, _ = nodes[lang_edge.source]
            pts = [(x + w / 2, y - 6), (x + w / 2 + 22, y - 12), (x + w / 2 + 22, y + 12), (x + w / 2, y + 6)]
        elif math.dist(pts[0], nodes[lang_edge.target][:2]) < math.dist(pts[-1], nodes[lang_edge.target][:2]):
            pts.reverse()  # an edge grandalf inverted to break a cycle: draw it source -> target
        routed.append((lang_edge.source, lang_edge.target, bool(lang_edge.conditional), pts))
    ends = [p for *_, pts in routed for p in pts]
    width = max([x + w / 2 for x, _, w, _ in nodes.values()] + [x for x, _ in ends]) + MARGIN + 24
    height = max([y + h / 2 for _, y, _, h in nodes.values()] + [y for _, y in ends]) + MARGIN
    return Layout(width=width, height=height, nodes=nodes, edges=routed)


STYLE = """
.node rect{fill:#f5f5f5;stroke:#616161;stroke-width:1.2}
.node.terminal rect{fill:#eceff1;stroke:#90a4ae}
.node text{font:13px sans-serif;fill:#212121;text-anchor:middle;dominant-baseline:central}
.node.visited rect{fill:#c8e6c9;stroke:#2e7d32}
.node.current rect{fill:#ffe082;stroke:#f57f17;stroke-width:3}
.node.waiting rect{stroke-dasharray:5 3}
.edge path{fill:none;stroke:#9e9e9e;stroke-width:1.2}
.edge.conditional path{stroke-dasharray:4 3}
.edge.taken path{stroke:#2e7d32;stroke-width:2.4}
.arrow{fill:#9e9e9e}.arrow-taken{fill:#2e7d32}
"""


def draw_svg(graph: Any, trace: Trace | None = None, *, title: str | None = None) -> str:
    """The graph as one standalone SVG document (no script, no external reference)."""
    placed = layout(graph, trace)
    visits = trace.visits if trace else {}
    current = set(trace.current) if trace else set()
    taken = trace.taken if trace else frozenset()
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" role="img" '
        f'width="{placed.width:.0f}" height="{placed.height:.0f}" '
        f'viewBox="0 0 {placed.width:.0f} {placed.height:.0f}">',
        f"<title>{escape(title or 'graph')}</title>",
        f"<style>{STYLE}</style>",
        "<defs>"
        '<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path class="arrow" d="M0,0L10,5L0,10z"/></marker>'
        '<marker id="arrow-taken" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path class="arrow-taken" d="M0,0L10,5L0,10z"/></marker>'
        "</defs>",
    ]
    for source, target, conditional, pts in placed.edges:
        classes = ["edge"] + (["conditional"] if conditional else []) + (["taken"] if (source, target) in taken else [])
        d = "M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        marker = "arrow-taken" if (source, target) in taken else "arrow"
        parts.append(
            f"<g class={quoteattr(' '.join(classes))} data-source={quoteattr(source)} data-target={quoteattr(target)}>"
            f'<path d="{d}" marker-end="url(#{marker})"/></g>'
        )
    for node_id, node in graph.nodes.items():
        x, y, w, h = placed.nodes[node_id]
        classes = ["node"]
        if node_id in ("__start__", "__end__"):
            classes.append("terminal")
        if node_id in current:
            classes.append("current")
            if trace is not None and trace.waiting:
                classes.append("waiting")
        elif visits.get(node_id):
            classes.append("visited")
        count = visits.get(node_id, 0)
        label = _label(str(node.name), count)
        radius = h / 2 if node_id in ("__start__", "__end__") else 6
        parts.append(
            f'<g class={quoteattr(" ".join(classes))} data-node={quoteattr(node_id)} data-visits="{count}">'
            f'<rect x="{x - w / 2:.1f}" y="{y - h / 2:.1f}" width="{w:.1f}" height="{h:.1f}" rx="{radius:.0f}"/>'
            f'<text x="{x:.1f}" y="{y:.1f}">{escape(label)}</text></g>'
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def draw_html(graph: Any, trace: Trace | None = None, *, title: str) -> str:
    """A self-contained page (opens from a file, offline) with the picture and a legend."""
    legend = (
        '<p class="legend"><span class="k visited"></span> visited (×n: visits) '
        '<span class="k current"></span> next / waiting '
        '<span class="k taken"></span> path taken · dashed edge: conditional</p>'
    )
    return (
        '<!doctype html><html><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>"
        "body{font-family:sans-serif;margin:1rem}svg{max-width:100%;height:auto}"
        ".legend .k{display:inline-block;width:1em;height:1em;vertical-align:middle;border:1px solid #616161}"
        ".k.visited{background:#c8e6c9}.k.current{background:#ffe082}.k.taken{background:#2e7d32}"
        f"</style></head><body><h1>{escape(title)}</h1>{legend}{draw_svg(graph, trace, title=title)}</body></html>\n"
    )

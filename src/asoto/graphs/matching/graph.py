"""Wiring of the matching flow (assistant ``matching``).

load_profile → rank → explain → introduce (approval subgraph) → record;  rank → nothing_found
when no eligible candidate exists.
"""

from __future__ import annotations

from typing import Literal

from langgraph.graph import END, START, StateGraph

from asoto.graphs.context import Context
from asoto.graphs.matching import nodes
from asoto.graphs.matching.state import MatchingInput, MatchingOutput, MatchingState
from asoto.graphs.retry import DB_RETRY


def after_rank(state: MatchingState) -> Literal["explain", "nothing_found"]:
    return "explain" if state.get("matches") else "nothing_found"


builder = StateGraph(MatchingState, context_schema=Context, input_schema=MatchingInput, output_schema=MatchingOutput)
builder.add_node("load_profile", nodes.load_profile, retry_policy=DB_RETRY)
builder.add_node("rank", nodes.rank, retry_policy=DB_RETRY)  # type: ignore[call-overload,arg-type]
builder.add_node("explain", nodes.explain)
builder.add_node("introduce", nodes.introduce)  # type: ignore[call-overload,arg-type]
builder.add_node("record", nodes.record, retry_policy=DB_RETRY)
builder.add_node("nothing_found", nodes.nothing_found)
builder.add_edge(START, "load_profile")
builder.add_edge("load_profile", "rank")
builder.add_conditional_edges("rank", after_rank)
builder.add_edge("explain", "introduce")
builder.add_edge("introduce", "record")
builder.add_edge("record", END)
builder.add_edge("nothing_found", END)

"""Wiring of the log_feedback flow. Exports the builder; callers compile it with their saver.

load_context → store_log → retrieve_similar → score → risk_check → draft ⇄ check
(≤ N redrafts) → publish, or hold → review (the approval flow as a subgraph: a person decides)
→ publish | reject.

The risk check runs before the draft so the writer knows to answer a risky log with care;
a risky log, or a draft still failing its checks, always goes to a person.
"""

from __future__ import annotations

from typing import Literal

from langgraph.graph import END, START, StateGraph

from asoto.graphs.context import Context
from asoto.graphs.log_feedback import nodes
from asoto.graphs.log_feedback.state import InputState, OutputState, State
from asoto.graphs.retry import DB_RETRY


def after_check(state: State) -> Literal["draft", "hold", "publish"]:
    if state.get("redraft"):
        return "draft"
    return "hold" if state.get("review_reasons") else "publish"


def after_review(state: State) -> Literal["publish", "reject"]:
    decision = state.get("decision") or {}
    if decision.get("decision") in ("approve", "edit"):
        return "publish"
    if decision.get("decision") == "reject":
        return "reject"
    raise ValueError(f"no valid decision in state: {decision!r}")


builder = StateGraph(State, context_schema=Context, input_schema=InputState, output_schema=OutputState)
builder.add_node("load_context", nodes.load_context, retry_policy=DB_RETRY)
builder.add_node("store_log", nodes.store_log, retry_policy=DB_RETRY)  # type: ignore[call-overload,arg-type]
builder.add_node("retrieve_similar", nodes.retrieve_similar, retry_policy=DB_RETRY)
builder.add_node("score", nodes.score, retry_policy=DB_RETRY)
builder.add_node("draft", nodes.draft)
builder.add_node("check", nodes.check)
builder.add_node("risk_check", nodes.risk_check)
builder.add_node("hold", nodes.hold, retry_policy=DB_RETRY)
builder.add_node("review", nodes.review)  # type: ignore[call-overload,arg-type]
builder.add_node("publish", nodes.publish, retry_policy=DB_RETRY)
builder.add_node("reject", nodes.reject, retry_policy=DB_RETRY)
builder.add_edge(START, "load_context")
builder.add_edge("load_context", "store_log")
builder.add_edge("store_log", "retrieve_similar")
builder.add_edge("retrieve_similar", "score")
builder.add_edge("score", "risk_check")
builder.add_edge("risk_check", "draft")
builder.add_edge("draft", "check")
builder.add_conditional_edges("check", after_check)
builder.add_edge("hold", "review")
builder.add_conditional_edges("review", after_review)
builder.add_edge("publish", END)
builder.add_edge("reject", END)

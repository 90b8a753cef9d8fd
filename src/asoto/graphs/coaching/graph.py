"""Wiring of the coaching flow (assistant ``coaching``); one thread is one session.

load_context → recall_memory → coach (a draft) → check_turn → deliver → await_reply (interrupt)
  → check_reply → coach …
  a risky AI turn → turn_review (a coach decides) → deliver | summarize
  a risky reply → risk_review (approval subgraph, a coach decides) → coach | await_reply | summarize
  goal reached, turn limit, or the member ends → summarize → propose_steps (the member decides)
  → save
"""

from __future__ import annotations

from typing import Literal

from langgraph.graph import END, START, StateGraph

from asoto.graphs.coaching import nodes
from asoto.graphs.coaching.state import CoachingInput, CoachingOutput, CoachingState
from asoto.graphs.context import Context
from asoto.graphs.retry import DB_RETRY


def after_check_turn(state: CoachingState) -> Literal["turn_review", "deliver"]:
    return "turn_review" if state["turn_risk"]["level"] == "review" else "deliver"


def after_deliver(state: CoachingState) -> Literal["summarize", "await_reply"]:
    return "summarize" if state.get("ended_by") else "await_reply"


def after_reply(state: CoachingState) -> Literal["summarize", "check_reply"]:
    return "summarize" if state.get("ended_by") == "member" else "check_reply"


def after_check(state: CoachingState) -> Literal["risk_review", "coach"]:
    return "risk_review" if state["risk"]["level"] == "review" else "coach"


def after_review(state: CoachingState) -> Literal["summarize", "await_reply", "coach"]:
    if state.get("ended_by") == "coach":
        return "summarize"
    last = state["messages"][-1]
    return "await_reply" if getattr(last, "name", None) == "human_coach" else "coach"


builder = StateGraph(CoachingState, context_schema=Context, input_schema=CoachingInput, output_schema=CoachingOutput)
builder.add_node("load_context", nodes.load_context, retry_policy=DB_RETRY)  # type: ignore[call-overload,arg-type]
builder.add_node("recall_memory", nodes.recall_memory, retry_policy=DB_RETRY)
builder.add_node("coach", nodes.coach)
builder.add_node("check_turn", nodes.check_turn)
builder.add_node("turn_review", nodes.turn_review)  # type: ignore[call-overload,arg-type]
builder.add_node("deliver", nodes.deliver)
builder.add_node("await_reply", nodes.await_reply)
builder.add_node("check_reply", nodes.check_reply)
builder.add_node("risk_review", nodes.risk_review)  # type: ignore[call-overload,arg-type]
builder.add_node("summarize", nodes.summarize)
builder.add_node("propose_steps", nodes.propose_steps)  # type: ignore[call-overload,arg-type]
builder.add_node("save", nodes.save, retry_policy=DB_RETRY)  # type: ignore[call-overload,arg-type]
builder.add_edge(START, "load_context")
builder.add_edge("load_context", "recall_memory")
builder.add_edge("recall_memory", "coach")
builder.add_edge("coach", "check_turn")
builder.add_conditional_edges("check_turn", after_check_turn)
builder.add_edge("turn_review", "deliver")
builder.add_conditional_edges("deliver", after_deliver)
builder.add_conditional_edges("await_reply", after_reply)
builder.add_conditional_edges("check_reply", after_check)
builder.add_conditional_edges("risk_review", after_review)
builder.add_edge("summarize", "propose_steps")
builder.add_edge("propose_steps", "save")
builder.add_edge("save", END)

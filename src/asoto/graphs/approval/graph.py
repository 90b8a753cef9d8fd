"""Wiring of the approval flow; usable alone (assistant ``approval``) and as a subgraph.

assess → record → await_decision (interrupt) → apply_decision → apply_effects
                 ↘ (a policy decided) ─────────→ apply_decision
"""

from __future__ import annotations

from typing import Literal

from langgraph.graph import END, START, StateGraph

from asoto.graphs.approval import nodes
from asoto.graphs.approval.state import ApprovalInput, ApprovalOutput, ApprovalState
from asoto.graphs.context import Context
from asoto.graphs.retry import DB_RETRY


def after_record(state: ApprovalState) -> Literal["await_decision", "apply_decision"]:
    return "apply_decision" if state.get("resume") else "await_decision"


builder = StateGraph(ApprovalState, context_schema=Context, input_schema=ApprovalInput, output_schema=ApprovalOutput)
builder.add_node("assess", nodes.assess)
builder.add_node("record", nodes.record, retry_policy=DB_RETRY)  # type: ignore[call-overload,arg-type]
builder.add_node("await_decision", nodes.await_decision)
builder.add_node("apply_decision", nodes.apply_decision, retry_policy=DB_RETRY)
builder.add_node("apply_effects", nodes.apply_effects, retry_policy=DB_RETRY)
builder.add_edge(START, "assess")
builder.add_edge("assess", "record")
builder.add_conditional_edges("record", after_record)
builder.add_edge("await_decision", "apply_decision")
builder.add_edge("apply_decision", "apply_effects")
builder.add_edge("apply_effects", END)

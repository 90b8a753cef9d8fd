"""The flows the engine serves, one assistant each.

Assistant ids follow LangGraph Platform: the graph name works as an id, and so does
``uuid5(NAMESPACE_GRAPH, graph_id)``, so the official SDK's habits work unchanged.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from langgraph.graph import StateGraph
from pydantic import BaseModel

from asoto.errors import NotFound
from asoto.graphs import approval, coaching, log_feedback, matching
from asoto.graphs.approval.state import ApprovalFlowInput
from asoto.graphs.coaching.state import CoachingFlowInput
from asoto.graphs.log_feedback.state import LogFeedbackInput
from asoto.graphs.matching.state import MatchingFlowInput

NAMESPACE_GRAPH = uuid.UUID("6ba7b821-9dad-11d1-80b4-00c04fd430c8")
REGISTERED_AT = datetime(2026, 11, 22, tzinfo=UTC)


@dataclass(frozen=True)
class Flow:
    graph_id: str
    name: str
    description: str
    builder: StateGraph[Any, Any, Any, Any]
    input_model: type[BaseModel]

    @property
    def assistant_id(self) -> uuid.UUID:
        return uuid.uuid5(NAMESPACE_GRAPH, self.graph_id)


FLOWS: dict[str, Flow] = {
    flow.graph_id: flow
    for flow in (
        Flow(
            graph_id="log_feedback",
            name="log_feedback",
            description="内省ログへのAIフィードバック（リスクのあるログは人の承認を経る）",
            builder=log_feedback.builder,
            input_model=LogFeedbackInput,
        ),
        Flow(
            graph_id="coaching",
            name="coaching",
            description="コーチング対話（記憶・問い・ステップ提案。ステップは本人が承認）",
            builder=coaching.builder,
            input_model=CoachingFlowInput,
        ),
        Flow(
            graph_id="matching",
            name="matching",
            description="メンバー・プロジェクトのマッチング（候補・スコア・説明・紹介の承認）",
            builder=matching.builder,
            input_model=MatchingFlowInput,
        ),
        Flow(
            graph_id="approval",
            name="approval",
            description="人の承認（ポリシー判定・承認待ち・一度だけの決定・期限と監査）",
            builder=approval.builder,
            input_model=ApprovalFlowInput,
        ),
    )
}


def resolve(assistant_id: str) -> Flow:
    """A flow by graph name or assistant UUID; unknown ids are a 404."""
    if assistant_id in FLOWS:
        return FLOWS[assistant_id]
    for flow in FLOWS.values():
        if str(flow.assistant_id) == assistant_id.lower():
            return flow
    raise NotFound(f"assistant {assistant_id!r} not found", code="assistant_not_found")

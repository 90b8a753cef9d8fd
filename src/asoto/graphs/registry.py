"""The flows the engine serves, one assistant each.

Assistant ids follow LangGraph Platform: the graph name works as an id, and so does
``uuid5(NAMESPACE_GRAPH, graph_id)``, so the official SDK's habits work unchanged.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property, lru_cache
from pathlib import Path
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
    input_model: type[BaseModel] | None  # None: a user's graph; its own input schema applies
    compiled: Any = None  # a user's graph as they compiled it (kept: interrupts, names, options)

    @property
    def builtin(self) -> bool:
        """A community flow (it gets the engine's run context); a user's graph has no input model."""
        return self.input_model is not None

    def compile(self, checkpointer: Any, store: Any = None) -> Any:
        """Every graph gets the engine's checkpointer and its store (``runtime.store``)."""
        if self.compiled is not None:
            return self.compiled.copy(update={"checkpointer": checkpointer, "store": store, "name": self.graph_id})
        return self.builder.compile(checkpointer=checkpointer, store=store, name=self.graph_id)

    @cached_property  # looked up on every run's creation (a uuid5 hash each time)
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


def flows_for(config_path: str | Path | None) -> dict[str, Flow]:
    """The flows a process serves: the built-ins, plus the graphs of a ``langgraph.json``."""
    if config_path is None:
        return dict(FLOWS)
    path = Path(config_path).resolve()
    return dict(_flows_from(path, path.stat().st_mtime_ns if path.exists() else 0))


@lru_cache(maxsize=8)
def _flows_from(path: Path, _mtime_ns: int) -> dict[str, Flow]:
    """Loaded once per file version: the CLI checks the config, then the lifespan serves it,
    and a user's module is executed once, not twice."""
    from asoto.runtime.loader import load_config

    config = load_config(path, reserved=frozenset(FLOWS))
    flows = dict(FLOWS) if config.builtin_flows else {}
    for graph in config.graphs:
        flows[graph.name] = Flow(
            graph_id=graph.name,
            name=graph.name,
            description=graph.description or f"{graph.reference} ({config.path.name})",
            builder=graph.builder,
            input_model=None,
            compiled=graph.compiled,
        )
    return flows


def resolve(assistant_id: str, flows: Mapping[str, Flow] = FLOWS) -> Flow:
    """A flow by graph name or assistant UUID; unknown ids are a 404."""
    if assistant_id in flows:
        return flows[assistant_id]
    for flow in flows.values():
        if str(flow.assistant_id) == assistant_id.lower():
            return flow
    raise NotFound(f"assistant {assistant_id!r} not found", code="assistant_not_found")

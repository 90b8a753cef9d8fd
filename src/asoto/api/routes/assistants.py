"""Assistants: one per flow, read-only (graph registry, graph JSON, JSON schemas)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from asoto.api.deps import CallerDep, ResourcesDep
from asoto.api.schemas import AssistantSearch
from asoto.errors import InvalidInput
from asoto.graphs.registry import REGISTERED_AT, Flow, resolve

router = APIRouter(tags=["assistants"])


def assistant_json(flow: Flow) -> dict[str, Any]:
    return {
        "assistant_id": str(flow.assistant_id),
        "graph_id": flow.graph_id,
        "name": flow.name,
        "description": flow.description,
        "config": {},
        "context": {},
        "metadata": {"created_by": "system"},
        "version": 1,
        "created_at": REGISTERED_AT.isoformat(),
        "updated_at": REGISTERED_AT.isoformat(),
    }


@router.post("/assistants/search")
async def search(body: AssistantSearch, res: ResourcesDep, _: CallerDep) -> list[dict[str, Any]]:
    flows = [f for f in res.flows.values() if body.graph_id in (None, f.graph_id) and body.name in (None, f.name)]
    return [assistant_json(f) for f in flows[body.offset : body.offset + body.limit]]


@router.get("/assistants/{assistant_id}")
async def get(assistant_id: str, res: ResourcesDep, _: CallerDep) -> dict[str, Any]:
    return assistant_json(resolve(assistant_id, res.flows))


def _xray(value: str) -> bool | int:
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    if value.isdigit():
        return int(value)
    raise InvalidInput("xray must be true, false or a depth", code="invalid_xray")


@router.get("/assistants/{assistant_id}/graph")
async def graph(assistant_id: str, res: ResourcesDep, _: CallerDep, xray: str = Query("false")) -> dict[str, Any]:
    flow = resolve(assistant_id, res.flows)
    return res.graphs[flow.graph_id].get_graph(xray=_xray(xray)).to_json()  # type: ignore[no-any-return]


@router.get("/assistants/{assistant_id}/subgraphs")
async def subgraphs(assistant_id: str, res: ResourcesDep, _: CallerDep) -> dict[str, Any]:
    resolve(assistant_id, res.flows)
    return {}


@router.get("/assistants/{assistant_id}/schemas")
async def schemas(assistant_id: str, res: ResourcesDep, _: CallerDep) -> dict[str, Any]:
    flow = resolve(assistant_id, res.flows)
    compiled = res.graphs[flow.graph_id]
    return {
        "graph_id": flow.graph_id,
        "input_schema": flow.input_model.model_json_schema()
        if flow.input_model
        else _schema(compiled.get_input_jsonschema),
        "output_schema": _schema(compiled.get_output_jsonschema),
        "state_schema": _schema(compiled.get_output_jsonschema),
        "config_schema": {},
        "context_schema": None,
    }


def _schema(render: Any) -> dict[str, Any] | None:
    """A user's graph may use types pydantic cannot describe: no schema, rather than a 500."""
    try:
        return render()  # type: ignore[no-any-return]
    except Exception:
        return None

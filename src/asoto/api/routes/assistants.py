"""Assistants: each served graph's own (read-only), and configured ones over the API (versioned)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Response

from asoto.api.deps import CallerDep, ResourcesDep
from asoto.api.schemas import (
    AssistantCount,
    AssistantCreate,
    AssistantLatest,
    AssistantSearch,
    AssistantUpdate,
    AssistantVersions,
)
from asoto.errors import InvalidInput
from asoto.graphs import picture
from asoto.services import assistants

router = APIRouter(tags=["assistants"])


@router.post("/assistants")
async def create(body: AssistantCreate, res: ResourcesDep, caller: CallerDep) -> dict[str, Any]:
    async with res.db.sessions.begin() as session:
        return await assistants.create(session, caller, body, res.flows, res.graphs)


@router.patch("/assistants/{assistant_id}")
async def update(assistant_id: str, body: AssistantUpdate, res: ResourcesDep, caller: CallerDep) -> dict[str, Any]:
    async with res.db.sessions.begin() as session:
        return await assistants.update(session, caller, assistant_id, body, res.flows, res.graphs)


@router.delete("/assistants/{assistant_id}", status_code=204)
async def delete(
    assistant_id: str, res: ResourcesDep, caller: CallerDep, delete_threads: bool = Query(False)
) -> Response:
    if delete_threads:
        raise InvalidInput(
            "delete_threads is not supported: threads belong to members; delete them one by one",
            code="unsupported_option",
        )
    async with res.db.sessions.begin() as session:
        await assistants.delete(session, caller, assistant_id, res.flows)
    return Response(status_code=204)


@router.post("/assistants/search")
async def search(body: AssistantSearch, res: ResourcesDep, _: CallerDep) -> list[dict[str, Any]]:
    async with res.db.autocommit() as session:
        return await assistants.search(session, body, res.flows)


@router.post("/assistants/count")
async def count(body: AssistantCount, res: ResourcesDep, _: CallerDep) -> int:
    async with res.db.autocommit() as session:
        return await assistants.count(session, body, res.flows)


@router.get("/assistants/{assistant_id}")
async def get(assistant_id: str, res: ResourcesDep, _: CallerDep) -> dict[str, Any]:
    async with res.db.autocommit() as session:
        return await assistants.get(session, assistant_id, res.flows)


@router.post("/assistants/{assistant_id}/versions")
async def versions(assistant_id: str, body: AssistantVersions, res: ResourcesDep, _: CallerDep) -> list[dict[str, Any]]:
    async with res.db.autocommit() as session:
        return await assistants.versions(session, assistant_id, body, res.flows)


@router.post("/assistants/{assistant_id}/latest")
async def set_latest(assistant_id: str, body: AssistantLatest, res: ResourcesDep, caller: CallerDep) -> dict[str, Any]:
    async with res.db.sessions.begin() as session:
        return await assistants.set_latest(session, caller, assistant_id, body.version, res.flows)


def _xray(value: str) -> bool | int:
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    if value.isdigit():
        return int(value)
    raise InvalidInput("xray must be true, false or a depth", code="invalid_xray")


@router.get("/assistants/{assistant_id}/graph")
async def graph(assistant_id: str, res: ResourcesDep, _: CallerDep, xray: str = Query("false")) -> dict[str, Any]:
    async with res.db.autocommit() as session:
        flow = await assistants.flow_of(session, assistant_id, res.flows)
    return res.graphs[flow.graph_id].get_graph(xray=_xray(xray)).to_json()  # type: ignore[no-any-return]


@router.get("/assistants/{assistant_id}/graph.svg", response_class=Response)
async def graph_svg(assistant_id: str, res: ResourcesDep, _: CallerDep, xray: str = Query("false")) -> Response:
    """The graph drawn offline as SVG (no script, no external reference)."""
    async with res.db.autocommit() as session:
        flow = await assistants.flow_of(session, assistant_id, res.flows)
    drawn = picture.draw_svg(res.graphs[flow.graph_id].get_graph(xray=_xray(xray)), title=flow.graph_id)
    return Response(drawn, media_type=picture.SVG_MEDIA_TYPE)


@router.get("/assistants/{assistant_id}/subgraphs")
async def subgraphs(assistant_id: str, res: ResourcesDep, _: CallerDep) -> dict[str, Any]:
    async with res.db.autocommit() as session:
        await assistants.flow_of(session, assistant_id, res.flows)
    return {}


@router.get("/assistants/{assistant_id}/schemas")
async def schemas(assistant_id: str, res: ResourcesDep, _: CallerDep) -> dict[str, Any]:
    async with res.db.autocommit() as session:
        flow = await assistants.flow_of(session, assistant_id, res.flows)
    compiled = res.graphs[flow.graph_id]
    return {
        "graph_id": flow.graph_id,
        "input_schema": flow.input_model.model_json_schema()
        if flow.input_model
        else _schema(compiled.get_input_jsonschema),
        "output_schema": _schema(compiled.get_output_jsonschema),
        "state_schema": _schema(compiled.get_output_jsonschema),
        "config_schema": {},
        "context_schema": None if flow.builtin else _schema(compiled.get_context_jsonschema),
    }


def _schema(render: Any) -> dict[str, Any] | None:
    """A user's graph may use types pydantic cannot describe: no schema, rather than a 500."""
    try:
        return render()  # type: ignore[no-any-return]
    except Exception:
        return None

"""Assistants: every served graph is one (read-only, version 1), and assistants created over the
API configure a graph for their runs, versioned, the way the LangGraph Platform does.

A run names an assistant; the run pins that assistant's version when it is created (its config
and context are copied into the run), so a later update never changes a run already queued.
Config is ``configurable`` (merged: the assistant's, then the run's), ``tags`` and
``recursion_limit``; the engine's own keys (``thread_id``, ``run_id``, checkpoints) cannot be
set. Context is validated against the graph's ``context_schema`` and given to the graph as that
type. Built-in flows get the engine's run context, so an assistant of a built-in flow carries
config only. Only admin and service keys configure assistants; any key reads them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from asoto.api.schemas import AssistantCount, AssistantCreate, AssistantSearch, AssistantUpdate, AssistantVersions
from asoto.errors import Conflict, Forbidden, InvalidInput, NotFound
from asoto.graphs.registry import REGISTERED_AT, Flow, resolve
from asoto.persistence.models import Assistant, AssistantVersion
from asoto.services.keys import Principal

CONFIG_KEYS = frozenset({"configurable", "tags", "recursion_limit"})
RESERVED_CONFIGURABLE = frozenset({"thread_id", "run_id", "checkpoint_id", "checkpoint_ns", "checkpoint_map"})
MAX_RECURSION_LIMIT = 1000


@dataclass(frozen=True)
class Pinned:
    """What a run takes from its assistant, fixed when the run is created."""

    assistant_id: uuid.UUID
    version: int
    config: dict[str, Any]
    context: dict[str, Any]


def system_json(flow: Flow) -> dict[str, Any]:
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


def stored_json(row: Assistant | AssistantVersion) -> dict[str, Any]:
    return {
        "assistant_id": str(row.assistant_id),
        "graph_id": row.graph_id,
        "name": row.name,
        "description": row.description,
        "config": row.config,
        "context": row.context,
        "metadata": row.metadata_,
        "version": row.version,
        "created_at": row.created_at.isoformat(),
        "updated_at": (row.updated_at if isinstance(row, Assistant) else row.created_at).isoformat(),
    }


def _may_configure(principal: Principal) -> None:
    if principal.role not in ("admin", "service"):
        raise Forbidden("only admin and service keys configure assistants", code="assistant_requires_admin")


def validate_config(config: dict[str, Any] | None) -> dict[str, Any]:
    """The part of a LangGraph config an assistant or a run may set; anything else is refused."""
    if not config:
        return {}
    unknown = sorted(set(config) - CONFIG_KEYS)
    if unknown:
        raise InvalidInput(
            f"config may set {', '.join(sorted(CONFIG_KEYS))}; not {', '.join(unknown)}", code="invalid_config"
        )
    configurable = config.get("configurable", {})
    if not isinstance(configurable, dict):
        raise InvalidInput("config.configurable must be an object", code="invalid_config")
    reserved = sorted(k for k in configurable if k in RESERVED_CONFIGURABLE or k.startswith("__"))
    if reserved:
        raise InvalidInput(f"config.configurable cannot set {', '.join(reserved)}", code="invalid_config")
    tags = config.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise InvalidInput("config.tags must be a list of strings", code="invalid_config")
    limit = config.get("recursion_limit")
    if limit is not None and (
        not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_RECURSION_LIMIT
    ):
        raise InvalidInput(f"config.recursion_limit must be 1..{MAX_RECURSION_LIMIT}", code="invalid_config")
    return dict(config)


def merge_config(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """The run's config over its assistant's: ``configurable`` merged key by key, the rest replaced."""
    merged = {**base, **over}
    if "configurable" in base or "configurable" in over:
        merged["configurable"] = {**base.get("configurable", {}), **over.get("configurable", {})}
    return merged


def _context_type(graph: Any) -> Any:
    return getattr(graph, "context_schema", None)


def validate_context(flow: Flow, graph: Any, context: dict[str, Any] | None) -> dict[str, Any]:
    """A context the graph declares (``context_schema``), checked now so a bad one is a 422 when the
    assistant or the run is created, not a failed run later."""
    if not context:
        return {}
    if flow.builtin:
        raise InvalidInput(
            f"{flow.graph_id} is a built-in flow: it gets the engine's run context, not one from the caller",
            code="unsupported_option",
        )
    schema = _context_type(graph)
    if schema is None:
        raise InvalidInput(f"graph {flow.graph_id} declares no context_schema", code="invalid_context")
    try:
        TypeAdapter(schema).validate_python(context)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'value'}: {e['msg']}" for e in exc.errors())
        raise InvalidInput(f"invalid context for {flow.graph_id}: {problems}", code="invalid_context") from exc
    return dict(context)


def context_for_graph(graph: Any, context: dict[str, Any] | None) -> Any:
    """The stored context as the graph's own type (a dataclass or model instance, or the dict)."""
    schema = _context_type(graph)
    if not context or schema is None:
        return context or None
    return TypeAdapter(schema).validate_python(context)


def _flow_of(graph_id: str, flows: dict[str, Flow]) -> Flow:
    flow = flows.get(graph_id)
    if flow is None:
        raise InvalidInput(f"graph {graph_id!r} is not served here", code="unknown_graph")
    return flow


def _stored_id(assistant_id: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(assistant_id)
    except ValueError:
        return None


async def _stored(session: AsyncSession, assistant_id: str, *, lock: bool = False) -> Assistant:
    """A stored assistant; a served graph's own assistant is read-only (409), anything else 404."""
    found = _stored_id(assistant_id)
    row = None
    if found is not None:
        stmt = select(Assistant).where(Assistant.assistant_id == found)
        row = await session.scalar(stmt.with_for_update() if lock else stmt)
    if row is None:
        raise NotFound(f"assistant {assistant_id!r} not found", code="assistant_not_found")
    return row


def _refuse_system(assistant_id: str, flows: dict[str, Flow]) -> None:
    try:
        resolve(assistant_id, flows)
    except NotFound:
        return
    raise Conflict(
        f"assistant {assistant_id!r} is a served graph's own: read-only (create an assistant to configure it)",
        code="assistant_read_only",
    )


async def create(
    session: AsyncSession, principal: Principal, body: AssistantCreate, flows: dict[str, Flow], graphs: dict[str, Any]
) -> dict[str, Any]:
    _may_configure(principal)
    flow = _flow_of(body.graph_id, flows)
    config = validate_config(body.config)
    context = validate_context(flow, graphs[flow.graph_id], body.context)
    assistant_id = body.assistant_id or uuid.uuid4()
    if any(f.assistant_id == assistant_id for f in flows.values()):
        raise Conflict(f"assistant {assistant_id} already exists", code="assistant_exists")
    existing = await session.get(Assistant, assistant_id)
    if existing is not None:
        if body.if_exists == "do_nothing":
            return stored_json(existing)
        raise Conflict(f"assistant {assistant_id} already exists", code="assistant_exists")
    fields = {
        "graph_id": flow.graph_id,
        "name": body.name or flow.graph_id,
        "description": body.description,
        "config": config,
        "context": context,
        "metadata_": body.metadata,
        "created_by": principal.id,
    }
    row = Assistant(assistant_id=assistant_id, version=1, **fields)
    session.add(row)
    await session.flush()
    session.add(AssistantVersion(assistant_id=assistant_id, version=1, **fields))
    await session.flush()
    await session.refresh(row)
    return stored_json(row)


async def update(
    session: AsyncSession,
    principal: Principal,
    assistant_id: str,
    body: AssistantUpdate,
    flows: dict[str, Flow],
    graphs: dict[str, Any],
) -> dict[str, Any]:
    """A new version from the current one and the fields sent; it becomes the one runs use."""
    _may_configure(principal)
    _refuse_system(assistant_id, flows)
    row = await _stored(session, assistant_id, lock=True)
    flow = _flow_of(body.graph_id or row.graph_id, flows)
    config = validate_config(body.config) if body.config is not None else row.config
    context = validate_context(flow, graphs[flow.graph_id], body.context if body.context is not None else row.context)
    newest = await session.scalar(
        select(func.max(AssistantVersion.version)).where(AssistantVersion.assistant_id == row.assistant_id)
    )
    version = int(newest or 0) + 1
    fields = {
        "graph_id": flow.graph_id,
        "name": body.name if body.name is not None else row.name,
        "description": body.description if body.description is not None else row.description,
        "config": config,
        "context": context,
        "metadata_": {**row.metadata_, **(body.metadata or {})},
        "created_by": principal.id,
    }
    session.add(AssistantVersion(assistant_id=row.assistant_id, version=version, **fields))
    for name, value in fields.items():
        if name != "created_by":
            setattr(row, name, value)
    row.version = version
    row.updated_at = func.now()  # type: ignore[assignment]
    await session.flush()
    await session.refresh(row)
    return stored_json(row)


async def delete(session: AsyncSession, principal: Principal, assistant_id: str, flows: dict[str, Flow]) -> None:
    """The assistant and its versions. Runs it made keep its id; new runs naming it get a 404."""
    _may_configure(principal)
    _refuse_system(assistant_id, flows)
    await session.delete(await _stored(session, assistant_id, lock=True))


async def get(session: AsyncSession, assistant_id: str, flows: dict[str, Flow]) -> dict[str, Any]:
    try:
        return system_json(resolve(assistant_id, flows))
    except NotFound:
        return stored_json(await _stored(session, assistant_id))


async def flow_of(session: AsyncSession, assistant_id: str, flows: dict[str, Flow]) -> Flow:
    """The graph behind any assistant (for its graph and schema routes)."""
    try:
        return resolve(assistant_id, flows)
    except NotFound:
        row = await _stored(session, assistant_id)
    return _served(row, flows)


def _served(row: Assistant, flows: dict[str, Flow]) -> Flow:
    flow = flows.get(row.graph_id)
    if flow is None:
        raise Conflict(
            f"assistant {row.assistant_id} configures graph {row.graph_id!r}, which this server does not serve",
            code="assistant_graph_missing",
        )
    return flow


async def for_run(session: AsyncSession, assistant_id: str, flows: dict[str, Flow]) -> tuple[Flow, Pinned | None]:
    """The flow a run executes, and the assistant version it pins (``None``: a graph's own)."""
    try:
        return resolve(assistant_id, flows), None
    except NotFound:
        row = await _stored(session, assistant_id)
    return _served(row, flows), Pinned(row.assistant_id, row.version, row.config, row.context)


def _system_matches(flow: Flow, body: AssistantCount) -> bool:
    if body.graph_id not in (None, flow.graph_id):
        return False
    if body.name is not None and body.name.lower() not in flow.name.lower():
        return False
    metadata = system_json(flow)["metadata"]
    return all(metadata.get(k) == v for k, v in (body.metadata or {}).items())


def _filtered(stmt: Any, body: AssistantCount) -> Any:
    if body.graph_id is not None:
        stmt = stmt.where(Assistant.graph_id == body.graph_id)
    if body.name is not None:
        stmt = stmt.where(func.strpos(func.lower(Assistant.name), body.name.lower()) > 0)
    if body.metadata:
        stmt = stmt.where(Assistant.metadata_.contains(body.metadata))
    return stmt


async def search(session: AsyncSession, body: AssistantSearch, flows: dict[str, Flow]) -> list[dict[str, Any]]:
    """Served graphs' assistants and stored ones, in one order. Only the first ``offset + limit``
    stored rows can be on the page, so no more are read."""
    column = getattr(Assistant, body.sort_by)
    order = column.desc() if body.sort_order == "desc" else column.asc()
    stmt = _filtered(select(Assistant), body).order_by(order, Assistant.assistant_id).limit(body.offset + body.limit)
    found = [stored_json(row) for row in (await session.scalars(stmt)).all()]
    found += [system_json(flow) for flow in flows.values() if _system_matches(flow, body)]
    # stable: ties keep the database's order, and the served graphs their registry order
    found.sort(key=lambda a: a[body.sort_by], reverse=body.sort_order == "desc")
    return found[body.offset : body.offset + body.limit]


async def count(session: AsyncSession, body: AssistantCount, flows: dict[str, Flow]) -> int:
    stored = await session.scalar(_filtered(select(func.count()).select_from(Assistant), body))
    return int(stored or 0) + sum(1 for flow in flows.values() if _system_matches(flow, body))


async def versions(
    session: AsyncSession, assistant_id: str, body: AssistantVersions, flows: dict[str, Flow]
) -> list[dict[str, Any]]:
    try:
        flow = resolve(assistant_id, flows)
    except NotFound:
        row = await _stored(session, assistant_id)
    else:
        only = system_json(flow)
        matches = all(only["metadata"].get(k) == v for k, v in (body.metadata or {}).items())
        return [only][body.offset : body.offset + body.limit] if matches else []
    stmt = select(AssistantVersion).where(AssistantVersion.assistant_id == row.assistant_id)
    if body.metadata:
        stmt = stmt.where(AssistantVersion.metadata_.contains(body.metadata))
    stmt = stmt.order_by(AssistantVersion.version.desc()).limit(body.limit).offset(body.offset)
    return [stored_json(v) for v in (await session.scalars(stmt)).all()]


async def set_latest(
    session: AsyncSession, principal: Principal, assistant_id: str, version: int, flows: dict[str, Flow]
) -> dict[str, Any]:
    """Make an earlier (or later) version the one new runs use; no version is ever rewritten."""
    _may_configure(principal)
    try:
        flow = resolve(assistant_id, flows)
    except NotFound:
        pass
    else:
        if version != 1:
            raise NotFound(f"assistant {assistant_id!r} has no version {version}", code="version_not_found")
        return system_json(flow)
    row = await _stored(session, assistant_id, lock=True)
    chosen = await session.get(AssistantVersion, (row.assistant_id, version))
    if chosen is None:
        raise NotFound(f"assistant {assistant_id!r} has no version {version}", code="version_not_found")
    _flow_of(chosen.graph_id, flows)
    for name in ("graph_id", "name", "description", "config", "context", "metadata_"):
        setattr(row, name, getattr(chosen, name))
    row.version = version
    row.updated_at = func.now()  # type: ignore[assignment]
    await session.flush()
    await session.refresh(row)
    return stored_json(row)

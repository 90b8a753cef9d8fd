"""The run path's three busiest routes as plain Starlette endpoints, in front of FastAPI's router.

Why: on ``POST /threads/{id}/runs/wait`` FastAPI spent ~0.6 ms of the server's ~8.4 ms before the
service was called (the walk through the included routers, five dependencies solved one by one,
the body parsed by ``json`` and checked through its field wrappers): the largest share of the
engine's own overhead on a run left in one place (``bench/peer.py``). These endpoints do the
same work in a few direct calls and call the same functions as the FastAPI routes, which stay
registered: they are the OpenAPI schema, and they serve whenever ``ASOTO_HOT_ROUTES`` is off.

Bad input gets exactly what FastAPI gives it, in FastAPI's order (tested both ways): a body that
is not JSON is refused before the key is checked; then the key; then the path's id and the
body's fields together, as one ``RequestValidationError`` with FastAPI's ``path``/``body``
locations, which the app's handler turns into the usual ``4xx`` and code. FastAPI's
``dependency_overrides`` do not reach these endpoints: an app that overrides the caller or the
resources sets ``ASOTO_HOT_ROUTES=false``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi.exceptions import HTTPException, RequestValidationError
from pydantic import BaseModel, TypeAdapter, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from asoto.api.deps import authenticate
from asoto.api.routes import runs as run_routes
from asoto.api.routes import threads as thread_routes
from asoto.api.schemas import RunCreate, ThreadCreate
from asoto.services.keys import Principal

Model = TypeVar("Model", bound=BaseModel)
_MISSING = object()


def _json_type(content_type: str) -> bool:
    """``application/json`` or ``application/*+json``, parameters ignored (FastAPI's test)."""
    kind = content_type.split(";", 1)[0].strip().lower()
    main, _, sub = kind.partition("/")
    return main == "application" and (sub == "json" or sub.endswith("+json"))


async def _read_body(request: Request) -> Any:
    """The body as FastAPI reads it: nothing (missing), decoded JSON when the content type says
    JSON, the raw bytes otherwise (refused by the model as not an object)."""
    raw = await request.body()
    if not raw:
        return _MISSING
    content_type = request.headers.get("content-type")
    if not content_type or not _json_type(content_type):
        return raw
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise RequestValidationError(
            [
                {
                    "type": "json_invalid",
                    "loc": ("body", exc.pos),
                    "msg": "JSON decode error",
                    "input": {},
                    "ctx": {"error": exc.msg},
                }
            ]
        ) from exc
    except ValueError as exc:  # not UTF-8 at all: what FastAPI answers for a body it cannot read
        raise HTTPException(status_code=400, detail="There was an error parsing the body") from exc


def _validated(model: type[Model], data: Any, errors: list[dict[str, Any]]) -> Model | None:
    if data is _MISSING:
        errors.append({"type": "missing", "loc": ("body",), "msg": "Field required", "input": None})
        return None
    try:
        return model.model_validate(data, from_attributes=True)  # as FastAPI validates a body
    except ValidationError as exc:
        errors.extend({**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False))
        return None


_UUID = TypeAdapter(uuid.UUID)


def _thread_id(request: Request, errors: list[dict[str, Any]]) -> uuid.UUID | None:
    try:
        return _UUID.validate_python(request.path_params["thread_id"])
    except ValidationError as exc:
        errors.extend({**e, "loc": ("path", "thread_id")} for e in exc.errors(include_url=False))
        return None


Handler = Callable[[Request, Principal, uuid.UUID | None, Any], Awaitable[Response]]


def _endpoint(model: type[BaseModel], on_thread: bool, handle: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        data = await _read_body(request)
        headers = request.headers
        caller = await authenticate(request, headers.get("x-api-key"), headers.get("authorization"))
        errors: list[dict[str, Any]] = []
        thread_id = _thread_id(request, errors) if on_thread else None
        body = _validated(model, data, errors)
        if errors:
            raise RequestValidationError(errors)
        return await handle(request, caller, thread_id, body)

    return endpoint


async def _create_thread(request: Request, caller: Principal, _: uuid.UUID | None, body: Any) -> Response:
    return await thread_routes.create_thread(request.state.resources, caller, body)


async def _create_run(request: Request, caller: Principal, thread_id: uuid.UUID | None, body: Any) -> Response:
    assert thread_id is not None  # a route on a thread
    return await run_routes.create_on_thread(request.state.resources, caller, thread_id, body)


async def _wait_run(request: Request, caller: Principal, thread_id: uuid.UUID | None, body: Any) -> Response:
    assert thread_id is not None  # a route on a thread
    state = request.state
    return await run_routes.wait_on_thread(state.resources, state.hub, state.worker, caller, thread_id, body)


def routes() -> list[BaseRoute]:
    """To go first in the app's router: a method they do not take falls through to FastAPI's."""
    return [
        Route("/threads", _endpoint(ThreadCreate, False, _create_thread), methods=["POST"]),
        Route("/threads/{thread_id}/runs", _endpoint(RunCreate, True, _create_run), methods=["POST"]),
        Route("/threads/{thread_id}/runs/wait", _endpoint(RunCreate, True, _wait_run), methods=["POST"]),
    ]

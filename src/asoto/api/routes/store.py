"""The Store on the Platform's routes: long-term memory across threads (``services.store``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from asoto.api.deps import CallerDep, ResourcesDep
from asoto.api.schemas import StoreDelete, StoreNamespaces, StorePut, StoreSearch
from asoto.errors import InvalidInput
from asoto.services import store
from asoto.tools.text import has_forbidden_control

router = APIRouter(tags=["store"])


@router.put("/store/items", status_code=204)
async def put_item(body: StorePut, res: ResourcesDep, caller: CallerDep) -> Response:
    await store.put(res.store, caller, body)
    return Response(status_code=204)


@router.get("/store/items")
async def get_item(
    res: ResourcesDep,
    caller: CallerDep,
    namespace: Annotated[str, Query(min_length=1, max_length=1400)],
    key: Annotated[str, Query(min_length=1, max_length=512)],
    refresh_ttl: bool | None = None,
) -> dict[str, Any] | None:
    labels = tuple(namespace.split("."))
    if any(not label or len(label) > 128 for label in labels):
        raise InvalidInput("namespace labels must be 1–128 characters, joined by '.'", code="invalid_namespace")
    if has_forbidden_control(namespace) or has_forbidden_control(key):  # Postgres text holds no NUL
        raise InvalidInput("namespace and key must not contain NUL or control characters", code="invalid_text")
    return await store.get(res.store, caller, labels, key, refresh_ttl)


@router.delete("/store/items", status_code=204)
async def delete_item(body: StoreDelete, res: ResourcesDep, caller: CallerDep) -> Response:
    await store.delete(res.store, caller, body)
    return Response(status_code=204)


@router.post("/store/items/search")
async def search_items(body: StoreSearch, res: ResourcesDep, caller: CallerDep) -> dict[str, Any]:
    return await store.search(res.store, caller, body)


@router.post("/store/namespaces")
async def list_namespaces(body: StoreNamespaces, res: ResourcesDep, caller: CallerDep) -> dict[str, Any]:
    return await store.namespaces(res.store, caller, body)

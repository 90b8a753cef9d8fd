"""The Store as the API serves it: who may reach which namespace, then LangGraph's store.

Namespaces are tuples of labels. A member's memory lives under ``("members", <member id>, …)``
and a member key reaches only that prefix: a put, get or delete elsewhere is ``403
store_forbidden``; a search or namespace listing with a broader prefix (``[]`` or
``["members"]``) is narrowed to the member's own prefix rather than refused, so the SDK's
habit of searching everything works and shows only what is theirs. Coach, admin and service
keys reach every namespace (coaches read members' data for their work already; the same rule
as ``Principal.reads_everything``).
"""

from __future__ import annotations

from typing import Any

from langgraph.store.base import BaseStore

from asoto.api.schemas import StoreDelete, StoreNamespaces, StorePut, StoreSearch
from asoto.errors import Forbidden
from asoto.persistence.store import member_namespace
from asoto.services.keys import Principal


def _own_root(caller: Principal) -> tuple[str, ...] | None:
    """The prefix a caller is confined to, or None for a caller who reaches every namespace."""
    if caller.reads_everything:
        return None
    if caller.role == "member" and caller.member_id is not None:
        return member_namespace(caller.member_id)
    return ()  # any other key: nothing (no namespace starts with an impossible prefix)


def _check(caller: Principal, namespace: tuple[str, ...]) -> None:
    root = _own_root(caller)
    if root is None:
        return
    if not root or namespace[: len(root)] != root:
        raise Forbidden("this key reaches only its own member's namespace", code="store_forbidden")


def _narrowed(caller: Principal, prefix: tuple[str, ...]) -> tuple[str, ...]:
    """A prefix the caller may search: theirs, or a broader one narrowed to theirs."""
    root = _own_root(caller)
    if root is None:
        return prefix
    if root and root[: len(prefix)] == prefix:
        return root
    _check(caller, prefix)
    return prefix


def _item(item: Any) -> dict[str, Any]:
    return item.dict()  # type: ignore[no-any-return]


async def put(store: BaseStore, caller: Principal, body: StorePut) -> None:
    namespace = tuple(body.namespace)
    _check(caller, namespace)
    await store.aput(namespace, body.key, body.value, index=body.index, ttl=body.ttl)


async def get(
    store: BaseStore, caller: Principal, namespace: tuple[str, ...], key: str, refresh_ttl: bool | None
) -> dict[str, Any] | None:
    """The item, or None as the Platform answers for a missing one (200 with ``null``)."""
    _check(caller, namespace)
    item = await store.aget(namespace, key, refresh_ttl=refresh_ttl)
    return _item(item) if item is not None else None


async def delete(store: BaseStore, caller: Principal, body: StoreDelete) -> None:
    namespace = tuple(body.namespace)
    _check(caller, namespace)
    await store.adelete(namespace, body.key)


async def search(store: BaseStore, caller: Principal, body: StoreSearch) -> dict[str, Any]:
    prefix = _narrowed(caller, tuple(body.namespace_prefix))
    items = await store.asearch(
        prefix,
        query=body.query or None,
        filter=body.filter,
        limit=body.limit,
        offset=body.offset,
        refresh_ttl=body.refresh_ttl,
    )
    return {"items": [_item(i) for i in items]}


async def namespaces(store: BaseStore, caller: Principal, body: StoreNamespaces) -> dict[str, Any]:
    prefix = tuple(body.prefix or ())
    narrowed = _narrowed(caller, prefix)
    found = await store.alist_namespaces(
        prefix=narrowed or None,
        suffix=tuple(body.suffix) if body.suffix else None,
        max_depth=body.max_depth,
        limit=body.limit,
        offset=body.offset,
    )
    return {"namespaces": [list(ns) for ns in found]}

"""The BOLA sweep: every route of the API, read from its own OpenAPI document, tried with another
member's key against one member's thread, run, checkpoint, approval, cron and memory.

A route must answer such a key with a refusal (403/404, or 405/422 before any lookup), never a
2xx and never a 5xx, and no answer may carry the owner's private text. A route added later is
swept without touching this file; one that takes an id this file does not know, or that is not
classified at all, fails the coverage check until someone says what it exposes.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from asoto.config import Settings
from asoto.persistence.models import Approval
from asoto.runtime.resources import Resources

from .apptools import asgi_client
from .conftest import RISKY_LOG, Api, first_member, make_key

SECRET = "消えてしまいたいと思う夜がある"  # in the owner's risky log: must never reach the other member
MEMORY = "誰にも言っていない転職の悩み"  # in the owner's store namespace
# routes that hold nothing of a member: answered alike for any key
SHARED = {"/ok", "/info", "/assistants", "/assistants/search", "/assistants/count"}
SHARED_PREFIXES = ("/assistants/{assistant_id}",)
# collection routes: the other member's answer must not contain the owner's ids or text
COLLECTIONS = {
    ("post", "/threads/search"): {"limit": 1000},
    ("post", "/threads/count"): {},
    ("post", "/runs/crons/search"): {"limit": 1000},
    ("post", "/runs/crons/count"): {},
    ("get", "/approvals"): None,
    ("post", "/store/items/search"): {"limit": 1000},
    ("post", "/store/namespaces"): {"limit": 1000},
}
# routes that make something new of the caller's own: swept with the owner's ids in the body
CREATING = {
    ("post", "/threads"),
    ("post", "/threads/prune"),
    ("post", "/runs"),
    ("post", "/runs/wait"),
    ("post", "/runs/stream"),
    ("post", "/runs/batch"),
    ("post", "/runs/crons"),
    ("post", "/runs/cancel"),
    ("put", "/store/items"),
    ("get", "/store/items"),
    ("delete", "/store/items"),
}
# the inspector's fragments are not in the OpenAPI document: swept by name
UI_PARTS = ["/ui/parts/threads/{thread_id}", "/ui/parts/threads", "/ui/parts/approvals"]


def _fill(path: str, ids: dict[str, str]) -> str:
    names = re.findall(r"{(\w+)}", path)
    unknown = set(names) - set(ids)
    assert not unknown, f"{path}: the sweep does not know {unknown}; add the owner's id for it"
    return path.format(**{n: ids[n] for n in names})


def _leaks(answer: Any, *private: str) -> list[str]:
    return [p for p in private if p in answer.text]


@pytest.fixture
async def api(settings: Settings, db_uri: str, embedder: Any, resources: Resources) -> AsyncIterator[Api]:
    """The usual in-process app, without the per-key request limit (the sweep makes ~100 calls)."""
    service, coach = await make_key(resources, "service"), await make_key(resources, "coach")
    member = await first_member(resources)
    unlimited = settings.model_copy(update={"rate_requests_per_s": 0})
    async with asgi_client(unlimited, db_uri, embedder, key=service) as (client, _state):
        yield Api(client, resources, service, coach, str(member.id))


async def test_another_members_key_reaches_nothing_of_a_member_on_any_route(api: Api, resources: Resources) -> None:
    owner_id = api.member_id
    other = await first_member(resources, offset=1)
    owner_key = await make_key(resources, "member", uuid.UUID(owner_id))
    other_key = await make_key(resources, "member", other.id)
    as_other = api.as_key(other_key)

    # the owner's things: a held risky log (an approval waits for a coach), its run and checkpoint,
    # a cron, and a memory in the store
    thread_id = await api.thread(owner_key)
    held = await api.wait(thread_id, api.log_body(RISKY_LOG), owner_key)
    assert held.status_code == 200, held.text
    runs = (await api.client.get(f"/threads/{thread_id}/runs", headers=api.as_key(owner_key))).json()
    history = (await api.client.post(f"/threads/{thread_id}/history", json={}, headers=api.as_key(owner_key))).json()
    async with resources.db.sessions() as session:
        approval_id = await session.scalar(select(Approval.id).where(Approval.thread_id == uuid.UUID(thread_id)))
    cron = await api.client.post(
        f"/threads/{thread_id}/runs/crons",
        json={**api.log_body(RISKY_LOG), "schedule": "0 9 * * *"},
        headers=api.as_key(owner_key),
    )
    assert cron.status_code == 200, cron.text
    namespace = ["members", owner_id, "private"]
    put = await api.client.put(
        "/store/items",
        json={"namespace": namespace, "key": "k", "value": {"text": MEMORY}},
        headers=api.as_key(owner_key),
    )
    assert put.status_code == 204, put.text
    ids = {
        "thread_id": thread_id,
        "run_id": runs[0]["run_id"],
        "checkpoint_id": history[0]["checkpoint"]["checkpoint_id"],
        "approval_id": str(approval_id),
        "cron_id": cron.json()["cron_id"],
    }
    private = [SECRET, MEMORY, *ids.values()]

    document = (await api.client.get("/openapi.json", headers=api.as_key(api.service))).json()
    swept = 0
    for path, operations in document["paths"].items():
        for method in operations:
            if path in SHARED or path.startswith(SHARED_PREFIXES):
                continue
            if (method, path) in COLLECTIONS:
                body = COLLECTIONS[(method, path)]
                answer = await api.client.request(method, path, json=body, headers=as_other)
                assert answer.status_code == 200, (method, path, answer.text)
                assert not _leaks(answer, *private), (method, path, answer.text[:300])
            elif (method, path) in CREATING:
                body = {
                    **api.log_body(RISKY_LOG),
                    "namespace": namespace,
                    "key": "k",
                    "value": {"text": "x"},
                    "thread_id": thread_id,
                    "thread_ids": [thread_id],
                    "run_ids": [ids["run_id"]],
                    "schedule": "0 9 * * *",
                }
                params = {"namespace": ".".join(namespace), "key": "k"}
                answer = await api.client.request(method, path, json=body, params=params, headers=as_other)
                assert answer.status_code in (403, 404, 405, 409, 422), (method, path, answer.status_code, answer.text)
                assert not _leaks(answer, SECRET, MEMORY), (method, path, answer.text[:300])
            else:
                assert "{" in path, f"{method.upper()} {path} is not classified in the sweep: what does it expose?"
                answer = await api.client.request(method, _fill(path, ids), json={}, headers=as_other)
                assert answer.status_code in (403, 404, 405, 422), (method, path, answer.status_code, answer.text)
                assert not _leaks(answer, SECRET, MEMORY), (method, path, answer.text[:300])
            swept += 1
    for path in UI_PARTS:
        answer = await api.client.get(_fill(path, ids), headers=as_other)
        assert answer.status_code in (200, 404), (path, answer.status_code)
        echoed = "{thread_id}" in path  # a refusal may name the id it was asked for
        assert not _leaks(answer, SECRET, MEMORY, *([] if echoed else [thread_id])), (path, answer.text[:300])
        swept += 1
    assert swept >= 40  # every route but the shared ones (46 today)

    # and nothing of the owner's was changed by any of it
    mine = await api.client.get(f"/threads/{thread_id}", headers=api.as_key(owner_key))
    assert mine.status_code == 200 and mine.json()["status"] == "interrupted"
    kept = await api.client.get(
        "/store/items", params={"namespace": ".".join(namespace), "key": "k"}, headers=api.as_key(owner_key)
    )
    assert kept.json()["value"]["text"] == MEMORY
    crons = await api.client.post(
        "/runs/crons/count", json={"assistant_id": "log_feedback"}, headers=api.as_key(owner_key)
    )
    assert crons.json() == 1

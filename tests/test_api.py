"""The HTTP API through an ASGI client, with the real lifespan, worker and Postgres.

What each kind of bad input gets (status, code) is the table in ``BAD_INPUT``; nothing a bad
request touches is stored half-way.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from asoto import jsoncodec
from asoto.persistence.models import Approval, Log, Run, Thread
from asoto.runtime.resources import Resources

from .apptools import asgi_client
from .conftest import ORDINARY_LOG, RISKY_LOG, Api, first_member, make_key


async def test_health_is_open_docs_and_info_need_a_key_unless_public(
    api: Api, settings: Any, db_uri: str, embedder: Any
) -> None:
    no_key = {"x-api-key": ""}
    assert (await api.client.get("/ok", headers=no_key)).json() == {"ok": True}
    for path in ("/info", "/openapi.json"):
        assert (await api.client.get(path, headers=no_key)).status_code == 401
        assert (await api.client.get(path)).status_code == 200  # the service key
    assert (await api.client.get("/docs", headers=no_key)).status_code == 404
    info = (await api.client.get("/info")).json()
    assert info["models"]["offline"] is True and info["models"]["embeddings"].startswith("offline")
    public = settings.model_copy(update={"public_docs": True})
    async with asgi_client(public, db_uri, embedder, run_worker=False) as (client, _):
        for path in ("/info", "/openapi.json", "/docs"):
            assert (await client.get(path)).status_code == 200
        # /docs works offline: Swagger UI from the package, no CDN; /redoc (CDN only) is not served
        page = (await client.get("/docs")).text
        assert "/docs/assets/swagger-ui-bundle.js" in page and "cdn." not in page and "https://" not in page
        script = await client.get("/docs/assets/swagger-ui-bundle.js")
        assert script.status_code == 200 and "javascript" in script.headers["content-type"]
        assert (await client.get("/docs/assets/swagger-ui.css")).status_code == 200
        assert (await client.get("/redoc")).status_code == 404


async def test_a_revoked_key_stops_within_a_second_and_keys_are_listed(api: Api) -> None:
    from asoto.services.keys import list_keys, revoke

    key = await make_key(api.res, "service")
    assert (await api.client.post("/threads", json={}, headers=api.as_key(key))).status_code == 200
    async with api.res.db.sessions.begin() as session:
        assert await revoke(session, key[:10]) == 1
        listed = {k.prefix: k for k in await list_keys(session)}
    assert listed[key[:10]].revoked_at is not None and all(len(p) == 10 for p in listed)
    await asyncio.sleep(1.05)
    refused = await api.client.post("/threads", json={}, headers=api.as_key(key))
    assert (refused.status_code, refused.json()["code"]) == (401, "invalid_api_key")


async def test_missing_or_wrong_keys_get_401(api: Api) -> None:
    r = await api.client.post("/threads", json={}, headers={"x-api-key": ""})
    assert (r.status_code, r.json()["code"]) == (401, "unauthenticated")
    r = await api.client.post("/threads", json={}, headers={"x-api-key": "ask_wrong"})
    assert (r.status_code, r.json()["code"]) == (401, "invalid_api_key")
    r = await api.client.post("/threads", json={}, headers={"x-api-key": "", "authorization": f"Bearer {api.service}"})
    assert r.status_code == 200


async def test_assistants_graph_and_schemas(api: Api) -> None:
    assistants = (await api.client.post("/assistants/search", json={})).json()
    assert [a["graph_id"] for a in assistants] == ["log_feedback", "coaching", "matching", "approval"]
    assistant = assistants[0]
    by_id = (await api.client.get(f"/assistants/{assistant['assistant_id']}")).json()
    assert by_id == (await api.client.get("/assistants/log_feedback")).json()
    graph = (await api.client.get("/assistants/log_feedback/graph")).json()
    assert {"load_context", "review", "publish"} <= {n["id"] for n in graph["nodes"]}
    assert (await api.client.get("/assistants/log_feedback/graph?xray=maybe")).json()["code"] == "invalid_xray"
    schemas = (await api.client.get("/assistants/log_feedback/schemas")).json()
    assert "member_id" in schemas["input_schema"]["properties"]


async def test_wait_runs_the_flow_in_the_worker(api: Api) -> None:
    thread_id = await api.thread()
    r = await api.wait(thread_id, api.log_body())
    assert r.status_code == 200
    assert r.headers["location"].endswith("/join") and "/runs/" in r.headers["content-location"]
    values = r.json()
    assert values["status"] == "published" and values["feedback"]["question"]
    runs = (await api.client.get(f"/threads/{thread_id}/runs")).json()
    assert [run["status"] for run in runs] == ["success"]
    thread = (await api.client.get(f"/threads/{thread_id}")).json()
    assert thread["status"] == "idle" and thread["values"]["log_id"] == values["log_id"]


async def test_a_second_run_on_a_busy_thread_is_409_unless_enqueued(api: Api) -> None:
    thread_id = await api.thread()
    first = await api.client.post(f"/threads/{thread_id}/runs", json={**api.log_body(), "after_seconds": 60})
    assert first.json()["status"] == "pending"
    second = await api.client.post(f"/threads/{thread_id}/runs", json=api.log_body())
    assert (second.status_code, second.json()["code"]) == (409, "thread_busy")
    queued = await api.client.post(
        f"/threads/{thread_id}/runs", json={**api.log_body(), "multitask_strategy": "enqueue"}
    )
    assert queued.status_code == 200 and queued.json()["status"] == "pending"
    assert (await api.client.get(f"/threads/{thread_id}")).json()["status"] == "busy"


async def test_resume_of_a_thread_that_is_not_interrupted_is_409_and_runs_nothing(api: Api) -> None:
    thread_id = await api.thread()
    assert (await api.wait(thread_id, api.log_body())).status_code == 200
    before = await api.checkpoints(thread_id)
    r = await api.wait(
        thread_id, {"assistant_id": "log_feedback", "command": {"resume": {"decision": "approve"}}}, api.coach
    )
    assert (r.status_code, r.json()["code"]) == (409, "not_interrupted")
    assert await api.checkpoints(thread_id) == before
    assert len((await api.client.get(f"/threads/{thread_id}/runs")).json()) == 1


async def _interrupted(api: Api) -> tuple[str, dict[str, Any]]:
    thread_id = await api.thread()
    values = (await api.wait(thread_id, api.log_body(RISKY_LOG))).json()
    [pending] = values["__interrupt__"]
    return thread_id, pending


async def test_resume_with_a_stale_interrupt_id_is_409_and_runs_nothing(api: Api) -> None:
    thread_id, _pending = await _interrupted(api)
    before = await api.checkpoints(thread_id)
    stale = {uuid.uuid4().hex: {"decision": "approve"}}
    r = await api.wait(thread_id, {"assistant_id": "log_feedback", "command": {"resume": stale}}, api.coach)
    assert (r.status_code, r.json()["code"]) == (409, "stale_interrupt")
    assert await api.checkpoints(thread_id) == before
    assert (await api.client.get(f"/threads/{thread_id}")).json()["status"] == "interrupted"


async def test_only_coaches_and_admins_decide_and_the_decider_is_recorded(api: Api, resources: Resources) -> None:
    thread_id, pending = await _interrupted(api)
    resume = {"assistant_id": "log_feedback", "command": {"resume": {pending["id"]: {"decision": "approve"}}}}
    r = await api.wait(thread_id, resume)  # a service key
    assert (r.status_code, r.json()["code"]) == (403, "approval_requires_coach")
    member_key = await make_key(resources, "member", uuid.UUID(api.member_id))
    r = await api.wait(thread_id, resume, member_key)
    assert (r.status_code, r.json()["code"]) == (403, "approval_requires_coach")
    spoofed = {
        "assistant_id": "log_feedback",
        "command": {"resume": {"decision": "approve", "decided_by": "admin:someone-else"}},
    }
    r = await api.wait(thread_id, spoofed, api.coach)
    assert r.status_code == 200 and r.json()["status"] == "published"
    async with resources.db.sessions() as session:
        approval = await session.get(Approval, uuid.UUID(pending["value"]["approval_id"]))
    assert approval is not None and approval.status == "approved" and approval.decided_by.startswith("coach:")


@pytest.mark.parametrize(
    ("resume", "code"),
    [
        ({"decision": "maybe"}, "invalid_decision"),
        ({"decision": "edit"}, "invalid_decision"),
        ({"decision": "edit", "payload": {"feedback": {"affirmation": "x"}}}, "invalid_decision"),
        ({"decision": "approve", "extra": 1}, "invalid_decision"),
    ],
)
async def test_an_invalid_decision_is_422_and_the_approval_stays_pending(api: Api, resume: Any, code: str) -> None:
    thread_id, pending = await _interrupted(api)
    r = await api.wait(thread_id, {"assistant_id": "log_feedback", "command": {"resume": resume}}, api.coach)
    assert (r.status_code, r.json()["code"]) == (422, code)
    async with api.res.db.sessions() as session:
        approval = await session.get(Approval, uuid.UUID(pending["value"]["approval_id"]))
    assert approval is not None and approval.status == "pending"
    assert (await api.client.get(f"/threads/{thread_id}")).json()["status"] == "interrupted"


async def test_member_isolation(api: Api, resources: Resources) -> None:
    other = await first_member(resources, offset=1)
    key_a = await make_key(resources, "member", uuid.UUID(api.member_id))
    key_b = await make_key(resources, "member", other.id)
    thread_a = await api.thread(key_a)
    assert (await api.wait(thread_a, api.log_body(), key_a)).status_code == 200
    r = await api.wait(await api.thread(key_a), api.log_body(member_id=str(other.id)), key_a)
    assert (r.status_code, r.json()["code"]) == (403, "member_mismatch")
    for path in (f"/threads/{thread_a}", f"/threads/{thread_a}/state", f"/threads/{thread_a}/runs"):
        r = await api.client.get(path, headers=api.as_key(key_b))
        assert (r.status_code, r.json()["code"]) == (404, "thread_not_found"), path
    r = await api.client.post(
        f"/threads/{thread_a}/runs", json=api.log_body(member_id=str(other.id)), headers=api.as_key(key_b)
    )
    assert r.status_code == 404
    found = (await api.client.post("/threads/search", json={"limit": 100}, headers=api.as_key(key_b))).json()
    assert thread_a not in {t["thread_id"] for t in found}
    mine = (await api.client.post("/threads/search", json={"limit": 100}, headers=api.as_key(key_a))).json()
    assert thread_a in {t["thread_id"] for t in mine}
    # a service key starting a run for member B on member A's thread is refused too
    r = await api.wait(thread_a, api.log_body(member_id=str(other.id)))
    assert (r.status_code, r.json()["code"]) == (403, "member_mismatch")


LONG = "あ" * 10_001
BAD_INPUT: list[tuple[str, str, Any, int, str]] = [
    # (name, path template, body (str = raw bytes), status, code)
    ("malformed json", "/threads/{t}/runs/wait", '{"assistant_id": "log_feedback", "input": {', 400, "malformed_json"),
    ("body is not an object", "/threads/{t}/runs/wait", "[1, 2]", 422, "invalid_body"),
    (
        "wrong types",
        "/threads/{t}/runs/wait",
        {"assistant_id": "log_feedback", "input": {"member_id": 123, "log": "x"}},
        422,
        "invalid_input",
    ),
    (
        "missing log",
        "/threads/{t}/runs/wait",
        {"assistant_id": "log_feedback", "input": {"member_id": "{m}"}},
        422,
        "invalid_input",
    ),
    ("unknown assistant", "/threads/{t}/runs/wait", {"assistant_id": "nope", "input": {}}, 404, "assistant_not_found"),
    (
        "non-uuid thread id",
        "/threads/not-a-uuid/runs/wait",
        {"assistant_id": "log_feedback", "input": {}},
        422,
        "invalid_id",
    ),
    (
        "non-uuid member id",
        "/threads/{t}/runs/wait",
        {"assistant_id": "log_feedback", "input": {"member_id": "bob", "log": ORDINARY_LOG}},
        422,
        "invalid_input",
    ),
    (
        "unknown member",
        "/threads/{t}/runs/wait",
        {"assistant_id": "log_feedback", "input": {"member_id": str(uuid.UUID(int=5)), "log": ORDINARY_LOG}},
        422,
        "unknown_member",
    ),
    (
        "nul byte in a log",
        "/threads/{t}/runs/wait",
        {"assistant_id": "log_feedback", "input": {"member_id": "{m}", "log": {"title": "t", "content": "a\u0000b"}}},
        422,
        "invalid_text",
    ),
    ("nul byte in metadata", "/threads", {"metadata": {"k": "\u0000"}}, 422, "invalid_text"),
    # JSON "\\ud800" decodes to a lone surrogate, which Postgres refuses: one validator, 422 invalid_text
    ("lone surrogate in thread metadata", "/threads", '{"metadata": {"n": "a\\ud800b"}}', 422, "invalid_text"),
    ("lone surrogate in a search", "/threads/search", '{"metadata": {"n": "a\\udfffb"}}', 422, "invalid_text"),
    ("lone surrogate in a key", "/threads", '{"metadata": {"\\ud83d": 1}}', 422, "invalid_text"),
    # found by Schemathesis: an offset past bigint was a 500 from Postgres
    ("offset past bigint in a search", "/threads/search", {"offset": 2**80}, 422, "invalid_input"),
    ("supersteps on thread create", "/threads", {"supersteps": [{"updates": []}]}, 422, "unsupported_option"),
    (
        "unknown run field",
        "/threads/{t}/runs/wait",
        {"assistant_id": "log_feedback", "input": {"member_id": "{m}", "log": ORDINARY_LOG}, "priority": "high"},
        422,
        "invalid_input",
    ),
    (
        "durability other than sync",
        "/threads/{t}/runs/wait",
        {"assistant_id": "log_feedback", "input": {"member_id": "{m}", "log": ORDINARY_LOG}, "durability": "exit"},
        422,
        "unsupported_option",
    ),
    (
        "subgraph streaming",
        "/threads/{t}/runs",
        {"assistant_id": "log_feedback", "input": {"member_id": "{m}", "log": ORDINARY_LOG}, "stream_subgraphs": True},
        422,
        "unsupported_option",
    ),
    (
        "very long log",
        "/threads/{t}/runs/wait",
        {"assistant_id": "log_feedback", "input": {"member_id": "{m}", "log": {"title": "t", "content": LONG}}},
        422,
        "invalid_input",
    ),
    (
        "blank log",
        "/threads/{t}/runs/wait",
        {"assistant_id": "log_feedback", "input": {"member_id": "{m}", "log": {"title": " ", "content": "  "}}},
        422,
        "invalid_input",
    ),
    (
        "unknown input field",
        "/threads/{t}/runs/wait",
        {"assistant_id": "log_feedback", "input": {"member_id": "{m}", "log": ORDINARY_LOG, "admin": True}},
        422,
        "invalid_input",
    ),
    (
        "input and command",
        "/threads/{t}/runs/wait",
        {"assistant_id": "log_feedback", "input": {"member_id": "{m}", "log": ORDINARY_LOG}, "command": {"resume": 1}},
        422,
        "input_or_command",
    ),
    ("neither input nor command", "/threads/{t}/runs/wait", {"assistant_id": "log_feedback"}, 422, "input_or_command"),
    (
        "unsupported option",
        "/threads/{t}/runs/wait",
        {
            "assistant_id": "log_feedback",
            "input": {"member_id": "{m}", "log": ORDINARY_LOG},
            "webhook": "http://127.0.0.1:9/hook",
        },
        422,
        "unsupported_option",
    ),
    (
        "breakpoints on a built-in flow, not an admin key",
        "/threads/{t}/runs/wait",
        {
            "assistant_id": "log_feedback",
            "input": {"member_id": "{m}", "log": ORDINARY_LOG},
            "interrupt_before": ["draft"],
        },
        403,
        "debug_requires_admin",
    ),
    (
        "missing thread",
        f"/threads/{uuid.UUID(int=9)}/runs/wait",
        {"assistant_id": "log_feedback", "input": {"member_id": "{m}", "log": ORDINARY_LOG}},
        404,
        "thread_not_found",
    ),
    ("too large a body", "/threads/{t}/runs/wait", "x" * 1_100_000, 413, "payload_too_large"),
    (
        "bad multitask strategy",
        "/threads/{t}/runs",
        {
            "assistant_id": "log_feedback",
            "input": {"member_id": "{m}", "log": ORDINARY_LOG},
            "multitask_strategy": "yolo",
        },
        422,
        "invalid_input",
    ),
]


def _fill(value: Any, thread_id: str, member_id: str) -> Any:
    if isinstance(value, str):
        return value.replace("{t}", thread_id).replace("{m}", member_id)
    if isinstance(value, dict):
        return {k: _fill(v, thread_id, member_id) for k, v in value.items()}
    return value


@pytest.mark.parametrize(("name", "path", "body", "status", "code"), BAD_INPUT, ids=[row[0] for row in BAD_INPUT])
async def test_bad_input_gets_a_4xx_with_a_code_and_stores_nothing(
    api: Api, name: str, path: str, body: Any, status: int, code: str
) -> None:
    thread_id = await api.thread()
    counts = {m: await api.count(m) for m in (Log, Run, Approval, Thread)}
    url = path.replace("{t}", thread_id)
    if isinstance(body, str):
        r = await api.client.post(url, content=body.encode(), headers={"content-type": "application/json"})
    else:
        r = await api.client.post(url, json=_fill(body, thread_id, api.member_id))
    assert r.status_code == status, r.text
    assert r.json()["code"] == code and r.json()["detail"]
    assert {m: await api.count(m) for m in counts} == counts
    assert (await api.client.get(f"/threads/{thread_id}")).json()["status"] == "idle"


async def test_cancel_a_pending_run(api: Api) -> None:
    thread_id = await api.thread()
    run = (await api.client.post(f"/threads/{thread_id}/runs", json={**api.log_body(), "after_seconds": 60})).json()
    r = await api.client.post(f"/threads/{thread_id}/runs/{run['run_id']}/cancel")
    assert r.status_code == 202
    assert (await api.client.get(f"/threads/{thread_id}/runs/{run['run_id']}")).json()["status"] == "interrupted"
    assert (await api.client.get(f"/threads/{thread_id}")).json()["status"] == "idle"
    assert await api.checkpoints(thread_id) == 0
    joined = (await api.client.get(f"/threads/{thread_id}/runs/{run['run_id']}/join")).json()
    assert joined["__error__"]["error"] == "Cancelled"


async def test_state_history_and_delete(api: Api) -> None:
    thread_id, pending = await _interrupted(api)
    picture = (await api.client.get(f"/threads/{thread_id}/graph")).json()
    assert picture["current"] == ["review"] and {"draft", "check", "hold"} <= set(picture["visited"])
    assert "class review current" in picture["mermaid"] and "class draft visited" in picture["mermaid"]
    state = (await api.client.get(f"/threads/{thread_id}/state")).json()
    assert state["next"] == ["review"] and state["interrupts"][0]["id"] == pending["id"]
    history = (await api.client.post(f"/threads/{thread_id}/history", json={"limit": 3})).json()
    assert len(history) == 3 and history[0]["checkpoint"]["checkpoint_id"] == state["checkpoint"]["checkpoint_id"]
    older = (await api.client.get(f"/threads/{thread_id}/state/{history[1]['checkpoint']['checkpoint_id']}")).json()
    assert older["checkpoint"]["checkpoint_id"] == history[1]["checkpoint"]["checkpoint_id"]
    # who may delete: members their own threads, admins any; service and coach keys may not
    for key in (api.service, api.coach):
        refused = await api.client.delete(f"/threads/{thread_id}", headers=api.as_key(key))
        assert (refused.status_code, refused.json()["code"]) == (403, "delete_forbidden")
    admin = await make_key(api.res, "admin")
    approval_id = pending["value"]["approval_id"]
    assert (await api.client.delete(f"/threads/{thread_id}", headers=api.as_key(admin))).status_code == 204
    assert (await api.client.get(f"/threads/{thread_id}")).status_code == 404
    assert await api.checkpoints(thread_id) == 0
    # the approval it waited on is cancelled in the same transaction, audited, and cannot be decided
    seen = (await api.client.get(f"/approvals/{approval_id}", headers=api.as_key(api.coach))).json()
    assert seen["status"] == "cancelled" and seen["audit"][-1]["action"] == "approval.cancelled"
    decided = await api.client.post(
        f"/approvals/{approval_id}/decision", json={"decision": "approve"}, headers=api.as_key(api.coach)
    )
    assert decided.status_code == 409
    assert not (await api.client.get("/approvals?status=pending", headers=api.as_key(api.coach))).json()["items"]


async def test_a_failing_graph_is_an_error_run_not_a_500(
    settings: Any, db_uri: str, embedder: Any, resources: Resources
) -> None:
    class Broken:
        offline, model_id = False, "broken:test"

        async def generate(self, *args: Any) -> Any:
            raise RuntimeError("provider exploded")

    service = await make_key(resources, "service")
    member = await first_member(resources)
    async with asgi_client(settings, db_uri, embedder, key=service, model=Broken()) as (client, _):
        thread_id = (await client.post("/threads", json={})).json()["thread_id"]
        r = await client.post(
            f"/threads/{thread_id}/runs/wait",
            json={"assistant_id": "log_feedback", "input": {"member_id": str(member.id), "log": ORDINARY_LOG}},
        )
        assert r.status_code == 200
        assert r.json()["__error__"] == {"error": "RuntimeError", "message": "provider exploded"}
        assert (await client.get(f"/threads/{thread_id}")).json()["status"] == "error"
        # the thread can take a new run after an error
        assert (
            await client.post(
                f"/threads/{thread_id}/runs",
                json={"assistant_id": "log_feedback", "input": {"member_id": str(member.id), "log": ORDINARY_LOG}},
            )
        ).status_code == 200
        await asyncio.sleep(0)


async def test_a_cancel_right_after_create_is_never_lost(api: Api) -> None:
    """cancel then cancel(wait) straight after runs.create, racing the worker's claim: every run
    ends cancelled, quickly (a pending-cancel that lost the race to a claim asks the attempt to stop)."""
    import time

    started = time.monotonic()
    for _ in range(20):
        thread_id = await api.thread()
        run = (await api.client.post(f"/threads/{thread_id}/runs", json=api.log_body())).json()
        await api.client.post(f"/threads/{thread_id}/runs/{run['run_id']}/cancel")
        waited = await api.client.post(f"/threads/{thread_id}/runs/{run['run_id']}/cancel?wait=true")
        assert waited.status_code in (202, 204)
        final = (await api.client.get(f"/threads/{thread_id}/runs/{run['run_id']}")).json()
        assert final["status"] in ("interrupted", "success"), final  # success: it finished before the cancel landed
    assert time.monotonic() - started < 60


async def test_control_characters_in_a_history_query_get_422_not_500(api: Api) -> None:
    """Found by Schemathesis: ``GET /threads/{id}/history?before=<control characters>`` was a 500."""
    thread = await api.thread()
    for before in ("a\x00b", "\x1b\x11x"):
        r = await api.client.get(f"/threads/{thread}/history", params={"before": before})
        assert r.status_code == 422 and r.json()["code"] == "invalid_text", (before, r.text)
    r = await api.client.get(f"/threads/{thread}/history", params={"before": "not-a-checkpoint"})
    assert r.status_code == 200 and r.json() == []


def _stable(body: Any) -> Any:
    """A response without what differs between two equal requests (new ids, times)."""
    volatile = {"thread_id", "run_id", "created_at", "updated_at", "state_updated_at"}
    if isinstance(body, dict):
        return {k: "…" if k in volatile else _stable(v) for k, v in body.items()}
    if isinstance(body, list):
        return [_stable(v) for v in body]
    return body


async def test_the_hot_routes_answer_every_request_exactly_as_fastapis_routes_do(
    api: Api, settings: Any, db_uri: str, embedder: Any
) -> None:
    """``api.hot`` serves three routes without FastAPI (``ASOTO_HOT_ROUTES``, on by default): the
    same requests against the app with it off get the same status and body, bad input included
    (the order matters too: a body that is not JSON is refused before the key is checked)."""
    from starlette.routing import Route

    from asoto.api.app import create_app

    assert isinstance(create_app(settings, uri=db_uri, embedder=embedder).router.routes[0], Route)
    thread_id = await api.thread()
    good = api.log_body()
    as_json = {"content-type": "application/json"}
    cases: list[tuple[str, str, dict[str, str], bytes | None]] = [
        ("POST", "/threads", {}, None),  # no body: missing
        ("POST", "/threads", as_json, b"{not json"),
        ("POST", "/threads", as_json, b"[1, 2]"),  # not an object
        ("POST", "/threads", as_json, b"\x8b\x00\xff"),  # not even UTF-8
        ("POST", "/threads", {"content-type": "text/plain"}, b"{}"),  # not declared JSON
        ("POST", "/threads", {}, b"{}"),  # no content type at all
        ("POST", "/threads", as_json, b'{"thread_id": "nope", "if_exists": "sometimes"}'),
        ("POST", "/threads", as_json, b'{"supersteps": [{"updates": []}]}'),  # unsupported option
        ("POST", "/threads", {**as_json, "x-api-key": "ask_wrong"}, b"{}"),  # unknown key
        ("POST", "/threads", {**as_json, "x-api-key": "ask_wrong"}, b"{oops"),  # JSON refused first
        ("POST", "/threads", {**as_json, "x-api-key": "", "authorization": f"Bearer {api.service}"}, b"{}"),
        ("POST", "/threads/not-a-uuid/runs/wait", as_json, jsoncodec.dumps(good)),
        ("POST", "/threads/not-a-uuid/runs", as_json, b'{"input": 3}'),  # path and body errors together
        ("POST", f"/threads/{thread_id}/runs/wait", as_json, b'{"assistant_id": ""}'),
        ("POST", f"/threads/{thread_id}/runs/wait", as_json, jsoncodec.dumps({**good, "surprise": 1})),
        ("POST", f"/threads/{thread_id}/runs", as_json, jsoncodec.dumps({**good, "multitask_strategy": "yolo"})),
        ("POST", f"/threads/{uuid.UUID(int=7)}/runs/wait", as_json, jsoncodec.dumps(good)),  # no such thread
        ("PUT", f"/threads/{thread_id}/runs/wait", as_json, b"{}"),  # a method these routes do not take
        ("GET", f"/threads/{thread_id}/runs", {}, None),  # another route on the same path: FastAPI's
    ]
    plain = settings.model_copy(update={"hot_routes": False})
    async with asgi_client(plain, db_uri, embedder, key=api.service) as (fastapi_only, _):
        for method, path, headers, content in cases:
            hot = await api.client.request(method, path, headers=headers, content=content)
            cold = await fastapi_only.request(method, path, headers=headers, content=content)
            assert (hot.status_code, _stable(hot.json())) == (cold.status_code, _stable(cold.json())), (path, content)
            assert hot.status_code in (200, 400, 401, 404, 405, 422), (path, hot.text)
        # and the work they do is the same: a thread, a run to its end, a background run
        made = await api.client.post("/threads", json={"metadata": {"who": "hot"}})
        assert made.status_code == 200 and made.json()["metadata"]["who"] == "hot"
        done = await api.wait(made.json()["thread_id"], good)
        assert done.status_code == 200 and done.headers["content-location"].startswith(
            f"/threads/{made.json()['thread_id']}/runs/"
        )
        queued = await api.client.post(f"/threads/{thread_id}/runs", json=good)
        assert queued.status_code == 200 and queued.json()["status"] in ("pending", "running", "success")


async def test_many_waits_at_once_on_one_new_thread_get_one_run_and_409s_never_a_500(api: Api) -> None:
    """Eight ``runs.wait`` at once, each creating the same new thread (``if_not_exists``) under
    ``reject``: one run, seven ``409 thread_busy``. Two races sat here: the thread's key (a 500
    for the second creator) and the active-runs list read from before the lock (a second run let in)."""
    thread_id = str(uuid.uuid4())
    body = {**api.log_body(), "if_not_exists": "create"}
    answers = await asyncio.gather(*(api.client.post(f"/threads/{thread_id}/runs/wait", json=body) for _ in range(8)))
    statuses = sorted(r.status_code for r in answers)
    assert statuses == [200] + [409] * 7, [r.text for r in answers]
    assert {r.json()["code"] for r in answers if r.status_code == 409} == {"thread_busy"}
    async with api.res.db.sessions() as session:
        made = await session.scalar(select(func.count()).select_from(Run).where(Run.thread_id == uuid.UUID(thread_id)))
    assert made == 1

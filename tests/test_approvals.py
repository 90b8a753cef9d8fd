"""Human approval: policies, the approval endpoints, exactly-once decisions, expiry, audit, webhooks."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import uuid
from typing import Any

import httpx
import psycopg
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select, text, update

from asoto.persistence.models import Approval, ApprovalEffect, AuditEvent, WebhookDelivery
from asoto.runtime.resources import Resources
from asoto.runtime.webhooks import deliver_due, verify
from asoto.services.approvals import expire_due

from .conftest import RISKY_LOG, Api, first_member, make_key


async def _approval(
    api: Api,
    *,
    kind: str = "content_review",
    policy: str | None = None,
    subject: dict[str, Any] | None = None,
    reasons: list[str] | None = None,
    proposal: dict[str, Any] | None = None,
) -> tuple[str, dict[str, Any]]:
    thread_id = await api.thread()
    body: dict[str, Any] = {
        "kind": kind,
        "proposal": proposal or {"text": "イベント告知文の案です。"},
        "requested_by": "service:test",
        "subject": subject or {},
        "reasons": reasons or [],
    }
    if policy:
        body["policy"] = policy
    r = await api.wait(thread_id, {"assistant_id": "approval", "input": body})
    assert r.status_code == 200, r.text
    return thread_id, r.json()


def _pending_id(values: dict[str, Any]) -> str:
    [pending] = values["__interrupt__"]
    return str(pending["value"]["approval_id"])


async def _decide(api: Api, approval_id: str, body: dict[str, Any], key: str | None = None) -> httpx.Response:
    return await api.client.post(f"/approvals/{approval_id}/decision", json=body, headers=api.as_key(key or api.coach))


async def _join(api: Api, response: httpx.Response) -> dict[str, Any]:
    run = response.json()["run"]
    r = await api.client.get(f"/threads/{run['thread_id']}/runs/{run['run_id']}/join")
    return r.json()  # type: ignore[no-any-return]


async def _effects(api: Api, approval_id: str) -> int:
    async with api.res.db.sessions() as session:
        return int(
            await session.scalar(
                select(func.count())
                .select_from(ApprovalEffect)
                .where(ApprovalEffect.approval_id == uuid.UUID(approval_id))
            )
            or 0
        )


@pytest.mark.parametrize(
    ("policy", "subject", "decision"),
    [
        ("auto_approve", {}, "approve"),
        ("auto_reject", {}, "reject"),
        ("auto_approve_if_no_reasons", {}, "approve"),
    ],
)
async def test_policies_decide_without_a_person(api: Api, policy: str, subject: dict[str, Any], decision: str) -> None:
    _thread, values = await _approval(api, policy=policy, subject=subject)
    assert "__interrupt__" not in values
    assert values["decision"] == decision and values["decided_by"] == f"policy:{policy}"
    assert values["payload"] == {"text": "イベント告知文の案です。"} and values["decided_at"]
    assert await _effects(api, values["approval_id"]) == 1
    detail = (await api.client.get(f"/approvals/{values['approval_id']}")).json()
    assert [e["action"] for e in detail["audit"]] == [
        "approval.created",
        f"approval.auto_{'approved' if decision == 'approve' else 'rejected'}",
        "approval.applied",
    ]


async def test_opt_in_policy_of_introductions(api: Api) -> None:
    _t, auto = await _approval(api, kind="match_introduction", subject={"member_id": api.member_id, "opt_in": True})
    assert auto["decision"] == "approve"
    _t, asked = await _approval(api, kind="match_introduction", subject={"member_id": api.member_id})
    assert "__interrupt__" in asked
    _t, reasons = await _approval(api, policy="auto_approve_if_no_reasons", reasons=["初めての紹介"])
    assert "__interrupt__" in reasons


async def test_unknown_kind_or_policy_is_422(api: Api) -> None:
    thread_id = await api.thread()
    for bad in ({"kind": "nope"}, {"kind": "content_review", "policy": "yolo"}):
        body = {"assistant_id": "approval", "input": {"proposal": {}, "requested_by": "x", **bad}}
        r = await api.wait(thread_id, body)
        assert (r.status_code, r.json()["code"]) == (422, "invalid_input")


@pytest.mark.parametrize("decision", ["approve", "reject", "edit"])
async def test_a_person_decides_through_the_endpoint(api: Api, decision: str) -> None:
    _thread, values = await _approval(api)
    approval_id = _pending_id(values)
    body: dict[str, Any] = {"decision": decision, "comment": "確認しました"}
    if decision == "edit":
        body["payload"] = {"text": "修正した告知文です。", "note": "表現を調整"}
    r = await _decide(api, approval_id, body)
    assert r.status_code == 200, r.text
    assert r.json()["approval"]["status"] == {"approve": "approved", "reject": "rejected", "edit": "edited"}[decision]
    final = await _join(api, r)
    assert final["decision"] == decision and final["decided_by"].startswith("coach:")
    assert final["comment"] == "確認しました" and final["decided_at"]
    if decision == "edit":
        assert final["payload"] == body["payload"]
    assert await _effects(api, approval_id) == 1
    detail = (await api.client.get(f"/approvals/{approval_id}")).json()
    actions = [e["action"] for e in detail["audit"]]
    assert actions[0] == "approval.created" and actions[-1] == "approval.applied"
    if decision == "edit":
        edited = next(e for e in detail["audit"] if e["action"] == "approval.edited")
        assert edited["data"]["diff"]["text"] == {"from": "イベント告知文の案です。", "to": "修正した告知文です。"}
    again = await _decide(api, approval_id, {"decision": "approve"})
    assert (again.status_code, again.json()["code"]) == (409, "approval_already_decided")


async def test_an_invalid_edit_is_422_and_the_approval_stays_pending(api: Api) -> None:
    thread_id = await api.thread()
    values = (await api.wait(thread_id, api.log_body(RISKY_LOG))).json()
    approval_id = _pending_id(values)
    for bad in (
        {"decision": "edit", "payload": {"feedback": {"affirmation": "だけ"}}},
        {"decision": "edit"},
        {"decision": "later"},
        {"decision": "approve", "payload": None, "surprise": 1},
    ):
        r = await _decide(api, approval_id, bad)
        assert (r.status_code, r.json()["code"]) == (422, "invalid_decision"), bad
    detail = (await api.client.get(f"/approvals/{approval_id}")).json()
    assert detail["status"] == "pending" and [e["action"] for e in detail["audit"]] == ["approval.created"]
    ok = await _decide(api, approval_id, {"decision": "approve"})
    assert ok.status_code == 200 and (await _join(api, ok))["status"] == "published"


async def test_who_may_see_and_decide(api: Api, resources: Resources) -> None:
    other = await first_member(resources, offset=1)
    key_a = await make_key(resources, "member", uuid.UUID(api.member_id))
    key_b = await make_key(resources, "member", other.id)
    _t, values = await _approval(api, subject={"member_id": api.member_id})
    coach_kind = _pending_id(values)
    r = await _decide(api, coach_kind, {"decision": "approve"}, key_a)
    assert (r.status_code, r.json()["code"]) == (403, "approval_requires_coach")
    r = await _decide(api, coach_kind, {"decision": "approve"}, api.service)
    assert (r.status_code, r.json()["code"]) == (403, "approval_requires_coach")
    steps = {"steps": [{"title": "朝10分歩く", "category": "activity"}]}
    _t, values = await _approval(api, kind="coaching_steps", subject={"member_id": api.member_id}, proposal=steps)
    member_kind = _pending_id(values)
    r = await _decide(api, member_kind, {"decision": "approve"}, key_b)
    assert (r.status_code, r.json()["code"]) == (404, "approval_not_found")
    assert (await api.client.get(f"/approvals/{member_kind}", headers=api.as_key(key_b))).status_code == 404
    r = await _decide(api, member_kind, {"decision": "approve"}, api.coach)
    assert (r.status_code, r.json()["code"]) == (403, "approval_requires_member")
    r = await _decide(api, member_kind, {"decision": "edit", "payload": {"steps": []}}, key_a)
    assert r.status_code == 200 and (await _join(api, r))["payload"] == {"steps": []}
    mine = (await api.client.get("/approvals", headers=api.as_key(key_a))).json()["items"]
    theirs = (await api.client.get("/approvals", headers=api.as_key(key_b))).json()["items"]
    assert coach_kind in {a["approval_id"] for a in mine} and theirs == []


async def test_the_pending_list(api: Api) -> None:
    ids = [_pending_id((await _approval(api, proposal={"n": i}))[1]) for i in range(5)]
    thread_id = await api.thread()
    risky = _pending_id((await api.wait(thread_id, api.log_body(RISKY_LOG))).json())
    page = (await api.client.get("/approvals?limit=3", headers=api.as_key(api.coach))).json()
    assert [a["approval_id"] for a in page["items"]] == [risky, *ids[::-1][:2]]
    first = page["items"][0]
    assert first["kind"] == "log_feedback" and first["thread_id"] == thread_id and first["run_id"]
    assert first["proposal"]["feedback"] and first["reasons"] and first["deadline"] and first["age_s"] >= 0
    rest = (
        await api.client.get(f"/approvals?limit=3&cursor={page['next_cursor']}", headers=api.as_key(api.coach))
    ).json()
    assert [a["approval_id"] for a in rest["items"]] == ids[::-1][2:] and rest["next_cursor"] is None
    only = (await api.client.get("/approvals?kind=log_feedback", headers=api.as_key(api.coach))).json()["items"]
    assert [a["approval_id"] for a in only] == [risky]
    bad = await api.client.get("/approvals?cursor=garbage", headers=api.as_key(api.coach))
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_cursor")


async def test_fifty_double_decisions_decide_exactly_once(api: Api) -> None:
    created = await asyncio.gather(*(_approval(api, proposal={"n": i}) for i in range(50)))
    ids = [_pending_id(values) for _t, values in created]
    responses = await asyncio.gather(
        *(
            _decide(api, approval_id, {"decision": decision})
            for approval_id in ids
            for decision in ("approve", "reject")
        )
    )
    codes = [(r.status_code, r.json().get("code")) for r in responses]
    assert sum(1 for status, _ in codes if status == 200) == 50
    assert sum(1 for c in codes if c == (409, "approval_already_decided")) == 50
    await asyncio.gather(*(_join(api, r) for r in responses if r.status_code == 200))
    async with api.res.db.sessions() as session:
        effects = await session.scalar(
            select(func.count())
            .select_from(ApprovalEffect)
            .where(ApprovalEffect.approval_id.in_([uuid.UUID(i) for i in ids]))
        )
        decided = await session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.subject_id.in_(ids), AuditEvent.action.in_(["approval.approved", "approval.rejected"]))
        )
    assert (effects, decided) == (50, 50)


async def test_the_runs_api_obeys_the_same_rules(api: Api, resources: Resources) -> None:
    thread_id, values = await _approval(api)
    approval_id = _pending_id(values)
    member_key = await make_key(resources, "member", uuid.UUID(api.member_id))
    resume = {"assistant_id": "approval", "command": {"resume": {"decision": "approve"}}}
    r = await api.wait(thread_id, resume, member_key)
    assert r.status_code in (403, 404)
    r = await api.wait(thread_id, resume, api.coach)
    assert r.status_code == 200 and r.json()["decision"] == "approve"
    again = await _decide(api, approval_id, {"decision": "reject"})
    assert (again.status_code, again.json()["code"]) == (409, "approval_already_decided")
    assert await _effects(api, approval_id) == 1


async def _overdue(api: Api, approval_id: str) -> None:
    async with api.res.db.sessions.begin() as session:
        await session.execute(
            update(Approval)
            .where(Approval.id == uuid.UUID(approval_id))
            .values(deadline=func.now() - text("interval '1 minute'"))
        )


async def test_expiry_rejects_the_waiting_run(api: Api) -> None:
    thread_id, values = await _approval(api)
    approval_id = _pending_id(values)
    await _overdue(api, approval_id)
    assert await expire_due(api.res) == 1
    runs = (await api.client.get(f"/threads/{thread_id}/runs")).json()
    final = (await api.client.get(f"/threads/{thread_id}/runs/{runs[0]['run_id']}/join")).json()
    assert final["decision"] == "reject" and final["decided_by"] == "system:expiry"
    detail = (await api.client.get(f"/approvals/{approval_id}")).json()
    assert detail["status"] == "expired" and "approval.expired" in [e["action"] for e in detail["audit"]]
    late = await _decide(api, approval_id, {"decision": "approve"})
    assert (late.status_code, late.json()["code"]) == (409, "approval_expired")
    assert await expire_due(api.res) == 0


async def test_expiry_escalates_reviews_of_risky_logs_to_admins(api: Api, resources: Resources) -> None:
    thread_id = await api.thread()
    approval_id = _pending_id((await api.wait(thread_id, api.log_body(RISKY_LOG))).json())
    await _overdue(api, approval_id)
    assert await expire_due(api.res) == 1
    detail = (await api.client.get(f"/approvals/{approval_id}")).json()
    assert detail["status"] == "pending" and detail["escalated_at"]
    assert "approval.escalated" in [e["action"] for e in detail["audit"]]
    r = await _decide(api, approval_id, {"decision": "approve"})
    assert (r.status_code, r.json()["code"]) == (403, "approval_requires_admin")
    admin = await make_key(resources, "admin")
    r = await _decide(api, approval_id, {"decision": "reject", "comment": "本人に直接連絡"}, admin)
    assert r.status_code == 200 and (await _join(api, r))["status"] == "rejected"


async def test_audit_events_are_append_only(api: Api, db_uri: str) -> None:
    await _approval(api, policy="auto_approve")
    with psycopg.connect(db_uri, autocommit=True) as conn:
        for statement in ("update audit_events set actor = 'x'", "delete from audit_events"):
            with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                conn.execute(statement)


async def test_webhooks_are_signed_retried_and_never_block_a_decision(api: Api) -> None:
    secret = "whsec-test"
    settings = api.res.settings.model_copy(
        update={
            "approval_webhook_url": "https://hooks.example.test/asoto",
            "approval_webhook_secret": SecretStr(secret),
        }
    )
    res = dataclasses.replace(api.res, settings=settings)
    _t, values = await _approval(api)
    approval_id = _pending_id(values)
    ok = await _decide(api, approval_id, {"decision": "approve"})  # no webhook endpoint is up: still decided
    assert ok.status_code == 200
    await _join(api, ok)
    received: list[httpx.Request] = []
    failures = [True]

    def endpoint(request: httpx.Request) -> httpx.Response:
        received.append(request)
        if failures:
            failures.pop()
            return httpx.Response(503)
        return httpx.Response(204)

    async with httpx.AsyncClient(transport=httpx.MockTransport(endpoint)) as client:
        first = await deliver_due(res, client)
        async with res.db.sessions.begin() as session:  # let the backoff elapse
            await session.execute(
                update(WebhookDelivery).where(WebhookDelivery.delivered_at.is_(None)).values(next_attempt_at=func.now())
            )
        second = await deliver_due(res, client)
    assert first + second >= 2
    events = {}
    for request in received:
        assert verify(secret, request.content, request.headers["x-asoto-signature"])
        payload = json.loads(request.content)
        if payload["approval"]["approval_id"] == approval_id:
            events[payload["event"]] = payload
    assert {"approval.pending", "approval.decided"} <= set(events)
    assert not verify("wrong-secret", received[-1].content, received[-1].headers["x-asoto-signature"])
    async with res.db.sessions() as session:
        retried = await session.scalar(select(func.max(WebhookDelivery.attempts)))
    assert retried == 2

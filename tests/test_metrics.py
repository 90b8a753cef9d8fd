"""``/metrics`` (issue 15): Prometheus' text format read from Postgres, so it answers for every
process; provider calls counted per process and summed through the database; who may read it."""

from __future__ import annotations

from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from asoto.config import Settings
from asoto.persistence.models import Approval
from asoto.runtime import metrics
from asoto.runtime.resources import Resources

from .apptools import asgi_client
from .conftest import ORDINARY_LOG, RISKY_LOG, first_member, make_key


def _samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_metrics_count_runs_queue_approvals_and_provider_calls(
    settings: Settings, db_uri: str, embedder: Any, resources: Resources
) -> None:
    member = await first_member(resources)
    service, coach = await make_key(resources, "service"), await make_key(resources, "coach")
    member_key = await make_key(resources, "member", member.id)
    async with asgi_client(settings, db_uri, embedder, key=service) as (client, state):
        for log in (ORDINARY_LOG, RISKY_LOG):
            thread = (await client.post("/threads", json={})).json()["thread_id"]
            done = await client.post(
                f"/threads/{thread}/runs/wait",
                json={"assistant_id": "log_feedback", "input": {"member_id": str(member.id), "log": log}},
            )
            assert done.status_code == 200, done.text
        later = (await client.post("/threads", json={})).json()["thread_id"]
        queued = await client.post(
            f"/threads/{later}/runs",
            json={
                "assistant_id": "log_feedback",
                "input": {"member_id": str(member.id), "log": ORDINARY_LOG},
                "after_seconds": 3600,
            },
        )
        assert queued.status_code == 200
        await state["worker"].flush_metrics()
        # another process's counts (a second worker) add up in the database, not in one process
        elsewhere = metrics.ProviderTally()
        elsewhere.add(("openai", "log_feedback", "RateLimitError"), 0.5)
        async with resources.db.sessions.begin() as session:
            await metrics.flush(session, elsewhere)

        answer = await client.get("/metrics")
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
        seen = _samples(answer.text)
        assert seen[("asoto_runs", frozenset({("graph_id", "log_feedback"), ("status", "success")}))] == 1
        assert seen[("asoto_runs", frozenset({("graph_id", "log_feedback"), ("status", "interrupted")}))] == 1
        assert seen[("asoto_runs", frozenset({("graph_id", "log_feedback"), ("status", "pending")}))] == 1
        assert seen[("asoto_queue_depth", frozenset())] == 0  # the pending run is not due for an hour
        assert seen[("asoto_run_duration_seconds_count", frozenset({("graph_id", "log_feedback")}))] == 2
        inf = seen[("asoto_run_duration_seconds_bucket", frozenset({("graph_id", "log_feedback"), ("le", "+Inf")}))]
        assert inf == 2
        async with resources.db.sessions() as session:
            from sqlalchemy import func, select

            pending = await session.scalar(
                select(func.count()).select_from(Approval).where(Approval.status == "pending")
            )
        assert seen[("asoto_approvals_pending", frozenset({("kind", "log_feedback"), ("overdue", "false")}))] == pending
        calls = {labels: v for (name, labels), v in seen.items() if name == "asoto_provider_calls_total"}
        offline_ok = sum(
            v for labels, v in calls.items() if ("provider", "offline-rules") in labels and ("outcome", "ok") in labels
        )
        assert offline_ok >= 2  # a draft per log at least, counted by the in-process worker
        assert any(("task", "log_feedback.draft") in labels for labels in calls)
        assert calls[frozenset({("provider", "openai"), ("task", "log_feedback"), ("outcome", "RateLimitError")})] == 1

        # who may read it: admin and service keys
        assert (await client.get("/metrics", headers={"x-api-key": member_key})).status_code == 403
        assert (await client.get("/metrics", headers={"x-api-key": coach})).status_code == 403
        assert (await client.get("/metrics", headers={"x-api-key": ""})).status_code == 401
        bearer = await client.get("/metrics", headers={"x-api-key": "", "authorization": f"Bearer {service}"})
        assert bearer.status_code == 200

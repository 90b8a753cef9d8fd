"""Rate limits across replicas (Postgres counters): failed key checks per client, requests per
key, active runs per member; each answers 429 with Retry-After and stores nothing else."""

from __future__ import annotations

from typing import Any

from asoto.runtime.resources import Resources

from .apptools import asgi_client
from .conftest import ORDINARY_LOG, first_member, make_key


async def test_guessing_keys_gets_429_with_retry_after(settings: Any, db_uri: str, embedder: Any) -> None:
    limited = settings.model_copy(update={"rate_auth_failures_per_min": 10})
    async with asgi_client(limited, db_uri, embedder, run_worker=False) as (client, _):
        codes = [
            (await client.post("/threads", json={}, headers={"x-api-key": f"ask_wrong{i}"})).status_code
            for i in range(15)
        ]
        assert codes[:10] == [401] * 10 and set(codes[10:]) == {429}
        refused = await client.post("/threads", json={}, headers={"x-api-key": "ask_wrong"})
        assert refused.json()["code"] == "rate_limited" and 1 <= int(refused.headers["retry-after"]) <= 60


async def test_requests_per_key_per_second(settings: Any, db_uri: str, embedder: Any, resources: Resources) -> None:
    member = await first_member(resources)
    key = await make_key(resources, "member", member.id)
    limited = settings.model_copy(update={"rate_requests_per_s": 5})
    async with asgi_client(limited, db_uri, embedder, key=key, run_worker=False) as (client, _):
        codes = [(await client.post("/threads/search", json={})).status_code for _ in range(12)]
        assert 200 in codes and 429 in codes
        assert codes.count(200) <= 10  # at most two one-second windows' worth


async def test_active_runs_per_member(settings: Any, db_uri: str, embedder: Any, resources: Resources) -> None:
    member = await first_member(resources)
    key = await make_key(resources, "member", member.id)
    limited = settings.model_copy(update={"rate_active_runs_per_member": 2})
    body = {"assistant_id": "log_feedback", "input": {"member_id": str(member.id), "log": ORDINARY_LOG}}
    async with asgi_client(limited, db_uri, embedder, key=key, run_worker=False) as (client, _):
        made = []
        for _ in range(3):
            thread = (await client.post("/threads", json={})).json()["thread_id"]
            made.append(await client.post(f"/threads/{thread}/runs", json=body))
        assert [r.status_code for r in made] == [200, 200, 429]
        assert made[2].json()["code"] == "too_many_active_runs" and made[2].headers["retry-after"]

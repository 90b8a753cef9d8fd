"""Schemathesis against the served ``/openapi.json``: generated input, valid and invalid, on every
operation, with an admin and a member key, over real HTTP. No answer may be a 5xx.

The examples per operation are few (CI time); the seed is fixed so a failure reproduces, and
``ASOTO_FUZZ_EXAMPLES`` raises the count for a longer local run.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Unsatisfiable

from asoto.config import Settings
from asoto.runtime.resources import Resources

from .apptools import live_server
from .conftest import make_key

EXAMPLES = int(os.environ.get("ASOTO_FUZZ_EXAMPLES", "8"))


def _fuzz(schema: Any, base_url: str, headers: dict[str, str], mode: Any, seen: list[int]) -> list[str]:
    failures: list[str] = []
    http = requests.Session()
    for result in schema.get_all_operations():
        operation = result.ok()

        @seed(20261128)
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def check(case: Any) -> None:
            response = case.call(base_url=base_url, session=http, headers=headers, timeout=60)
            seen.append(response.status_code)
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:200]} "
                    f"(body {str(case.body)[:200]}, query {case.query})"
                )

        with contextlib.suppress(Unsatisfiable):
            check()
    return failures


async def test_no_generated_request_gets_a_5xx(
    settings: Settings, db_uri: str, embedder: Any, resources: Resources
) -> None:
    quiet = settings.model_copy(
        update={"rate_requests_per_s": 0, "rate_auth_failures_per_min": 0, "rate_active_runs_per_member": 0}
    )
    from .conftest import first_member

    member = await first_member(resources)
    keys = {
        "admin": await make_key(resources, "admin"),
        "member": await make_key(resources, "member", member.id),
    }
    with live_server(quiet, db_uri, embedder) as url:
        async with httpx.AsyncClient() as client:
            spec = (await client.get(f"{url}/openapi.json", headers={"x-api-key": keys["admin"]})).json()
        schema = schemathesis.openapi.from_dict(spec)
        failures: list[str] = []
        seen: list[int] = []
        for who, mode in (
            ("admin", schemathesis.GenerationMode.POSITIVE),
            ("admin", schemathesis.GenerationMode.NEGATIVE),
            ("member", schemathesis.GenerationMode.POSITIVE),
        ):
            found = await asyncio.to_thread(_fuzz, schema, url, {"x-api-key": keys[who]}, mode, seen)
            failures += [f"[{who} {mode.value}] {f}" for f in found]
    operations = len(list(schema.get_all_operations()))
    assert len(seen) >= 2 * operations, (len(seen), operations)  # every operation was tried
    assert {200, 404, 422} <= set(seen)  # successes, missing resources and refusals were all reached
    assert failures == [], "\n".join(failures[:20])


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

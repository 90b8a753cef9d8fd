"""Crons (issue 14): every ``client.crons`` method of the official SDK against a live server with
each role and the bad requests; three workers firing fifty ticks make exactly fifty runs; a worker
killed while it holds a tick loses none; missed ticks coalesce; the product's schedules follow
members' opt-ins."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from langgraph_sdk import get_client
from sqlalchemy import func, select, update

from asoto.config import Settings
from asoto.persistence.models import Cron, Member, Run
from asoto.runtime.resources import Resources, open_resources
from asoto.services import crons, schedules

from .apptools import live_server
from .conftest import ORDINARY_LOG, first_member, make_key

BASE = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)  # before any tick a real clock makes
ROOT = Path(__file__).resolve().parent.parent


def _log_input(member: Member) -> dict[str, Any]:
    return {"member_id": str(member.id), "log": ORDINARY_LOG}


async def _runs_of(res: Resources, cron_id: str) -> list[Run]:
    async with res.db.sessions() as session:
        found = await session.scalars(select(Run).where(Run.metadata_["cron_id"].astext == cron_id))
        return list(found.all())


@asynccontextmanager
async def _workers(settings: Settings, uri: str, n: int) -> AsyncIterator[list[Resources]]:
    """``n`` workers' worth of resources: each its own pools, as separate processes would have."""
    async with AsyncExitStack() as stack:
        yield [
            await stack.enter_async_context(open_resources(settings, uri=uri, migrate_first=False)) for _ in range(n)
        ]


async def test_crons_through_the_sdk_with_each_role(
    settings: Settings, db_uri: str, embedder: Any, resources: Resources
) -> None:
    alice, bob = await first_member(resources), await first_member(resources, offset=1)
    alice_key = await make_key(resources, "member", alice.id)
    bob_key = await make_key(resources, "member", bob.id)
    coach_key, admin_key = await make_key(resources, "coach"), await make_key(resources, "admin")
    served = settings.model_copy(update={"rate_requests_per_s": 0})
    with live_server(served, db_uri, embedder) as url:
        member, other = get_client(url=url, api_key=alice_key), get_client(url=url, api_key=bob_key)
        coach, admin = get_client(url=url, api_key=coach_key), get_client(url=url, api_key=admin_key)
        end = datetime.now(UTC) + timedelta(days=30)
        made = await member.crons.create(
            "log_feedback",
            schedule="0 21 * * *",
            input=_log_input(alice),
            metadata={"purpose": "毎晩のふりかえり"},
            timezone="Asia/Tokyo",
            end_time=end,
        )
        assert made["schedule"] == "0 21 * * *" and made["timezone"] == "Asia/Tokyo" and made["enabled"]
        tick = datetime.fromisoformat(made["next_run_date"])
        assert tick.astimezone(crons.zone("Asia/Tokyo")).hour == 21 and tick > datetime.now(UTC)
        assert made["payload"]["input"]["member_id"] == str(alice.id) and made["thread_id"] is None

        thread = await member.threads.create()
        on_thread = await member.crons.create_for_thread(
            thread["thread_id"], "log_feedback", schedule="30 7 * * 1-5", input=_log_input(alice)
        )
        assert on_thread["thread_id"] == thread["thread_id"] and on_thread["timezone"] == "UTC"

        assert await member.crons.count(assistant_id="log_feedback") == 2
        assert await member.crons.count(thread_id=thread["thread_id"]) == 1
        found = await member.crons.search(assistant_id="log_feedback", sort_by="next_run_date", sort_order="asc")
        assert [c["cron_id"] for c in found] == sorted(
            [made["cron_id"], on_thread["cron_id"]],
            key=lambda cid: next(c["next_run_date"] for c in found if c["cron_id"] == cid),
        )
        assert await member.crons.search(assistant_id="log_feedback", select=["cron_id", "schedule"], limit=1) in (
            [{"cron_id": made["cron_id"], "schedule": made["schedule"]}],
            [{"cron_id": on_thread["cron_id"], "schedule": on_thread["schedule"]}],
        )
        # coaches and admins read all (the product's own schedules among them)
        assert await coach.crons.count(assistant_id="log_feedback") == 2
        assert await admin.crons.count(metadata={"purpose": "毎晩のふりかえり"}) == 1
        assert await other.crons.count(assistant_id="log_feedback") == 0
        assert await other.crons.search(assistant_id="log_feedback") == []

        updated = await member.crons.update(made["cron_id"], schedule="0 22 * * *", enabled=False, end_time=None)
        assert updated["schedule"] == "0 22 * * *" and not updated["enabled"] and updated["end_time"] is None
        assert updated["next_run_date"] is None  # disabled: no tick comes
        again = await member.crons.update(made["cron_id"], enabled=True)
        assert datetime.fromisoformat(again["next_run_date"]).astimezone(crons.zone("Asia/Tokyo")).hour == 22

        # the server's worker fires a due tick; its run is a run like any other: listed on its
        # thread, with the cron in its metadata
        async with resources.db.sessions.begin() as session:
            await session.execute(
                update(Cron)
                .where(Cron.cron_id == uuid.UUID(on_thread["cron_id"]))
                .values(next_run_at=datetime.now(UTC) - timedelta(minutes=1))
            )
        for _ in range(200):
            if listed := await member.runs.list(thread["thread_id"]):
                break
            await asyncio.sleep(0.1)
        [ran] = listed
        assert ran["metadata"]["cron_id"] == on_thread["cron_id"]
        assert (await member.runs.join(thread["thread_id"], ran["run_id"]))["status"] in ("published", "held")

        # refusals: another member's cron is not found; a coach makes none; nothing changed
        for call in (
            other.crons.update(made["cron_id"], enabled=False),
            other.crons.delete(made["cron_id"]),
            other.crons.create_for_thread(
                thread["thread_id"], "log_feedback", schedule="0 9 * * *", input=_log_input(bob)
            ),
        ):
            with pytest.raises(httpx.HTTPStatusError) as refused:
                await call
            assert refused.value.response.status_code == 404
        with pytest.raises(httpx.HTTPStatusError) as refused:
            await coach.crons.create("log_feedback", schedule="0 9 * * *", input=_log_input(alice))
        assert refused.value.response.status_code == 403
        with pytest.raises(httpx.HTTPStatusError) as refused:  # a run for another member: refused as a run is
            await member.crons.create("log_feedback", schedule="0 9 * * *", input=_log_input(bob))
        assert (refused.value.response.status_code, refused.value.response.json()["code"]) == (403, "member_mismatch")

        async with httpx.AsyncClient(base_url=url, headers={"x-api-key": alice_key}) as http:
            good = {"assistant_id": "log_feedback", "schedule": "0 9 * * *", "input": _log_input(alice)}
            bad: list[tuple[dict[str, Any], int, str]] = [
                ({**good, "schedule": "every morning"}, 422, "invalid_schedule"),
                ({**good, "schedule": "0 9 * * * *"}, 422, "invalid_schedule"),  # six fields
                ({**good, "schedule": "61 9 * * *"}, 422, "invalid_schedule"),
                ({**good, "timezone": "Mars/Olympus"}, 422, "invalid_timezone"),
                ({**good, "end_time": "2027-01-01T00:00:00"}, 422, "invalid_input"),  # no offset
                ({**good, "assistant_id": "nope"}, 404, "assistant_not_found"),
                ({**good, "input": {"member_id": str(alice.id)}}, 422, "invalid_input"),  # no log
                ({**good, "on_run_completed": "sometimes"}, 422, "invalid_input"),
                ({**good, "surprise": 1}, 422, "invalid_input"),
            ]
            for body, status, code in bad:
                answer = await http.post("/runs/crons", json=body)
                assert (answer.status_code, answer.json()["code"]) == (status, code), (body, answer.text)
            answer = await http.post(
                f"/threads/{thread['thread_id']}/runs/crons", json={**good, "on_run_completed": "keep"}
            )
            assert (answer.status_code, answer.json()["code"]) == (422, "invalid_input")
            answer = await http.patch(f"/runs/crons/{made['cron_id']}", json={"schedule": "nope nope"})
            assert (answer.status_code, answer.json()["code"]) == (422, "invalid_schedule")
            answer = await http.patch(f"/runs/crons/{uuid.uuid4()}", json={"enabled": False})
            assert (answer.status_code, answer.json()["code"]) == (404, "cron_not_found")
            answer = await http.post("/runs/crons/search", json={"select": ["password"]})
            assert (answer.status_code, answer.json()["code"]) == (422, "invalid_input")
        assert await member.crons.count(assistant_id="log_feedback") == 2  # nothing made by a refused request

        await member.crons.delete(made["cron_id"])
        assert await member.crons.count(assistant_id="log_feedback") == 1
        await member.threads.delete(thread["thread_id"])  # a thread's crons go with it
        assert await admin.crons.count(assistant_id="log_feedback") == 0


async def test_three_workers_fifty_ticks_exactly_fifty_runs(
    settings: Settings, db_uri: str, resources: Resources
) -> None:
    member = await first_member(resources)
    quiet = settings.model_copy(update={"rate_active_runs_per_member": 0})
    async with _workers(quiet, db_uri, 3) as workers:
        for worker in workers:
            worker.clock = lambda: BASE
        async with workers[0].db.sessions.begin() as session:
            cron = await crons.create(
                workers[0],
                session,
                schedules.SYSTEM,
                crons_body(member, "* * * * *", end_time=BASE + timedelta(minutes=50)),
            )
        cron_id = str(cron.cron_id)
        fired = 0
        for minute in range(1, 51):  # each tick seen by all three workers at once, a little late
            now = BASE + timedelta(minutes=minute, seconds=2)
            fired += sum(await asyncio.gather(*(crons.fire_due(w, now) for w in workers)))
        runs = await _runs_of(resources, cron_id)
        assert fired == 50 and len(runs) == 50
        async with resources.db.sessions() as session:
            finished = await session.get(Cron, cron.cron_id)
        assert finished is not None and finished.next_run_at is None  # the end_time has passed

        # ticks missed while no worker ran are one run, not many
        async with workers[0].db.sessions.begin() as session:
            hourly = await crons.create(workers[0], session, schedules.SYSTEM, crons_body(member, "* * * * *"))
        late = BASE + timedelta(minutes=45)
        assert sum(await asyncio.gather(*(crons.fire_due(w, late) for w in workers))) == 1
        async with resources.db.sessions() as session:
            moved = await session.get(Cron, hourly.cron_id)
        assert moved is not None and moved.next_run_at == BASE + timedelta(minutes=46)


def crons_body(member: Member, schedule: str, **extra: Any) -> Any:
    from asoto.api.schemas import CronCreate

    return CronCreate(assistant_id="log_feedback", schedule=schedule, input=_log_input(member), **extra)


async def test_a_worker_killed_holding_a_tick_loses_it_not(
    settings: Settings, db_uri: str, resources: Resources, tmp_path: Path
) -> None:
    member = await first_member(resources)
    resources.clock = lambda: BASE
    async with resources.db.sessions.begin() as session:
        cron = await crons.create(resources, session, schedules.SYSTEM, crons_body(member, "0 * * * *"))
    due = BASE + timedelta(hours=1, seconds=5)
    env = {**os.environ, "ASOTO_HOME": str(tmp_path)}
    root = ROOT
    claimer = subprocess.Popen(
        [sys.executable, "-m", "tests.cron_claimer", db_uri, due.isoformat()],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert claimer.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(claimer.stdout.readline), timeout=120)
        assert line.split() == ["claimed", str(cron.cron_id)]
        # while it holds the claim, another worker fires nothing (the row is locked: skipped)
        assert await crons.fire_due(resources, due) == 0
        os.kill(claimer.pid, signal.SIGKILL)  # dies mid-tick: its transaction is rolled back
        claimer.wait(timeout=30)
    finally:
        if claimer.poll() is None:
            claimer.kill()
            claimer.wait()
    for _ in range(100):  # Postgres ends the dead backend's transaction as its socket closes
        if await crons.fire_due(resources, due) == 1:
            break
        await asyncio.sleep(0.1)
    assert len(await _runs_of(resources, str(cron.cron_id))) == 1
    assert await crons.fire_due(resources, due) == 0  # fired once, moved on
    async with resources.db.sessions() as session:
        moved = await session.get(Cron, cron.cron_id)
    assert moved is not None and moved.next_run_at == BASE + timedelta(hours=2)


async def test_the_product_schedules_follow_opt_ins(resources: Resources) -> None:
    def opted(column: Any) -> Any:
        return select(func.count()).select_from(Member).where(column, Member.active)

    async with resources.db.sessions.begin() as session:
        weekly_n = await session.scalar(opted(Member.weekly_checkin))
        matching_n = await session.scalar(opted(Member.match_opt_in))
    assert weekly_n and matching_n  # the demo community has both (a quarter, and ~40 %)
    first = await schedules.sync(resources)
    assert first == {"made": weekly_n + matching_n, "dropped": 0}
    assert await schedules.sync(resources) == {"made": 0, "dropped": 0}  # idempotent
    assert sum(r["made"] for r in await asyncio.gather(schedules.sync(resources), schedules.sync(resources))) == 0
    async with resources.db.sessions() as session:
        weekly = (await session.scalars(select(Cron).where(Cron.schedule_key.like("weekly_checkin:%")))).all()
    assert len(weekly) == weekly_n
    for cron in weekly:
        tick = cron.next_run_at.astimezone(crons.zone("Asia/Tokyo"))  # type: ignore[union-attr]
        assert (tick.weekday(), tick.hour, tick.minute) == (0, 9, 0)  # Monday 09:00 in Tokyo
        assert cron.payload["input"]["session_type"] == "check_in" and cron.owner_member_id is not None
    async with resources.db.sessions.begin() as session:
        member = await session.get(Member, weekly[0].owner_member_id)
        assert member is not None
        member.weekly_checkin = False
    assert await schedules.sync(resources) == {"made": 0, "dropped": 1}
    # the rows sync builds are crons like any other: due, each product's fires a run, not a refusal
    async with resources.db.sessions.begin() as session:
        picked = [
            (await session.scalars(select(Cron).where(Cron.schedule_key.like(f"{p.name}:%")).limit(1))).one()
            for p in schedules.SCHEDULES
        ]
        await session.execute(
            update(Cron).where(Cron.cron_id.in_([c.cron_id for c in picked])).values(next_run_at=LONG_AGO)
        )
    assert await crons.fire_due(resources, LONG_AGO + timedelta(seconds=1)) == len(schedules.SCHEDULES)
    for cron in picked:
        [run] = await _runs_of(resources, str(cron.cron_id))
        assert run.graph_id == cron.assistant_id and run.created_by == "system:schedules"

"""Crons: runs on a schedule, fired by the workers exactly once per tick.

A cron keeps the run it makes (``payload``, the fields of a run) and the time of its next tick.
A worker claims due crons with ``FOR UPDATE SKIP LOCKED`` and, in the same transaction, enqueues
each tick's run and moves ``next_run_at`` on: two workers never fire one tick, and a worker that
dies mid-tick rolls back both, so the tick is still due for the next one. Ticks missed while no
worker ran are coalesced into one run (a weekly reminder after a day's outage is one reminder,
not several); the next tick is the first after the firing.

Schedules are the Platform's five-field cron syntax (``croniter``), read in the cron's IANA
``timezone`` (UTC by default), so "0 9 * * 1" in Asia/Tokyo is Monday 09:00 in Tokyo across the
year. A run a tick makes acts as the cron's creator and passes the same checks as one they
started by hand; those checks run when the cron is made (in a savepoint rolled back), so a cron
that could never fire is refused then, with the run's own error code.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import structlog
from croniter import croniter
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from asoto.api.schemas import CronCount, CronCreate, CronPatch, CronRun, CronSearch, RunCreate
from asoto.errors import AsotoError, Forbidden, InvalidInput, NotFound
from asoto.persistence.models import Cron
from asoto.runtime.resources import Resources
from asoto.services import runs, threads
from asoto.services.keys import Principal

log = structlog.get_logger(__name__)

CRON_ID = "cron_id"  # the metadata key every run a cron makes carries
BATCH = 50  # due crons one worker claims per transaction
_SORT = {
    "cron_id": Cron.cron_id,
    "assistant_id": Cron.assistant_id,
    "thread_id": Cron.thread_id,
    "created_at": Cron.created_at,
    "updated_at": Cron.updated_at,
    "next_run_date": Cron.next_run_at,
    "end_time": Cron.end_time,
}
FIELDS = (
    "cron_id",
    "assistant_id",
    "thread_id",
    "on_run_completed",
    "end_time",
    "schedule",
    "timezone",
    "created_at",
    "updated_at",
    "payload",
    "user_id",
    "next_run_date",
    "metadata",
    "enabled",
)


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(
            f"unknown time zone {name!r}: use an IANA name such as Asia/Tokyo", code="invalid_timezone"
        ) from exc


def check_schedule(schedule: str) -> str:
    schedule = " ".join(schedule.split())
    if len(schedule.split(" ")) != 5 or not croniter.is_valid(schedule):
        raise InvalidInput(
            f"schedule {schedule!r} is not a cron expression of five fields (minute hour day month weekday)",
            code="invalid_schedule",
        )
    return schedule


def next_tick(schedule: str, timezone: str | None, after: datetime) -> datetime:
    """The first tick strictly after ``after``, in UTC."""
    start = after.astimezone(zone(timezone))
    return croniter(schedule, start).get_next(datetime).astimezone(UTC)  # type: ignore[no-any-return]


def _upcoming(cron: Cron, now: datetime) -> datetime | None:
    tick = next_tick(cron.schedule, cron.timezone, now)
    return None if cron.end_time is not None and tick > cron.end_time else tick


def cron_json(cron: Cron, select_: list[str] | None = None) -> dict[str, Any]:
    whole = {
        "cron_id": str(cron.cron_id),
        "assistant_id": cron.assistant_id,
        "thread_id": str(cron.thread_id) if cron.thread_id else None,
        "on_run_completed": cron.on_run_completed,
        "end_time": cron.end_time.isoformat() if cron.end_time else None,
        "schedule": cron.schedule,
        "timezone": cron.timezone,
        "created_at": cron.created_at.isoformat(),
        "updated_at": cron.updated_at.isoformat(),
        "payload": cron.payload,
        "user_id": cron.user_id,
        "next_run_date": cron.next_run_at.isoformat() if cron.next_run_at and cron.enabled else None,
        "metadata": cron.metadata_,
        "enabled": cron.enabled,
    }
    return {k: v for k, v in whole.items() if k in select_} if select_ else whole


def _member_of(run_input: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(run_input["member_id"]))
    except (TypeError, KeyError, ValueError):
        return None


def owner_of(cron: Cron) -> Principal:
    return Principal(id=cron.user_id, role=cron.owner_role, member_id=cron.owner_member_id)


def _run_body(cron: Cron) -> RunCreate:
    payload = {k: v for k, v in cron.payload.items() if v is not None}
    payload["metadata"] = {**payload.get("metadata", {}), CRON_ID: str(cron.cron_id)}
    if cron.thread_id is None:
        payload["on_completion"] = cron.on_run_completed or "delete"
    return RunCreate.model_validate(payload)


async def _enqueue(res: Resources, session: AsyncSession, cron: Cron) -> Any:
    principal, body = owner_of(cron), _run_body(cron)
    if cron.thread_id is None:
        return await runs.create_stateless(res, session, principal, body)
    return await runs.create(res, session, principal, cron.thread_id, body)


async def _dry_run(res: Resources, session: AsyncSession, cron: Cron) -> str:
    """Make the tick's run as a worker would, then roll it back: a cron whose run would be refused
    is refused now, with that refusal's code. Returns the run's graph."""
    savepoint = await session.begin_nested()
    try:
        run = await _enqueue(res, session, cron)
        return str(run.graph_id)
    finally:
        await savepoint.rollback()


def run_payload(body: CronRun) -> dict[str, Any]:
    """What a cron keeps of the run it makes (``payload``)."""
    return body.model_dump(include=set(CronRun.model_fields), exclude_none=True)


def _owns(principal: Principal, cron: Cron) -> bool:
    if principal.acts_for_anyone:
        return True
    return principal.role == "member" and cron.owner_member_id == principal.member_id


def _visible(principal: Principal) -> Any:
    if principal.reads_everything:
        return True
    if principal.role == "member" and principal.member_id is not None:
        return Cron.owner_member_id == principal.member_id
    return False


async def get_visible(session: AsyncSession, principal: Principal, cron_id: uuid.UUID, *, lock: bool = False) -> Cron:
    stmt = select(Cron).where(Cron.cron_id == cron_id, _visible(principal))
    cron = await session.scalar(stmt.with_for_update() if lock else stmt)
    if cron is None:
        raise NotFound(f"cron {cron_id} not found", code="cron_not_found")
    return cron


def _may_change(principal: Principal, cron: Cron) -> None:
    if not _owns(principal, cron):
        raise Forbidden("only the cron's member or an admin changes a cron", code="forbidden")
    if cron.schedule_key and not principal.acts_for_anyone:
        raise Forbidden(
            "this schedule follows the member's settings (weekly check-in, matching opt-in): change those instead",
            code="cron_managed",
        )


async def create(
    res: Resources,
    session: AsyncSession,
    principal: Principal,
    body: CronCreate,
    *,
    thread_id: uuid.UUID | None = None,
) -> Cron:
    if principal.role == "coach":
        raise Forbidden("coaches decide approvals; crons are made by members, services and admins", code="forbidden")
    if thread_id is not None:
        await threads.get_visible(session, principal, thread_id)
    if thread_id is not None and body.on_run_completed is not None:
        raise InvalidInput("on_run_completed is for crons without a thread", code="invalid_input")
    now = res.clock()
    cron = Cron(
        cron_id=uuid.uuid4(),
        assistant_id=body.assistant_id,
        graph_id="",
        thread_id=thread_id,
        schedule=check_schedule(body.schedule),
        timezone=zone(body.timezone).key,
        payload=run_payload(body),
        metadata_=body.metadata,
        on_run_completed=body.on_run_completed,
        end_time=body.end_time,
        enabled=body.enabled,
        user_id=principal.id,
        owner_role=principal.role,
        owner_member_id=principal.member_id,
        created_at=now,
        updated_at=now,
    )
    if cron.end_time is not None and cron.end_time.tzinfo is None:
        raise InvalidInput("end_time needs a time zone offset", code="invalid_input")
    cron.graph_id = await _dry_run(res, session, cron)
    if cron.owner_member_id is None:  # whom a service's cron is for (a built-in flow's member) sees it
        cron.owner_member_id = _member_of(cron.payload.get("input"))
    cron.next_run_at = _upcoming(cron, now)
    session.add(cron)
    await session.flush()
    return cron


async def update(
    res: Resources, session: AsyncSession, principal: Principal, cron_id: uuid.UUID, body: CronPatch
) -> Cron:
    cron = await get_visible(session, principal, cron_id, lock=True)
    _may_change(principal, cron)
    given = body.model_fields_set
    if "schedule" in given and body.schedule is not None:
        cron.schedule = check_schedule(body.schedule)
    if "timezone" in given:
        cron.timezone = zone(body.timezone).key
    if "end_time" in given:  # an explicit null clears it
        if body.end_time is not None and body.end_time.tzinfo is None:
            raise InvalidInput("end_time needs a time zone offset", code="invalid_input")
        cron.end_time = body.end_time
    if "enabled" in given and body.enabled is not None:
        cron.enabled = body.enabled
    if "on_run_completed" in given:
        if cron.thread_id is not None and body.on_run_completed is not None:
            raise InvalidInput("on_run_completed is for crons without a thread", code="invalid_input")
        cron.on_run_completed = body.on_run_completed
    run_fields = given & set(CronRun.model_fields)
    if run_fields:
        cron.payload = {
            **cron.payload,
            **{k: v for k, v in body.model_dump(include=run_fields).items() if v is not None},
        }
        if body.metadata is not None:
            cron.metadata_ = body.metadata
        await _dry_run(res, session, cron)
    now = res.clock()
    cron.updated_at = now
    cron.next_run_at = _upcoming(cron, now)
    await session.flush()
    return cron


async def delete(session: AsyncSession, principal: Principal, cron_id: uuid.UUID) -> None:
    cron = await get_visible(session, principal, cron_id, lock=True)
    _may_change(principal, cron)
    await session.delete(cron)


def _filtered(stmt: Any, principal: Principal, body: CronCount) -> Any:
    stmt = stmt.where(_visible(principal))
    if body.assistant_id:
        stmt = stmt.where((Cron.assistant_id == body.assistant_id) | (Cron.graph_id == body.assistant_id))
    if body.thread_id:
        stmt = stmt.where(Cron.thread_id == body.thread_id)
    if body.metadata:
        stmt = stmt.where(Cron.metadata_.contains(body.metadata))
    return stmt


async def count(session: AsyncSession, principal: Principal, body: CronCount) -> int:
    return int(await session.scalar(_filtered(select(func.count()).select_from(Cron), principal, body)) or 0)


async def search(session: AsyncSession, principal: Principal, body: CronSearch) -> list[dict[str, Any]]:
    if body.select and set(body.select) - set(FIELDS):
        raise InvalidInput(f"select may name only {', '.join(FIELDS)}", code="invalid_input")
    stmt = _filtered(select(Cron), principal, body)
    if body.enabled is not None:
        stmt = stmt.where(Cron.enabled.is_(body.enabled))
    column = _SORT[body.sort_by]
    stmt = stmt.order_by(column.desc() if body.sort_order == "desc" else column.asc(), Cron.cron_id)
    found = (await session.scalars(stmt.limit(body.limit).offset(body.offset))).all()
    return [cron_json(c, body.select) for c in found]


async def fire_due(
    res: Resources,
    now: datetime,
    *,
    limit: int = BATCH,
    on_claimed: Callable[[list[uuid.UUID]], Awaitable[None]] | None = None,
) -> int:
    """Fire every cron due at ``now`` once: claim, enqueue, move on, in one transaction.

    ``on_claimed`` runs while the claim is held (the tests kill a worker there). A tick whose run
    is refused (its thread's graph changed, its member left) is logged and consumed, so one bad
    cron never blocks the others or fires in a loop."""
    fired = 0
    async with res.db.sessions.begin() as session:
        due = (
            await session.scalars(
                select(Cron)
                .where(Cron.enabled, Cron.next_run_at.is_not(None), Cron.next_run_at <= now)
                .order_by(Cron.next_run_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).all()
        if not due:
            return 0
        if on_claimed is not None:
            await on_claimed([c.cron_id for c in due])
        for cron in due:
            savepoint = await session.begin_nested()
            try:
                run = await _enqueue(res, session, cron)
            except AsotoError as exc:
                await savepoint.rollback()
                log.warning("cron.tick_refused", cron_id=str(cron.cron_id), code=exc.code, detail=exc.detail)
            else:
                await savepoint.commit()
                fired += 1
                log.info("cron.fired", cron_id=str(cron.cron_id), run_id=str(run.run_id))
            cron.next_run_at = _upcoming(cron, now)
            cron.updated_at = now
    return fired

"""Rate limits that hold across replicas: fixed-window counters in Postgres.

The ``limits`` library has no Postgres storage (memory, Redis, Memcached, MongoDB), and the
engine's one coordination service is Postgres, so counters live in one small table: one upsert
per counted event, its window from the database clock, old windows deleted by the worker's
sweep. Three limits, each configurable (``ASOTO_RATE_*``, 0 = off):
- failed authentication per client address (guessing keys): 429 after the limit, per minute;
- requests per member key, per second (service, coach and admin keys have their own setting,
  off by default: the product's backend sends everything under one service key);
- active (pending or running) runs per member: a new run is refused while the member has this many.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from asoto.errors import RateLimited
from asoto.persistence.models import Run, Thread

_HIT = text("""
insert into rate_counters (bucket, window_start, hits)
values (:bucket, to_timestamp(floor(extract(epoch from now()) / :window) * :window), 1)
on conflict (bucket, window_start) do update set hits = rate_counters.hits + 1
returning hits, extract(epoch from (window_start + make_interval(secs => :window) - now())) as left_s
""")


async def hit(session: AsyncSession, bucket: str, *, limit: int, window_s: float, what: str) -> None:
    """Count one event in ``bucket``; over ``limit`` in the window → 429 with Retry-After."""
    if limit <= 0:
        return
    row = (await session.execute(_HIT, {"bucket": bucket[:200], "window": window_s})).one()
    if row.hits > limit:
        raise RateLimited(f"too many {what}; try again later", retry_after_s=float(row.left_s))


async def active_runs_of(session: AsyncSession, member_id: uuid.UUID) -> int:
    return int(
        await session.scalar(
            select(func.count())
            .select_from(Run)
            .join(Thread, Thread.thread_id == Run.thread_id)
            .where(Thread.member_id == member_id, Run.status.in_(("pending", "running")))
        )
        or 0
    )


async def check_member_runs(session: AsyncSession, member_id: uuid.UUID, *, limit: int) -> None:
    if limit > 0 and await active_runs_of(session, member_id) >= limit:
        raise RateLimited(
            f"this member already has {limit} runs waiting or running; wait for one to finish",
            retry_after_s=5,
            code="too_many_active_runs",
        )


async def prune(session: AsyncSession) -> None:
    await session.execute(text("delete from rate_counters where window_start < now() - interval '1 hour'"))

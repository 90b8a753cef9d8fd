"""Checkpoint retention: keep what history and time travel need, delete the rest.

LangGraph's Postgres checkpointer keeps every checkpoint of every thread forever: a 100-turn
coaching session leaves hundreds of rows and their blobs. The saver has no pruning of its own
(``adelete_thread`` drops a whole thread), so this module does it in SQL, over the saver's own
tables, with rules that cannot break a live thread:

- per thread and checkpoint namespace, the newest ``keep_last`` checkpoints stay (the newest is
  what a resume loads; the rest are the history ``threads.get_history`` and time travel show);
- the pending writes of a kept checkpoint stay (an interrupt's resume value lives there);
- a blob stays while any kept checkpoint of its namespace names its channel version;
- threads with a pending or running run are skipped (their writer may be mid-step), and one
  pruner runs at a time across replicas (a transaction-scoped advisory lock).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

PRUNE_LOCK = 0x6173_6F74_6F70  # "asotop": one pruner at a time across replicas

_CANDIDATES = text("""
select c.thread_id, c.checkpoint_ns from checkpoints c
where not exists (select 1 from runs r where r.thread_id::text = c.thread_id and r.status in ('pending', 'running'))
group by c.thread_id, c.checkpoint_ns having count(*) > :keep
limit :batch
""")

_DELETE_OLD = text("""
with doomed as (
    select c.thread_id, c.checkpoint_ns, c.checkpoint_id from (
        select thread_id, checkpoint_ns, checkpoint_id,
               row_number() over (partition by thread_id, checkpoint_ns order by checkpoint_id desc) as rank
        from checkpoints where thread_id = any(:threads)
    ) c
    join unnest(cast(:threads as text[]), cast(:namespaces as text[])) as p(thread_id, checkpoint_ns)
      on p.thread_id = c.thread_id and p.checkpoint_ns = c.checkpoint_ns
    where c.rank > :keep
),
writes as (
    delete from checkpoint_writes w using doomed d
    where w.thread_id = d.thread_id and w.checkpoint_ns = d.checkpoint_ns and w.checkpoint_id = d.checkpoint_id
    returning 1
),
gone as (
    delete from checkpoints c using doomed d
    where c.thread_id = d.thread_id and c.checkpoint_ns = d.checkpoint_ns and c.checkpoint_id = d.checkpoint_id
    returning 1
)
select (select count(*) from gone), (select count(*) from writes)
""")

_DELETE_BLOBS = text("""
with gone as (
    delete from checkpoint_blobs b
    where b.thread_id = any(:threads)
      and not exists (
        select 1 from checkpoints c
        where c.thread_id = b.thread_id and c.checkpoint_ns = b.checkpoint_ns
          and c.checkpoint -> 'channel_versions' ->> b.channel = b.version)
    returning 1
)
select count(*) from gone
""")


@dataclass(frozen=True)
class Pruned:
    threads: int = 0
    checkpoints: int = 0
    writes: int = 0
    blobs: int = 0
    skipped: bool = False  # another replica was pruning


async def prune_checkpoints(session: AsyncSession, *, keep_last: int, batch: int = 500) -> Pruned:
    """One pass over at most ``batch`` (thread, namespace) pairs with more than ``keep_last``
    checkpoints. ``keep_last`` < 1 turns retention off (nothing is ever deleted)."""
    if keep_last < 1:
        return Pruned()
    if not await session.scalar(text("select pg_try_advisory_xact_lock(:k)"), {"k": PRUNE_LOCK}):
        return Pruned(skipped=True)
    pairs = (await session.execute(_CANDIDATES, {"keep": keep_last, "batch": batch})).all()
    if not pairs:
        return Pruned()
    threads = [p[0] for p in pairs]
    namespaces = [p[1] for p in pairs]
    checkpoints, writes = (
        await session.execute(_DELETE_OLD, {"threads": threads, "namespaces": namespaces, "keep": keep_last})
    ).one()
    blobs = await session.scalar(_DELETE_BLOBS, {"threads": sorted(set(threads))})
    return Pruned(len(set(threads)), int(checkpoints), int(writes), int(blobs or 0))


async def keep_latest(session: AsyncSession, thread_ids: list[str]) -> Pruned:
    """``threads.prune(strategy="keep_latest")``: only the newest checkpoint of each namespace of
    these threads stays (their state and pending interrupts; history and forks before it go)."""
    if not thread_ids:
        return Pruned()
    pairs = (
        await session.execute(
            text("select distinct thread_id, checkpoint_ns from checkpoints where thread_id = any(:threads)"),
            {"threads": thread_ids},
        )
    ).all()
    if not pairs:
        return Pruned()
    threads = [p[0] for p in pairs]
    checkpoints, writes = (
        await session.execute(_DELETE_OLD, {"threads": threads, "namespaces": [p[1] for p in pairs], "keep": 1})
    ).one()
    blobs = await session.scalar(_DELETE_BLOBS, {"threads": sorted(set(threads))})
    return Pruned(len(set(threads)), int(checkpoints), int(writes), int(blobs or 0))

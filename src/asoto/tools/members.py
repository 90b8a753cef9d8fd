"""Member reads and score updates."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from asoto.persistence.models import Goal, Log, Member, PointEvent, Step
from asoto.tools.scoring import REFLECTION_DEPTH_LOGS, REFLECTIVE_SIGNAL, WINDOW_DAYS, Activity30d


async def get_member(session: AsyncSession, member_id: uuid.UUID) -> Member | None:
    return await session.get(Member, member_id)


def member_scores(member: Member) -> dict[str, int]:
    return {
        "relationship": member.relationship_score,
        "activity": member.activity_score,
        "sensitivity": member.sensitivity_score,
    }


async def member_context(session: AsyncSession, member_id: uuid.UUID, *, recent: int = 5) -> dict[str, Any] | None:
    """Profile, scores, active goals, recent steps and logs: what a coach would glance at."""
    member = await get_member(session, member_id)
    if member is None:
        return None
    goals = (
        await session.scalars(
            select(Goal.title).where(Goal.member_id == member_id, Goal.status == "active").limit(recent)
        )
    ).all()
    steps = (
        await session.execute(
            select(Step.title, Step.status)
            .where(Step.member_id == member_id)
            .order_by(Step.created_at.desc())
            .limit(recent)
        )
    ).all()
    logs = (
        await session.execute(
            select(Log.title, Log.created_at)
            .where(Log.member_id == member_id)
            .order_by(Log.created_at.desc())
            .limit(recent)
        )
    ).all()
    return {
        "member_id": str(member.id),
        "name": member.name,
        "locale": member.locale,
        "profile": member.profile,
        "interests": list(member.interests),
        "scores": member_scores(member),
        "goals": list(goals),
        "recent_steps": [{"title": t, "status": s} for t, s in steps],
        "recent_logs": [{"title": t, "created_at": c.isoformat()} for t, c in logs],
    }


ACTIVITY_SQL = text("""
select m.id as member_id,
  (select count(*) from event_participations ep where ep.member_id = m.id and ep.joined_at >= :since) as event_participation,
  (select count(*) from connections c where (c.member_a = m.id or c.member_b = m.id) and c.created_at >= :since) as new_connections,
  (select count(*) from comments c where c.author_id = m.id and c.created_at >= :since) as comments,
  (select count(*) from matches x where x.member_id = m.id and x.created_at >= :since) as matching,
  (select count(*) from events e where e.host_id = m.id and e.starts_at >= :since and e.starts_at <= :now) as event_hosting,
  (select count(*) from steps s where s.member_id = m.id and s.status = 'completed' and s.completed_at >= :since) as steps_completed,
  l.logs_written, l.active_days, d.reflection_depth, l.reflective_logs,
  (select count(*) from project_members pm where pm.member_id = m.id and pm.joined_at >= :since) as projects_joined
from members m
cross join lateral (
  select count(*) as logs_written,
         count(distinct date_trunc('day', created_at)) as active_days,
         count(*) filter (where (signals->>'sensitivity')::int >= :reflective) as reflective_logs
  from logs where member_id = m.id and created_at >= :since) l
cross join lateral (
  select coalesce(sum(s), 0)::float / :depth as reflection_depth from (
    select (signals->>'sensitivity')::int as s from logs
    where member_id = m.id and created_at >= :since order by s desc limit :depth) best) d
where m.id = any(:ids)
""")


async def activity_30d_many(
    session: AsyncSession, member_ids: list[uuid.UUID], now: datetime
) -> dict[uuid.UUID, Activity30d]:
    """What members did in the last 30 days, counted in one statement."""
    rows = (
        (
            await session.execute(
                ACTIVITY_SQL,
                {
                    "ids": member_ids,
                    "since": now - timedelta(days=WINDOW_DAYS),
                    "now": now,
                    "reflective": REFLECTIVE_SIGNAL,
                    "depth": REFLECTION_DEPTH_LOGS,
                },
            )
        )
        .mappings()
        .all()
    )
    fields = Activity30d.__dataclass_fields__
    return {r["member_id"]: Activity30d(**{k: r[k] for k in fields}) for r in rows}


async def activity_30d(session: AsyncSession, member_id: uuid.UUID, now: datetime) -> Activity30d:
    return (await activity_30d_many(session, [member_id], now)).get(member_id, Activity30d())


async def save_scores(session: AsyncSession, member_id: uuid.UUID, scores: dict[str, int], now: datetime) -> None:
    await session.execute(
        update(Member)
        .where(Member.id == member_id)
        .values(
            relationship_score=scores["relationship"],
            activity_score=scores["activity"],
            sensitivity_score=scores["sensitivity"],
            last_active_at=now,
        )
    )


async def award_points(session: AsyncSession, member_id: uuid.UUID, source: str, source_id: str, points: int) -> bool:
    """Award once per (member, source, source_id); True if this call awarded them."""
    inserted = await session.scalar(
        insert(PointEvent)
        .values(member_id=member_id, source=source, source_id=source_id, points=points)
        .on_conflict_do_nothing(constraint="uq_point_events_source")
        .returning(PointEvent.id)
    )
    if inserted is None:
        return False
    await session.execute(update(Member).where(Member.id == member_id).values(points=Member.points + points))
    return True

"""Member reads and score updates."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from asoto.persistence.models import (
    Comment,
    Connection,
    Event,
    EventParticipation,
    Goal,
    Log,
    Match,
    Member,
    PointEvent,
    ProjectMember,
    Step,
)
from asoto.tools.scoring import REFLECTIVE_SIGNAL, WINDOW_DAYS, Activity30d


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
    goals = (await session.scalars(
        select(Goal.title).where(Goal.member_id == member_id, Goal.status == "active").limit(recent)
    )).all()
    steps = (await session.execute(
        select(Step.title, Step.status).where(Step.member_id == member_id)
        .order_by(Step.created_at.desc()).limit(recent)
    )).all()
    logs = (await session.execute(
        select(Log.title, Log.created_at).where(Log.member_id == member_id)
        .order_by(Log.created_at.desc()).limit(recent)
    )).all()
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


async def activity_30d(session: AsyncSession, member_id: uuid.UUID, now: datetime) -> Activity30d:
    since = now - timedelta(days=WINDOW_DAYS)

    async def count(stmt: Any) -> int:
        return int(await session.scalar(stmt) or 0)

    signal = Log.signals["sensitivity"].as_integer()
    log_stats = (await session.execute(
        select(func.count(), func.coalesce(func.avg(signal), 0),
               func.count().filter(signal >= REFLECTIVE_SIGNAL))
        .where(Log.member_id == member_id, Log.created_at >= since)
    )).one()
    day = func.date_trunc("day", Log.created_at)
    active_days = await count(select(func.count(func.distinct(day))).where(
        Log.member_id == member_id, Log.created_at >= since))
    return Activity30d(
        event_participation=await count(select(func.count()).select_from(EventParticipation).where(
            EventParticipation.member_id == member_id, EventParticipation.joined_at >= since)),
        new_connections=await count(select(func.count()).select_from(Connection).where(
            or_(Connection.member_a == member_id, Connection.member_b == member_id),
            Connection.created_at >= since)),
        comments=await count(select(func.count()).select_from(Comment).where(
            Comment.author_id == member_id, Comment.created_at >= since)),
        matching=await count(select(func.count()).select_from(Match).where(
            Match.member_id == member_id, Match.created_at >= since)),
        event_hosting=await count(select(func.count()).select_from(Event).where(
            Event.host_id == member_id, Event.starts_at >= since, Event.starts_at <= now)),
        steps_completed=await count(select(func.count()).select_from(Step).where(
            and_(Step.member_id == member_id, Step.status == "completed", Step.completed_at >= since))),
        logs_written=int(log_stats[0]),
        projects_joined=await count(select(func.count()).select_from(ProjectMember).where(
            ProjectMember.member_id == member_id, ProjectMember.joined_at >= since)),
        active_days=active_days,
        mean_log_signal=float(log_stats[1]),
        reflective_logs=int(log_stats[2]),
    )


async def save_scores(session: AsyncSession, member_id: uuid.UUID, scores: dict[str, int], now: datetime) -> None:
    await session.execute(update(Member).where(Member.id == member_id).values(
        relationship_score=scores["relationship"], activity_score=scores["activity"],
        sensitivity_score=scores["sensitivity"], last_active_at=now,
    ))


async def award_points(session: AsyncSession, member_id: uuid.UUID, source: str, source_id: str, points: int) -> bool:
    """Award once per (member, source, source_id); True if this call awarded them."""
    inserted = await session.scalar(
        insert(PointEvent).values(member_id=member_id, source=source, source_id=source_id, points=points)
        .on_conflict_do_nothing(constraint="uq_point_events_source").returning(PointEvent.id)
    )
    if inserted is None:
        return False
    await session.execute(update(Member).where(Member.id == member_id).values(points=Member.points + points))
    return True

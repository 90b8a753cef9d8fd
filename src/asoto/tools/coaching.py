"""Coaching reads and writes: memory of past sessions (the Store, searched by meaning), goals and
steps, saving a session."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from langgraph.store.base import BaseStore
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from asoto.persistence.models import CoachingSession, Goal, Step
from asoto.persistence.store import member_namespace
from asoto.tools import members, scoring

MEMORY = "coaching"  # the member's namespace that holds session summaries


async def recall(
    store: BaseStore,
    *,
    member_id: uuid.UUID,
    topic: str,
    exclude: uuid.UUID,
    k: int = 3,
) -> list[dict[str, Any]]:
    """The member's past sessions most similar to this one's topic (not merely the latest), from
    their memory in the Store (``("members", id, "coaching")``)."""
    found = await store.asearch(member_namespace(member_id, MEMORY), query=topic, limit=k + 1)
    return [
        {
            "session_id": item.key,
            "summary": item.value.get("summary", ""),
            "session_type": item.value.get("session_type", ""),
            "similarity": round(float(item.score or 0.0), 4),
        }
        for item in found
        if item.key != str(exclude) and item.value.get("summary")
    ][:k]


async def remember(
    store: BaseStore,
    *,
    member_id: uuid.UUID,
    session_id: uuid.UUID,
    thread_id: uuid.UUID,
    session_type: str,
    summary: str,
    day: str,
) -> None:
    """Keep a finished session's summary in the member's memory; its key is the session, so a
    replayed node writes the same item again. Only the summary is embedded."""
    await store.aput(
        member_namespace(member_id, MEMORY),
        str(session_id),
        {"summary": summary, "session_type": session_type, "thread_id": str(thread_id), "date": day},
        index=["summary"],
    )


async def steps_overview(
    session: AsyncSession, member_id: uuid.UUID, now: datetime, limit: int = 8
) -> list[dict[str, Any]]:
    rows = (
        await session.execute(
            select(Step.title, Step.status, Step.due_date)
            .where(Step.member_id == member_id)
            .order_by(Step.created_at.desc())
            .limit(limit)
        )
    ).all()
    out = []
    for title, status, due in rows:
        state = "late" if status in ("pending", "in_progress") and due is not None and due < now else status
        out.append({"title": title, "status": "done" if state == "completed" else state})
    return out


async def score_trend(
    session: AsyncSession, member_id: uuid.UUID, now: datetime
) -> tuple[dict[str, int], dict[str, int]]:
    """Scores over the last 30 days and their change from the 30 days before."""
    current = scoring.all_scores(await members.activity_30d(session, member_id, now))
    previous = scoring.all_scores(await members.activity_30d(session, member_id, now - timedelta(days=30)))
    return current, {k: current[k] - previous[k] for k in current}


async def active_goal(session: AsyncSession, member_id: uuid.UUID, goal_id: uuid.UUID | None) -> uuid.UUID | None:
    stmt = select(Goal.id).where(Goal.member_id == member_id, Goal.status == "active")
    if goal_id is not None:
        stmt = stmt.where(Goal.id == goal_id)
    return await session.scalar(stmt.order_by(Goal.created_at.desc()).limit(1))


async def save_steps(
    session: AsyncSession,
    *,
    session_id: uuid.UUID,
    member_id: uuid.UUID,
    goal_id: uuid.UUID | None,
    steps: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """Insert once (ids derive from the session), so a replayed node writes nothing twice."""
    saved = []
    for i, step in enumerate(steps):
        step_id = uuid.uuid5(session_id, f"step:{i}")
        due = step.get("due_date")
        due_at = datetime.combine(date.fromisoformat(due), datetime.min.time()).astimezone() if due else None
        await session.execute(
            insert(Step)
            .values(
                id=step_id,
                goal_id=goal_id,
                member_id=member_id,
                title=step["title"],
                description=step.get("description", ""),
                category=step["category"],
                status="pending",
                estimated_minutes=step.get("estimated_minutes"),
                due_date=due_at,
            )
            .on_conflict_do_nothing(index_elements=[Step.id])
        )
        saved.append({"step_id": str(step_id), **step, "goal_id": str(goal_id) if goal_id else None})
    return saved


async def save_session(
    session: AsyncSession,
    *,
    session_id: uuid.UUID,
    member_id: uuid.UUID,
    thread_id: uuid.UUID,
    session_type: str,
    summary: str,
) -> None:
    """The session's record (what steps and points refer to); its memory is in the Store."""
    await session.execute(
        insert(CoachingSession)
        .values(
            id=session_id,
            member_id=member_id,
            thread_id=thread_id,
            session_type=session_type,
            summary=summary,
        )
        .on_conflict_do_update(index_elements=[CoachingSession.id], set_={"summary": summary})
    )

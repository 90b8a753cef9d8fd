"""Reflection-log writes and vector search over a member's own logs."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from asoto.persistence.models import Log


async def store_log(
    session: AsyncSession,
    *,
    log_id: uuid.UUID,
    member_id: uuid.UUID,
    title: str,
    content: str,
    signals: dict[str, int],
    embedding: list[float],
    embedding_model: str,
    thread_id: uuid.UUID | None,
) -> None:
    """Insert once: a replayed node (crash, retry) finds the row already there."""
    await session.execute(
        insert(Log)
        .values(
            id=log_id,
            member_id=member_id,
            title=title,
            content=content,
            signals=signals,
            embedding=embedding,
            embedding_model=embedding_model,
            thread_id=thread_id,
            feedback_status="drafting",
        )
        .on_conflict_do_nothing(index_elements=[Log.id])
    )


async def similar_logs(
    session: AsyncSession, *, log_id: uuid.UUID, member_id: uuid.UUID, k: int = 3
) -> list[dict[str, Any]]:
    """The member's own past logs most similar to this one (its stored vector; never anyone else's)."""
    this = select(Log.embedding).where(Log.id == log_id).scalar_subquery()
    model = select(Log.embedding_model).where(Log.id == log_id).scalar_subquery()
    distance = Log.embedding.cosine_distance(this)
    rows = (
        await session.execute(
            select(Log.id, Log.title, distance.label("distance"))
            .where(Log.member_id == member_id, Log.id != log_id, Log.embedding_model == model)
            .order_by(distance)
            .limit(k)
        )
    ).all()
    return [{"log_id": str(r.id), "title": r.title, "similarity": round(1 - float(r.distance), 4)} for r in rows]


async def set_feedback(
    session: AsyncSession,
    *,
    log_id: uuid.UUID,
    status: str,
    feedback: dict[str, str] | None,
    model: str | None,
    now: datetime,
) -> None:
    await session.execute(
        update(Log)
        .where(Log.id == log_id)
        .values(
            feedback=feedback,
            feedback_status=status,
            feedback_model=model,
            published_at=now if status == "published" else None,
        )
    )

"""The domain and engine tables (SQLAlchemy 2.0, typed).

Vectors are stored dimensionless here; the migration gives each column the dimension of
the embedding provider configured when the database was created, and ``meta`` records which
model that was, so a different provider is refused instead of silently mixing vector spaces.
Relationships are not declared: repositories build explicit ``select()`` statements.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pgvector.sqlalchemy import Vector
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSONB, list[Any]: JSONB, uuid.UUID: UUID(as_uuid=True)}


def _uuid_pk() -> Mapped[uuid.UUID]:
    return mapped_column(primary_key=True, default=uuid.uuid4)


def _created() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


class Meta(Base):
    """Facts about the database itself (the embedding space it was built for)."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(nullable=False)


class Member(Base):
    __tablename__ = "members"
    id: Mapped[uuid.UUID] = _uuid_pk()
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    profile: Mapped[str] = mapped_column(Text, nullable=False, default="")
    interests: Mapped[list[str]] = mapped_column(ARRAY(String(50)), nullable=False, default=list)
    skills: Mapped[list[str]] = mapped_column(ARRAY(String(50)), nullable=False, default=list)
    locale: Mapped[str] = mapped_column(String(10), nullable=False, default="ja")
    relationship_score: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    activity_score: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    sensitivity_score: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    points: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    match_opt_in: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    weekly_checkin: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)  # opted in
    embedding = mapped_column(Vector(), nullable=True)
    embedding_model: Mapped[str | None] = mapped_column(String(100))
    last_active_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = _created()
    __table_args__ = (
        CheckConstraint("relationship_score between 0 and 100", name="relationship_range"),
        CheckConstraint("activity_score between 0 and 100", name="activity_range"),
        CheckConstraint("sensitivity_score between 0 and 100", name="sensitivity_range"),
    )


class Goal(Base):
    __tablename__ = "goals"
    id: Mapped[uuid.UUID] = _uuid_pk()
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="active")
    target_date: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = _created()


class Step(Base):
    __tablename__ = "steps"
    id: Mapped[uuid.UUID] = _uuid_pk()
    goal_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("goals.id", ondelete="SET NULL"))
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    category: Mapped[str] = mapped_column(String(20), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="pending")
    estimated_minutes: Mapped[int | None] = mapped_column(Integer)
    due_date: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = _created()
    __table_args__ = (
        CheckConstraint("category in ('relationship','activity','sensitivity')", name="category"),
        Index("ix_steps_member_created", "member_id", "created_at"),
    )


class Log(Base):
    """A reflection log (内省ログ) and the AI feedback on it."""

    __tablename__ = "logs"
    id: Mapped[uuid.UUID] = _uuid_pk()
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    content: Mapped[str] = mapped_column(Text, nullable=False)
    signals: Mapped[dict[str, Any]] = mapped_column(nullable=False, default=dict)
    embedding = mapped_column(Vector(), nullable=True)
    embedding_model: Mapped[str | None] = mapped_column(String(100))
    feedback: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    feedback_status: Mapped[str] = mapped_column(String(20), nullable=False, default="none")
    feedback_model: Mapped[str | None] = mapped_column(String(100))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    thread_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    created_at: Mapped[datetime] = _created()
    __table_args__ = (Index("ix_logs_member_created", "member_id", "created_at"),)


class Comment(Base):
    __tablename__ = "comments"
    id: Mapped[uuid.UUID] = _uuid_pk()
    log_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("logs.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    content: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = _created()
    __table_args__ = (Index("ix_comments_author_created", "author_id", "created_at"),)


class Event(Base):
    __tablename__ = "events"
    id: Mapped[uuid.UUID] = _uuid_pk()
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    host_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    capacity: Mapped[int] = mapped_column(Integer, nullable=False, default=20)
    created_at: Mapped[datetime] = _created()


class EventParticipation(Base):
    __tablename__ = "event_participations"
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    joined_at: Mapped[datetime] = _created()
    __table_args__ = (Index("ix_event_participations_member", "member_id", "joined_at"),)


class Project(Base):
    __tablename__ = "projects"
    id: Mapped[uuid.UUID] = _uuid_pk()
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    wanted_skills: Mapped[list[str]] = mapped_column(ARRAY(String(50)), nullable=False, default=list)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="open")
    embedding = mapped_column(Vector(), nullable=True)
    embedding_model: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = _created()


class ProjectMember(Base):
    __tablename__ = "project_members"
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    joined_at: Mapped[datetime] = _created()


class Connection(Base):
    """An undirected tie between two members, stored once with member_a < member_b."""

    __tablename__ = "connections"
    member_a: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    member_b: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = _created()
    __table_args__ = (
        CheckConstraint("member_a < member_b", name="ordered"),
        Index("ix_connections_member_b", "member_b"),
    )


class Block(Base):
    __tablename__ = "blocks"
    blocker_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    blocked_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = _created()


class Match(Base):
    __tablename__ = "matches"
    id: Mapped[uuid.UUID] = _uuid_pk()
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    candidate_member_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    project_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    score: Mapped[float] = mapped_column(nullable=False, default=0.0)
    approval_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    created_at: Mapped[datetime] = _created()
    __table_args__ = (
        UniqueConstraint("member_id", "candidate_member_id", name="uq_matches_member_candidate"),
        UniqueConstraint("member_id", "project_id", name="uq_matches_member_project"),
        Index("ix_matches_member_created", "member_id", "created_at"),
    )


class CoachingSession(Base):
    __tablename__ = "coaching_sessions"
    id: Mapped[uuid.UUID] = _uuid_pk()
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    thread_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    session_type: Mapped[str] = mapped_column(String(30), nullable=False)
    summary: Mapped[str] = mapped_column(Text, nullable=False, default="")  # its memory: the Store
    created_at: Mapped[datetime] = _created()


class Approval(Base):
    """A proposal waiting for (or decided by) a person. Decided exactly once."""

    __tablename__ = "approvals"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(50), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="pending")
    member_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    thread_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    run_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    proposal: Mapped[dict[str, Any]] = mapped_column(nullable=False, default=dict)
    reasons: Mapped[list[Any]] = mapped_column(nullable=False, default=list)
    decision: Mapped[str | None] = mapped_column(String(20))
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    comment: Mapped[str | None] = mapped_column(Text)
    deadline: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    requested_by: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    policy: Mapped[str] = mapped_column(String(50), nullable=False, default="human")
    created_at: Mapped[datetime] = _created()
    __table_args__ = (
        CheckConstraint("status in ('pending','approved','rejected','edited','expired','cancelled')", name="status"),
        # the pending list: newest first, optionally by kind or member, keyset-paginated
        Index("ix_approvals_pending", "created_at", "id", postgresql_where=text("status = 'pending'")),
        Index("ix_approvals_pending_kind", "kind", "created_at", "id", postgresql_where=text("status = 'pending'")),
        Index(
            "ix_approvals_pending_member", "member_id", "created_at", "id", postgresql_where=text("status = 'pending'")
        ),
        Index("ix_approvals_pending_deadline", "deadline", postgresql_where=text("status = 'pending'")),
    )


class ApprovalEffect(Base):
    """That a decision's effects were applied: once per approval (the primary key is the guard)."""

    __tablename__ = "approval_effects"
    approval_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("approvals.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(50), nullable=False)
    decision: Mapped[str] = mapped_column(String(20), nullable=False)
    applied_at: Mapped[datetime] = _created()


class WebhookDelivery(Base):
    """Outbox of webhook calls, written in the transaction of the change they report."""

    __tablename__ = "webhook_deliveries"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    event: Mapped[str] = mapped_column(String(50), nullable=False)
    payload: Mapped[dict[str, Any]] = mapped_column(nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime] = _created()
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _created()
    __table_args__ = (
        Index("ix_webhook_deliveries_due", "next_attempt_at", postgresql_where=text("delivered_at is null")),
    )


class AuditEvent(Base):
    """Append-only trail of who did what to which subject, when and why."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = _created()
    actor: Mapped[str] = mapped_column(String(100), nullable=False)
    action: Mapped[str] = mapped_column(String(50), nullable=False)
    subject_type: Mapped[str] = mapped_column(String(50), nullable=False)
    subject_id: Mapped[str] = mapped_column(String(100), nullable=False)
    data: Mapped[dict[str, Any]] = mapped_column(nullable=False, default=dict)
    __table_args__ = (Index("ix_audit_subject", "subject_type", "subject_id", "at"),)


class PointEvent(Base):
    """Points awarded to a member; one row per (member, source, source_id) makes awards idempotent."""

    __tablename__ = "point_events"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(50), nullable=False)
    source_id: Mapped[str] = mapped_column(String(100), nullable=False)
    points: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = _created()
    __table_args__ = (UniqueConstraint("member_id", "source", "source_id", name="uq_point_events_source"),)


class ApiKey(Base):
    """An API key, stored as a SHA-256 digest (keys are 256-bit random, so no slow hash is needed)."""

    __tablename__ = "api_keys"
    id: Mapped[uuid.UUID] = _uuid_pk()
    key_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    prefix: Mapped[str] = mapped_column(String(16), nullable=False)
    role: Mapped[str] = mapped_column(String(20), nullable=False)
    member_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    created_at: Mapped[datetime] = _created()
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    __table_args__ = (
        CheckConstraint("role in ('member','coach','admin','service')", name="role"),
        CheckConstraint("role <> 'member' or member_id is not null", name="member_has_member_id"),
    )


class _Configured:
    """What an assistant configures: the columns an assistant and each of its versions share."""

    graph_id: Mapped[str] = mapped_column(String(50), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    description: Mapped[str | None] = mapped_column(Text)
    config: Mapped[dict[str, Any]] = mapped_column(nullable=False, default=dict)
    context: Mapped[dict[str, Any]] = mapped_column(nullable=False, default=dict)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", nullable=False, default=dict)
    created_by: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    created_at: Mapped[datetime] = _created()


class Assistant(_Configured, Base):
    """A configured graph (the Platform's assistant): a graph plus the config and context its runs
    get, versioned. ``version`` is the one runs use now (``set_latest`` can move it back)."""

    __tablename__ = "assistants"
    assistant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    updated_at: Mapped[datetime] = _created()
    __table_args__ = (Index("ix_assistants_graph", "graph_id"),)


class AssistantVersion(_Configured, Base):
    """Every version an assistant had, kept: a run pins the version it started with."""

    __tablename__ = "assistant_versions"
    assistant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("assistants.assistant_id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)


class Thread(Base):
    """A LangGraph thread as the API sees it; graph state itself lives in the checkpointer."""

    __tablename__ = "threads"
    thread_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    member_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    graph_id: Mapped[str | None] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="idle")
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", nullable=False, default=dict)
    values: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    interrupts: Mapped[dict[str, Any]] = mapped_column(nullable=False, default=dict)
    created_by: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _created()
    state_updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    __table_args__ = (
        CheckConstraint("status in ('idle','busy','interrupted','error')", name="status"),
        Index("ix_threads_member_created", "member_id", "created_at"),
    )


class Run(Base):
    """A unit of work on a thread, claimed by a worker with a lease (the run queue)."""

    __tablename__ = "runs"
    __mapper_args__ = {"eager_defaults": True}  # timestamps come back in the INSERT's RETURNING
    run_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    thread_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("threads.thread_id", ondelete="CASCADE"))
    assistant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    graph_id: Mapped[str] = mapped_column(String(50), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="pending")
    kwargs: Mapped[dict[str, Any]] = mapped_column(nullable=False, default=dict)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", nullable=False, default=dict)
    multitask_strategy: Mapped[str] = mapped_column(String(20), nullable=False, default="reject")
    created_by: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    not_before: Mapped[datetime] = _created()
    attempt: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    lease_token: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancel_requested: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    output: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _created()
    __table_args__ = (
        CheckConstraint("status in ('pending','running','error','success','timeout','interrupted')", name="status"),
        # one running run per thread, enforced by the database, whatever the workers do
        Index("uq_runs_one_running_per_thread", "thread_id", unique=True, postgresql_where=text("status = 'running'")),
        Index("ix_runs_queue", "not_before", postgresql_where=text("status = 'pending'")),
        Index("ix_runs_thread_created", "thread_id", "created_at"),
    )


class Cron(Base):
    """A schedule of runs. Its next tick is a row the workers claim (``FOR UPDATE SKIP LOCKED``)
    in the transaction that enqueues the tick's run, so a tick fires once across any number of
    workers, and a worker dying mid-tick rolls both back for another to fire."""

    __tablename__ = "crons"
    cron_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    assistant_id: Mapped[str] = mapped_column(String(100), nullable=False)  # as given: a graph id or a uuid
    graph_id: Mapped[str] = mapped_column(String(50), nullable=False)
    thread_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("threads.thread_id", ondelete="CASCADE"))
    schedule: Mapped[str] = mapped_column(String(200), nullable=False)
    timezone: Mapped[str] = mapped_column(String(64), nullable=False, default="UTC")
    payload: Mapped[dict[str, Any]] = mapped_column(nullable=False, default=dict)  # the run, as created
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", nullable=False, default=dict)
    on_run_completed: Mapped[str | None] = mapped_column(String(10))  # stateless crons: delete | keep
    end_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    next_run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # None: no tick left
    user_id: Mapped[str] = mapped_column(String(100), nullable=False)  # the creator; runs act as them
    owner_role: Mapped[str] = mapped_column(String(20), nullable=False)
    owner_member_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    schedule_key: Mapped[str | None] = mapped_column(String(200), unique=True)  # the product's own schedules
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _created()
    __table_args__ = (
        Index("ix_crons_due", "next_run_at", postgresql_where=text("enabled and next_run_at is not null")),
        Index("ix_crons_owner", "owner_member_id"),
    )


class RunEvent(Base):
    """One server-sent event of a streamed run, kept so a client can join or resume the stream."""

    __tablename__ = "run_events"
    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    event: Mapped[str] = mapped_column(String(100), nullable=False)
    data: Mapped[Any] = mapped_column(JSONB, nullable=True)
    created_at: Mapped[datetime] = _created()

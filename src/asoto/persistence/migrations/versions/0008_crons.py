"""crons: scheduled runs, a tick claimed by one worker; members opt in to a weekly check-in

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("members", sa.Column("weekly_checkin", sa.Boolean(), server_default=sa.text("false"), nullable=False))
    op.create_table(
        "crons",
        sa.Column("cron_id", sa.UUID(), nullable=False),
        sa.Column("assistant_id", sa.String(length=100), nullable=False),
        sa.Column("graph_id", sa.String(length=50), nullable=False),
        sa.Column("thread_id", sa.UUID(), nullable=True),
        sa.Column("schedule", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("metadata", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("on_run_completed", sa.String(length=10), nullable=True),
        sa.Column("end_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("user_id", sa.String(length=100), nullable=False),
        sa.Column("owner_role", sa.String(length=20), nullable=False),
        sa.Column("owner_member_id", sa.UUID(), nullable=True),
        sa.Column("schedule_key", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["thread_id"], ["threads.thread_id"], name=op.f("fk_crons_thread_id_threads"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["owner_member_id"], ["members.id"], name=op.f("fk_crons_owner_member_id_members"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("cron_id", name=op.f("pk_crons")),
        sa.UniqueConstraint("schedule_key", name=op.f("uq_crons_schedule_key")),
    )
    op.create_index(
        "ix_crons_due", "crons", ["next_run_at"], postgresql_where=sa.text("enabled and next_run_at is not null")
    )
    op.create_index("ix_crons_owner", "crons", ["owner_member_id"])


def downgrade() -> None:
    op.drop_index("ix_crons_owner", table_name="crons")
    op.drop_index("ix_crons_due", table_name="crons", postgresql_where=sa.text("enabled and next_run_at is not null"))
    op.drop_table("crons")
    op.drop_column("members", "weekly_checkin")

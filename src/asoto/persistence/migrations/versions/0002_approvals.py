"""approvals: escalation, effects, webhook outbox, pending-list indexes

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    op.add_column("approvals", sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("approvals", sa.Column("requested_by", sa.String(100), nullable=False, server_default=""))
    op.add_column("approvals", sa.Column("policy", sa.String(50), nullable=False, server_default="human"))
    op.drop_index("ix_approvals_pending", table_name="approvals")
    op.create_index("ix_approvals_pending", "approvals", ["created_at", "id"], postgresql_where=PENDING)
    op.create_index("ix_approvals_pending_kind", "approvals", ["kind", "created_at", "id"], postgresql_where=PENDING)
    op.create_index(
        "ix_approvals_pending_member", "approvals", ["member_id", "created_at", "id"], postgresql_where=PENDING
    )
    op.create_index("ix_approvals_pending_deadline", "approvals", ["deadline"], postgresql_where=PENDING)
    op.create_table(
        "approval_effects",
        sa.Column("approval_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(50), nullable=False),
        sa.Column("decision", sa.String(20), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["approval_id"],
            ["approvals.id"],
            ondelete="CASCADE",
            name=op.f("fk_approval_effects_approval_id_approvals"),
        ),
        sa.PrimaryKeyConstraint("approval_id", name=op.f("pk_approval_effects")),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("event", sa.String(50), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
    )
    op.create_index(
        "ix_webhook_deliveries_due",
        "webhook_deliveries",
        ["next_attempt_at"],
        postgresql_where=sa.text("delivered_at is null"),
    )
    # audit events are append-only: the database refuses updates and deletes
    op.execute("""
        create function audit_events_append_only() returns trigger language plpgsql as $$
        begin raise exception 'audit_events is append-only'; end $$;
        create trigger audit_events_no_change before update or delete on audit_events
        for each row execute function audit_events_append_only();
    """)


def downgrade() -> None:
    op.execute("drop trigger audit_events_no_change on audit_events; drop function audit_events_append_only();")
    op.drop_table("webhook_deliveries")
    op.drop_table("approval_effects")
    for name in (
        "ix_approvals_pending_deadline",
        "ix_approvals_pending_member",
        "ix_approvals_pending_kind",
        "ix_approvals_pending",
    ):
        op.drop_index(name, table_name="approvals")
    op.create_index("ix_approvals_pending", "approvals", ["created_at"], postgresql_where=PENDING)
    for column in ("policy", "requested_by", "escalated_at"):
        op.drop_column("approvals", column)

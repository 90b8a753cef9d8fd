"""coaching memory moves to the Store: session rows keep their summary, not a vector

The coaching flow now recalls past sessions from the member's namespace in LangGraph's store
(``("members", id, "coaching")``), which embeds the summary itself. No data is carried over:
nothing before this release was deployed (the demo and tests seed no coaching sessions).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op
from pgvector.sqlalchemy import Vector

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("drop index if exists ix_coaching_sessions_embedding_hnsw")
    op.drop_column("coaching_sessions", "embedding")
    op.drop_column("coaching_sessions", "embedding_model")


def downgrade() -> None:
    dim = int(context.config.attributes.get("embedding_dim", 512))
    op.add_column("coaching_sessions", sa.Column("embedding", Vector(dim), nullable=True))
    op.add_column("coaching_sessions", sa.Column("embedding_model", sa.String(length=100), nullable=True))

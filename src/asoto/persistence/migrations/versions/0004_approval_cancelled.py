"""approvals can be cancelled (their thread was deleted)

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WITH = "status in ('pending','approved','rejected','edited','expired','cancelled')"
_WITHOUT = "status in ('pending','approved','rejected','edited','expired')"


def upgrade() -> None:
    op.execute("alter table approvals drop constraint if exists ck_approvals_status")
    op.execute(f"alter table approvals add constraint ck_approvals_status check ({_WITH})")


def downgrade() -> None:
    op.execute("alter table approvals drop constraint if exists ck_approvals_status")
    op.execute(f"alter table approvals add constraint ck_approvals_status check ({_WITHOUT})")

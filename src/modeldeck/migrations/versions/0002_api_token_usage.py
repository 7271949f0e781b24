"""API tokens: when each was last used, and when it was revoked.

Revision ID: 0002_api_token_usage
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_api_token_usage"
down_revision = "0001"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    # batch_alter_table: SQLite cannot drop a column in place on the way down.
    with op.batch_alter_table("api_tokens") as table:
        table.add_column(sa.Column("last_used_at", UTC, nullable=True))
        table.add_column(sa.Column("revoked_at", UTC, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as table:
        table.drop_column("revoked_at")
        table.drop_column("last_used_at")

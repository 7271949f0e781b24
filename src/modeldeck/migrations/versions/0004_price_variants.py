"""Time-of-day windows, service-tier variants and 1-hour cache writes on price periods (§3).

Revision ID: 0004_price_variants
Revises: 0003_console_sessions
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from modeldeck.db import ExactDecimal

revision = "0004_price_variants"
down_revision = "0003_console_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing periods have neither: an empty list and an empty mapping, as new ones default to.
    with op.batch_alter_table("price_periods") as batch:
        batch.add_column(sa.Column("cache_write_1h", ExactDecimal(), nullable=True))
        batch.add_column(sa.Column("windows", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("service_tiers", sa.JSON(), nullable=False, server_default="{}"))
    with op.batch_alter_table("price_periods") as batch:
        batch.alter_column("windows", server_default=None)
        batch.alter_column("service_tiers", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("price_periods") as batch:
        batch.drop_column("service_tiers")
        batch.drop_column("windows")
        batch.drop_column("cache_write_1h")

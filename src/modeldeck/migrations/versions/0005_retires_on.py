"""A model's announced shutdown day, `retires_on`: its status is derived from it at read time.

Stored statuses stay as they are: they are what an admin or a catalog said, and the served
status is the furthest along of that and the dates (records/status.py). The next catalog sync
moves the built-in catalog's shutdown days from `deprecation_date` to `retires_on`.

Revision ID: 0005_retires_on
Revises: 0004_price_variants
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_retires_on"
down_revision = "0004_price_variants"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("models", sa.Column("retires_on", sa.Date(), nullable=True))


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite >= 3.35 has it): no table copy, its indexes stay as they are.
    op.drop_column("models", "retires_on")

"""Aliases: a name (`chat`, `cheap`) for weighted target models with ordered fallbacks.

Their changes are audited and in the change feed like a model's (actions `alias_*`).

Revision ID: 0006_aliases
Revises: 0005_retires_on
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_aliases"
down_revision = "0005_retires_on"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "aliases",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("name_key", sa.String(64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("targets", sa.JSON(), nullable=False),
        sa.Column("fallbacks", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aliases")),
        sa.UniqueConstraint("name_key", name=op.f("uq_aliases_name_key")),
    )


def downgrade() -> None:
    op.drop_table("aliases")

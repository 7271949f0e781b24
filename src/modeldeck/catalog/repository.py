"""The bulk SQL of imports and catalog sync: one statement for many rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from modeldeck.audit.tables import AuditEntryRow
from modeldeck.models.tables import ModelRow, PricePeriodRow


async def insert_models(
    session: AsyncSession,
    models: Sequence[dict[str, Any]],
    periods: Sequence[dict[str, Any]],
) -> None:
    """New models and their price periods as two executemany statements (no ORM objects)."""
    if models:
        await session.execute(insert(ModelRow), list(models))
    if periods:
        await session.execute(insert(PricePeriodRow), list(periods))


async def add_audit_entries(session: AsyncSession, entries: Sequence[dict[str, Any]]) -> None:
    """Audit entries as one executemany (columns of AuditEntryRow as keys)."""
    if entries:
        await session.execute(insert(AuditEntryRow), list(entries))

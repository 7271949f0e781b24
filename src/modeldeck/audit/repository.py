"""All SQL about the audit trail."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from modeldeck.audit.tables import ALIAS_ACTIONS, AuditEntryRow
from modeldeck.records.fields import possible_ref

# OFFSET beyond this is past any trail, and beyond what the drivers bind (64-bit integers).
MAX_OFFSET = 2**62


def add_entry(session: AsyncSession, columns: dict[str, Any]) -> AuditEntryRow:
    """One audit entry (`columns`: as `WriteContext.entry` makes them)."""
    entry = AuditEntryRow(**columns)
    session.add(entry)
    return entry


async def entries_for_model(
    session: AsyncSession, ref: str, *, limit: int, offset: int, alias: bool = False
) -> tuple[Sequence[AuditEntryRow], int]:
    """A model's trail (an alias's with `alias`), newest first; `ref` is its id or (for
    deleted ones too) its name."""
    if not possible_ref(ref):
        return [], 0
    kind = AuditEntryRow.action.like(ALIAS_ACTIONS, escape="\\")  # an alias's entries
    where = and_(
        or_(AuditEntryRow.model_id == ref, func.lower(AuditEntryRow.model_name) == ref.lower()),
        kind if alias else ~kind,
    )
    ids = select(AuditEntryRow.model_id).where(where).distinct()
    matching = AuditEntryRow.model_id.in_(ids)
    total = (
        await session.execute(select(func.count(AuditEntryRow.id)).where(matching))
    ).scalar_one()
    statement = (
        select(AuditEntryRow)
        .where(matching)
        .order_by(AuditEntryRow.revision.desc(), AuditEntryRow.id.desc())
        .limit(limit)
        .offset(min(offset, MAX_OFFSET))
    )
    return (await session.execute(statement)).scalars().all(), int(total)


async def recent_entries(
    session: AsyncSession, *, limit: int, offset: int
) -> tuple[Sequence[AuditEntryRow], int]:
    total = (await session.execute(select(func.count(AuditEntryRow.id)))).scalar_one()
    statement = (
        select(AuditEntryRow)
        .order_by(AuditEntryRow.revision.desc(), AuditEntryRow.id.desc())
        .limit(limit)
        .offset(min(offset, MAX_OFFSET))
    )
    return (await session.execute(statement)).scalars().all(), int(total)

"""All SQL about the audit trail."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
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


@dataclass(frozen=True)
class AuditFilter:
    """Which entries to list: part of a model's name (ignoring case), who, what, and when
    (`since` inclusive, `until` exclusive)."""

    model: str | None = None
    actor: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.model:
            found.append(
                func.lower(AuditEntryRow.model_name).contains(self.model.lower(), autoescape=True)
            )
        if self.actor:
            found.append(AuditEntryRow.actor == self.actor)
        if self.action:
            found.append(AuditEntryRow.action == self.action)
        if self.since is not None:
            found.append(AuditEntryRow.at >= self.since)
        if self.until is not None:
            found.append(AuditEntryRow.at < self.until)
        return found


async def recent_entries(
    session: AsyncSession, *, limit: int, offset: int, where: AuditFilter | None = None
) -> tuple[Sequence[AuditEntryRow], int]:
    """Entries across all models, newest first, those `where` chooses."""
    conditions = (where or AuditFilter()).conditions()
    total = (
        await session.execute(select(func.count(AuditEntryRow.id)).where(*conditions))
    ).scalar_one()
    statement = (
        select(AuditEntryRow)
        .where(*conditions)
        .order_by(AuditEntryRow.revision.desc(), AuditEntryRow.id.desc())
        .limit(limit)
        .offset(min(offset, MAX_OFFSET))
    )
    return (await session.execute(statement)).scalars().all(), int(total)


async def actors_and_actions(session: AsyncSession) -> tuple[list[str], list[str]]:
    """Everyone who changed a model, and every kind of change, as the trail records them."""
    actors = await session.execute(select(AuditEntryRow.actor).distinct())
    actions = await session.execute(select(AuditEntryRow.action).distinct())
    return sorted(actors.scalars().all()), sorted(actions.scalars().all())

"""All SQL of the change feed: it is read from the audit trail, one event per revision."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from modeldeck.audit.tables import ALIAS_ACTIONS, AuditEntryRow
from modeldeck.changes.tables import STATE_ROW, RegistryStateRow

# Revisions are 32-bit integer columns; a larger cursor (a client's typo) matches nothing above it.
MAX_REVISION = 2**31 - 1
# The same read for the LISTEN connection, which is a bare asyncpg connection.
CURRENT_REVISION_SQL = (
    f"SELECT revision FROM {RegistryStateRow.__tablename__} WHERE id = {STATE_ROW}"  # noqa: S608
)


async def revision_on(connection: Any) -> int:
    """The current revision, read on a bare asyncpg connection (the LISTEN one)."""
    return int(await connection.fetchval(CURRENT_REVISION_SQL) or 0)


async def ping(connection: Any) -> None:
    """Raise unless a bare asyncpg connection still answers (within 5 s)."""
    await connection.fetchval("SELECT 1", timeout=5)


async def bump_revision(session: AsyncSession) -> int:
    """+1 on the registry's revision, in the caller's transaction; the new revision.

    Bumping the single state row takes its row lock (PostgreSQL) or the write lock (SQLite).
    """
    result = await session.execute(
        update(RegistryStateRow)
        .where(RegistryStateRow.id == STATE_ROW)
        .values(revision=RegistryStateRow.revision + 1)
        .returning(RegistryStateRow.revision)
    )
    return int(result.scalar_one())


async def current_revision(session: AsyncSession) -> int:
    result = await session.execute(
        select(RegistryStateRow.revision).where(RegistryStateRow.id == STATE_ROW)
    )
    return int(result.scalar_one_or_none() or 0)


ENTRY_COLUMNS = (
    AuditEntryRow.revision,
    AuditEntryRow.at,
    AuditEntryRow.actor,
    AuditEntryRow.action,
    AuditEntryRow.model_id,
    AuditEntryRow.model_name,
)


async def revisions_after(session: AsyncSession, since: int, limit: int) -> Sequence[int]:
    """The first `limit` revisions after `since` that changed something, oldest first."""
    statement = (
        select(AuditEntryRow.revision)
        .where(AuditEntryRow.revision > min(since, MAX_REVISION))
        .distinct()
        .order_by(AuditEntryRow.revision)
        .limit(limit)
    )
    return (await session.execute(statement)).scalars().all()


async def entries_between(
    session: AsyncSession, after: int, through: int
) -> Sequence[Row[int, datetime, str, str, str, str]]:
    """The entries of revisions in (after, through], without their before/after documents."""
    statement = (
        select(*ENTRY_COLUMNS)
        .where(
            AuditEntryRow.revision > min(after, MAX_REVISION),
            AuditEntryRow.revision <= min(through, MAX_REVISION),
        )
        .order_by(AuditEntryRow.revision, AuditEntryRow.id)
    )
    return (await session.execute(statement)).all()


async def models_changed_after(
    session: AsyncSession, since: int, *, within: int
) -> tuple[int, set[str]]:
    """The current revision, and the models changed after `since` if it is at most `within`
    revisions on (else the set is incomplete: the caller reads everything). One statement."""
    after = min(since, MAX_REVISION)
    statement = (
        select(RegistryStateRow.revision, AuditEntryRow.model_id)
        .select_from(RegistryStateRow)
        .outerjoin(
            AuditEntryRow,
            and_(
                AuditEntryRow.revision > after,
                AuditEntryRow.revision <= RegistryStateRow.revision,
                AuditEntryRow.revision <= min(after + within, MAX_REVISION),
                # An alias's entries hold the alias's id: no model changed.
                AuditEntryRow.action.not_like(ALIAS_ACTIONS, escape="\\"),
            ),
        )
        .where(RegistryStateRow.id == STATE_ROW)
    )
    rows = (await session.execute(statement)).all()
    revision = int(rows[0][0] or 0) if rows else 0
    return revision, {model_id for _, model_id in rows if model_id is not None}

"""The global revision: +1 per committed change, and how an instance learns of new ones."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Iterator

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from modeldeck.changes.tables import RegistryStateRow

log = logging.getLogger("modeldeck.changes")

STATE_ROW = 1
# PostgreSQL channel every committed revision is announced on (payload: the revision).
CHANNEL = "modeldeck_changes"


async def claim_revision(session: AsyncSession) -> int:
    """The revision this transaction will commit as; claimed once, first thing in a write.

    Bumping the single state row takes its row lock (PostgreSQL) or the write lock (SQLite),
    so writers queue here and every check that follows sees the latest committed data.
    """
    claimed = session.info.get("revision")
    if claimed is not None:
        return int(claimed)
    result = await session.execute(
        update(RegistryStateRow)
        .where(RegistryStateRow.id == STATE_ROW)
        .values(revision=RegistryStateRow.revision + 1)
        .returning(RegistryStateRow.revision)
    )
    revision = int(result.scalar_one())
    session.info["revision"] = revision
    return revision


def mark_changed(session: AsyncSession) -> None:
    """Say that this transaction changed something worth committing (else it is rolled back)."""
    session.info["changed"] = True


async def current_revision(session: AsyncSession) -> int:
    result = await session.execute(
        select(RegistryStateRow.revision).where(RegistryStateRow.id == STATE_ROW)
    )
    return int(result.scalar_one_or_none() or 0)


class RevisionWatcher:
    """The newest revision this instance knows of: from its own commits, NOTIFY, or a check."""

    def __init__(self) -> None:
        self.known = 0
        self.closed = False
        self._changed = asyncio.Event()
        # For /metrics: who follows the feed now ("sse", "long_poll"), and LISTEN reconnects.
        self.subscribers: Counter[str] = Counter()
        self.listener_reconnects = 0

    @contextlib.contextmanager
    def subscribed(self, kind: str) -> Iterator[None]:
        """Count a client following the feed (`kind`: "sse" or "long_poll") while the block runs."""
        self.subscribers[kind] += 1
        try:
            yield
        finally:
            self.subscribers[kind] -= 1

    def observe(self, revision: int) -> None:
        if revision > self.known:
            self.known = revision
            self._wake()

    def close(self) -> None:
        """The instance is stopping: wake every waiter, and let streams end."""
        if not self.closed:
            self.closed = True
            self._wake()

    def _wake(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_beyond(self, revision: int, timeout: float) -> bool:
        """Wait up to `timeout` seconds for a revision newer than `revision` (or closing)."""
        if self.known > revision or self.closed:
            return self.known > revision
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), timeout)
        return self.known > revision


async def commit_if_changed(session: AsyncSession) -> int | None:
    """Commit when the transaction changed something, else roll back; the committed revision.

    On PostgreSQL the revision is announced in the same transaction, so listeners hear of it
    exactly when (and only if) it commits.
    """
    if not session.info.get("changed"):
        await session.rollback()
        return None
    revision = int(session.info["revision"])
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(func.pg_notify(CHANNEL, str(revision))))
    await session.commit()
    return revision

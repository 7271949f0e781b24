"""The global revision: +1 per committed change, and how an instance learns of new ones."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Iterator

from sqlalchemy.ext.asyncio import AsyncSession

from modeldeck.changes.repository import bump_revision
from modeldeck.changes.repository import current_revision as current_revision
from modeldeck.db import CHANGED_KEY, REVISION_KEY

log = logging.getLogger("modeldeck.changes")


async def claim_revision(session: AsyncSession) -> int:
    """The revision this transaction will commit as; claimed once, first thing in a write.

    Bumping the single state row takes its row lock (PostgreSQL) or the write lock (SQLite),
    so writers queue here and every check that follows sees the latest committed data.
    """
    claimed = session.info.get(REVISION_KEY)
    if claimed is not None:
        return int(claimed)
    revision = await bump_revision(session)
    session.info[REVISION_KEY] = revision
    return revision


def mark_changed(session: AsyncSession) -> None:
    """Say that this transaction changed something worth committing (else it is rolled back)."""
    session.info[CHANGED_KEY] = True


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

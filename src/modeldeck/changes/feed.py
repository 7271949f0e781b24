"""Events of the change feed, and the recent ones kept in memory for every subscriber."""

from __future__ import annotations

import asyncio
import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from modeldeck import serialization
from modeldeck.changes import repository
from modeldeck.changes.revision import RevisionWatcher, current_revision
from modeldeck.db import Database

DEFAULT_LIMIT = 500
MAX_LIMIT = 5000
# Events kept in memory: enough for every live subscriber to catch up without a query.
KEEP = 2000


@dataclass(frozen=True)
class Event:
    """One committed revision: when, who, and what happened to which models and aliases."""

    revision: int
    document: dict[str, Any]

    @cached_property
    def frame(self) -> bytes:
        """The Server-Sent Events message, serialised once for every subscriber."""
        data = serialization.dumps(self.document)
        return f"id: {self.revision}\nevent: change\ndata: {data}\n\n".encode()


@dataclass(frozen=True)
class Page:
    """Events after some revision, oldest first; `revision` is the newest one known."""

    revision: int
    events: list[Event] = field(default_factory=list)
    more: bool = False

    def body(self) -> dict[str, Any]:
        return {
            "revision": self.revision,
            "events": [event.document for event in self.events],
            "more": self.more,
        }


def events_from(entries: Iterable[Sequence[Any]]) -> list[Event]:
    """Audit entries (ordered by revision) grouped into one event per revision.

    Each entry is `(revision, at, actor, action, model_id, model_name)`.
    """
    events: list[Event] = []
    for revision, at, actor, action, model_id, model_name in entries:
        if not events or events[-1].revision != revision:
            events.append(Event(revision, {"revision": revision, "at": at, "actor": actor}))
            events[-1].document["changes"] = []
        if action.startswith("alias_"):  # an alias's entry holds its id and name there
            change = {
                "action": action,
                "model_id": None,
                "model_name": None,
                "alias_id": model_id,
                "alias_name": model_name,
            }
        else:
            change = {
                "action": action,
                "model_id": model_id,
                "model_name": model_name,
                "alias_id": None,
                "alias_name": None,
            }
        events[-1].document["changes"].append(change)
    return events


class ChangeFeed:
    """Reads events once for all subscribers: the newest are held in memory.

    The held tail is every event with a revision in (`_floor`, `_through`]; it is extended by
    one query when the watcher knows of a newer revision, however many subscribers wait.
    """

    def __init__(self, database: Database, revisions: RevisionWatcher) -> None:
        self._database = database
        self._revisions = revisions
        self._tail: list[Event] = []
        self._tail_revisions: list[int] = []
        self._floor = -1  # -1: nothing held yet
        self._through = -1
        self._lock = asyncio.Lock()
        # Seconds without a message after which an SSE stream sends a heartbeat comment.
        self.heartbeat_s = 15.0

    async def after(self, since: int, limit: int = DEFAULT_LIMIT) -> Page:
        """Events after revision `since`, oldest first, at most `limit` of them."""
        if self._floor < 0 or since < self._floor:
            page = await self.read(since, limit)
            if self._floor < 0 and not page.more:
                self._hold(since, page)
            return page
        if self._through < self._revisions.known:
            async with self._lock:
                while self._through < self._revisions.known:
                    if not await self._extend():
                        break
        start = bisect.bisect_right(self._tail_revisions, since)
        events = self._tail[start : start + limit]
        more = start + limit < len(self._tail)
        return Page(self._through, events, more)

    async def latest(self) -> int:
        """The newest revision committed, read from the database."""
        async with self._database.read() as session:
            revision = await current_revision(session)
        self._revisions.observe(revision)
        return revision

    async def read(self, since: int, limit: int) -> Page:
        """Events after `since` straight from the database."""
        async with self._database.read() as session:
            # Revisions commit in order (writers queue on the state row), so every event up
            # to the revision read first is visible to the queries that follow.
            revision = await current_revision(session)
            revisions = await repository.revisions_after(session, since, limit + 1)
            more = len(revisions) > limit
            through = revisions[limit - 1] if more else (revisions[-1] if revisions else since)
            entries = await repository.entries_between(session, since, through)
        events = events_from(entries)
        newest = max(revision, events[-1].revision if events else 0)
        self._revisions.observe(newest)
        return Page(newest, events, more)

    def _hold(self, since: int, page: Page) -> None:
        # A `since` beyond the newest revision holds from the newest: nothing lies between.
        self._floor = min(since, page.revision)
        self._through = page.revision
        self._tail = list(page.events)
        self._tail_revisions = [event.revision for event in page.events]
        self._trim()

    async def _extend(self) -> bool:
        """Add the events after the held tail; False when the database had nothing newer."""
        page = await self.read(self._through, MAX_LIMIT)
        self._tail.extend(page.events)
        self._tail_revisions.extend(event.revision for event in page.events)
        through = page.events[-1].revision if page.more else page.revision
        moved = through > self._through
        self._through = max(self._through, through)
        self._trim()
        return moved

    def _trim(self) -> None:
        excess = len(self._tail) - KEEP
        if excess > 0:
            self._floor = self._tail_revisions[excess - 1]
            del self._tail[:excess]
            del self._tail_revisions[:excess]

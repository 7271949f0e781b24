"""Reads served from memory: the whole registry as of one revision, with cached responses.

When the revision moves on, the snapshot is updated rather than rebuilt: the audit trail names
the models changed since its revision, only those rows are read and serialised again, and every
other model's record and cached body carry over to the new snapshot.
"""

from __future__ import annotations

import asyncio
import bisect
import hashlib
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from modeldeck import clock, serialization
from modeldeck.changes import repository as changes_repository
from modeldeck.changes.revision import RevisionWatcher, current_revision
from modeldeck.db import Database
from modeldeck.models import repository
from modeldeck.models.public import history_public, model_public, next_change
from modeldeck.models.tables import ModelRow
from modeldeck.records import query as model_query

MAX_CACHED_RESPONSES = 512
# A longer gap than this many revisions is read in full rather than entry by entry.
MAX_INCREMENTAL_REVISIONS = 1000
# More changed models than this (or than half the registry): one full read is cheaper.
MAX_INCREMENTAL_MODELS = 500


@dataclass(frozen=True)
class CachedResponse:
    body: bytes
    etag: str


def etag_of(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def model_etag(model: dict[str, Any], body: bytes) -> str:
    """`"<version>-<hash>"`: If-Match reads the version; the hash changes when a scheduled
    price period starts, which changes the body but is not an edit."""
    return f'"{model["version"]}-{hashlib.blake2b(body, digest_size=6).hexdigest()}"'


def _order(model: dict[str, Any]) -> str:
    """Models are listed by name ignoring case (the unique `name_key`), by code point."""
    name: str = model["name"]
    return name.lower()


@dataclass
class Snapshot:
    """Every model's public record at `revision`, valid until a future price period starts
    or a model's status changes by its dates (`deprecation_date`, `retires_on`)."""

    revision: int
    models: list[dict[str, Any]]
    # Every price period of every model (oldest first, `priced` marks real prices): for `at`.
    price_history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # When a model's record next changes by itself (a scheduled price period starts, or its
    # status moves on by a date), by model id (only models that have such a moment).
    next_changes: dict[str, datetime] = field(default_factory=dict)
    by_id: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_name: dict[str, dict[str, Any]] = field(default_factory=dict)
    valid_until: datetime | None = field(init=False)
    _keys: list[str] = field(default_factory=list)  # `_order` of each of `models`, in order
    _lists: dict[model_query.ModelQuery, CachedResponse] = field(default_factory=dict)
    _ones: dict[str, CachedResponse] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.valid_until = min(self.next_changes.values(), default=None)
        if len(self._keys) != len(self.models):  # made from a list alone: index it
            self.models.sort(key=_order)
            self._keys = [_order(model) for model in self.models]
            self.by_id = {model["id"]: model for model in self.models}
            self.by_name = dict(zip(self._keys, self.models, strict=True))

    @classmethod
    def of_rows(cls, revision: int, rows: Iterable[ModelRow], now: datetime) -> Snapshot:
        """The snapshot of every row, as the registry stands at `now`."""
        return cls(revision, []).updated(revision, rows, (), now)

    def updated(
        self, revision: int, rows: Iterable[ModelRow], removed: Collection[str], now: datetime
    ) -> Snapshot:
        """This snapshot at `revision`: `rows` read again, `removed` ids gone, the rest kept.

        Kept records, histories and serialised bodies are shared, not copied: a snapshot never
        changes once made. Valid only while no kept model's next price period has started.
        Costs a copy of each index plus a binary search per changed model, not a re-sort.
        """
        rows = list(rows)
        models, keys = list(self.models), list(self._keys)
        by_id, by_name = dict(self.by_id), dict(self.by_name)
        history, upcoming = dict(self.price_history), dict(self.next_changes)
        ones = dict(self._ones)
        for model_id in set(removed) | {row.id for row in rows}:
            history.pop(model_id, None)
            upcoming.pop(model_id, None)
            ones.pop(model_id, None)
            old = by_id.pop(model_id, None)
            if old is not None:
                key = _order(old)
                del by_name[key]
                index = bisect.bisect_left(keys, key)
                del models[index], keys[index]
        for row in rows:
            model = model_public(row, now)
            key = _order(model)
            index = bisect.bisect_left(keys, key)
            models.insert(index, model)
            keys.insert(index, key)
            by_id[row.id] = by_name[key] = model
            history[row.id] = history_public(row.price_periods, now)
            moment = next_change(row, now)
            if moment is not None:
                upcoming[row.id] = moment
        return Snapshot(revision, models, history, upcoming, by_id, by_name, _keys=keys, _ones=ones)

    def started(self, now: datetime) -> set[str]:
        """Models whose next change (a price period, a status date) has come by `now`: their
        records are out of date."""
        return {key for key, moment in self.next_changes.items() if moment <= now}

    def find(self, ref: str) -> dict[str, Any] | None:
        return self.by_id.get(ref) or self.by_name.get(ref.lower())

    def default(self) -> dict[str, Any] | None:
        return next((model for model in self.models if model["is_default"]), None)

    def list_response(self, query: model_query.ModelQuery) -> CachedResponse:
        cached = self._lists.get(query)
        if cached is None:
            page, count = model_query.run(self.models, query)
            # The bytes `serialization.dumps_bytes` would write for the whole document, made of
            # each model's body serialised once per change rather than once per snapshot.
            data = b",".join(self.model_response(model).body for model in page)
            body = b'{"data":[%b],"count":%d,"revision":%d}' % (data, count, self.revision)
            if len(self._lists) >= MAX_CACHED_RESPONSES:
                self._lists.clear()
            cached = self._lists[query] = CachedResponse(body, etag_of(body))
        return cached

    def model_response(self, model: dict[str, Any]) -> CachedResponse:
        cached = self._ones.get(model["id"])
        if cached is None:
            body = serialization.dumps_bytes(model)
            cached = self._ones[model["id"]] = CachedResponse(body, model_etag(model, body))
        return cached


async def _consistent(session: AsyncSession, isolate: bool) -> None:
    """Make every read of `session` see one moment (SQLite's transactions always do)."""
    if isolate and session.get_bind().dialect.name == "postgresql":
        await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


async def load_snapshot(session: AsyncSession, *, isolate: bool = True) -> Snapshot:
    """Read the registry and its revision in one consistent transaction."""
    await _consistent(session, isolate)
    revision = await current_revision(session)
    rows = await repository.all_models(session)
    return Snapshot.of_rows(revision, rows, clock.now())


async def refresh_snapshot(
    session: AsyncSession, snapshot: Snapshot, *, isolate: bool = True
) -> Snapshot:
    """`snapshot` brought up to the current revision and time, in one consistent transaction.

    Reads only the models the audit trail says changed after its revision (and those whose
    scheduled price period has started or whose status date has come); reads everything when
    that gap is too large to pay.
    """
    await _consistent(session, isolate)
    revision, changed = await changes_repository.models_changed_after(
        session, snapshot.revision, within=MAX_INCREMENTAL_REVISIONS
    )
    now = clock.now()
    if 0 <= revision - snapshot.revision <= MAX_INCREMENTAL_REVISIONS:
        changed |= snapshot.started(now)
        if len(changed) <= min(MAX_INCREMENTAL_MODELS, len(snapshot.models) // 2 + 1):
            rows = await repository.models_with_ids(session, changed) if changed else []
            removed = changed - {row.id for row in rows}
            return snapshot.updated(revision, rows, removed, now)
    # The database went back (restored) or moved on a lot: read it whole.
    return Snapshot.of_rows(revision, await repository.all_models(session), now)


class RegistryCache:
    """Hands out the current snapshot, updating it only when the revision moved on."""

    def __init__(self, database: Database, revisions: RevisionWatcher) -> None:
        self._database = database
        self._revisions = revisions
        self._snapshot: Snapshot | None = None
        self._lock = asyncio.Lock()

    def _fresh(self, snapshot: Snapshot | None) -> bool:
        return (
            snapshot is not None
            and snapshot.revision >= self._revisions.known
            and (snapshot.valid_until is None or clock.now() < snapshot.valid_until)
        )

    async def current(self) -> Snapshot:
        snapshot = self._snapshot
        if self._fresh(snapshot):
            assert snapshot is not None
            return snapshot
        async with self._lock:
            if not self._fresh(self._snapshot):
                isolate = not self._database.bound
                async with self._database.read() as session:
                    if self._snapshot is None:
                        self._snapshot = await load_snapshot(session, isolate=isolate)
                    else:
                        self._snapshot = await refresh_snapshot(
                            session, self._snapshot, isolate=isolate
                        )
                self._revisions.observe(self._snapshot.revision)
            assert self._snapshot is not None
            return self._snapshot

    def invalidate(self) -> None:
        """Forget the snapshot: the next read loads the registry in full."""
        self._snapshot = None

"""Reads served from memory: the whole registry as of one revision, with cached responses."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from modeldeck import clock, serialization
from modeldeck.changes.revision import RevisionWatcher, current_revision
from modeldeck.db import Database
from modeldeck.models import repository
from modeldeck.models.public import history_public, model_public, next_change
from modeldeck.records import query as model_query

MAX_CACHED_RESPONSES = 512


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


@dataclass
class Snapshot:
    """Every model's public record at `revision`, valid until a future price period starts."""

    revision: int
    models: list[dict[str, Any]]
    valid_until: datetime | None
    # Every price period of every model (oldest first, `priced` marks real prices): for `at`.
    price_history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    by_id: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_name: dict[str, dict[str, Any]] = field(default_factory=dict)
    _lists: dict[model_query.ModelQuery, CachedResponse] = field(default_factory=dict)
    _ones: dict[str, CachedResponse] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_id = {model["id"]: model for model in self.models}
        self.by_name = {model["name"].lower(): model for model in self.models}

    def find(self, ref: str) -> dict[str, Any] | None:
        return self.by_id.get(ref) or self.by_name.get(ref.lower())

    def default(self) -> dict[str, Any] | None:
        return next((model for model in self.models if model["is_default"]), None)

    def list_response(self, query: model_query.ModelQuery) -> CachedResponse:
        cached = self._lists.get(query)
        if cached is None:
            page, count = model_query.run(self.models, query)
            body = serialization.dumps_bytes(
                {"data": page, "count": count, "revision": self.revision}
            )
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


async def load_snapshot(session: AsyncSession, *, isolate: bool = True) -> Snapshot:
    """Read the registry and its revision in one consistent transaction."""
    if isolate and session.get_bind().dialect.name == "postgresql":
        await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    revision = await current_revision(session)
    rows = await repository.all_models(session)
    now = clock.now()
    changes = [moment for row in rows if (moment := next_change(row.price_periods, now))]
    return Snapshot(
        revision=revision,
        models=[model_public(row, now) for row in rows],
        valid_until=min(changes, default=None),
        price_history={row.id: history_public(row.price_periods, now) for row in rows},
    )


class RegistryCache:
    """Hands out the current snapshot, reloading it only when the revision moved on."""

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
                async with self._database.read() as session:
                    self._snapshot = await load_snapshot(session, isolate=not self._database.bound)
                self._revisions.observe(self._snapshot.revision)
            assert self._snapshot is not None
            return self._snapshot

    def invalidate(self) -> None:
        self._snapshot = None

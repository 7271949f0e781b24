"""When each token was last used: noted in memory per request, stored at most once a minute.

A request only reads a dict and maybe adds to it; a background loop (and `GET /api/auth/tokens`)
writes the pending uses in one short transaction, so no request waits on a write.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from modeldeck import clock
from modeldeck.auth.repository import record_use
from modeldeck.db import Database

log = logging.getLogger("modeldeck.auth")

RECORD_EVERY = timedelta(minutes=1)
FLUSH_INTERVAL_S = 10.0


class TokenUsage:
    """Uses of tokens not stored yet; each token is noted at most once per `RECORD_EVERY`."""

    def __init__(self) -> None:
        self.pending: dict[int, datetime] = {}
        self._next_at: dict[int, datetime] = {}

    def seen(self, token_id: int) -> None:
        now = clock.now()
        next_at = self._next_at.get(token_id)
        if next_at is not None and now < next_at:
            return
        self._next_at[token_id] = now + RECORD_EVERY
        self.pending[token_id] = now

    async def flush(self, database: Database) -> None:
        """Store the pending uses; on failure they stay pending for the next try."""
        if not self.pending:
            return
        used, self.pending = self.pending, {}
        try:
            async with database.write() as session:
                await record_use(session, used, RECORD_EVERY)
        except BaseException:
            for token_id, at in used.items():
                self.pending[token_id] = max(at, self.pending.get(token_id, at))
            raise


@asynccontextmanager
async def recording_token_use(usage: TokenUsage, database: Database) -> AsyncIterator[None]:
    """Flush token uses every few seconds while the app runs, and once more when it stops."""

    async def loop() -> None:
        while True:
            await asyncio.sleep(FLUSH_INTERVAL_S)
            try:
                await usage.flush(database)
            except Exception as error:  # a database blip must not end the loop
                log.warning("storing token use failed: %s", type(error).__name__)

    task = asyncio.create_task(loop(), name="modeldeck-token-usage")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        try:
            await usage.flush(database)
        except Exception as error:  # shutting down: a lost "last used" is no reason to fail
            log.warning("storing token use failed: %s", type(error).__name__)

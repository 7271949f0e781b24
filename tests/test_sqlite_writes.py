"""SQLite has one writer: writers in one process queue for it instead of failing as locked."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text

from modeldeck.db import Database

pytestmark = pytest.mark.anyio


async def test_sqlite_writers_in_one_process_queue_past_the_busy_timeout(tmp_path: Path) -> None:
    # SQLite's own wait would give up after 50 ms with "database is locked".
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'queue.db'}", busy_timeout_s=0.05)
    try:
        async with database.write() as session:
            await session.execute(text("CREATE TABLE entries (writer INTEGER)"))
        first_is_writing = asyncio.Event()

        async def long_write() -> None:
            async with database.write() as session:
                await session.execute(text("INSERT INTO entries VALUES (1)"))
                first_is_writing.set()
                await asyncio.sleep(0.3)  # six busy timeouts, holding the write lock

        async def queued_write(writer: int) -> None:
            await first_is_writing.wait()
            async with database.writer() as session:
                await session.execute(text("INSERT INTO entries VALUES (:w)"), {"w": writer})
                await session.commit()

        await asyncio.gather(long_write(), queued_write(2), queued_write(3))
        async with database.read() as session:
            statement = text("SELECT writer FROM entries ORDER BY rowid")
            written = (await session.execute(statement)).scalars().all()
        assert written == [1, 2, 3]
    finally:
        await database.dispose()

"""aiosqlite connections whose statements each take one trip to the connection's thread.

aiosqlite runs SQLite on a thread of its own and every call is a round trip to it: SQLAlchemy
makes four per statement (open a cursor, execute, fetch, close). Each trip waits for the event
loop, so when the loop is busy answering reads a write's handful of statements took a hundred
of them. Here a statement and its rows come back in one trip; fetching and closing are free.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite
from sqlalchemy.engine import make_url

Row = tuple[Any, ...]
Outcome = tuple[Any, int, int | None, list[Row]]


def _run(connection: sqlite3.Connection, sql: str, parameters: Any, many: bool) -> Outcome:
    """On the connection's thread: the statement, then everything a cursor would tell."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(sql, parameters)
        else:
            cursor.execute(sql, parameters)
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


class OneTripCursor:
    """The async cursor SQLAlchemy's aiosqlite adapter drives, with the rows held in memory."""

    def __init__(self, connection: OneTripConnection) -> None:
        self._connection = connection
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1
        self._rows: deque[Row] = deque()

    async def __aenter__(self) -> OneTripCursor:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def _run(self, sql: str, parameters: Any, many: bool) -> OneTripCursor:
        connection = self._connection
        execute: Callable[..., Awaitable[Outcome]] = connection._execute
        outcome = await execute(_run, connection._conn, sql, parameters, many)
        self.description, self.rowcount, self.lastrowid, rows = outcome
        self._rows = deque(rows)
        return self

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> OneTripCursor:
        return await self._run(sql, () if parameters is None else parameters, many=False)

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> OneTripCursor:
        return await self._run(sql, list(parameters), many=True)

    async def fetchone(self) -> Row | None:
        return self._rows.popleft() if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Row]:
        count = self.arraysize if size is None else size
        return [self._rows.popleft() for _ in range(min(count, len(self._rows)))]

    async def fetchall(self) -> list[Row]:
        rows, self._rows = list(self._rows), deque()
        return rows

    async def close(self) -> None:
        self._rows.clear()


class OneTripConnection(aiosqlite.Connection):
    """An aiosqlite connection whose cursors are `OneTripCursor`s."""

    def cursor(self) -> OneTripCursor:  # type: ignore[override]
        return OneTripCursor(self)


def connector(url: str, busy_timeout_s: float) -> Callable[[], Awaitable[OneTripConnection]]:
    """`async_creator` for an engine on `url`: connects as aiosqlite would, one-trip cursors."""
    arguments, options = SQLiteDialect_aiosqlite().create_connect_args(make_url(url))
    options = {**options, "timeout": busy_timeout_s}
    open_sqlite: Callable[..., sqlite3.Connection] = sqlite3.connect

    async def connect() -> OneTripConnection:
        connection = OneTripConnection(lambda: open_sqlite(*arguments, **options), 64)
        connection._thread.daemon = True  # as SQLAlchemy does: never hold the process open
        await connection
        return connection

    return connect

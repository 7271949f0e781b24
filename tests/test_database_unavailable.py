"""A database that cannot serve now is a 503 with Retry-After: never a 500, never half a write.

Real conditions, each bounded and on 127.0.0.1 only: a PostgreSQL backend terminated from
another connection in the middle of a write's query, a role over its connection limit, a
server that answers "starting up" / "shutting down", a pool with no free connection, and a
SQLite file another writer holds.
"""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import create_async_engine

from conftest import (
    POSTGRES_SERVER,
    _create_postgres_database,
    _drop_postgres_database,
    model_body,
    settings_for,
)
from modeldeck import db
from modeldeck.api.errors import database_unavailable
from modeldeck.app import create_app
from modeldeck.auth.tokens import create_token
from modeldeck.bootstrap import prepare
from modeldeck.db import Database

pytestmark = pytest.mark.anyio

PLAIN_SERVER = POSTGRES_SERVER.replace("postgresql+asyncpg://", "postgresql://")


@asynccontextmanager
async def prepared(url: str) -> AsyncIterator[str]:
    """A migrated, seeded database at `url`; yields an admin token."""
    database = Database(url)
    try:
        await prepare(settings_for(url), database)
        async with database.write() as session:
            token = await create_token(session, name="unavailable-admin", role="admin")
    finally:
        await database.dispose()
    yield token


@pytest.fixture(scope="module")
async def postgres() -> AsyncIterator[tuple[str, str]]:
    """A PostgreSQL database of this module's own (its connections get terminated)."""
    url = await _create_postgres_database()
    try:
        async with prepared(url) as token:
            yield url, token
    finally:
        await _drop_postgres_database(url)


@asynccontextmanager
async def client_on(database: Database) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings_for(database.url), database=database)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            yield client
    finally:
        await database.dispose()


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "1"
    assert response.json()["type"].endswith("/database-unavailable")


async def written(url: str, name: str) -> tuple[int, int, int]:
    """(models, audit entries) named `name`, and the registry revision, read afresh."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            models = await connection.scalar(
                text("SELECT count(*) FROM models WHERE name_key = :key"), {"key": name.lower()}
            )
            audit = await connection.scalar(
                text("SELECT count(*) FROM audit_entries WHERE model_name = :name"),
                {"name": name},
            )
            revision = await connection.scalar(text("SELECT revision FROM registry_state"))
    finally:
        await engine.dispose()
    return int(models or 0), int(audit or 0), int(revision or 0)


# --- the classification, on real driver errors ---------------------------------------------


def wrapped(error: Exception) -> DBAPIError:
    """`error` as SQLAlchemy hands it on: a DBAPIError whose `orig` is the driver's error."""
    return DBAPIError("SELECT 1", None, error)


def sqlite_error(statement: str) -> sqlite3.Error:
    with sqlite3.connect(":memory:") as connection:
        try:
            connection.execute(statement)
        except sqlite3.Error as error:
            return error
    raise AssertionError(f"{statement} did not fail")


UNAVAILABLE = {
    "shutting down (57P01)": asyncpg.exceptions.AdminShutdownError(
        "terminating connection due to administrator command"
    ),
    "crash (57P02)": asyncpg.exceptions.CrashShutdownError("terminating connection"),
    "starting up (57P03)": asyncpg.exceptions.CannotConnectNowError(
        "the database system is starting up"
    ),
    "too many connections (53300)": asyncpg.exceptions.TooManyConnectionsError(
        "sorry, too many clients already"
    ),
    "connection lost (08003)": asyncpg.exceptions.ConnectionDoesNotExistError(
        "connection was closed in the middle of operation"
    ),
    "connection failure (08006)": asyncpg.exceptions.ConnectionFailureError("broken"),
    "refused": ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 1)"),
    "reset": ConnectionResetError(104, "Connection reset by peer"),
    "every address refused": OSError(
        "Multiple exceptions: [Errno 111] Connect call failed ('::1', 5432, 0, 0), "
        "[Errno 111] Connect call failed ('127.0.0.1', 5432)"
    ),
    "pool timeout": PoolTimeout("QueuePool limit of size 1 overflow 0 reached"),
    "a disconnect SQLAlchemy noticed": DBAPIError(
        "SELECT 1", None, RuntimeError("closed"), connection_invalidated=True
    ),
}
NOT_UNAVAILABLE = {
    "unique violation (23505)": asyncpg.exceptions.UniqueViolationError("duplicate key"),
    "syntax error (42601)": asyncpg.exceptions.PostgresSyntaxError("syntax error"),
    "division by zero (22012)": asyncpg.exceptions.DivisionByZeroError("division by zero"),
    "a missing file": FileNotFoundError(2, "No such file or directory"),
    "a busy connection (a bug)": InterfaceError(
        "SELECT 1",
        None,
        asyncpg.exceptions.InterfaceError("cannot perform operation: another is in progress"),
    ),
    "a missing table (SQLite)": OperationalError(
        "SELECT 1", None, sqlite_error("SELECT * FROM nope")
    ),
}


@pytest.mark.parametrize("error", UNAVAILABLE.values(), ids=UNAVAILABLE.keys())
def test_every_database_unavailable_condition_is_classified_as_such(error: Exception) -> None:
    assert database_unavailable(error)
    assert database_unavailable(wrapped(error))


@pytest.mark.parametrize("error", NOT_UNAVAILABLE.values(), ids=NOT_UNAVAILABLE.keys())
def test_errors_of_the_request_or_of_the_code_are_not_called_unavailable(
    error: Exception,
) -> None:
    assert not database_unavailable(error)
    assert not database_unavailable(wrapped(error))


async def test_sqlite_database_is_locked_is_unavailable_but_a_missing_table_is_not(
    tmp_path: Path,
) -> None:
    path = tmp_path / "locked.db"
    holder = sqlite3.connect(path, isolation_level=None)
    engine = create_async_engine(f"sqlite+aiosqlite:///{path}", connect_args={"timeout": 0})
    try:
        holder.execute("CREATE TABLE t (x)")
        holder.execute("BEGIN EXCLUSIVE")
        async with engine.connect() as connection:
            with pytest.raises(DBAPIError) as locked:
                await connection.execute(text("INSERT INTO t VALUES (1)"))
            holder.execute("ROLLBACK")
            await connection.rollback()
            with pytest.raises(DBAPIError) as missing:
                await connection.execute(text("SELECT * FROM no_such_table"))
    finally:
        await engine.dispose()
        holder.close()
    assert "database is locked" in str(locked.value)
    assert database_unavailable(locked.value)
    assert not database_unavailable(missing.value)


# --- real conditions, through the app ------------------------------------------------------


async def waiting_backend(database_name: str) -> int:
    """The pid of the backend of `database_name` that waits for a lock (polled, at most 10 s)."""
    # Its own connection outside any transaction: a transaction would see one stale snapshot.
    watcher = await asyncpg.connect(PLAIN_SERVER, timeout=10)
    try:
        for _ in range(200):
            pid = await watcher.fetchval(
                "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'",
                database_name,
            )
            if pid is not None:
                return int(pid)
            await asyncio.sleep(0.05)
    finally:
        await watcher.close()
    raise AssertionError("the write never waited for the lock")


async def test_a_postgresql_backend_terminated_mid_query_answers_503_and_commits_nothing(
    postgres: tuple[str, str],
) -> None:
    url, token = postgres
    admin = {"Authorization": f"Bearer {token}"}
    name = f"terminated-{uuid.uuid4().hex[:8]}"
    before = await written(url, name)
    database_name = url.rsplit("/", 1)[1]
    # Another session holds the registry's revision row, so the write's first UPDATE waits
    # on it: the write's backend is then terminated in the middle of that query.
    holder = await asyncpg.connect(url.replace("+asyncpg", ""), timeout=10)
    try:
        async with client_on(Database(url)) as client:
            await holder.execute("BEGIN")
            await holder.execute("UPDATE registry_state SET revision = revision")
            write = asyncio.create_task(
                client.post("/api/models", json=model_body(name=name), headers=admin)
            )
            pid = await waiting_backend(database_name)
            assert await holder.fetchval("SELECT pg_terminate_backend($1, 10000)", pid)
            await holder.execute("ROLLBACK")
            response = await asyncio.wait_for(write, timeout=30)
            assert_unavailable(response)
            assert await written(url, name) == before
            retried = await client.post("/api/models", json=model_body(name=name), headers=admin)
            assert retried.status_code == 201, retried.text
    finally:
        await holder.close()
    assert await written(url, name) == (1, 1, before[2] + 1)


async def test_a_role_over_its_connection_limit_answers_503(postgres: tuple[str, str]) -> None:
    url, _ = postgres
    role = f"modeldeck_limited_{uuid.uuid4().hex[:8]}"
    server = await asyncpg.connect(PLAIN_SERVER, timeout=10)
    try:
        await server.execute(f'CREATE ROLE "{role}" LOGIN CONNECTION LIMIT 0')
        limited = url.replace("postgres@", f"{role}@", 1)
        async with client_on(Database(limited)) as client:
            listing = await client.get("/api/models")
            ready = await client.get("/readyz")
        assert_unavailable(listing)
        assert ready.status_code == 503
    finally:
        await server.execute(f'DROP ROLE IF EXISTS "{role}"')
        await server.close()


@asynccontextmanager
async def refusing_postgres(message: str) -> AsyncIterator[int]:
    """A server on 127.0.0.1 that answers every start-up as PostgreSQL does: 57P03."""
    negotiation = {80877103, 80877104}  # SSLRequest, GSSENCRequest

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                length = int.from_bytes(await reader.readexactly(4), "big")
                payload = await reader.readexactly(length - 4)
                if int.from_bytes(payload[:4], "big") not in negotiation:
                    break
                writer.write(b"N")
                await writer.drain()
            fields = b"SFATAL\0VFATAL\0C57P03\0M" + message.encode() + b"\0\0"
            writer.write(b"E" + (len(fields) + 4).to_bytes(4, "big") + fields)
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


@pytest.mark.parametrize(
    "message", ["the database system is starting up", "the database system is shutting down"]
)
async def test_a_postgresql_server_starting_up_or_shutting_down_answers_503(
    message: str,
) -> None:
    async with refusing_postgres(message) as port:
        url = f"postgresql+asyncpg://postgres@127.0.0.1:{port}/modeldeck"
        async with client_on(Database(url)) as client:
            listing = await client.get("/api/models")
            write = await client.post(
                "/api/models", json=model_body(), headers={"Authorization": "Bearer mdk_x"}
            )
    assert_unavailable(listing)
    assert_unavailable(write)


def small_pool(url: str, monkeypatch: pytest.MonkeyPatch) -> Database:
    """A `Database` as served, but with a pool of one connection that waits 0.1 s for it."""
    monkeypatch.setattr(
        db,
        "create_async_engine",
        partial(create_async_engine, pool_size=1, max_overflow=0, pool_timeout=0.1),
    )
    return Database(url)


async def test_a_pool_with_no_free_connection_answers_503_and_writes_nothing(
    postgres: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, token = postgres
    admin = {"Authorization": f"Bearer {token}"}
    name = f"pooled-{uuid.uuid4().hex[:8]}"
    before = await written(url, name)
    database = small_pool(url, monkeypatch)
    async with client_on(database) as client:
        async with database.engine.connect() as holder:
            await holder.execute(text("SELECT 1"))  # the pool's only connection, held
            response = await client.post("/api/models", json=model_body(name=name), headers=admin)
        assert_unavailable(response)
        assert await written(url, name) == before
        retried = await client.post("/api/models", json=model_body(name=name), headers=admin)
        assert retried.status_code == 201, retried.text

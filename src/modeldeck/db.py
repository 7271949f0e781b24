"""The database: table base, column types, engines and sessions for SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, MetaData, Numeric, String, event, func, select
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import DateTime, TypeDecorator, TypeEngine

from modeldeck import serialization, sqlite_connection
from modeldeck.problems import conflict

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
# The PostgreSQL channel every committed revision is announced on (payload: the revision).
CHANGES_CHANNEL = "modeldeck_changes"
# What a registry write leaves in `session.info`: the revision it claimed, and whether it
# changed anything (see modeldeck.changes.revision).
REVISION_KEY = "revision"
CHANGED_KEY = "changed"
# How soon a thread waiting for the GIL gets it from a busy event loop (Python's default: 5 ms).
SQLITE_SWITCH_INTERVAL_S = 0.0005


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on both databases (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class ExactDecimal(TypeDecorator[Decimal]):
    """Money: NUMERIC on PostgreSQL, text on SQLite (whose NUMERIC would round through a float)."""

    impl = Numeric(24, 12)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(48))
        return dialect.type_descriptor(Numeric(24, 12, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return str(serialization.plain_decimal(value))
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return serialization.plain_decimal(Decimal(value))


def _json_serializer(value: Any) -> str:
    return serialization.dumps(value)


class Database:
    """One engine and its two session factories: reads, and writes that serialise on SQLite."""

    def __init__(self, url: str, *, echo: bool = False, busy_timeout_s: float = 30.0) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        options: dict[str, Any] = {
            "echo": echo,
            "json_serializer": _json_serializer,
            "json_deserializer": serialization.loads,
        }
        if self.is_sqlite:
            if ":memory:" in url or url.endswith("://"):
                raise ValueError("an in-memory SQLite database cannot be shared; use a file")
            # aiosqlite runs one thread per connection; a pool of reused connections is cheapest.
            options["async_creator"] = sqlite_connection.connector(url, busy_timeout_s)
            # Those threads hand each result back through the GIL, and while the event loop is
            # busy they wait a whole switch interval for it (5 ms by default): shorten it.
            if sys.getswitchinterval() > SQLITE_SWITCH_INTERVAL_S:
                sys.setswitchinterval(SQLITE_SWITCH_INTERVAL_S)
        else:
            options["pool_pre_ping"] = True
        self.engine: AsyncEngine = create_async_engine(url, **options)
        if self.is_sqlite:
            _configure_sqlite(self.engine, busy_timeout_s)
        self.bound = False
        self.reader = async_sessionmaker(self.engine, expire_on_commit=False)
        write_sessions = async_sessionmaker(
            self.engine.execution_options(modeldeck_write=True), expire_on_commit=False
        )
        self.writer: Callable[[], AbstractAsyncContextManager[AsyncSession]] = write_sessions
        if self.is_sqlite:
            self.writer = _queued(write_sessions, WriterQueue())

    @classmethod
    def bound_to(cls, database: Database, connection: AsyncConnection) -> Database:
        """Sessions inside `connection`'s open transaction, as savepoints (tests roll it back)."""
        bound = cls.__new__(cls)
        bound.url = database.url
        bound.is_sqlite = database.is_sqlite
        bound.engine = database.engine
        bound.bound = True
        factory = async_sessionmaker(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        bound.reader = factory
        bound.writer = factory
        return bound

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def write(
        self, on_commit: Callable[[int], None] | None = None
    ) -> AsyncIterator[AsyncSession]:
        """The one way anything is written: a transaction that ends when the block does.

        A registry change (its session claimed a revision) commits only when it changed
        something, and on PostgreSQL announces the revision in the same transaction, so
        listeners hear of it exactly when (and only if) it commits; `on_commit` gets it too.
        Other writes (API tokens, console sessions) commit. An exception rolls everything
        back; a write that lost a uniqueness race to another one becomes a 409.
        """
        async with self.writer() as session:
            try:
                yield session
            except BaseException:
                await session.rollback()
                raise
            try:
                revision = await _finish(session)
            except IntegrityError:
                await session.rollback()
                raise conflict(
                    "The change conflicts with another one saved meanwhile; retry it."
                ) from None
        if revision is not None and on_commit is not None:
            on_commit(revision)

    async def ping(self) -> None:
        """Raise unless the database answers."""
        async with self.reader() as session:
            await session.execute(select(1))

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self.reader() as session:
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()


async def _finish(session: AsyncSession) -> int | None:
    """Commit `session`'s transaction (or roll back an empty registry write); the revision."""
    claimed = session.info.get(REVISION_KEY)
    if claimed is None:
        await session.commit()
        return None
    if not session.info.get(CHANGED_KEY):
        await session.rollback()  # nothing changed: the claimed revision is given back
        return None
    revision = int(claimed)
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(func.pg_notify(CHANGES_CHANNEL, str(revision))))
    await session.commit()
    return revision


class WriterQueue:
    """One write transaction at a time in this process, the others queued in arrival order.

    SQLite has a single writer. Without the queue, a second writer waits in SQLite's busy
    handler, which sleeps in growing steps (up to 100 ms) and fails with "database is locked"
    after the busy timeout; queued here, it starts the moment the writer before it ends.
    """

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = asyncio.Lock()

    def lock(self) -> asyncio.Lock:
        """The lock of the running event loop (a lock belongs to the loop it first waits in)."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._loop, self._lock = loop, asyncio.Lock()
        return self._lock


def _queued(
    sessions: async_sessionmaker[AsyncSession], queue: WriterQueue
) -> Callable[[], AbstractAsyncContextManager[AsyncSession]]:
    """Write sessions that each hold the queue's lock from opening to closing."""

    @asynccontextmanager
    async def writer() -> AsyncIterator[AsyncSession]:
        async with queue.lock(), sessions() as session:
            yield session

    return writer


def _configure_sqlite(engine: AsyncEngine, busy_timeout_s: float) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take over transaction control from pysqlite so BEGIN IMMEDIATE can be issued.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # Readers never block the writer, and a commit is one append to the log, not a sync.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Other processes on the same file (the CLI, a second instance) still wait this long.
        cursor.execute(f"PRAGMA busy_timeout={round(busy_timeout_s * 1000)}")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Writers take the write lock up front, so a read-then-write never fails half-way.
        immediate = connection.get_execution_options().get("modeldeck_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


async def database_revision(connection: AsyncConnection) -> str | None:
    """The Alembic revision the database is at, or None when it was never migrated."""

    def _current(sync_connection: Any) -> str | None:
        from alembic.runtime.migration import MigrationContext

        context = MigrationContext.configure(sync_connection)
        return context.get_current_revision()

    return await connection.run_sync(_current)


__all__ = ["Base", "Database", "ExactDecimal", "UTCDateTime"]

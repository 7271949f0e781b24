"""Test harness: each backend migrated and seeded once per session, each test rolled back.

Every database test runs on SQLite and on the real PostgreSQL (DESIGN §11). PostgreSQL is
never skipped: when it cannot be reached the run fails, saying how to start it.

The suite runs on several cores with pytest-xdist (`make test` passes `-n`): each worker is a
session of its own, so it has its own SQLite files and PostgreSQL databases (uuid-named), its
own servers (free ports) and temporary folders. A test marked `exclusive` runs while no other
test runs on any worker (see `pytest_runtest_protocol` below).
"""

from __future__ import annotations

import asyncio
import fcntl
import gc
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.dependencies import models as fastapi_dependency_models
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from modeldeck import clock, serialization
from modeldeck.app import create_app
from modeldeck.auth.tokens import create_token
from modeldeck.bootstrap import prepare
from modeldeck.db import Database
from modeldeck.models import repository
from modeldeck.models.public import history_public, model_public
from modeldeck.settings import Settings

POSTGRES_SERVER = os.environ.get(
    "MODELDECK_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
BACKENDS = os.environ.get("MODELDECK_TEST_BACKENDS", "sqlite,postgresql").split(",")
if os.environ.get("CI") and "postgresql" not in BACKENDS:
    raise pytest.UsageError(
        "CI runs every database test on PostgreSQL too: unset MODELDECK_TEST_BACKENDS"
    )

SECRET_KEY = "kqgqDHXo5q3f3b3Hq4Yc1xN3oKq3-5bS0lA3w1mZcFQ="
# The public catalogs vendored in the repository (data/catalog-sources/README.md).
CATALOG_SOURCES = Path(__file__).resolve().parents[1] / "data" / "catalog-sources"

# Tests marked `dated` run twice: on today's clock and with it this far ahead. A test that took
# a literal date for "the future" then fails today, not on the day that date comes.
YEARS_AHEAD = timedelta(days=round(365.2425 * 12) + 17)


# FastAPI memoises whether each endpoint and dependency callable is a coroutine or generator
# function, in lru_caches of 4,096 entries that hold the callables, and through their closures
# the app each test made (its routes, its snapshot of the catalog): some 200 apps, 3 GB per
# process, which every full garbage collection walks. Emptied after each test, the suite's
# API-heavy modules run about a third faster (test_bad_input.py: 78 s -> 53 s, with the freeze
# below). Only a memo: nothing a test checks depends on it.
_FASTAPI_MEMOS = [
    getattr(fastapi_dependency_models, name)
    for name in (
        "_is_gen_callable_cached",
        "_is_async_gen_callable_cached",
        "_is_coroutine_callable_cached",
    )
    if hasattr(getattr(fastapi_dependency_models, name, None), "cache_clear")
]


def pytest_collection_finish(session: pytest.Session) -> None:
    """Everything imported and collected lives as long as the session: frozen, full garbage
    collections no longer walk it (they took 16 s of test_bad_input.py's 77 s)."""
    gc.collect()
    gc.freeze()


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    for memo in _FASTAPI_MEMOS:
        memo.cache_clear()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.definition.get_closest_marker("dated"):
        metafunc.parametrize(
            "clock_offset",
            [timedelta(0), YEARS_AHEAD],
            ids=["clock-now", "clock-12y-ahead"],
            indirect=True,
        )


@contextmanager
def _turn(folder: Path, *, exclusive: bool) -> Iterator[None]:
    """A readers-writer lock shared by the workers of one run: every test holds it shared, an
    `exclusive` one alone. The gate makes a waiting exclusive test go next: tests that arrive
    after it wait at the gate, so the shared holders drain instead of taking turns forever."""
    with (folder / "tests.gate").open("ab") as gate, (folder / "tests.lock").open("ab") as lock:
        fcntl.flock(gate, fcntl.LOCK_EX)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        finally:
            fcntl.flock(gate, fcntl.LOCK_UN)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Generator[None, object, object]:
    """Under xdist, an `exclusive` test (one that restarts PostgreSQL, say) waits until the
    other workers are between tests, and they wait for it; setup and teardown included, so
    fixtures of any scope are built and torn down under the same turn. Run alone (no -n),
    tests already take turns."""
    workerinput = getattr(item.config, "workerinput", None)
    if workerinput is None:
        return (yield)
    # Each worker's base temp is a folder of the controller's, which every worker shares.
    basetemp = item.config.option.basetemp
    if basetemp:
        shared = Path(basetemp).parent
    else:  # -p no:tmpdir
        shared = Path(tempfile.gettempdir()) / f"modeldeck-tests-{workerinput['testrunuid']}"
        shared.mkdir(exist_ok=True)
    with _turn(shared, exclusive=item.get_closest_marker("exclusive") is not None):
        return (yield)


@pytest.fixture
def clock_offset(request: pytest.FixtureRequest) -> timedelta:
    offset: timedelta = getattr(request, "param", timedelta(0))
    return offset


@pytest.fixture(autouse=True)
def moved_clock(clock_offset: timedelta) -> Iterator[timedelta]:
    """Model Deck's clock for this test: moved `clock_offset` ahead (for `dated` tests)."""
    with clock.moved(clock_offset):
        yield clock_offset


def days_ahead(days: int) -> datetime:
    """Midnight UTC `days` after the clock's today: "the future", derived, never a literal."""
    today = clock.today()
    return datetime(today.year, today.month, today.day, tzinfo=UTC) + timedelta(days=days)


def days_ahead_z(days: int) -> str:
    """`days_ahead` as the API writes a timestamp (`2031-05-04T00:00:00Z`)."""
    return serialization.isoformat_z(days_ahead(days))


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class Backend:
    """One migrated, seeded database and the tokens made for the tests."""

    name: str
    url: str
    database: Database
    admin_token: str
    reader_token: str


async def _create_postgres_database() -> str:
    server = create_async_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
    name = f"modeldeck_test_{uuid.uuid4().hex[:10]}"
    try:
        async with server.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OSError as error:
        pytest.fail(
            f"PostgreSQL at {POSTGRES_SERVER} is not reachable ({error}); start it with "
            "`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`",
            pytrace=False,
        )
    finally:
        await server.dispose()
    return POSTGRES_SERVER.rsplit("/", 1)[0] + "/" + name


async def _drop_postgres_database(url: str) -> None:
    server = create_async_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
    name = url.rsplit("/", 1)[1]
    try:
        async with server.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await server.dispose()


def seeded_database_url(backend: str, folder: Path, admin_token: str) -> Iterator[str]:
    """For module fixtures of command-line tests: a migrated, seeded database (a SQLite file in
    `folder`, or a new PostgreSQL database, dropped afterwards) whose admin token is
    `admin_token`, given as `MODELDECK_ADMIN_TOKEN` would give it."""
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{folder / 'modeldeck.db'}"
    else:
        url = asyncio.run(_create_postgres_database())

    async def seed() -> None:
        database = Database(url)
        try:
            await prepare(Settings(database_url=url, admin_token=admin_token), database)
        finally:
            await database.dispose()

    asyncio.run(seed())
    try:
        yield url
    finally:
        if backend == "postgresql":
            asyncio.run(_drop_postgres_database(url))


def settings_for(url: str, **overrides: Any) -> Settings:
    return Settings(database_url=url, secret_key=SECRET_KEY, **overrides)


@pytest.fixture(scope="session", params=BACKENDS)
async def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Backend]:
    """A database at head with the built-in catalog seeded, shared by the whole session."""
    name = request.param
    if name == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'modeldeck.db'}"
    else:
        url = await _create_postgres_database()
    database = Database(url)
    try:
        await prepare(settings_for(url), database)
        async with database.write() as session:
            admin = await create_token(session, name="test-admin", role="admin")
            reader = await create_token(session, name="test-reader", role="reader")
        yield Backend(name, url, database, admin, reader)
    finally:
        await database.dispose()
        if name == "postgresql":
            await _drop_postgres_database(url)


@pytest.fixture
async def database(backend: Backend) -> AsyncIterator[Database]:
    """The backend's database inside a transaction that is rolled back after the test."""
    async with backend.database.engine.connect() as connection:
        transaction = await connection.begin()
        try:
            yield Database.bound_to(backend.database, connection)
        finally:
            await transaction.rollback()


@dataclass
class Api:
    """An HTTP client on the app, with the test tokens at hand."""

    client: httpx.AsyncClient
    admin: dict[str, str]
    reader: dict[str, str]
    backend: Backend
    database: Database

    async def create(self, **fields: Any) -> dict[str, Any]:
        response = await self.client.post(
            "/api/models", json=model_body(**fields), headers=self.admin
        )
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result


def model_body(**overrides: Any) -> dict[str, Any]:
    """A valid model to create, with keyword overrides (None removes a field)."""
    body: dict[str, Any] = {
        "name": f"test-model-{uuid.uuid4().hex[:8]}",
        "display_name": "Test model",
        "provider": "openai",
        "context_window": 128000,
        "max_output_tokens": 16384,
        "parameters_b": 70,
        "pricing": {"input": "2.5", "cached_input": "1.25", "output": "10"},
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}


def _client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


@pytest.fixture
async def api(backend: Backend, database: Database) -> AsyncIterator[Api]:
    app = create_app(settings_for(backend.url), database=database)
    async with _client(app) as client:
        yield Api(
            client,
            admin={"Authorization": f"Bearer {backend.admin_token}"},
            reader={"Authorization": f"Bearer {backend.reader_token}"},
            backend=backend,
            database=database,
        )


@pytest.fixture
async def committing_api(backend: Backend) -> AsyncIterator[Api]:
    """An app on the real engine: every request in its own committed transaction.

    For concurrency tests. Models they create are deleted afterwards.
    """
    app = create_app(settings_for(backend.url), database=backend.database)
    async with _client(app) as client:
        api = Api(
            client,
            admin={"Authorization": f"Bearer {backend.admin_token}"},
            reader={"Authorization": f"Bearer {backend.reader_token}"},
            backend=backend,
            database=backend.database,
        )
        before = {
            model["id"] for model in (await client.get("/api/models?limit=10000")).json()["data"]
        }
        try:
            yield api
        finally:
            async with backend.database.write() as session:
                from modeldeck.models.tables import ModelRow

                rows = (await session.execute(text("SELECT id FROM models"))).scalars().all()
                for model_id in set(rows) - before:
                    row = await session.get(ModelRow, model_id)
                    if row is not None:
                        await session.delete(row)


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parents[1]


async def public_records(session: AsyncSession) -> list[dict[str, Any]]:
    """Every model's public record in the API's dict form, with its `price_history`."""
    now = clock.now()
    return [
        model_public(row, now) | {"price_history": history_public(row.price_periods, now)}
        for row in await repository.all_models(session)
    ]

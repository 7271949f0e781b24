"""Where a command talks to: a server (`--url`) or a database directly (`--database-url`).

Both go through the same `AsyncRegistry` and the same HTTP API; with a database the API runs
in this process, and the caller is a local admin (whoever can open the database can write it).
"""

from __future__ import annotations

import getpass
import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    import httpx

    from modeldeck.client.registry import AsyncRegistry
    from modeldeck.db import Database
    from modeldeck.settings import Settings

Url = Annotated[
    str | None,
    typer.Option(
        "--url",
        envvar="MODELDECK_URL",
        help="A Model Deck server, e.g. http://127.0.0.1:8000 (env MODELDECK_URL).",
        show_default=False,
    ),
]
Token = Annotated[
    str | None,
    typer.Option(
        "--token",
        envvar="MODELDECK_TOKEN",
        help="API token for --url (env MODELDECK_TOKEN); writes need an admin token.",
        show_default=False,
    ),
]
DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="Work on this database directly instead of a server "
        "(default without --url: MODELDECK_DATABASE_URL or ./modeldeck.db).",
        show_default=False,
    ),
]


class NotReady(Exception):
    """The database has not been migrated."""


@asynccontextmanager
async def registry(
    url: str | None, token: str | None, database_url: str | None
) -> AsyncIterator[AsyncRegistry]:
    """An `AsyncRegistry` on the server at `url`, or on the API run here over the database."""
    from modeldeck.client.registry import AsyncRegistry

    with tempfile.TemporaryDirectory(prefix="modeldeck-cli-") as cache:
        if url and not database_url:
            async with AsyncRegistry(url, token, cache_dir=cache, timeout=30) as remote:
                yield remote
            return
        async with (
            _local(database_url) as transport,
            AsyncRegistry(
                "http://modeldeck.local", None, cache_dir=cache, timeout=300, transport=transport
            ) as local,
        ):
            yield local


class ApiClient:
    """Plain JSON calls on the API, for admin commands the client library does not wrap."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http

    async def get(self, path: str) -> Any:
        return await self._call("GET", path)

    async def post(self, path: str, *, params: dict[str, str] | None = None) -> Any:
        return await self._call("POST", path, params=params)

    async def _call(self, method: str, path: str, params: dict[str, str] | None = None) -> Any:
        import httpx

        from modeldeck.client.errors import ModelDeckError, RegistryUnavailable
        from modeldeck.client.wire import decode, describe

        try:
            response = await self._http.request(method, path, params=params)
        except httpx.TransportError as error:
            raise RegistryUnavailable(
                f"Model Deck at {self._http.base_url} is unreachable: {describe(error)}"
            ) from None
        try:
            document = decode(response)
        except ValueError:
            document = None
        if response.status_code >= 400:
            problem = document if isinstance(document, dict) else None
            raise ModelDeckError.from_problem(response.status_code, problem)
        return document


@asynccontextmanager
async def api_client(
    url: str | None, token: str | None, database_url: str | None
) -> AsyncIterator[ApiClient]:
    """The API of the server at `url`, or the API run here over the database (as admin)."""
    import httpx

    if url and not database_url:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as http:
            yield ApiClient(http)
        return
    async with (
        _local(database_url) as transport,
        httpx.AsyncClient(base_url="http://modeldeck.local", transport=transport) as http,
    ):
        yield ApiClient(http)


@asynccontextmanager
async def ready_database(database_url: str | None) -> AsyncIterator[tuple[Settings, Database]]:
    """The database a command works on, refused with a clear line unless it is migrated."""
    from modeldeck import migrate
    from modeldeck.cli import settings_for
    from modeldeck.db import Database

    settings = settings_for(database_url)

    def cannot_open(error: Exception) -> NotReady:
        return NotReady(
            f"cannot open the database at {shown_url(settings.database_url)}: "
            f"{database_error(error)}"
        )

    try:
        database = Database(settings.database_url)
    except Exception as error:  # an unknown driver or a malformed URL
        raise cannot_open(error) from None
    try:
        try:
            async with database.engine.connect() as connection:
                at = await migrate.current(connection)
        except Exception as error:  # a missing folder, a refused connection
            raise cannot_open(error) from None
        if at != migrate.head():
            raise NotReady(
                f"the database at {shown_url(settings.database_url)} is not ready "
                f"(revision {at or 'none'}); "
                "run `modeldeck db upgrade` or `modeldeck serve` first"
            )
        yield settings, database
    finally:
        await database.dispose()


def shown_url(database_url: str) -> str:
    """The database URL to print: its password masked."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(database_url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy can read: nothing to mask in it
        return database_url


def database_error(error: BaseException) -> str:
    """A database driver's error in one line, without SQLAlchemy's background link."""
    cause = getattr(error, "orig", None) or error
    lines = str(cause).strip().splitlines()
    return lines[0] if lines else type(cause).__name__


@asynccontextmanager
async def _local(database_url: str | None) -> AsyncIterator[httpx.AsyncBaseTransport]:
    import httpx

    from modeldeck.api.auth import Caller
    from modeldeck.app import create_app

    async with ready_database(database_url) as (settings, database):
        caller = Caller(f"cli:{actor_name()}", "admin")
        yield httpx.ASGITransport(app=create_app(settings, database=database, local_caller=caller))


def actor_name() -> str:
    """Who runs the command, for the audit trail."""
    try:
        return os.environ.get("USER") or getpass.getuser()
    except Exception:  # no user name in some containers
        return "local"

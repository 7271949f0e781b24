"""The `modeldeck` command."""

from __future__ import annotations

import asyncio
import gc
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import ValidationError

from modeldeck.cli.output import LazyConsole
from modeldeck.settings import Settings, get_settings

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from modeldeck.bootstrap import Prepared
    from modeldeck.db import Database

app = typer.Typer(
    help="Model Deck: the LLM models your apps may call, what they are and what they cost.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens for the REST API and the console.", no_args_is_help=True)
secrets_app = typer.Typer(
    help="Encryption keys for stored provider API keys.", no_args_is_help=True
)
app.add_typer(db_app, name="db")
app.add_typer(token_app, name="token")
app.add_typer(secrets_app, name="secrets")

err = LazyConsole(stderr=True, soft_wrap=True)
out = LazyConsole()

DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="Database URL; default: MODELDECK_DATABASE_URL or ./modeldeck.db.",
        show_default=False,
    ),
]


def settings_for(database_url: str | None = None) -> Settings:
    settings = get_settings()
    if database_url:
        settings = settings.model_copy(
            update={"database_url": Settings(database_url=database_url).database_url}
        )
    return settings


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to bind; default MODELDECK_HOST.")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port; default MODELDECK_PORT.")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Migrate, seed the built-in catalog, and serve the API and console."""
    # Loading the server makes ~180,000 objects that live as long as it does and frees next
    # to none: the collector's passes over them were a sixth of the start. It is off while
    # they are made; then they are frozen (no later pass scans them again) and collection
    # resumes before the database is prepared (a first start's seeding makes real garbage).
    gc.disable()
    try:
        import uvicorn

        from modeldeck.app import create_app
        from modeldeck.bootstrap import prepare
    finally:
        gc.freeze()
        gc.enable()
    settings = settings_for(database_url)
    updates = {key: value for key, value in (("host", host), ("port", port)) if value is not None}
    settings = settings.model_copy(update=updates)
    _prepare_database(settings, prepare)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=False,
        ws="none",  # the app has no WebSocket route: do not load a WebSocket implementation
    )


def _prepare_database(
    settings: Settings, prepare: Callable[[Settings, Database], Awaitable[Prepared]]
) -> None:
    """Migrate, seed and make sure of an admin (`bootstrap.prepare`), saying what it did."""
    from modeldeck.db import Database

    async def prepared_once() -> Prepared:
        database = Database(settings.database_url)
        try:
            return await prepare(settings, database)
        finally:
            await database.dispose()  # in the loop that opened its connections

    # Plain writes, not rich: what serve prints must not cost its start the loading of rich.
    try:
        prepared = asyncio.run(prepared_once())
    except Exception as error:  # the one line a user needs, not a traceback
        from modeldeck.cli.connection import database_error

        failed = typer.style("modeldeck serve:", fg="red")
        typer.echo(f"{failed} cannot prepare the database: {database_error(error)}", err=True)
        raise typer.Exit(1) from None
    if prepared.seeded:
        typer.echo(f"Seeded {len(prepared.seeded)} models from the built-in catalog.", err=True)
    if prepared.new_admin_token:
        login = f"{settings.public_url}/login?code={prepared.login_code}"
        typer.echo(
            f"\n{typer.style('Admin token', bold=True)} (shown once; store it safely, it is kept "
            "only as a hash):\n"
            f"    {prepared.new_admin_token}\n"
            f"Sign in to the console (the link works once, for 10 minutes): {login}\n"
            f"Use it as `Authorization: Bearer <token>`; API docs: {settings.public_url}/docs\n",
            err=True,
        )
    typer.echo(f"Model Deck on {settings.public_url}", err=True)


def _migrate(command: str, database_url: str | None, action: str, revision: str) -> str | None:
    """Run a migration step; any failure is one line on stderr and exit code 1."""
    from modeldeck import migrate
    from modeldeck.cli.connection import database_error, shown_url

    url = settings_for(database_url).database_url
    try:
        return migrate.run(url, action, revision)
    except Exception as error:  # an unreachable database, an unknown revision
        err.print(f"modeldeck {command}: {shown_url(url)}: {database_error(error)}", markup=False)
        raise typer.Exit(1) from None


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
    database_url: DatabaseUrl = None,
) -> None:
    """Migrate the database up to REVISION (default: the newest)."""
    at = _migrate("db upgrade", database_url, "upgrade", revision)
    out.print(f"database at revision {at}")


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision; `base` removes every table.")],
    database_url: DatabaseUrl = None,
) -> None:
    """Migrate the database down to REVISION."""
    at = _migrate("db downgrade", database_url, "downgrade", revision)
    out.print(f"database at revision {at or 'base'}")


@db_app.command("current")
def db_current(database_url: DatabaseUrl = None) -> None:
    """Show the revision the database is at, and the newest one."""
    from modeldeck import migrate

    at = _migrate("db current", database_url, "current", "head")
    out.print(f"database at revision {at or 'base (empty)'}; newest is {migrate.head()}")


@token_app.command("create")
def token_create(
    role: Annotated[str, typer.Option(help="reader or admin.")] = "reader",
    name: Annotated[str, typer.Option(help="A name to recognise the token by.")] = "cli",
    database_url: DatabaseUrl = None,
) -> None:
    """Make an API token and print it once."""
    from modeldeck.auth.tokens import ROLES, create_token
    from modeldeck.cli.connection import NotReady, ready_database

    if role not in ROLES:
        err.print(f"modeldeck token create: --role must be one of {', '.join(ROLES)}")
        raise typer.Exit(2)

    async def make() -> str:
        async with ready_database(database_url) as (_, database), database.write() as session:
            return await create_token(session, name=name, role=role)

    try:
        token = asyncio.run(make())
    except NotReady as error:
        err.print(f"modeldeck token create: {error}", markup=False)
        raise typer.Exit(1) from None
    out.print(token)


@secrets_app.command("rotate")
def secrets_rotate(database_url: DatabaseUrl = None) -> None:
    """Re-encrypt stored provider API keys with the first key of MODELDECK_SECRET_KEY.

    Put the new key first and keep the old ones after it (comma-separated) while rotating;
    afterwards the old keys can be dropped.
    """
    from modeldeck.cli.connection import NotReady, ready_database
    from modeldeck.crypto import KeyVault, KeyVaultError
    from modeldeck.models.service import rotate_api_keys
    from modeldeck.problems import Problem

    settings = settings_for(database_url)
    try:
        vault = KeyVault(settings.secret_key.get_secret_value() if settings.secret_key else None)
    except KeyVaultError as error:
        err.print(f"modeldeck secrets rotate: {error}")
        raise typer.Exit(1) from None
    if not vault.enabled:
        err.print("modeldeck secrets rotate: set MODELDECK_SECRET_KEY (new key first)")
        raise typer.Exit(1)

    async def rotate() -> int:
        async with ready_database(database_url) as (_, database), database.write() as session:
            return await rotate_api_keys(session, vault)

    try:
        count = asyncio.run(rotate())
    except NotReady as error:
        err.print(f"modeldeck secrets rotate: {error}", markup=False)
        raise typer.Exit(1) from None
    except Problem as problem:
        err.print(f"modeldeck secrets rotate: {problem.detail}", markup=False)
        raise typer.Exit(1) from None
    out.print(f"re-encrypted {count} stored API key{'s' if count != 1 else ''}")


@secrets_app.command("generate-key")
def secrets_generate_key() -> None:
    """Print a new key for MODELDECK_SECRET_KEY."""
    from modeldeck.crypto import KeyVault

    out.print(KeyVault.generate_key())


def _register() -> None:
    from modeldeck.cli import aliases, catalog, models, pricing, tokens

    app.add_typer(models.app, name="models")
    app.add_typer(aliases.app, name="aliases")
    app.add_typer(catalog.app, name="catalog")
    app.command("import")(catalog.import_command)
    app.command("export")(catalog.export_command)
    app.command("cost")(pricing.cost_command)
    app.command("simulate")(pricing.simulate_command)
    token_app.command("list")(tokens.list_command)
    token_app.command("revoke")(tokens.revoke_command)


_register()


# What `modeldeck[server]` installs (import names): without it, the commands that run the
# server or open a database stop with one line instead of a traceback.
SERVER_MODULES = frozenset(
    {
        "aiosqlite",
        "alembic",
        "asyncpg",
        "cryptography",
        "fastapi",
        "fastapi_offline",
        "jinja2",
        "markupsafe",
        "multipart",
        "python_multipart",
        "sqlalchemy",
        "starlette",
        "uvicorn",
        "yaml",
    }
)


def _setting_errors(error: ValidationError) -> list[str]:
    """Each refused `MODELDECK_*` variable as one line that names it."""
    lines = []
    for item in error.errors():
        message = str(item["msg"]).removeprefix("Value error, ")
        names = [f"MODELDECK_{str(part).upper()}" for part in item["loc"]]
        if names and not message.startswith(names[0]):
            message = f"{names[0]}: {message}"
        lines.append(message)
    return lines


def main() -> None:
    try:
        app(prog_name="modeldeck")
    except ModuleNotFoundError as error:
        if (error.name or "").partition(".")[0] not in SERVER_MODULES:
            raise
        err.print(
            "modeldeck: the server commands need `pip install 'modeldeck[server]'` "
            f"({error.name} is not installed)",
            markup=False,
        )
        raise SystemExit(1) from None
    except ValidationError as error:
        if error.title != Settings.__name__:
            raise
        for line in _setting_errors(error):
            err.print(f"modeldeck: invalid setting: {line}", markup=False)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()

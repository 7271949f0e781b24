"""Schema migrations (Alembic, shipped inside the package so an installed wheel can migrate).

Alembic (and the Mako and Pygments it loads) is imported only when a migration runs: a
server starting on a database already at head checks the revision with one query instead,
and an empty database gets the head schema at once (`create_head`), stamped at head.
"""

from __future__ import annotations

import asyncio
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncConnection

from modeldeck.db import Database

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
# Alembic's own bookkeeping table and column (its defaults; env.py does not change them).
VERSION_TABLE_SQL = text("SELECT version_num FROM alembic_version")
_ASSIGNMENT = r"^{name}\s*(?::[^=]*)?=\s*(.+?)\s*$"


def alembic_config(connection: Any | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head() -> str:
    from alembic.script import ScriptDirectory

    head_revision = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head_revision is not None
    return head_revision


@cache
def scripted_head() -> str | None:
    """The newest revision, read from the scripts' `revision`/`down_revision` lines.

    What `head()` answers, without loading Alembic; None when the scripts are not plain
    enough to read so (then the caller asks Alembic).
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in sorted((MIGRATIONS / "versions").glob("*.py")):
        source = script.read_text("utf-8")
        revision = re.search(_ASSIGNMENT.format(name="revision"), source, re.MULTILINE)
        down = re.search(_ASSIGNMENT.format(name="down_revision"), source, re.MULTILINE)
        if revision is None or down is None:
            return None
        named = re.fullmatch(r"""(["'])([\w-]+)\1""", revision.group(1))
        if named is None:
            return None
        revisions.add(named.group(2))
        parents.update(quoted for _, quoted in re.findall(r"""(["'])([\w-]+)\1""", down.group(1)))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


async def at_head(connection: AsyncConnection) -> bool:
    """Whether the database is already at the newest revision (one query, no Alembic)."""
    newest = scripted_head()
    if newest is None:
        return False
    if not await connection.run_sync(lambda sync: inspect(sync).has_table("alembic_version")):
        return False  # an empty database
    stamped = (await connection.execute(VERSION_TABLE_SQL)).scalars().all()
    return stamped == [newest]


async def upgrade(connection: AsyncConnection, revision: str = "head") -> None:
    from alembic import command

    await connection.run_sync(lambda sync: command.upgrade(alembic_config(sync), revision))


async def upgrade_to_head(connection: AsyncConnection) -> None:
    """`upgrade(connection)`, skipped without loading Alembic when there is nothing to do;
    an empty database is created at head in one step (`create_head`)."""
    if await at_head(connection):
        return
    if scripted_head() is not None and await _empty(connection):
        await create_head(connection)
    else:
        await upgrade(connection)


async def _empty(connection: AsyncConnection) -> bool:
    return not await connection.run_sync(lambda sync: inspect(sync).get_table_names())


async def create_head(connection: AsyncConnection) -> None:
    """The head schema on an empty database, without Alembic, stamped at head.

    The same tables, columns and indexes as running every migration (a test compares the
    two on both databases), with what the migrations write: registry_state's one row.
    """
    from modeldeck.tables import metadata

    newest = scripted_head()
    assert newest is not None
    await connection.run_sync(metadata.create_all)
    await connection.execute(text("INSERT INTO registry_state (id, revision) VALUES (1, 0)"))
    await connection.execute(
        text(
            "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
            "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
        )
    )
    await connection.execute(
        text("INSERT INTO alembic_version (version_num) VALUES (:head)"), {"head": newest}
    )


async def bring_to_head(database: Database) -> None:
    """Migrate `database` to head in a transaction of its own (schema, not registry data)."""
    async with database.engine.connect() as connection:
        await upgrade_to_head(connection)
        await connection.commit()


async def downgrade(connection: AsyncConnection, revision: str = "base") -> None:
    from alembic import command

    await connection.run_sync(lambda sync: command.downgrade(alembic_config(sync), revision))


async def current(connection: AsyncConnection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return await connection.run_sync(
        lambda sync: MigrationContext.configure(sync).get_current_revision()
    )


async def _on(database_url: str, action: str, revision: str) -> str | None:
    database = Database(database_url)
    try:
        async with database.engine.connect() as connection:
            if action == "upgrade":
                await upgrade(connection, revision)
            elif action == "downgrade":
                await downgrade(connection, revision)
            result = await current(connection)
            await connection.commit()
            return result
    finally:
        await database.dispose()


def run(database_url: str, action: str, revision: str = "head") -> str | None:
    """`upgrade`, `downgrade` or `current` from synchronous code (the CLI); returns the revision."""
    return asyncio.run(_on(database_url, action, revision))

"""Schema migrations (Alembic, shipped inside the package so an installed wheel can migrate)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncConnection

from modeldeck.db import Database

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(connection: Any | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head() -> str:
    head_revision = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head_revision is not None
    return head_revision


async def upgrade(connection: AsyncConnection, revision: str = "head") -> None:
    await connection.run_sync(lambda sync: command.upgrade(alembic_config(sync), revision))


async def downgrade(connection: AsyncConnection, revision: str = "base") -> None:
    await connection.run_sync(lambda sync: command.downgrade(alembic_config(sync), revision))


async def current(connection: AsyncConnection) -> str | None:
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

"""Schema migrations and catalog seeding, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, func, inspect, select, text

from conftest import Backend, settings_for
from modeldeck import migrate
from modeldeck.bootstrap import prepare
from modeldeck.catalog.builtin import load_builtin
from modeldeck.db import Database
from modeldeck.models.tables import ModelRow

pytestmark = pytest.mark.anyio


async def _tables(database: Database) -> set[str]:
    async with database.engine.connect() as connection:
        names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    return set(names) - {"alembic_version"}


@pytest.fixture
async def empty_database(backend: Backend, tmp_path: Path) -> Database:
    """A brand-new database of the backend's kind."""
    if backend.name == "sqlite":
        return Database(f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}")
    from conftest import _create_postgres_database

    return Database(await _create_postgres_database())


async def test_upgrade_downgrade_and_upgrade_again_keep_working(empty_database: Database) -> None:
    database = empty_database
    try:
        async with database.engine.connect() as connection:
            await migrate.upgrade(connection)
            await connection.commit()
            assert await migrate.current(connection) == migrate.head()
        assert {
            "models",
            "price_periods",
            "audit_entries",
            "api_tokens",
            "registry_state",
            "console_sessions",
            "console_login_codes",
        } <= await _tables(database)
        await prepare(settings_for(database.url), database)
        async with database.engine.connect() as connection:
            await migrate.upgrade(connection)  # already at head: data stays
            await connection.commit()
        async with database.read() as session:
            count = (await session.execute(select(func.count(ModelRow.id)))).scalar_one()
        assert count == len(load_builtin().models)
        async with database.engine.connect() as connection:
            await migrate.downgrade(connection, "base")
            await connection.commit()
            assert await migrate.current(connection) is None
        assert await _tables(database) == set()
        async with database.engine.connect() as connection:
            await migrate.upgrade(connection)
            await connection.commit()
            revision = (
                await connection.execute(text("SELECT revision FROM registry_state"))
            ).scalar()
        assert revision == 0
    finally:
        await database.dispose()
        if database.dialect == "postgresql":
            from conftest import _drop_postgres_database

            await _drop_postgres_database(database.url)


async def test_the_tables_in_code_are_the_schema_the_migrations_make(backend: Backend) -> None:
    """Alembic's autogenerate finds nothing to change: every table, column and index (the
    partial unique index of the default model too, declared beside the metadata) agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from modeldeck.tables import metadata

    def differences(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    async with backend.database.engine.connect() as connection:
        assert await connection.run_sync(differences) == []


async def test_serve_migrates_a_database_behind_head_and_leaves_one_at_head(
    empty_database: Database,
) -> None:
    """`prepare` decides with one query whether a migration is due (Alembic loads only then)."""
    database = empty_database
    try:
        async with database.engine.connect() as connection:
            await migrate.upgrade(connection, "0002_api_token_usage")
            await connection.commit()
            assert not await migrate.at_head(connection)
        await prepare(settings_for(database.url), database)
        async with database.engine.connect() as connection:
            assert await migrate.current(connection) == migrate.head()
            assert await migrate.at_head(connection)
        assert {"console_sessions", "console_login_codes"} <= await _tables(database)
    finally:
        await database.dispose()
        if database.dialect == "postgresql":
            from conftest import _drop_postgres_database

            await _drop_postgres_database(database.url)


def _schema(connection: Connection) -> dict[str, Any]:
    """Every table as the database describes it: columns, keys, indexes, constraints."""
    found = inspect(connection)
    schema: dict[str, Any] = {}
    for table in sorted(found.get_table_names()):
        schema[table] = {
            # By name: a migration adds a column at the end, the metadata where it reads best.
            "columns": sorted(
                (c["name"], str(c["type"]), c["nullable"], c.get("default"))
                for c in found.get_columns(table)
            ),
            "primary_key": found.get_pk_constraint(table),
            "foreign_keys": sorted(
                (fk["name"], tuple(fk["constrained_columns"]), fk["referred_table"])
                for fk in found.get_foreign_keys(table)
            ),
            "indexes": sorted(
                (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                for i in found.get_indexes(table)
            ),
            "unique": sorted(
                (u["name"], tuple(u["column_names"])) for u in found.get_unique_constraints(table)
            ),
        }
    return schema


async def test_an_empty_database_is_created_at_head_exactly_as_the_migrations_make_it(
    backend: Backend, tmp_path: Path
) -> None:
    """A first start creates the head schema in one step, without Alembic: the same tables,
    columns, keys and indexes as every migration run in turn, the same registry_state row,
    stamped at head; and Alembic can take it down and up again."""
    if backend.name == "sqlite":
        made = Database(f"sqlite+aiosqlite:///{tmp_path / 'made.db'}")
        migrated = Database(f"sqlite+aiosqlite:///{tmp_path / 'migrated.db'}")
    else:
        from conftest import _create_postgres_database

        made = Database(await _create_postgres_database())
        migrated = Database(await _create_postgres_database())
    try:
        async with made.engine.connect() as connection:
            await migrate.upgrade_to_head(connection)
            await connection.commit()
        async with migrated.engine.connect() as connection:
            await migrate.upgrade(connection)
            await connection.commit()
        schemas = []
        for database in (made, migrated):
            async with database.engine.connect() as connection:
                schemas.append(await connection.run_sync(_schema))
                assert await migrate.current(connection) == migrate.head()
                state = await connection.execute(text("SELECT id, revision FROM registry_state"))
                assert [tuple(row) for row in state] == [(1, 0)]
        assert schemas[0] == schemas[1]
        async with made.engine.connect() as connection:
            await migrate.downgrade(connection, "base")
            await migrate.upgrade(connection)
            await connection.commit()
            assert await connection.run_sync(_schema) == schemas[1]
    finally:
        for database in (made, migrated):
            await database.dispose()
            if database.dialect == "postgresql":
                from conftest import _drop_postgres_database

                await _drop_postgres_database(database.url)


async def test_the_head_read_from_the_scripts_is_alembics() -> None:
    assert migrate.scripted_head() == migrate.head()


async def test_seeding_twice_changes_nothing_and_leaves_ordinary_models_alone(
    empty_database: Database,
) -> None:
    database = empty_database
    try:
        first = await prepare(settings_for(database.url), database)
        assert len(first.seeded) == len(load_builtin().models)
        assert first.new_admin_token is not None
        async with database.write() as session:
            row = (await session.execute(select(ModelRow).limit(1))).scalar_one()
            row.is_system = False  # as if an admin had created a model of that name
            row.description = "ours"
        async with database.read() as session:
            revision = (await session.execute(text("SELECT revision FROM registry_state"))).scalar()
        second = await prepare(settings_for(database.url), database)
        assert second.seeded == []
        assert second.new_admin_token is None  # an admin token exists already
        async with database.read() as session:
            assert (
                await session.execute(text("SELECT revision FROM registry_state"))
            ).scalar() == revision
            again = await session.get(ModelRow, row.id)
            assert again is not None and again.description == "ours" and not again.is_system
            defaults = (
                await session.execute(select(func.count()).where(ModelRow.is_default.is_(True)))
            ).scalar_one()
        assert defaults == 1
    finally:
        await database.dispose()
        if database.dialect == "postgresql":
            from conftest import _drop_postgres_database

            await _drop_postgres_database(database.url)


async def test_the_catalog_default_becomes_the_default_model(backend: Backend) -> None:
    async with backend.database.read() as session:
        default = (
            await session.execute(select(ModelRow.name).where(ModelRow.is_default.is_(True)))
        ).scalar_one()
    assert default == load_builtin().default_model

"""Issue 6 figure: importing the whole LiteLLM price map, end to end, on each database.

Ours: read + plan + apply + commit into a fresh, migrated and seeded database.
Anchor: a bare executemany of as many model rows and price-period rows (no parsing,
validation, diff or audit) into another fresh database of the same kind, in one transaction.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import create_async_engine

from modeldeck import clock
from modeldeck.bootstrap import prepare
from modeldeck.catalog.builtin import load_builtin
from modeldeck.catalog.importers import read_catalog
from modeldeck.catalog.plan import apply_plan, plan_import
from modeldeck.crypto import KeyVault
from modeldeck.db import Database
from modeldeck.models.service import WriteContext
from modeldeck.models.tables import ModelRow, PricePeriodRow
from modeldeck.settings import Settings

LITELLM_FILE = (
    Path(__file__).resolve().parents[1] / "data" / "catalog-sources" / "litellm-model-prices.json"
)
POSTGRES_SERVER = os.environ.get(
    "MODELDECK_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
TARGETS = {"sqlite": 3.0, "postgresql": 5.0}


@asynccontextmanager
async def fresh_database(kind: str) -> AsyncIterator[Database]:
    """A new, migrated and seeded database of `kind`, dropped afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            database = Database(f"sqlite+aiosqlite:///{folder}/bench.db")
            try:
                await prepare(Settings(database_url=database.url), database)
                yield database
            finally:
                await database.dispose()
        return
    server = create_async_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
    name = f"modeldeck_bench_{uuid.uuid4().hex[:10]}"
    try:
        async with server.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        database = Database(POSTGRES_SERVER.rsplit("/", 1)[0] + "/" + name)
        try:
            await prepare(Settings(database_url=database.url), database)
            yield database
        finally:
            await database.dispose()
            async with server.connect() as connection:
                await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await server.dispose()


async def _import(database: Database) -> tuple[float, int]:
    """Seconds for read + plan + apply + commit of the whole map; models added."""
    ctx = WriteContext(actor="bench", vault=KeyVault(None))
    start = time.perf_counter()
    records = read_catalog(LITELLM_FILE, "litellm")
    async with database.write() as session:
        plan = await plan_import(session, records)
        result = await apply_plan(session, plan, ctx=ctx)
    return time.perf_counter() - start, result.added


async def _bare_insert(database: Database, count: int) -> float:
    """Seconds for an executemany of `count` model rows and `count` price periods."""
    now = clock.now()
    models = [
        {
            "id": str(uuid.uuid4()),
            "name": f"bare-{number}",
            "name_key": f"bare-{number}",
            "display_name": "",
            "description": "",
            "provider": "openai_compatible",
            "deployment": {},
            "context_window": 128000,
            "max_output_tokens": 8192,
            "capabilities": {"streaming": True, "tools": True},
            "limits": {},
            "token_weights": {},
            "status": "active",
            "tags": ["litellm_provider:bench"],
            "is_system": False,
            "is_default": False,
            "enabled": True,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        for number in range(count)
    ]
    periods = [
        {
            "model_id": model["id"],
            "effective_from": now,
            "input": Decimal("2.5"),
            "output": Decimal("10"),
            "tiers": [],
            "created_at": now,
        }
        for model in models
    ]
    start = time.perf_counter()
    async with database.writer() as session:
        await session.execute(insert(ModelRow), models)
        await session.execute(insert(PricePeriodRow), periods)
        await session.commit()
    return time.perf_counter() - start


async def _measure(kind: str, rounds: int = 3) -> tuple[float, float, int]:
    """Best of `rounds`, alternating ours and the anchor so a noisy neighbour hurts both alike."""
    ours, anchors, added = [], [], 0
    for _ in range(rounds):
        async with fresh_database(kind) as database:
            seconds, added = await _import(database)
            ours.append(seconds)
        async with fresh_database(kind) as database:
            anchors.append(await _bare_insert(database, added))
    return min(ours), min(anchors), added


def litellm_import() -> list[tuple[str, float, float]]:
    """(figure, seconds ours, seconds anchor) for SQLite and PostgreSQL."""
    figures = []
    for kind in ("sqlite", "postgresql"):
        ours, anchor, added = asyncio.run(_measure(kind))
        figures.append((f"import LiteLLM map on {kind} ({added} models)", ours, anchor))
    return figures


def main() -> None:
    for name, ours, anchor in litellm_import():
        kind = name.split(" on ")[1].split(" ")[0]
        target = TARGETS[kind]
        print(
            f"{name:<48} {ours:>9.2f}s {anchor:>9.2f}s  {ours / anchor:5.1f}x  <= {target:.0f} s "
            f"({'met' if ours <= target else 'missed'}); anchor: bare executemany of the rows"
        )


if __name__ == "__main__":
    main()


def builtin_contents() -> tuple[int, int, int, int]:
    """The shipped catalog: models, vendors, models with more than one price period, periods."""
    catalog = load_builtin()
    vendors = {tag for model in catalog.models for tag in model.tags if tag.startswith("vendor:")}
    histories = [catalog.price_history(model.name) for model in catalog.models]
    dated = sum(len(history) > 1 for history in histories)
    return len(catalog.models), len(vendors), dated, sum(len(history) for history in histories)

"""`catalog sync`: a newer built-in catalog applied to system models, never to ordinary ones."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from conftest import (
    SECRET_KEY,
    Backend,
    _create_postgres_database,
    _drop_postgres_database,
    days_ahead,
    public_records,
)
from modeldeck import migrate, serialization
from modeldeck.audit.tables import AuditEntryRow
from modeldeck.catalog.builtin import Catalog, load_builtin, parse_catalog
from modeldeck.catalog.importers import ImportRecord, PricePeriodImport
from modeldeck.catalog.plan import plan_import
from modeldeck.catalog.seed import seed_catalog
from modeldeck.catalog.sync import apply_sync, plan_sync
from modeldeck.cli.catalog import _show_plan
from modeldeck.cli.output import out
from modeldeck.crypto import KeyVault
from modeldeck.db import Database
from modeldeck.models import service
from modeldeck.models.schemas import ModelWrite, PricingWrite

pytestmark = [pytest.mark.anyio, pytest.mark.dated]


def ctx() -> service.WriteContext:
    return service.WriteContext(actor="catalog", vault=KeyVault(SECRET_KEY))


def newer_catalog(new_price_day: datetime) -> Catalog:
    """The shipped catalog, one release later: prices, a limit, a new model, two removed.

    o3 gets a new price that starts on `new_price_day`.
    """
    catalog = load_builtin()
    models = {model.name: model for model in catalog.models}

    def changed(source: str, **updates: Any) -> ModelWrite:
        return ModelWrite.model_validate(models[source].model_dump() | updates)

    gpt = models["gpt-4o"]
    assert gpt.pricing is not None
    # Same effective_from as shipped: the new period starts when the sync runs.
    models["gpt-4o"] = changed("gpt-4o", pricing=gpt.pricing.model_dump() | {"input": "2"})
    o3 = models["o3"]
    assert o3.pricing is not None
    models["o3"] = changed(
        "o3",
        context_window=300000,
        pricing=o3.pricing.model_dump() | {"output": "6", "effective_from": new_price_day},
    )
    models["acme-new-model"] = changed(
        "gpt-4o-mini", name="acme-new-model", display_name="Acme new model"
    )
    models["acme-taken"] = changed("gpt-4o-mini", name="acme-taken")
    del models["gpt-4.1-mini"]
    del models["gpt-4o-mini"]  # the default model
    # The changed models are compared by their `pricing`; the others keep their history.
    histories = {
        name: history
        for name, history in catalog.price_histories.items()
        if name not in ("gpt-4o", "o3")
    }
    return Catalog("2027-01-01", "gpt-4.1", tuple(models.values()), histories)


async def models_by_name(database: Database) -> dict[str, dict[str, Any]]:
    async with database.read() as session:
        return {model["name"]: model for model in await public_records(session)}


async def test_the_shipped_catalog_is_in_sync_with_a_freshly_seeded_registry(
    database: Database,
) -> None:
    async with database.write() as session:
        plan = await plan_sync(session)
        result = await apply_sync(session, plan, ctx=ctx())
    assert not plan.has_changes
    assert plan.counts["unchanged"] == len(load_builtin().models)
    assert result.revision is None  # nothing written, no revision


async def test_a_newer_catalog_updates_system_models_and_never_ordinary_ones(
    database: Database,
) -> None:
    async with database.write() as session:
        # An admin reached gpt-4o through their own Azure deployment and tagged it …
        await service.update_model(
            session,
            ctx(),
            "gpt-4o",
            {
                "deployment": {"endpoint": "https://contoso.example.com/v1"},
                "tags": ["team:search"],
                "enabled": True,
            },
            merge=True,
            if_match=None,
        )
        # … and owns an ordinary model, one of them named like a new catalog model.
        for name in ("acme-ordinary", "acme-taken"):
            await service.create_model(
                session,
                ctx(),
                ModelWrite.model_validate(
                    {
                        "name": name,
                        "provider": "openai",
                        "context_window": 10,
                        "max_output_tokens": 5,
                    }
                ),
            )
    before = await models_by_name(database)
    new_price_day = days_ahead(30)  # a price the newer catalog announces for next month

    async with database.write() as session:
        plan = await plan_sync(session, newer_catalog(new_price_day))
        assert plan.counts == {
            "added": 1,
            "changed": 2,
            "unchanged": len(load_builtin().models) - 4,
            "skipped": 1,
            "retired": 2,
        }
        assert [p.name for p in plan.added] == ["acme-new-model"]
        assert [(p.name, p.code) for p in plan.skipped] == [("acme-taken", "ordinary_model")]
        assert sorted(p.name for p in plan.retired) == ["gpt-4.1-mini", "gpt-4o-mini"]
        changes = {p.name: p.changes for p in plan.changed}
        assert changes["gpt-4o"] == [
            {"field": "pricing.input", "before": Decimal("2.5"), "after": Decimal("2")}
        ]
        assert changes["o3"] == [
            {"field": "context_window", "before": 200000, "after": 300000},
            {"field": "pricing.output", "before": Decimal("8"), "after": Decimal("6")},
        ]
        assert plan.new_default is None  # the registry has a default already
        shown = json.loads(serialization.dumps(plan.as_json()))
        assert shown["catalog_version"] == "2027-01-01"
        assert [entry["name"] for entry in shown["retired"]] == ["gpt-4.1-mini", "gpt-4o-mini"]
        assert plan.notes == [
            "gpt-4o-mini is the default model and is now retired; it stays the default until "
            "you make another model the default"
        ]
        writer = ctx()
        result = await apply_sync(session, plan, ctx=writer)
        entries = (
            (
                await session.execute(
                    select(AuditEntryRow).where(AuditEntryRow.revision == result.revision)
                )
            )
            .scalars()
            .all()
        )
    assert Counter((entry.action, entry.actor) for entry in entries) == {("sync", "catalog"): 5}
    after = await models_by_name(database)

    gpt = after["gpt-4o"]
    assert [p["input"] for p in gpt["price_history"]] == [Decimal("2.5"), Decimal("2")]
    assert (
        gpt["price_history"][0]["effective_from"] == before["gpt-4o"]["pricing"]["effective_from"]
    )
    assert gpt["price_history"][1]["effective_from"] == writer.now  # same date shipped: now
    assert gpt["pricing"]["input"] == Decimal("2")
    assert gpt["deployment"]["endpoint"] == "https://contoso.example.com/v1"  # the admin's
    assert gpt["tags"] == ["team:search"]
    assert gpt["version"] == before["gpt-4o"]["version"] + 1

    o3 = after["o3"]
    assert o3["context_window"] == 300000
    assert [p["effective_from"] for p in o3["price_history"]][-1] == new_price_day
    assert o3["pricing"]["output"] == Decimal("8")  # the new price starts next month

    assert after["acme-new-model"]["is_system"] and not after["acme-new-model"]["is_default"]
    assert after["gpt-4.1-mini"]["status"] == "retired"
    assert after["gpt-4o-mini"]["status"] == "retired" and after["gpt-4o-mini"]["is_default"]
    for name in ("acme-ordinary", "acme-taken"):
        assert after[name] == before[name]

    async with database.write() as session:
        again = await plan_sync(session, newer_catalog(new_price_day))
    assert not again.has_changes


async def test_a_model_back_in_the_catalog_is_active_again(database: Database) -> None:
    catalog = load_builtin()
    assert next(m for m in catalog.models if m.name == "gpt-4.1").status == "active"
    without = Catalog(
        catalog.version,
        catalog.default_model,
        tuple(m for m in catalog.models if m.name != "gpt-4.1"),
        catalog.price_histories,
    )
    async with database.write() as session:
        await apply_sync(session, await plan_sync(session, without), ctx=ctx())
    async with database.write() as session:
        plan = await plan_sync(session, catalog)
        assert [(p.name, p.changes) for p in plan.changed] == [
            ("gpt-4.1", [{"field": "status", "before": "retired", "after": "active"}])
        ]
        await apply_sync(session, plan, ctx=ctx())
    assert (await models_by_name(database))["gpt-4.1"]["status"] == "active"


# --- price history: seeding and syncing dated periods ---------------------------------------

ONE_PERIOD_CATALOG = Path(__file__).parent / "data" / "builtin-one-period.json"


def history_of(model: dict[str, Any]) -> list[tuple[datetime, Decimal, Decimal]]:
    return [(p["effective_from"], p["input"], p["output"]) for p in model["price_history"]]


def variants_of(model: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Each period's 1-hour cache-write price, time-of-day windows and service tiers."""
    return [(p["cache_write_1h"], p["windows"], p["service_tiers"]) for p in model["price_history"]]


def shipped_variants(name: str) -> list[tuple[Any, ...]]:
    return [
        (rates["cache_write_1h"], rates["windows"], rates["service_tiers"])
        for period in load_builtin().price_history(name)
        if period.pricing is not None
        for rates in [period.pricing.rates()]
    ]


def shipped_history(name: str) -> list[tuple[datetime, Decimal, Decimal]]:
    return [
        (period.effective_from, period.pricing.input, period.pricing.output)
        for period in load_builtin().price_history(name)
        if period.pricing is not None
    ]


@pytest.fixture
async def empty_database(backend: Backend, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated database of the backend's kind with no model yet."""
    if backend.name == "sqlite":
        database = Database(f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}")
    else:
        database = Database(await _create_postgres_database())
    try:
        async with database.engine.connect() as connection:
            await migrate.upgrade(connection)
            await connection.commit()
        yield database
    finally:
        await database.dispose()
        if database.dialect == "postgresql":
            await _drop_postgres_database(database.url)


async def test_seeding_writes_every_price_period_with_its_source(database: Database) -> None:
    models = await models_by_name(database)
    catalog = load_builtin()
    assert len(models) >= len(catalog.models)
    for model in catalog.models:
        assert history_of(models[model.name]) == shipped_history(model.name), model.name
    o3 = models["o3"]
    assert [p["input"] for p in o3["price_history"]] == [Decimal("10"), Decimal("2")]
    assert all(p["source"].startswith("https://") for p in o3["price_history"])
    async with database.read() as session:
        seeded = (
            await session.execute(select(AuditEntryRow).where(AuditEntryRow.action == "seed"))
        ).scalars()
        assert {entry.model_name for entry in seeded} >= {m.name for m in catalog.models}


async def test_an_install_seeded_with_the_one_period_catalog_syncs_to_the_dated_history(
    empty_database: Database,
) -> None:
    database = empty_database
    old = parse_catalog(ONE_PERIOD_CATALOG.read_text("utf-8"))
    async with database.write() as session:
        seeded = await seed_catalog(session, ctx(), old)
        await service.create_model(
            session,
            ctx(),
            ModelWrite.model_validate(
                {
                    "name": "acme-ordinary",
                    "provider": "openai",
                    "context_window": 10,
                    "max_output_tokens": 5,
                    "pricing": {"input": "1", "output": "2", "effective_from": "2025-01-01"},
                }
            ),
        )
    assert len(seeded) == len(old.models) == 65
    before = await models_by_name(database)
    assert history_of(before["o3"]) == [
        (datetime(2025, 4, 16, tzinfo=UTC), Decimal("2"), Decimal("8"))
    ]

    async with database.write() as session:  # a dry run: the plan, then nothing written
        plan = await plan_sync(session)
        corrections = {planned.name: planned for planned in plan.corrections}
        assert {"o3", "claude-opus-4-6", "claude-sonnet-4-6"} <= set(corrections)
        change = next(c for c in corrections["o3"].changes if c["field"] == "price_history")
        assert change["correction"] == "price_history_correction"
        assert [(p["effective_from"], p["input"]) for p in change["before"]] == [
            ("2025-04-16T00:00:00Z", Decimal("2"))
        ]
        assert [(p["effective_from"], p["input"]) for p in change["after"]] == [
            ("2025-04-16T00:00:00Z", Decimal("10")),
            ("2025-06-10T00:00:00Z", Decimal("2")),
        ]
        shown = json.loads(serialization.dumps(plan.as_json()))
        assert "o3" in shown["corrections"]
        assert next(p for p in shown["changed"] if p["name"] == "o3")["correction"]
        assert not plan.skipped  # no price_history_conflict: the catalog corrects its own
        with out.capture() as captured:
            _show_plan(plan, verbose=True)
        assert "~ o3 (catalog correction of past prices)" in captured.get()
        assert "from 2025-06-10T00:00:00Z: input 2" in captured.get()
        retired = {planned.name for planned in plan.retired}
        assert {"deepseek-chat", "gemini-2.0-flash"} <= retired
        await session.rollback()
    assert await models_by_name(database) == before

    async with database.write() as session:
        plan = await plan_sync(session)
        result = await apply_sync(session, plan, ctx=ctx())
        entries = {
            entry.model_name: entry
            for entry in (
                await session.execute(
                    select(AuditEntryRow).where(AuditEntryRow.revision == result.revision)
                )
            ).scalars()
        }
    after = await models_by_name(database)
    for model in load_builtin().models:
        assert history_of(after[model.name]) == shipped_history(model.name), model.name
        assert variants_of(after[model.name]) == shipped_variants(model.name), model.name
        assert after[model.name]["is_system"], model.name
    # The old catalog had neither time-of-day windows nor service tiers: sync brought them.
    flash = after["deepseek-v4-flash"]["price_history"][-1]
    assert [(w["start"], w["end"], w["name"]) for w in flash["windows"]] == [
        ("01:00", "04:00", "peak"),
        ("06:00", "10:00", "peak"),
    ]
    sonnet = after["claude-sonnet-4-5"]["price_history"][-1]
    assert sonnet["service_tiers"]["batch"]["input"] == Decimal("1.5")
    assert sonnet["cache_write_1h"] == Decimal(6)
    assert after["deepseek-chat"]["status"] == "retired"
    assert after["acme-ordinary"] == before["acme-ordinary"]
    assert after["gpt-4o-mini"]["is_default"]
    o3_entry = entries["o3"]
    assert o3_entry.action == "sync"
    assert o3_entry.before is not None and len(o3_entry.before["price_history"]) == 1
    assert len(o3_entry.after["price_history"]) == 2

    async with database.write() as session:
        again = await plan_sync(session)
    assert not again.has_changes and not again.corrections


async def test_an_ordinary_import_never_rewrites_a_past_period(database: Database) -> None:
    async with database.write() as session:
        await service.create_model(
            session,
            ctx(),
            ModelWrite.model_validate(
                {
                    "name": "acme-history",
                    "provider": "openai",
                    "context_window": 10,
                    "max_output_tokens": 5,
                    "pricing": {"input": "1", "output": "2", "effective_from": "2025-01-01"},
                }
            ),
        )
        model = ModelWrite.model_validate(
            {
                "name": "acme-history",
                "provider": "openai",
                "context_window": 10,
                "max_output_tokens": 5,
            }
        )
        moment = datetime(2025, 1, 1, tzinfo=UTC)
        pricing = PricingWrite.model_validate({"input": "3", "output": "4"})
        record = ImportRecord(
            "models[0]",
            "acme-history",
            model=model,
            fields=frozenset({"pricing"}),
            price_history=(PricePeriodImport(moment, pricing, None),),
        )
        plan = await plan_import(session, [record])
    assert [(p.name, p.code) for p in plan.skipped] == [("acme-history", "price_history_conflict")]
    assert not plan.corrections

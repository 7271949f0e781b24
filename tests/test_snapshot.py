"""The in-memory snapshot reads serve (DESIGN §6), updated per write instead of rebuilt.

After each write only the models the audit trail names are read and serialised again; the
result must be exactly what reading the whole registry gives, byte for byte.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from conftest import Backend, _client, days_ahead_z, model_body, settings_for
from modeldeck import clock
from modeldeck.app import create_app
from modeldeck.db import Database
from modeldeck.models.snapshot import RegistryCache, Snapshot, load_snapshot
from modeldeck.records.query import ModelQuery
from test_config_api import config_body

pytestmark = pytest.mark.anyio

QUERIES = (
    ModelQuery(limit=10_000),
    ModelQuery(),
    ModelQuery(sort="-input_price", limit=25),
    ModelQuery(system=False, sort="updated_at"),
    ModelQuery(q="snap", priced=True),
)


@dataclass
class Registry:
    app: FastAPI
    client: httpx.AsyncClient
    admin: dict[str, str]
    database: Database

    @property
    def cache(self) -> RegistryCache:
        cache: RegistryCache = self.app.state.registry_cache
        return cache

    async def send(self, method: str, url: str, **options: Any) -> dict[str, Any]:
        response = await self.client.request(method, url, headers=self.admin, **options)
        assert response.status_code < 300, response.text
        return response.json() if response.content else {}

    async def full_load(self) -> Snapshot:
        async with self.database.read() as session:
            return await load_snapshot(session, isolate=False)


@pytest.fixture
async def registry(backend: Backend, database: Database) -> AsyncIterator[Registry]:
    app = create_app(settings_for(backend.url), database=database)
    async with _client(app) as client:
        admin = {"Authorization": f"Bearer {backend.admin_token}"}
        yield Registry(app, client, admin, database)


def assert_same(updated: Snapshot, full: Snapshot) -> None:
    """Every record, history, schedule and response of the two snapshots is identical."""
    assert updated.revision == full.revision
    assert [model["id"] for model in updated.models] == [model["id"] for model in full.models]
    assert updated.models == full.models
    assert updated.by_name.keys() == full.by_name.keys()
    assert updated.price_history == full.price_history
    assert updated.next_changes == full.next_changes
    assert updated.valid_until == full.valid_until
    assert updated.default() == full.default()
    for model in full.models:
        mine = updated.model_response(updated.by_id[model["id"]])
        assert mine == full.model_response(model), model["name"]
    for query in QUERIES:
        assert updated.list_response(query) == full.list_response(query), query


async def test_an_updated_snapshot_equals_a_full_load_after_every_kind_of_write(
    registry: Registry,
) -> None:
    await registry.client.get("/api/models?limit=10000")  # the first snapshot, read whole
    a = await registry.send("POST", "/api/models", json=model_body(name="snap-a"))
    b = await registry.send("POST", "/api/models", json=model_body(name="snap-b", pricing=None))
    scheduled = {"input": "1", "output": "2", "effective_from": days_ahead_z(3)}
    c = await registry.send(
        "POST", "/api/models", json=model_body(name="snap-c", pricing=scheduled)
    )
    system = next(model for model in (await registry.full_load()).models if model["is_system"])

    steps: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
        ("update", lambda: registry.send("PATCH", f"/api/models/{a['id']}", json={"tags": ["x"]})),
        (
            "replace",
            lambda: registry.send(
                "PUT", f"/api/models/{b['id']}", json=model_body(name="snap-b", description="put")
            ),
        ),
        (
            "scheduled price period",
            lambda: registry.send(
                "POST",
                f"/api/models/{a['id']}/prices",
                json={"input": "9", "output": "9", "effective_from": days_ahead_z(2)},
            ),
        ),
        (
            "backdated price period",
            lambda: registry.send(
                "POST",
                f"/api/models/{b['id']}/prices",
                json={"input": "0.5", "output": "1", "effective_from": days_ahead_z(-30)},
            ),
        ),
        (
            "new price",
            lambda: registry.send(
                "PATCH", f"/api/models/{a['id']}", json={"pricing": {"input": "3", "output": "4"}}
            ),
        ),
        ("default moves", lambda: registry.send("POST", f"/api/models/{b['id']}/default")),
        (
            "rename to the front",
            lambda: registry.send("PATCH", f"/api/models/{a['id']}", json={"name": "000-Snap-A"}),
        ),
        (
            "rename to the end",
            lambda: registry.send("PATCH", f"/api/models/{b['id']}", json={"name": "zzz-snap-b"}),
        ),
        (
            "system model",
            lambda: registry.send(
                "PATCH", f"/api/models/{system['id']}", json={"enabled": False, "tags": ["off"]}
            ),
        ),
        (
            "clone",
            lambda: registry.send(
                "POST", f"/api/models/{a['id']}/clone", json={"name": "snap-a-copy"}
            ),
        ),
        ("delete", lambda: registry.send("DELETE", f"/api/models/{c['id']}")),
        (
            "seed-004 create",
            lambda: registry.send(
                "POST", "/api/config/models/snap-config", json=config_body("snap-config")
            ),
        ),
        ("default moves back", lambda: registry.send("POST", "/api/models/snap-config/default")),
    ]
    previous = registry.cache._snapshot
    for step, write in steps:
        await write()
        await registry.client.get("/api/models")
        updated = await registry.cache.current()
        assert updated is not previous, step
        assert_same(updated, await registry.full_load())
        # Updated, not rebuilt: some model's record is carried over as it was.
        assert previous is not None
        assert any(model is previous.by_id.get(model["id"]) for model in updated.models), step
        previous = updated

    # Time passes: A's scheduled period starts, and the snapshot follows without a write.
    with clock.moved(timedelta(days=4)):
        started = await registry.cache.current()
        assert started is not previous
        assert started.revision == previous.revision
        assert_same(started, await registry.full_load())
        assert started.by_id[a["id"]]["pricing"]["input"] == 9


async def test_a_write_serialises_again_only_the_models_it_changed(registry: Registry) -> None:
    await registry.send("POST", "/api/models", json=model_body(name="snap-one"))
    listing = await registry.client.get("/api/models", params={"limit": 10_000})
    before = await registry.cache.current()
    bodies = {model["id"]: before.model_response(model) for model in before.models}
    changed = listing.json()["data"][-1]

    await registry.send("PATCH", f"/api/models/{changed['id']}", json={"description": "new"})
    after_listing = await registry.client.get("/api/models", params={"limit": 10_000})
    after = await registry.cache.current()

    assert after.revision == before.revision + 1
    assert after_listing.json()["revision"] == after.revision
    for model in after.models:
        if model["id"] == changed["id"]:
            assert model["description"] == "new"
            assert after.model_response(model) != bodies[model["id"]]
        else:
            assert model is before.by_id[model["id"]], model["name"]
            assert after.model_response(model) is bodies[model["id"]], model["name"]

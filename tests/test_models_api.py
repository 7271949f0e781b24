"""The `/api/models` surface (DESIGN §2, §4), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from conftest import Api, model_body

pytestmark = pytest.mark.anyio


async def test_the_built_in_catalog_is_listed_as_system_models(api: Api) -> None:
    response = await api.client.get("/api/models", params={"system": "true", "limit": 1000})
    assert response.status_code == 200
    listing = response.json()
    assert listing["count"] >= 40
    assert all(model["is_system"] for model in listing["data"])
    assert listing["revision"] >= 1


async def test_a_created_model_can_be_read_by_id_and_by_name(api: Api) -> None:
    created = await api.create(name="My-Model", parameters_b=350)
    assert created["complexity_factor"] == 2.0
    by_id = await api.client.get(f"/api/models/{created['id']}")
    by_name = await api.client.get("/api/models/my-model")
    assert by_id.json() == by_name.json() == created
    assert by_id.headers["etag"] == '"1"'

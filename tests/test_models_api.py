"""The `/api/models` surface (DESIGN §2, §4), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import simplejson
from sqlalchemy import select, update

from conftest import Api, days_ahead_z, model_body
from modeldeck import clock
from modeldeck.models.tables import ModelRow

pytestmark = pytest.mark.anyio


async def listing(api: Api, **params: Any) -> dict[str, Any]:
    response = await api.client.get("/api/models", params={"limit": 10000, **params})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_the_built_in_catalog_is_listed_as_system_models(api: Api) -> None:
    result = await listing(api, system="true")
    assert result["count"] >= 40
    assert all(model["is_system"] for model in result["data"])
    assert result["revision"] >= 1


async def test_a_created_model_can_be_read_by_id_and_by_name_ignoring_case(api: Api) -> None:
    created = await api.create(name="My-Model", parameters_b=350)
    assert created["complexity_factor"] == 2.0
    by_id = await api.client.get(f"/api/models/{created['id']}")
    by_name = await api.client.get("/api/models/my-MODEL")
    assert by_id.json() == by_name.json() == created
    assert by_id.headers["etag"].startswith('"1-')


async def test_create_answers_201_with_the_location_of_the_new_model(api: Api) -> None:
    response = await api.client.post("/api/models", json=model_body(), headers=api.admin)
    assert response.status_code == 201
    assert response.headers["location"].endswith(f"/api/models/{response.json()['id']}")
    assert (await api.client.get(response.headers["location"])).status_code == 200


async def test_defaults_fill_what_a_create_leaves_out(api: Api) -> None:
    created = await api.create(parameters_b=None, pricing=None)
    assert created["token_weights"] == {
        "input": 1.0,
        "cached_input": 1.0,
        "output": 1.0,
        "reasoning": 1.0,
    }
    assert created["limits"] == {
        "base_timeout_s": 120.0,
        "max_timeout_s": 300.0,
        "timeout_per_token_s": 0.05,
        "max_retries": 3,
    }
    assert created["complexity_factor"] is None
    assert created["pricing"] is None
    assert created["is_system"] is False
    assert created["enabled"] is True
    assert created["deployment"]["has_api_key"] is False


async def test_prices_are_exact_decimals_in_the_json(api: Api) -> None:
    created = await api.create(pricing={"input": "0.1", "output": "0.3", "cached_input": 0.075})
    response = await api.client.get(f"/api/models/{created['id']}")
    pricing = simplejson.loads(response.text, use_decimal=True)["pricing"]
    assert pricing["input"] == Decimal("0.1")
    assert pricing["output"] == Decimal("0.3")
    assert pricing["cached_input"] == Decimal("0.075")
    assert '"input":0.1,' in response.text


async def test_the_list_filters_by_provider_priced_enabled_system_status_and_tag(api: Api) -> None:
    mistral = await api.create(provider="mistral", tags=["team:search"])
    unpriced = await api.create(pricing=None, enabled=False, status="deprecated")
    assert [m["id"] for m in (await listing(api, tag="team:search"))["data"]] == [mistral["id"]]
    assert all(m["provider"] == "mistral" for m in (await listing(api, provider="mistral"))["data"])
    unpriced_ids = {m["id"] for m in (await listing(api, priced="false"))["data"]}
    assert unpriced["id"] in unpriced_ids and mistral["id"] not in unpriced_ids
    assert [m["id"] for m in (await listing(api, enabled="false"))["data"]] == [unpriced["id"]]
    ordinary = {m["id"] for m in (await listing(api, system="false"))["data"]}
    assert ordinary == {mistral["id"], unpriced["id"]}
    deprecated = {m["id"] for m in (await listing(api, status="deprecated"))["data"]}
    assert unpriced["id"] in deprecated


async def test_the_list_searches_names_descriptions_and_tags(api: Api) -> None:
    found = await api.create(name="needle-model", description="Finds the Haystack")
    assert [m["id"] for m in (await listing(api, q="HAYSTACK"))["data"]] == [found["id"]]
    assert [m["id"] for m in (await listing(api, q="needle"))["data"]] == [found["id"]]


async def test_the_list_sorts_in_either_direction_with_unknowns_last(api: Api) -> None:
    result = await listing(api, sort="-parameters_b")
    sizes = [m["parameters_b"] for m in result["data"]]
    known = [size for size in sizes if size is not None]
    assert known == sorted(known, reverse=True)
    assert sizes[: len(known)] == known
    names = [m["name"].lower() for m in (await listing(api, sort="name"))["data"]]
    assert names == sorted(names)
    prices = [
        Decimal(str(m["pricing"]["input"]))
        for m in (await listing(api, sort="input_price", priced="true"))["data"]
    ]
    assert prices == sorted(prices)


async def test_the_list_pages_with_limit_and_offset_and_counts_all_matches(api: Api) -> None:
    everything = await listing(api)
    page = (await api.client.get("/api/models", params={"limit": 5, "offset": 10})).json()
    assert page["count"] == everything["count"]
    assert page["data"] == everything["data"][10:15]


async def test_an_unchanged_list_answers_304_to_its_etag(api: Api) -> None:
    first = await api.client.get("/api/models")
    etag = first.headers["etag"]
    again = await api.client.get("/api/models", headers={"If-None-Match": etag})
    assert again.status_code == 304
    await api.create()
    changed = await api.client.get("/api/models", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.json()["revision"] == first.json()["revision"] + 1


async def test_put_replaces_the_model_and_bumps_its_version(api: Api) -> None:
    created = await api.create(tags=["a"], description="old")
    body = model_body(
        name=created["name"], description="new", context_window=64000, max_output_tokens=8000
    )
    response = await api.client.put(f"/api/models/{created['id']}", json=body, headers=api.admin)
    assert response.status_code == 200, response.text
    replaced = response.json()
    assert replaced["version"] == 2
    assert replaced["description"] == "new"
    assert replaced["tags"] == []
    assert replaced["context_window"] == 64000
    assert response.headers["etag"].startswith('"2-')


async def test_a_get_body_can_be_put_back_unchanged(api: Api) -> None:
    created = await api.create()
    response = await api.client.put(
        f"/api/models/{created['id']}", json=created, headers=api.admin | {"If-Match": '"1"'}
    )
    assert response.status_code == 200, response.text
    assert response.json() == created  # nothing changed: no new version, no audit entry


async def test_patch_merges_and_null_removes_a_key(api: Api) -> None:
    created = await api.create(description="keep me", tags=["x"], parameters_b=70)
    response = await api.client.patch(
        f"/api/models/{created['id']}",
        json={"capabilities": {"vision": True}, "parameters_b": None, "tags": ["y"]},
        headers=api.admin,
    )
    assert response.status_code == 200, response.text
    patched = response.json()
    assert patched["capabilities"]["vision"] is True
    assert patched["capabilities"]["streaming"] is True
    assert patched["parameters_b"] is None and patched["complexity_factor"] is None
    assert patched["tags"] == ["y"]
    assert patched["description"] == "keep me"


async def test_a_stale_if_match_is_refused_with_412_and_changes_nothing(api: Api) -> None:
    created = await api.create()
    first = await api.client.patch(
        f"/api/models/{created['id']}",
        json={"description": "mine"},
        headers=api.admin | {"If-Match": '"1"'},
    )
    assert first.status_code == 200
    second = await api.client.patch(
        f"/api/models/{created['id']}",
        json={"description": "theirs"},
        headers=api.admin | {"If-Match": '"1"'},
    )
    assert second.status_code == 412
    assert second.headers["content-type"] == "application/problem+json"
    current = (await api.client.get(f"/api/models/{created['id']}")).json()
    assert current["description"] == "mine"
    assert current["version"] == 2


async def test_a_price_change_adds_a_price_period_and_keeps_the_old_one(api: Api) -> None:
    created = await api.create(pricing={"input": "2.5", "output": "10"})
    await api.client.patch(
        f"/api/models/{created['id']}", json={"pricing": {"input": "2"}}, headers=api.admin
    )
    async with api.database.read() as session:
        row = (
            await session.execute(select(ModelRow).where(ModelRow.id == created["id"]))
        ).scalar_one()
        await session.refresh(row, ["price_periods"])
        inputs = [
            period.input for period in sorted(row.price_periods, key=lambda p: p.effective_from)
        ]
    assert inputs == [Decimal("2.5"), Decimal("2")]
    current = (await api.client.get(f"/api/models/{created['id']}")).json()
    assert current["pricing"]["input"] == 2
    assert current["pricing"]["output"] == 10


async def test_delete_removes_the_model_but_not_its_history(api: Api) -> None:
    created = await api.create()
    response = await api.client.delete(f"/api/models/{created['id']}", headers=api.admin)
    assert response.status_code == 204
    assert (await api.client.get(f"/api/models/{created['id']}")).status_code == 404
    history = (await api.client.get(f"/api/models/{created['id']}/history")).json()
    assert [entry["action"] for entry in history["data"]] == ["delete", "create"]


async def test_the_first_model_made_default_clears_the_old_default(api: Api) -> None:
    old = next(m for m in (await listing(api))["data"] if m["is_default"])
    new = await api.create()
    response = await api.client.post(f"/api/models/{new['id']}/default", headers=api.admin)
    assert response.status_code == 200
    assert response.json()["is_default"] is True
    defaults = [m["id"] for m in (await listing(api))["data"] if m["is_default"]]
    assert defaults == [new["id"]]
    previous = (await api.client.get(f"/api/models/{old['id']}")).json()
    assert previous["is_default"] is False
    assert previous["version"] == old["version"] + 1


async def test_creating_with_is_default_moves_the_default(api: Api) -> None:
    new = await api.create(is_default=True)
    defaults = [m["id"] for m in (await listing(api))["data"] if m["is_default"]]
    assert defaults == [new["id"]]


async def test_deleting_the_default_model_is_refused(api: Api) -> None:
    new = await api.create(is_default=True)
    response = await api.client.delete(f"/api/models/{new['id']}", headers=api.admin)
    assert response.status_code == 409
    assert "default" in response.json()["detail"]


async def test_unsetting_or_disabling_the_default_is_refused(api: Api) -> None:
    new = await api.create(is_default=True)
    for patch in ({"is_default": False}, {"enabled": False}):
        response = await api.client.patch(f"/api/models/{new['id']}", json=patch, headers=api.admin)
        assert response.status_code == 409, patch


async def test_retiring_the_default_is_refused_naming_the_status(api: Api) -> None:
    new = await api.create(is_default=True)
    before = await listing(api)
    patched = await api.client.patch(
        f"/api/models/{new['id']}", json={"status": "retired"}, headers=api.admin
    )
    replaced = await api.client.put(
        f"/api/models/{new['id']}",
        json=model_body(name=new["name"], status="retired", is_default=True),
        headers=api.admin,
    )
    for response in (patched, replaced):
        assert response.status_code == 409, response.text
        assert [error["field"] for error in response.json()["errors"]] == ["status"]
    assert await listing(api) == before
    deprecated = await api.client.patch(
        f"/api/models/{new['id']}", json={"status": "deprecated"}, headers=api.admin
    )
    assert deprecated.status_code == 200, deprecated.text


async def test_a_retired_model_made_while_there_is_no_default_does_not_become_it(
    api: Api,
) -> None:
    async with api.database.write() as session:
        await session.execute(update(ModelRow).values(is_default=False))
    retired = await api.create(status="retired")
    assert retired["is_default"] is False
    active = await api.create()
    assert active["is_default"] is True


async def test_a_disabled_model_cannot_become_default(api: Api) -> None:
    disabled = await api.create(enabled=False)
    response = await api.client.post(f"/api/models/{disabled['id']}/default", headers=api.admin)
    assert response.status_code == 409


async def test_a_system_model_cannot_be_deleted(api: Api) -> None:
    system = (await listing(api, system="true"))["data"][0]
    response = await api.client.delete(f"/api/models/{system['id']}", headers=api.admin)
    assert response.status_code == 409
    assert "disable" in response.json()["detail"]


async def test_catalog_owned_fields_of_a_system_model_are_read_only(api: Api) -> None:
    system = (await listing(api, system="true", priced="true"))["data"][0]
    response = await api.client.patch(
        f"/api/models/{system['id']}",
        json={"pricing": {"input": 0}, "display_name": "Mine"},
        headers=api.admin,
    )
    assert response.status_code == 409
    problem = response.json()
    assert "Clone" in problem["detail"]
    assert {error["field"] for error in problem["errors"]} == {"pricing", "display_name"}


async def test_deployment_tags_and_enabled_of_a_system_model_can_change(api: Api) -> None:
    system = next(m for m in (await listing(api, system="true"))["data"] if not m["is_default"])
    response = await api.client.patch(
        f"/api/models/{system['id']}",
        json={
            "deployment": {"endpoint": "https://contoso.openai.azure.com"},
            "tags": ["ours"],
            "enabled": False,
        },
        headers=api.admin,
    )
    assert response.status_code == 200, response.text
    changed = response.json()
    assert changed["deployment"]["endpoint"] == "https://contoso.openai.azure.com"
    assert changed["tags"] == ["ours"] and changed["enabled"] is False


async def test_a_clone_of_a_system_model_is_an_ordinary_editable_model(api: Api) -> None:
    system = (await listing(api, system="true", priced="true"))["data"][0]
    response = await api.client.post(
        f"/api/models/{system['id']}/clone", json={"name": "my-copy"}, headers=api.admin
    )
    assert response.status_code == 201, response.text
    clone = response.json()
    assert clone["is_system"] is False and clone["is_default"] is False
    assert clone["pricing"] == system["pricing"]
    assert clone["context_window"] == system["context_window"]
    edited = await api.client.patch(
        "/api/models/my-copy", json={"pricing": {"input": 0}}, headers=api.admin
    )
    assert edited.status_code == 200
    assert edited.json()["pricing"]["input"] == 0


async def test_a_clone_needs_a_free_name(api: Api) -> None:
    created = await api.create(name="taken-name")
    response = await api.client.post(
        f"/api/models/{created['id']}/clone", json={"name": "TAKEN-name"}, headers=api.admin
    )
    assert response.status_code == 409


async def test_history_shows_who_changed_what_from_what_to_what(api: Api) -> None:
    created = await api.create(description="before")
    await api.client.patch(
        f"/api/models/{created['id']}", json={"description": "after"}, headers=api.admin
    )
    history = (await api.client.get(f"/api/models/{created['name']}/history")).json()
    assert history["count"] == 2
    update, create = history["data"]
    assert create["action"] == "create" and create["actor"] == "token:test-admin"
    assert update["action"] == "update"
    changed = {change["field"]: change for change in update["changes"]}
    assert changed["description"]["before"] == "before"
    assert changed["description"]["after"] == "after"
    assert changed["version"] == {"field": "version", "before": 1, "after": 2}
    assert update["revision"] > create["revision"]


async def test_every_write_bumps_the_revision_once(api: Api) -> None:
    start = (await listing(api))["revision"]
    created = await api.create()
    await api.client.patch(f"/api/models/{created['id']}", json={"tags": ["t"]}, headers=api.admin)
    await api.client.post(f"/api/models/{created['id']}/default", headers=api.admin)
    assert (await listing(api))["revision"] == start + 3


async def test_a_refused_write_leaves_no_trace(api: Api) -> None:
    before = await listing(api)
    response = await api.client.post(
        "/api/models", json=model_body(max_output_tokens=10**9), headers=api.admin
    )
    assert response.status_code == 422
    assert await listing(api) == before


async def test_a_name_with_slashes_reaches_every_model_url(api: Api) -> None:
    created = await api.create(name="team/azure/gpt-4o")
    base = "/api/models/team/azure/gpt-4o"
    assert (await api.client.get(base)).json()["id"] == created["id"]
    assert (await api.client.get("/api/models/team%2Fazure%2Fgpt-4o")).status_code == 200
    patched = await api.client.patch(base, json={"tags": ["x"]}, headers=api.admin)
    assert patched.json()["tags"] == ["x"]
    history = (await api.client.get(f"{base}/history")).json()
    assert [entry["action"] for entry in history["data"]] == ["update", "create"]
    prices = (await api.client.get(f"{base}/prices")).json()
    assert prices["count"] == 1
    clone = await api.client.post(f"{base}/clone", json={"name": "team/copy"}, headers=api.admin)
    assert clone.status_code == 201
    assert (await api.client.delete("/api/models/team/copy", headers=api.admin)).status_code == 204


@pytest.mark.dated
async def test_a_scheduled_price_starting_changes_the_models_etag(api: Api) -> None:
    created = await api.create(pricing={"input": "1", "output": "2"})
    scheduled = await api.client.post(
        f"/api/models/{created['id']}/prices",
        json={"input": "3", "output": "4", "effective_from": days_ahead_z(1)},
        headers=api.admin,
    )
    assert scheduled.status_code == 201, scheduled.text
    before = await api.client.get(f"/api/models/{created['id']}")
    with clock.moved(timedelta(days=1)):  # the next midnight has passed: the price started
        after = await api.client.get(
            f"/api/models/{created['id']}", headers={"If-None-Match": before.headers["etag"]}
        )
    assert after.status_code == 200  # not a 304 of the old prices
    assert after.json()["pricing"]["input"] == 3
    assert after.headers["etag"] != before.headers["etag"]
    assert after.json()["version"] == before.json()["version"]
    # If-Match takes the full ETag as well as the bare version.
    patched = await api.client.patch(
        f"/api/models/{created['id']}",
        json={"tags": ["t"]},
        headers=api.admin | {"If-Match": after.headers["etag"]},
    )
    assert patched.status_code == 200

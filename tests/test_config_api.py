"""Seed 004's `/api/config/models` contract, response for response, over the same records."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from conftest import Api, _client, settings_for
from modeldeck.app import create_app

pytestmark = pytest.mark.anyio

SEED_FIELDS = {
    "name",
    "max_tokens",
    "supports_streaming",
    "supports_temperature",
    "api_version",
    "azure_endpoint",
    "description",
    "base_timeout",
    "max_timeout",
    "token_factor",
}


def config_body(name: str, **overrides: Any) -> dict[str, Any]:
    """What seed 004's chat UI sends from its model form."""
    body: dict[str, Any] = {
        "name": name,
        "description": "Chat model",
        "azure_endpoint": "https://contoso.openai.azure.com",
        "api_version": "2025-01-01-preview",
        "max_tokens": 4096,
        "supports_temperature": True,
        "supports_streaming": False,
        "base_timeout": 120.0,
        "max_timeout": 300.0,
        "token_factor": 0.05,
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}


def fresh_name() -> str:
    return f"chat-{uuid.uuid4().hex[:8]}"


async def configs(api: Api) -> dict[str, Any]:
    response = await api.client.get("/api/config/models")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    result: dict[str, Any] = response.json()
    return result


async def record(api: Api, name: str) -> dict[str, Any]:
    response = await api.client.get(f"/api/models/{name}")
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def history(api: Api, name: str) -> list[dict[str, Any]]:
    response = await api.client.get(f"/api/models/{name}/history")
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["data"]
    return entries


async def revision(api: Api) -> int:
    response = await api.client.get("/api/models", params={"limit": 1})
    value: int = response.json()["revision"]
    return value


async def post(api: Api, name: str, body: Any, headers: Any = None) -> httpx.Response:
    return await api.client.post(
        f"/api/config/models/{name}", json=body, headers=api.admin if headers is None else headers
    )


async def put(api: Api, name: str, body: Any, headers: Any = None) -> httpx.Response:
    return await api.client.put(
        f"/api/config/models/{name}", json=body, headers=api.admin if headers is None else headers
    )


def assert_problem(response: httpx.Response, status: int, detail: str | None = None) -> Any:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    if detail is not None:
        assert problem["detail"] == detail
    return problem


# Reads


async def test_the_list_is_keyed_by_name_in_the_seed_shape_with_the_seed_types(api: Api) -> None:
    listing = await configs(api)
    assert listing
    for name, config in listing.items():
        assert set(config) == SEED_FIELDS
        assert config["name"] == name
        assert type(config["max_tokens"]) is int
        assert type(config["supports_streaming"]) is bool
        assert type(config["supports_temperature"]) is bool
        for text in ("api_version", "azure_endpoint", "description"):
            assert type(config[text]) is str
        for number in ("base_timeout", "max_timeout", "token_factor"):
            assert type(config[number]) is float


async def test_the_list_offers_enabled_models_that_are_not_retired(api: Api) -> None:
    everything = (await api.client.get("/api/models", params={"limit": 10000})).json()["data"]
    offered = {m["name"] for m in everything if m["enabled"] and m["status"] != "retired"}
    disabled = await api.create(enabled=False)
    retired = await api.create(status="retired")
    listing = await configs(api)
    assert set(listing) == offered
    assert disabled["name"] not in listing and retired["name"] not in listing
    # One model is found whatever its state, so its name stays taken for a create.
    for hidden in (disabled, retired):
        response = await api.client.get(f"/api/config/models/{hidden['name']}")
        assert response.status_code == 200
        assert (await post(api, hidden["name"], config_body(hidden["name"]))).status_code == 400


async def test_provider_azure_openai_lists_only_what_the_chat_service_can_call(api: Api) -> None:
    everything = (await api.client.get("/api/models", params={"limit": 10000})).json()["data"]
    callable_now = {
        m["name"]
        for m in everything
        if m["enabled"]
        and m["status"] != "retired"
        and m["provider"] == "azure_openai"
        and (not m["is_system"] or m["deployment"].get("endpoint"))
    }
    with_endpoint = await api.create(
        provider="azure_openai",
        deployment={"endpoint": "https://contoso.openai.azure.com", "deployment": "chat"},
    )
    # The organisation's own deployment without an endpoint: the chat service supplies its
    # AZURE_OPENAI_ENDPOINT (seed 004's fallback), so it is callable.
    own_without = await api.create(provider="azure_openai", deployment={"deployment": "d"})
    disabled = await api.create(
        provider="azure_openai",
        enabled=False,
        deployment={"endpoint": "https://contoso.openai.azure.com"},
    )
    response = await api.client.get("/api/config/models", params={"provider": "azure_openai"})
    assert response.status_code == 200, response.text
    listing = response.json()
    assert set(listing) == callable_now | {with_endpoint["name"], own_without["name"]}
    assert disabled["name"] not in listing
    # The catalog's Azure models have no endpoint (no resource to call) until one is set…
    system_without = {
        m["name"]
        for m in everything
        if m["is_system"]
        and m["provider"] == "azure_openai"
        and not m["deployment"].get("endpoint")
    }
    assert system_without and not system_without & set(listing)
    # …and no other provider's model is offered.
    assert "gpt-4o" not in listing and "claude-sonnet-4-5" not in listing
    assert set(await configs(api)) > set(listing)  # unfiltered: as before, every listed model


async def test_a_system_azure_model_given_an_endpoint_is_listed_for_the_chat_service(
    api: Api,
) -> None:
    name = "azure/gpt-4o-mini"
    current = (await api.client.get(f"/api/config/models/{name}")).json()
    moved = current | {"azure_endpoint": "https://mine.openai.azure.com"}
    assert (await put(api, name, moved)).status_code == 200
    listing = (
        await api.client.get("/api/config/models", params={"provider": "azure_openai"})
    ).json()
    assert listing[name] == moved
    assert (await put(api, name, current)).status_code == 200  # as it was (shared database)


async def test_provider_filters_other_providers_and_refuses_unknown_ones(api: Api) -> None:
    listing = (await api.client.get("/api/config/models", params={"provider": "openai"})).json()
    assert "gpt-4o" in listing and "azure/gpt-4o" not in listing
    response = await api.client.get("/api/config/models", params={"provider": "nope"})
    problem = assert_problem(response, 422)
    assert problem["errors"][0]["field"] == "provider"
    # Each filter has its own ETag.
    first = await api.client.get("/api/config/models", params={"provider": "azure_openai"})
    again = await api.client.get(
        "/api/config/models",
        params={"provider": "azure_openai"},
        headers={"If-None-Match": first.headers["etag"]},
    )
    assert again.status_code == 304
    other = await api.client.get(
        "/api/config/models",
        params={"provider": "openai"},
        headers={"If-None-Match": first.headers["etag"]},
    )
    assert other.status_code == 200


async def test_a_registry_model_reads_as_its_mapped_seed_fields(api: Api) -> None:
    created = await api.create(
        name="Registry-Chat",
        provider="azure_openai",
        description="From the registry",
        deployment={
            "endpoint": "https://westeurope.openai.azure.com",
            "api_version": "2024-10-21",
        },
        context_window=200000,
        max_output_tokens=100000,
        capabilities={"streaming": False, "temperature": False, "reasoning": True},
        limits={"base_timeout_s": 60, "max_timeout_s": 900, "timeout_per_token_s": 0.1},
    )
    expected = {
        "name": "Registry-Chat",
        "max_tokens": 100000,
        "supports_streaming": False,
        "supports_temperature": False,
        "api_version": "2024-10-21",
        "azure_endpoint": "https://westeurope.openai.azure.com",
        "description": "From the registry",
        "base_timeout": 60.0,
        "max_timeout": 900.0,
        "token_factor": 0.1,
    }
    response = await api.client.get("/api/config/models/registry-CHAT")  # ignoring case
    assert response.status_code == 200
    assert response.json() == expected
    assert '"base_timeout":60.0' in response.text
    assert (await configs(api))[created["name"]] == expected


async def test_an_unset_endpoint_and_api_version_read_as_empty_strings(api: Api) -> None:
    created = await api.create(provider="openai", description=None)
    config = (await api.client.get(f"/api/config/models/{created['name']}")).json()
    assert config["api_version"] == "" and config["azure_endpoint"] == ""
    assert config["description"] == ""


async def test_names_with_a_slash_are_found(api: Api) -> None:
    response = await api.client.get("/api/config/models/AZURE/gpt-4o")
    assert response.status_code == 200
    assert response.json()["name"] == "azure/gpt-4o"


async def test_an_unknown_model_is_404_model_not_found(api: Api) -> None:
    assert_problem(await api.client.get("/api/config/models/nope"), 404, "Model not found")
    some = (await configs(api)).popitem()[1]
    assert_problem(await put(api, "nope", config_body("nope")), 404, "Model not found")
    assert_problem(
        await api.client.delete("/api/config/models/nope", headers=api.admin),
        404,
        "Model not found",
    )
    # A model is named, never addressed by its id here.
    model_id = (await record(api, some["name"]))["id"]
    assert_problem(await api.client.get(f"/api/config/models/{model_id}"), 404)


async def test_the_list_answers_304_to_its_etag_until_something_changes(api: Api) -> None:
    first = await api.client.get("/api/config/models")
    etag = first.headers["etag"]
    again = await api.client.get("/api/config/models", headers={"If-None-Match": etag})
    assert again.status_code == 304
    name = fresh_name()
    assert (await post(api, name, config_body(name))).status_code == 200
    changed = await api.client.get("/api/config/models", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and name in changed.json()


async def test_reads_need_a_token_when_the_registry_requires_one(api: Api) -> None:
    app = create_app(settings_for(api.backend.url, read_token_required=True), database=api.database)
    async with _client(app) as client:
        assert (await client.get("/api/config/models")).status_code == 401
        assert (await client.get("/api/config/models/azure/gpt-4o")).status_code == 401
        assert (await client.get("/api/config/models", headers=api.reader)).status_code == 200


# Create


async def test_create_answers_as_the_seed_and_maps_onto_a_registry_model(api: Api) -> None:
    name = fresh_name()
    body = config_body(name, max_tokens=40000, supports_streaming=True)
    response = await post(api, name, body)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"status": "created", "model_id": name}

    assert (await api.client.get(f"/api/config/models/{name}")).json() == body
    assert (await configs(api))[name] == body
    model = await record(api, name)
    assert model["provider"] == "azure_openai"
    assert model["deployment"] == {
        "endpoint": "https://contoso.openai.azure.com",
        "api_version": "2025-01-01-preview",
        "deployment": name,
        "api_key_env": "AZURE_OPENAI_API_KEY",
        "has_api_key": False,
    }
    assert model["max_output_tokens"] == 40000
    assert model["context_window"] == 128000
    assert model["capabilities"]["streaming"] is True
    assert model["capabilities"]["temperature"] is True
    assert model["limits"] == {
        "base_timeout_s": 120.0,
        "max_timeout_s": 300.0,
        "timeout_per_token_s": 0.05,
        "max_retries": 3,
    }
    assert model["description"] == "Chat model"
    assert model["is_system"] is False and model["enabled"] is True


async def test_create_fills_the_seed_defaults_and_fits_the_context_window(api: Api) -> None:
    name = fresh_name()
    body = config_body(
        name, max_tokens=200000, description=None, base_timeout=None, max_timeout=None
    )
    body.pop("token_factor")
    assert (await post(api, name, body)).status_code == 200
    config = (await api.client.get(f"/api/config/models/{name}")).json()
    assert config["description"] == ""
    assert (config["base_timeout"], config["max_timeout"], config["token_factor"]) == (
        120.0,
        300.0,
        0.05,
    )
    model = await record(api, name)
    assert model["context_window"] == model["max_output_tokens"] == 200000


async def test_a_model_created_through_the_seed_api_is_an_ordinary_registry_model(
    api: Api,
) -> None:
    name = fresh_name()
    await post(api, name, config_body(name))
    patched = await api.client.patch(
        f"/api/models/{name}",
        json={"pricing": {"input": 2.5, "output": 10}, "tags": ["chat"]},
        headers=api.admin,
    )
    assert patched.status_code == 200, patched.text
    assert (await configs(api))[name] == config_body(name)


async def test_create_of_an_existing_name_is_400_model_already_exists(api: Api) -> None:
    name = fresh_name()
    assert (await post(api, name, config_body(name))).status_code == 200
    before = await revision(api)
    shouted = name.upper()
    assert_problem(await post(api, shouted, config_body(shouted)), 400, "Model already exists")
    assert_problem(
        await post(api, "azure/gpt-4o", config_body("azure/gpt-4o")), 400, "Model already exists"
    )
    assert await revision(api) == before


async def test_a_model_created_through_the_registry_shows_in_the_seed_list(api: Api) -> None:
    created = await api.create(provider="azure_openai", max_output_tokens=8000)
    assert (await configs(api))[created["name"]]["max_tokens"] == 8000
    response = await post(api, created["name"], config_body(created["name"]))
    assert_problem(response, 400, "Model already exists")


# Update


async def test_put_replaces_the_seed_view_and_keeps_every_other_field(api: Api) -> None:
    created = await api.create(
        provider="azure_openai",
        display_name="Kept",
        tags=["team:chat"],
        deployment={"deployment": "prod-gpt", "api_key_env": "MY_KEY"},
        capabilities={"tools": True, "vision": True},
        limits={"max_retries": 7},
    )
    name = created["name"]
    body = config_body(
        name,
        description="Edited",
        azure_endpoint="https://eastus.openai.azure.com",
        api_version="2024-12-01-preview",
        max_tokens=2048,
        supports_streaming=True,
        supports_temperature=False,
        base_timeout=30.0,
        max_timeout=60.5,
        token_factor=0.01,
    )
    response = await put(api, name, body)
    assert response.status_code == 200
    assert response.json() == {"status": "updated", "model_id": name}
    assert (await api.client.get(f"/api/config/models/{name}")).json() == body

    model = await record(api, name)
    assert model["version"] == 2
    assert model["deployment"] == {
        "endpoint": "https://eastus.openai.azure.com",
        "api_version": "2024-12-01-preview",
        "deployment": "prod-gpt",
        "api_key_env": "MY_KEY",
        "has_api_key": False,
    }
    assert model["capabilities"] == created["capabilities"] | {
        "streaming": True,
        "temperature": False,
    }
    assert model["limits"] == {
        "base_timeout_s": 30.0,
        "max_timeout_s": 60.5,
        "timeout_per_token_s": 0.01,
        "max_retries": 7,
    }
    assert model["max_output_tokens"] == 2048
    assert model["context_window"] == created["context_window"]
    for kept in ("display_name", "tags", "pricing", "provider", "parameters_b", "name"):
        assert model[kept] == created[kept], kept


async def test_put_is_a_whole_replacement_left_out_optionals_fall_back(api: Api) -> None:
    name = fresh_name()
    await post(api, name, config_body(name, description="Long", base_timeout=10.0))
    body = config_body(
        name, description=None, base_timeout=None, max_timeout=None, token_factor=None
    )
    assert (await put(api, name, body)).status_code == 200
    config = (await api.client.get(f"/api/config/models/{name}")).json()
    assert config["description"] == ""
    assert config["base_timeout"] == 120.0
    # Required fields stay required: a partial PUT is refused, naming what is missing.
    problem = assert_problem(await put(api, name, {"name": name, "max_tokens": 10}), 422)
    missing = {error["field"] for error in problem["errors"]}
    assert missing == {
        "supports_streaming",
        "supports_temperature",
        "api_version",
        "azure_endpoint",
    }


async def test_put_raises_the_context_window_only_when_max_tokens_needs_it(api: Api) -> None:
    created = await api.create(provider="azure_openai", context_window=64000)
    name = created["name"]
    await put(api, name, config_body(name, max_tokens=32000))
    assert (await record(api, name))["context_window"] == 64000
    await put(api, name, config_body(name, max_tokens=100000))
    model = await record(api, name)
    assert model["context_window"] == model["max_output_tokens"] == 100000


async def test_put_with_empty_endpoint_and_version_unsets_them(api: Api) -> None:
    name = fresh_name()
    await post(api, name, config_body(name))
    assert (await put(api, name, config_body(name, azure_endpoint="", api_version=""))).is_success
    deployment = (await record(api, name))["deployment"]
    assert deployment["endpoint"] is None and deployment["api_version"] is None
    assert deployment["deployment"] == name
    config = (await api.client.get(f"/api/config/models/{name}")).json()
    assert config["azure_endpoint"] == "" and config["api_version"] == ""


async def test_an_edit_through_the_registry_shows_in_the_seed_view(api: Api) -> None:
    name = fresh_name()
    await post(api, name, config_body(name))
    response = await api.client.patch(
        f"/api/models/{name}",
        json={
            "max_output_tokens": 9000,
            "deployment": {"endpoint": "https://other.openai.azure.com"},
            "capabilities": {"temperature": False},
            "limits": {"timeout_per_token_s": 0.2},
        },
        headers=api.admin,
    )
    assert response.status_code == 200, response.text
    config = (await api.client.get(f"/api/config/models/{name}")).json()
    assert config == config_body(
        name,
        max_tokens=9000,
        azure_endpoint="https://other.openai.azure.com",
        supports_temperature=False,
        token_factor=0.2,
    )


async def test_put_finds_the_model_ignoring_case_and_never_renames_it(api: Api) -> None:
    created = await api.create(name="Mixed-Case", provider="azure_openai")
    response = await put(api, "mixed-case", config_body("MIXED-case", description="x"))
    assert response.status_code == 200
    assert response.json() == {"status": "updated", "model_id": "mixed-case"}
    model = await record(api, created["id"])
    assert model["name"] == "Mixed-Case" and model["description"] == "x"


async def test_a_system_model_takes_endpoint_and_version_but_not_catalog_fields(
    api: Api,
) -> None:
    current = (await api.client.get("/api/config/models/azure/gpt-4o")).json()
    moved = current | {
        "azure_endpoint": "https://mine.openai.azure.com",
        "api_version": "2025-04-01-preview",
    }
    assert (await put(api, "azure/gpt-4o", moved)).status_code == 200
    assert (await api.client.get("/api/config/models/azure/gpt-4o")).json() == moved

    listing = (await api.client.get("/api/models", params={"q": "azure/gpt-4o"})).json()["data"]
    system_id = next(model["id"] for model in listing if model["name"] == "azure/gpt-4o")
    before = await record(api, system_id)
    response = await put(api, "azure/gpt-4o", moved | {"max_tokens": 1000, "token_factor": 1.0})
    problem = assert_problem(response, 409)
    assert problem["detail"].startswith("max_tokens, token_factor of system model 'azure/gpt-4o'")
    assert "Clone" in problem["detail"]
    assert {error["field"] for error in problem["errors"]} == {"max_tokens", "token_factor"}
    assert await record(api, system_id) == before


async def test_a_put_that_changes_nothing_changes_nothing(api: Api) -> None:
    name = fresh_name()
    await post(api, name, config_body(name))
    before = await revision(api)
    response = await put(api, name, config_body(name))
    assert response.status_code == 200
    assert response.json() == {"status": "updated", "model_id": name}
    assert await revision(api) == before
    assert (await record(api, name))["version"] == 1


# Delete


async def test_delete_answers_as_the_seed_and_removes_the_model_everywhere(api: Api) -> None:
    name = fresh_name()
    await post(api, name, config_body(name))
    response = await api.client.delete(f"/api/config/models/{name.upper()}", headers=api.admin)
    assert response.status_code == 200
    assert response.json() == {"status": "deleted", "model_id": name.upper()}
    assert_problem(await api.client.get(f"/api/config/models/{name}"), 404, "Model not found")
    assert (await api.client.get(f"/api/models/{name}")).status_code == 404
    assert name not in await configs(api)


async def test_deleting_the_default_model_is_400(api: Api) -> None:
    created = await api.create(provider="azure_openai", is_default=True)
    response = await api.client.delete(f"/api/config/models/{created['name']}", headers=api.admin)
    assert_problem(response, 400, "Cannot delete default model")
    assert (await record(api, created["name"]))["version"] == 1


async def test_a_system_model_cannot_be_deleted(api: Api) -> None:
    listing = (await api.client.get("/api/models", params={"system": "true"})).json()["data"]
    system = next(model for model in listing if not model["is_default"])
    response = await api.client.delete(f"/api/config/models/{system['name']}", headers=api.admin)
    problem = assert_problem(response, 409)
    assert "built-in catalog" in problem["detail"]


# Who may write


async def test_writes_need_an_admin_token(api: Api) -> None:
    name = fresh_name()
    existing = fresh_name()
    await post(api, existing, config_body(existing))
    before = await revision(api)
    for headers, status in (({}, 401), (api.reader, 403)):
        assert_problem(await post(api, name, config_body(name), headers), status)
        assert_problem(await put(api, existing, config_body(existing), headers), status)
        response = await api.client.delete(f"/api/config/models/{existing}", headers=headers)
        assert_problem(response, status)
    assert await revision(api) == before
    assert name not in await configs(api)


# Validation


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"max_tokens": "4096"}, "max_tokens"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"max_tokens": 10**12}, "max_tokens"),
        ({"supports_streaming": "yes"}, "supports_streaming"),
        ({"supports_temperature": None}, "supports_temperature"),
        ({"api_version": 2025}, "api_version"),
        ({"azure_endpoint": "contoso.openai.azure.com"}, "azure_endpoint"),
        ({"description": None}, "description"),
        ({"base_timeout": -1}, "base_timeout"),
        ({"base_timeout": 300.0, "max_timeout": 120.0}, "max_timeout"),
        ({"token_factor": "0.05"}, "token_factor"),
        ({"colour": "blue"}, "colour"),
        ({"name": "some-other-model"}, "name"),
    ],
)
async def test_bad_values_are_422_naming_the_seed_field(
    api: Api, change: dict[str, Any], field: str
) -> None:
    name = fresh_name()
    before = await revision(api)
    problem = assert_problem(await post(api, name, config_body(name) | change), 422)
    assert field in {error["field"] for error in problem["errors"]}, problem
    assert field in problem["detail"]
    assert_problem(await put(api, "azure/gpt-4o", config_body("azure/gpt-4o") | change), 422)
    assert await revision(api) == before
    assert name not in await configs(api)


async def test_a_bad_model_id_or_body_is_refused(api: Api) -> None:
    problem = assert_problem(await post(api, "has space", config_body("has space")), 422)
    assert [error["field"] for error in problem["errors"]] == ["name"]
    assert_problem(await post(api, "x", ["not", "an", "object"]), 422)
    response = await api.client.post(
        "/api/config/models/x",
        content=b"{",
        headers=api.admin | {"Content-Type": "application/json"},
    )
    assert_problem(response, 400)


# One write, one audit entry, one revision


async def test_every_write_is_one_audit_entry_and_one_revision(api: Api) -> None:
    name = fresh_name()
    start = await revision(api)
    await post(api, name, config_body(name))
    await put(api, name, config_body(name, max_tokens=1024))
    entries = await history(api, name)
    assert [entry["action"] for entry in entries] == ["update", "create"]
    assert all(entry["actor"] == "token:test-admin" for entry in entries)
    changed = {change["field"] for change in entries[0]["changes"]}
    assert "max_output_tokens" in changed
    model_id = entries[0]["model_id"]
    await api.client.delete(f"/api/config/models/{name}", headers=api.admin)
    entries = (await api.client.get(f"/api/models/{model_id}/history")).json()["data"]
    assert [entry["action"] for entry in entries] == ["delete", "update", "create"]
    assert [entry["revision"] for entry in entries] == [start + 3, start + 2, start + 1]
    assert await revision(api) == start + 3


async def test_the_seed_list_and_the_registry_agree_after_every_write(api: Api) -> None:
    name = fresh_name()
    await post(api, name, config_body(name))
    via_registry = await record(api, name)
    await api.client.patch(
        f"/api/models/{via_registry['id']}", json={"description": "both"}, headers=api.admin
    )
    assert (await configs(api))[name]["description"] == "both"
    await put(api, name, config_body(name, description="seed"))
    assert (await record(api, name))["description"] == "seed"

"""Text a model holds reads as it shows, and names never collide with a model's sub-routes."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest

from conftest import CATALOG_SOURCES, Api, model_body, settings_for
from modeldeck.app import create_app
from modeldeck.catalog.importers import MODELDECK_FORMAT, MODELDECK_VERSION, parse_import
from modeldeck.catalog.importers.records import ImportFormatError
from modeldeck.models.schemas import SUB_ROUTE_WORDS

pytestmark = pytest.mark.anyio

# Each changes how text reads without being seen: bidi overrides, isolates and marks,
# zero-width characters, separators, a C1 control, the BOM and the soft hyphen.
INVISIBLE = {
    "right-to-left override": "\u202e",
    "left-to-right embedding": "\u202a",
    "pop directional formatting": "\u202c",
    "left-to-right isolate": "\u2066",
    "pop directional isolate": "\u2069",
    "arabic letter mark": "\u061c",
    "zero width space": "\u200b",
    "zero width joiner": "\u200d",
    "word joiner": "\u2060",
    "line separator": "\u2028",
    "paragraph separator": "\u2029",
    "next line (C1)": "\u0085",
    "byte order mark": "\ufeff",
    "soft hyphen": "\u00ad",
}


def problem_fields(response: Any) -> list[str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return [error["field"] for error in response.json()["errors"]]


def unique(prefix: str = "m") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.mark.parametrize("character", INVISIBLE.values(), ids=INVISIBLE.keys())
@pytest.mark.parametrize("field", ["display_name", "description"])
async def test_invisible_and_bidi_characters_in_display_text_are_refused_naming_the_field(
    api: Api, field: str, character: str
) -> None:
    name = unique()
    text = f"invoice{character}fdp.exe"
    created = await api.client.post(
        "/api/models", json=model_body(name=name, **{field: text}), headers=api.admin
    )
    assert problem_fields(created) == [field]
    assert f"U+{ord(character):04X}" in created.json()["detail"]
    assert (await api.client.get(f"/api/models/{name}")).status_code == 404

    model = await api.create(name=name)
    patched = await api.client.patch(f"/api/models/{name}", json={field: text}, headers=api.admin)
    assert problem_fields(patched) == [field]
    assert (await api.client.get(f"/api/models/{name}")).json() == model


async def test_a_display_name_is_one_line_while_a_description_may_hold_newlines_and_tabs(
    api: Api,
) -> None:
    for display_name in ("GPT\t4o", "GPT\n4o", "GPT\r4o"):
        refused = await api.client.post(
            "/api/models", json=model_body(display_name=display_name), headers=api.admin
        )
        assert problem_fields(refused) == ["display_name"]
    lone_return = await api.client.post(
        "/api/models", json=model_body(description="over\rwritten"), headers=api.admin
    )
    assert problem_fields(lone_return) == ["description"]

    description = "Good for:\n\t- chat\r\n\t- tools"
    model = await api.create(description=description)
    assert model["description"] == description
    assert (await api.client.get(f"/api/models/{model['id']}")).json()["description"] == (
        description
    )


async def test_display_text_written_through_the_seed_004_config_api_keeps_the_same_rules(
    api: Api,
) -> None:
    name = unique("chat")
    body = {
        "name": name,
        "description": "Chat\u202egnp.model",
        "azure_endpoint": "https://contoso.openai.azure.com",
        "api_version": "2025-01-01-preview",
        "max_tokens": 4096,
        "supports_temperature": True,
        "supports_streaming": False,
    }
    refused = await api.client.post(f"/api/config/models/{name}", json=body, headers=api.admin)
    assert problem_fields(refused) == ["description"]
    assert (await api.client.get(f"/api/models/{name}")).status_code == 404

    body["description"] = "Chat model\nfor the support team"
    created = await api.client.post(f"/api/config/models/{name}", json=body, headers=api.admin)
    assert created.status_code == 200, created.text
    stored = (await api.client.get(f"/api/models/{name}")).json()
    assert stored["description"] == "Chat model\nfor the support team"


def test_importing_our_own_format_refuses_invisible_characters_naming_the_field() -> None:
    record = model_body(name="imported", display_name="GPT\u202e4o")
    document = {"format": MODELDECK_FORMAT, "version": MODELDECK_VERSION, "models": [record]}
    with pytest.raises(ImportFormatError) as raised:
        parse_import(json.dumps(document), "modeldeck")
    assert "display_name" in str(raised.value)


def test_importing_a_public_catalog_strips_invisible_characters_from_its_text() -> None:
    dump = json.loads((CATALOG_SOURCES / "openrouter-models.json").read_text())
    record = dict(dump["data"][0])
    record["name"] = "Claude\u202e \u200bOpus\tFast"
    record["description"] = "Line one\u2028still one\r\nline\u2066 two\n\tindented\u0085"
    document = {"data": [record]}
    (imported,) = parse_import(json.dumps(document), "openrouter")
    assert imported.model is not None
    assert imported.model.display_name == "Claude Opus Fast"
    assert imported.model.description == "Line onestill one\nline two\n\tindented"


# --- names and the sub-routes of /api/models/{ref} ---------------------------------------


def test_the_reserved_words_are_exactly_the_sub_routes_of_a_model(tmp_path: Any) -> None:
    app = create_app(settings_for(f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}"))
    words = set()
    for path in app.openapi()["paths"]:
        match = re.fullmatch(r"/api/models/\{ref\}/([^/{}]+)", path)
        if match:
            words.add(match.group(1))
    assert words == set(SUB_ROUTE_WORDS)


@pytest.mark.parametrize("word", sorted(SUB_ROUTE_WORDS))
async def test_a_name_ending_in_a_sub_route_word_is_refused_naming_name_and_the_words(
    api: Api, word: str
) -> None:
    owner = unique("team")
    for name in (f"{owner}/{word}", f"{owner}/{word.upper()}", f"/{word}"):
        response = await api.client.post(
            "/api/models", json=model_body(name=name), headers=api.admin
        )
        assert problem_fields(response) == ["name"]
        message = response.json()["errors"][0]["message"]
        assert all(reserved in message for reserved in SUB_ROUTE_WORDS), message
    assert (await api.client.get(f"/api/models?q={owner}")).json()["count"] == 0


@pytest.mark.parametrize("word", sorted(SUB_ROUTE_WORDS))
async def test_renaming_or_cloning_to_a_name_ending_in_a_sub_route_word_is_refused(
    api: Api, word: str
) -> None:
    model = await api.create()
    reserved = f"{model['name']}/{word}"
    patched = await api.client.patch(
        f"/api/models/{model['id']}", json={"name": reserved}, headers=api.admin
    )
    assert problem_fields(patched) == ["name"]
    replaced = await api.client.put(
        f"/api/models/{model['id']}", json=model_body(name=reserved), headers=api.admin
    )
    assert problem_fields(replaced) == ["name"]
    cloned = await api.client.post(
        f"/api/models/{model['id']}/clone", json={"name": reserved}, headers=api.admin
    )
    assert problem_fields(cloned) == ["name"]
    assert (await api.client.get(f"/api/models/{model['id']}")).json() == model
    assert (await api.client.get(f"/api/models?q={model['name']}")).json()["count"] == 1


async def test_the_seed_004_config_api_refuses_a_name_ending_in_a_sub_route_word(
    api: Api,
) -> None:
    name = f"{unique('chat')}/history"
    body = {
        "name": name,
        "azure_endpoint": "https://contoso.openai.azure.com",
        "api_version": "2025-01-01-preview",
        "max_tokens": 4096,
        "supports_temperature": True,
        "supports_streaming": False,
    }
    response = await api.client.post(f"/api/config/models/{name}", json=body, headers=api.admin)
    assert response.status_code == 422, response.text
    assert [error["field"] for error in response.json()["errors"]] == ["name"]


async def test_sub_route_words_elsewhere_in_a_name_are_fine_and_reach_the_model(
    api: Api,
) -> None:
    refused = await api.client.post(
        "/api/models", json=model_body(name=f"{unique()}/history"), headers=api.admin
    )
    assert refused.status_code == 422
    for name in (f"history/{unique()}", f"{unique()}/test-2", f"{unique()}/prices/v2"):
        model = await api.create(name=name)
        found = await api.client.get(f"/api/models/{name}")
        assert found.status_code == 200 and found.json()["id"] == model["id"]
        history = await api.client.get(f"/api/models/{name}/history")
        assert history.json()["data"][0]["model_id"] == model["id"]

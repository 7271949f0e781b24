"""Bad input (DESIGN §2, §4): a clear 4xx problem+json naming the field, never a 500, no trace."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from conftest import Api, model_body, settings_for
from modeldeck.app import create_app

pytestmark = pytest.mark.anyio

REMOVE: Any = object()  # a value for `with_field`: delete the field instead
RAW = "@@raw-json@@"  # a placeholder for JSON text that `json=` cannot send (NaN, …)
API_KEY = f"sk-test-never-shown-{uuid.uuid4().hex}"


# --- factories and checks -------------------------------------------------------------------


def with_field(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of `body` with the value at a dotted path replaced (REMOVE deletes it)."""
    body = copy.deepcopy(body)
    *parents, last = path.split(".")
    node = body
    for part in parents:
        node = node.setdefault(part, {})
    if value is REMOVE:
        node.pop(last, None)
    else:
        node[last] = value
    return body


def patch_of(path: str, value: Any) -> dict[str, Any]:
    """A merge patch setting one dotted path (REMOVE becomes null, which removes it)."""
    return with_field({}, path, None if value is REMOVE else value)


def json_text(body: Any, raw: str) -> str:
    """`body` as JSON text with the RAW placeholder replaced by the JSON text `raw`."""
    return json.dumps(body).replace(json.dumps(RAW), raw)


def assert_problem(
    response: httpx.Response, status: int, *, field: str | None = None
) -> dict[str, Any]:
    """The response is an RFC 9457 problem with `status`, naming `field` when one is given."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    assert problem["type"].startswith("https://modeldeck.dev/problems/")
    assert problem["title"]
    assert problem["detail"]
    if field is not None:
        named = [error for error in problem["errors"] if error["field"] == field]
        assert named, problem
        assert all(error["message"] for error in named)
    return problem


async def registry_state(api: Api, *refs: str) -> list[str]:
    """What a fresh app reads from the database: the whole list (with its revision), each model."""
    app = create_app(settings_for(api.backend.url), database=api.database)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        listing = await client.get("/api/models", params={"limit": 10000})
        assert listing.status_code == 200
        bodies = [listing.text]
        for ref in refs:
            bodies.append((await client.get(f"/api/models/{ref}")).text)
    return bodies


@asynccontextmanager
async def registry_unchanged(api: Api, *refs: str) -> AsyncIterator[None]:
    """Assert that the block leaves the registry, its revision and the given models as they were."""
    before = await registry_state(api, *refs)
    yield
    assert await registry_state(api, *refs) == before


async def system_model(api: Api) -> dict[str, Any]:
    """A built-in catalog model that is not the default (so only the system rules apply)."""
    listing = await api.client.get("/api/models", params={"system": "true", "limit": 10000})
    model: dict[str, Any] = next(m for m in listing.json()["data"] if not m["is_default"])
    return model


# --- invalid field values, on create and on merge patch --------------------------------------

INVALID_FIELDS = [
    # wrong types
    pytest.param("context_window", "128000", "context_window", id="string-for-int"),
    pytest.param("context_window", 1.5, "context_window", id="float-for-int"),
    pytest.param("parameters_b", True, "parameters_b", id="bool-for-number"),
    pytest.param("pricing.input", True, "pricing.input", id="bool-for-price"),
    pytest.param("pricing.input", "two dollars", "pricing.input", id="words-for-price"),
    pytest.param("pricing.output", [10], "pricing.output", id="list-for-price"),
    pytest.param("capabilities.streaming", 1, "capabilities.streaming", id="number-for-bool"),
    pytest.param("enabled", "true", "enabled", id="string-for-bool"),
    pytest.param("tags", {"team": "search"}, "tags", id="object-for-list"),
    pytest.param("tags", "beta", "tags", id="string-for-list"),
    pytest.param("capabilities", ["tools"], "capabilities", id="list-for-object"),
    pytest.param("deployment", "https://example.com", "deployment", id="string-for-object"),
    pytest.param("name", 42, "name", id="number-for-name"),
    pytest.param("limits.max_retries", 2.5, "limits.max_retries", id="float-for-retries"),
    pytest.param("provider", "skynet", "provider", id="unknown-provider"),
    pytest.param("status", "gone", "status", id="unknown-status"),
    pytest.param("deprecation_date", "next tuesday", "deprecation_date", id="not-a-date"),
    pytest.param("retires_on", "end of 2027", "retires_on", id="retires-on-not-a-date"),
    pytest.param(
        "pricing.effective_from",
        "9999-12-31T23:59:59-23:00",
        "pricing.effective_from",
        id="moment-beyond-year-9999",
    ),
    # missing required fields
    pytest.param("name", REMOVE, "name", id="missing-name"),
    pytest.param("provider", REMOVE, "provider", id="missing-provider"),
    pytest.param("context_window", REMOVE, "context_window", id="missing-context"),
    pytest.param("max_output_tokens", REMOVE, "max_output_tokens", id="missing-max-output"),
    pytest.param("pricing.input", REMOVE, "pricing.input", id="missing-input-price"),
    pytest.param("pricing.output", REMOVE, "pricing.output", id="missing-output-price"),
    # unknown fields
    pytest.param("colour", "blue", "colour", id="unknown-top-level"),
    pytest.param("capabilities.teleport", True, "capabilities.teleport", id="unknown-capability"),
    pytest.param("limits.warp_factor", 9, "limits.warp_factor", id="unknown-limit"),
    pytest.param("pricing.discount", "0.1", "pricing.discount", id="unknown-price"),
    pytest.param("deployment.password", "hunter2", "deployment.password", id="unknown-deploy"),
    pytest.param("token_weights.thinking", 2, "token_weights.thinking", id="unknown-weight"),
    # non-finite, negative and absurd numbers
    pytest.param("pricing.input", "NaN", "pricing.input", id="nan-string-price"),
    pytest.param("pricing.output", "-Infinity", "pricing.output", id="infinity-string-price"),
    pytest.param("pricing.input", "sNaN", "pricing.input", id="signalling-nan-price"),
    pytest.param("pricing.input", "-0.01", "pricing.input", id="negative-price"),
    pytest.param("pricing.output", -1, "pricing.output", id="negative-int-price"),
    pytest.param("pricing.input", "10000.000000000001", "pricing.input", id="price-over-10000"),
    pytest.param("pricing.output", 1e6, "pricing.output", id="price-a-million"),
    pytest.param("pricing.cached_input", "1e-13", "pricing.cached_input", id="price-13-places"),
    pytest.param("context_window", 100_000_001, "context_window", id="context-over-100m"),
    pytest.param("context_window", 0, "context_window", id="zero-context"),
    pytest.param("context_window", -128000, "context_window", id="negative-context"),
    pytest.param("max_output_tokens", 128_001, "max_output_tokens", id="output-over-context"),
    pytest.param("max_output_tokens", 0, "max_output_tokens", id="zero-output"),
    pytest.param("parameters_b", -70, "parameters_b", id="negative-parameters"),
    pytest.param("parameters_b", 10**400, "parameters_b", id="400-digit-parameters"),
    pytest.param(
        "limits",
        {"base_timeout_s": 400, "max_timeout_s": 300},
        "limits.max_timeout_s",
        id="base-timeout-over-max",
    ),
    pytest.param("limits.base_timeout_s", 0, "limits.base_timeout_s", id="zero-timeout"),
    pytest.param("limits.max_retries", -1, "limits.max_retries", id="negative-retries"),
    pytest.param("limits.timeout_per_token_s", 10**400, "limits.timeout_per_token_s", id="huge"),
    pytest.param("token_weights.input", 0, "token_weights.input", id="zero-weight"),
    pytest.param("token_weights.output", -1, "token_weights.output", id="negative-weight"),
    pytest.param("token_weights.reasoning", 10**400, "token_weights.reasoning", id="huge-weight"),
    # names and text
    pytest.param("name", "has space", "name", id="name-with-space"),
    pytest.param("name", "emoji-🙂", "name", id="name-with-emoji"),
    pytest.param("name", "x" * 10_000, "name", id="name-10000-chars"),
    pytest.param("name", "x" * 129, "name", id="name-129-chars"),
    pytest.param("name", "", "name", id="empty-name"),
    pytest.param("name", "trailing-newline\n", "name", id="name-with-trailing-newline"),
    pytest.param("display_name", "bell\x07", "display_name", id="control-character"),
    pytest.param("display_name", "x" * 201, "display_name", id="display-name-201-chars"),
    pytest.param("description", "x" * 4001, "description", id="description-4001-chars"),
    pytest.param("tags", ["has space"], "tags", id="tag-with-space"),
    pytest.param("tags", ["beta\n"], "tags", id="tag-with-trailing-newline"),
    pytest.param("deployment.endpoint", "ftp://example.com", "deployment.endpoint", id="ftp"),
    pytest.param(
        "deployment.endpoint", "https://example.com/a b", "deployment.endpoint", id="url-space"
    ),
    pytest.param("deployment.api_key_env", "MY-KEY", "deployment.api_key_env", id="env-dash"),
    pytest.param("deployment.api_key_env", "KEY\n", "deployment.api_key_env", id="env-newline"),
    pytest.param("pricing.currency", "usd", "pricing.currency", id="lowercase-currency"),
]


@pytest.mark.parametrize(("path", "value", "field"), INVALID_FIELDS)
async def test_creating_with_an_invalid_field_is_refused_naming_it(
    api: Api, path: str, value: Any, field: str
) -> None:
    async with registry_unchanged(api):
        response = await api.client.post(
            "/api/models", json=with_field(model_body(), path, value), headers=api.admin
        )
    assert_problem(response, 422, field=field)


@pytest.mark.parametrize(("path", "value", "field"), INVALID_FIELDS)
async def test_patching_in_an_invalid_field_is_refused_naming_it(
    api: Api, path: str, value: Any, field: str
) -> None:
    model = await api.create()
    async with registry_unchanged(api, model["id"]):
        response = await api.client.patch(
            f"/api/models/{model['id']}", json=patch_of(path, value), headers=api.admin
        )
    assert_problem(response, 422, field=field)


async def test_replacing_with_an_incomplete_model_is_refused_naming_the_missing_fields(
    api: Api,
) -> None:
    model = await api.create()
    async with registry_unchanged(api, model["id"]):
        response = await api.client.put(
            f"/api/models/{model['id']}", json={"name": model["name"]}, headers=api.admin
        )
    problem = assert_problem(response, 422, field="provider")
    fields = {error["field"] for error in problem["errors"]}
    assert {"context_window", "max_output_tokens"} <= fields


async def test_server_fields_in_a_body_are_ignored(api: Api) -> None:
    forged = {
        "id": "00000000-0000-0000-0000-000000000000",
        "version": 99,
        "is_system": True,
        "complexity_factor": 1000,
        "created_at": "2000-01-01T00:00:00Z",
    }
    model = await api.create(**forged)
    assert model["id"] != forged["id"]
    assert (model["version"], model["is_system"], model["complexity_factor"]) == (1, False, 0.4)
    assert model["created_at"] != forged["created_at"]


# --- numbers JSON cannot hold ----------------------------------------------------------------


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
@pytest.mark.parametrize(
    "path",
    [
        "context_window",
        "parameters_b",
        "pricing.input",
        "limits.base_timeout_s",
        "token_weights.output",
    ],
)
async def test_nan_and_infinity_are_refused_naming_the_field(
    api: Api, path: str, constant: str
) -> None:
    model = await api.create()
    json_headers = api.admin | {"Content-Type": "application/json"}
    async with registry_unchanged(api, model["id"]):
        created = await api.client.post(
            "/api/models",
            content=json_text(with_field(model_body(), path, RAW), constant),
            headers=json_headers,
        )
        patched = await api.client.patch(
            f"/api/models/{model['id']}",
            content=json_text(patch_of(path, RAW), constant),
            headers=json_headers,
        )
    for response in (created, patched):
        problem = assert_problem(response, 422)
        assert [error["field"] for error in problem["errors"]] == [path]


# --- what the console must escape is stored verbatim -----------------------------------------


async def test_markup_in_text_fields_is_stored_and_returned_verbatim_as_json(api: Api) -> None:
    display_name = "<script>alert(1)</script>"
    description = "\"'><img src=x onerror=alert(1)>\n</textarea>&amp; {{7*7}}"
    created = await api.client.post(
        "/api/models",
        json=model_body(display_name=display_name, description=description),
        headers=api.admin,
    )
    assert created.status_code == 201, created.text
    fetched = await api.client.get(f"/api/models/{created.json()['id']}")
    for response in (created, fetched):
        assert response.headers["content-type"] == "application/json"
        model = json.loads(response.text)
        assert model["display_name"] == display_name
        assert model["description"] == description


# --- bodies that are not a JSON object -------------------------------------------------------

NOT_JSON = [
    pytest.param(b'{"name": ', id="truncated"),
    pytest.param(b"{'name': 'gpt-4o'}", id="single-quotes"),
    pytest.param(b'{"name": "gpt-4o",}', id="trailing-comma"),
    pytest.param(b"undefined", id="undefined"),
    pytest.param(b"\xff\xfe{}", id="not-utf-8"),
    pytest.param(b"[" * 100_000 + b"]" * 100_000, id="nested-100000-deep"),
    pytest.param(b'{"description": "\\ud800"}', id="unpaired-surrogate"),
    pytest.param(b'{"\\udfff": 1}', id="unpaired-surrogate-key"),
    pytest.param(b"", id="empty"),
    pytest.param(b" \n\t ", id="whitespace"),
]


def write_requests(model: dict[str, Any]) -> list[tuple[str, str]]:
    """Every request that takes a JSON body, aimed at `model`."""
    return [
        ("POST", "/api/models"),
        ("PUT", f"/api/models/{model['id']}"),
        ("PATCH", f"/api/models/{model['id']}"),
        ("POST", f"/api/models/{model['id']}/clone"),
    ]


@pytest.mark.parametrize("content", NOT_JSON)
async def test_a_body_that_is_not_json_is_refused_with_400(api: Api, content: bytes) -> None:
    model = await api.create()
    async with registry_unchanged(api, model["id"]):
        for method, url in write_requests(model):
            response = await api.client.request(
                method,
                url,
                content=content,
                headers=api.admin | {"Content-Type": "application/json"},
            )
            problem = assert_problem(response, 400)
            assert problem["title"] == "Invalid JSON", (method, url)


@pytest.mark.parametrize(
    "content", ["[]", '[{"name": "gpt-4o"}]', '"gpt-4o"', "42", "true", "null"]
)
async def test_a_json_body_that_is_not_an_object_is_refused_naming_the_body(
    api: Api, content: str
) -> None:
    model = await api.create()
    async with registry_unchanged(api, model["id"]):
        for method, url in write_requests(model):
            response = await api.client.request(
                method,
                url,
                content=content,
                headers=api.admin | {"Content-Type": "application/json"},
            )
            assert_problem(response, 422, field="body")


async def test_a_json_body_nested_hundreds_deep_is_refused_without_a_crash(api: Api) -> None:
    model = await api.create()
    deep = json.dumps(patch_of("capabilities.x" + ".x" * 500, 1))
    async with registry_unchanged(api, model["id"]):
        for method, url in write_requests(model):
            response = await api.client.request(
                method, url, content=deep, headers=api.admin | {"Content-Type": "application/json"}
            )
            assert 400 <= response.status_code < 500, (method, url, response.text[:500])
            assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"Content-Type": "text/plain"}, id="text-plain"),
        pytest.param({"Content-Type": "application/x-www-form-urlencoded"}, id="form"),
        pytest.param({"Content-Type": "multipart/form-data; boundary=x"}, id="multipart"),
        pytest.param({"Content-Type": "application/xml"}, id="xml"),
        pytest.param({}, id="no-content-type"),
    ],
)
async def test_a_body_that_is_not_sent_as_json_is_refused_with_415(
    api: Api, headers: dict[str, str]
) -> None:
    model = await api.create()
    async with registry_unchanged(api, model["id"]):
        for method, url in write_requests(model):
            response = await api.client.request(
                method,
                url,
                content=json.dumps(model_body()).encode(),
                headers=api.admin | headers,
            )
            assert_problem(response, 415)


# --- what does not exist ---------------------------------------------------------------------


# Ids that every xdist worker collects alike (a uuid drawn at import differs in each).
@pytest.mark.parametrize(
    "ref",
    ["no-such-model", "NO-SUCH-MODEL", str(uuid.uuid4())],
    ids=["no-such-model", "NO-SUCH-MODEL", "a-uuid"],
)
@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("GET", "", None),
        ("PUT", "", model_body()),
        ("PATCH", "", {"tags": ["x"]}),
        ("DELETE", "", None),
        ("POST", "/clone", {"name": "a-fresh-clone"}),
        ("POST", "/default", None),
        ("GET", "/history", None),
    ],
)
async def test_an_unknown_model_is_404(
    api: Api, ref: str, method: str, suffix: str, body: dict[str, Any] | None
) -> None:
    async with registry_unchanged(api):
        response = await api.client.request(
            method, f"/api/models/{ref}{suffix}", json=body, headers=api.admin
        )
    assert_problem(response, 404)


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("PUT", ""), ("PATCH", ""), ("DELETE", ""), ("POST", "/default"), ("GET", "/history")],
)
async def test_a_reference_with_a_nul_character_is_404(api: Api, method: str, suffix: str) -> None:
    body = {"PUT": model_body(), "PATCH": {"tags": ["x"]}}.get(method)
    response = await api.client.request(
        method, f"/api/models/a%00b{suffix}", json=body, headers=api.admin
    )
    assert_problem(response, 404)


@pytest.mark.parametrize("offset", [2**63, 10**30])
async def test_an_offset_past_any_history_is_an_empty_page_not_a_500(api: Api, offset: int) -> None:
    response = await api.client.get("/api/models/gpt-4o/history", params={"offset": offset})
    assert response.status_code == 200, response.text
    assert response.json()["data"] == [] and response.json()["count"] >= 1


# --- preconditions ---------------------------------------------------------------------------


async def test_a_write_with_a_stale_if_match_is_refused_with_412_and_changes_nothing(
    api: Api,
) -> None:
    model = await api.create()
    url = f"/api/models/{model['id']}"
    first = await api.client.patch(
        url, json={"tags": ["v2"]}, headers=api.admin | {"If-Match": '"1"'}
    )
    assert first.status_code == 200, first.text
    stale = api.admin | {"If-Match": '"1"'}
    async with registry_unchanged(api, model["id"]):
        responses = [
            await api.client.patch(url, json={"tags": ["v3"]}, headers=stale),
            await api.client.put(url, json=model_body(name=model["name"]), headers=stale),
            await api.client.delete(url, headers=stale),
        ]
    for response in responses:
        assert_problem(response, 412)
        assert response.headers["etag"] == '"2"'


@pytest.mark.parametrize(
    "if_match", ["1", '"one"', 'W/"x"', '"1", "2"', '"99999999999999999999"', '"-1"', "''"]
)
async def test_a_malformed_if_match_is_refused_with_400(api: Api, if_match: str) -> None:
    model = await api.create()
    url = f"/api/models/{model['id']}"
    headers = api.admin | {"If-Match": if_match}
    async with registry_unchanged(api, model["id"]):
        responses = [
            await api.client.patch(url, json={"tags": ["x"]}, headers=headers),
            await api.client.put(url, json=model_body(name=model["name"]), headers=headers),
            await api.client.delete(url, headers=headers),
        ]
    for response in responses:
        assert_problem(response, 400)


# --- who may write ---------------------------------------------------------------------------

WRITES: list[tuple[str, str, Callable[[dict[str, Any]], Any]]] = [
    ("POST", "/api/models", lambda model: model_body()),
    ("PUT", "/api/models/{id}", lambda model: model_body(name=model["name"])),
    ("PATCH", "/api/models/{id}", lambda model: {"tags": ["x"]}),
    ("DELETE", "/api/models/{id}", lambda model: None),
    ("POST", "/api/models/{id}/clone", lambda model: {"name": f"clone-{uuid.uuid4().hex[:8]}"}),
    ("POST", "/api/models/{id}/default", lambda model: None),
]


@pytest.mark.parametrize(
    ("authorization", "status"),
    [
        pytest.param(None, 401, id="no-token"),
        pytest.param("Bearer not-a-real-token", 401, id="garbage-token"),
        pytest.param("Bearer ", 401, id="empty-token"),
        pytest.param("Basic YWRtaW46YWRtaW4=", 401, id="basic-auth"),
        pytest.param("reader", 403, id="reader-token"),
    ],
)
async def test_writes_need_an_admin_token(api: Api, authorization: str | None, status: int) -> None:
    model = await api.create()
    if authorization == "reader":
        headers = api.reader
    elif authorization is None:
        headers = {}
    else:
        headers = {"Authorization": authorization}
    async with registry_unchanged(api, model["id"]):
        for method, url, body in WRITES:
            response = await api.client.request(
                method, url.format(id=model["id"]), json=body(model), headers=headers
            )
            assert_problem(response, status)
            if status == 401:
                assert response.headers["www-authenticate"] == "Bearer"


# --- rules of the registry -------------------------------------------------------------------


async def test_deleting_a_system_model_is_refused(api: Api) -> None:
    model = await system_model(api)
    async with registry_unchanged(api, model["id"]):
        response = await api.client.delete(f"/api/models/{model['id']}", headers=api.admin)
    assert_problem(response, 409)


async def test_deleting_the_default_model_is_refused(api: Api) -> None:
    model = await api.create()
    made_default = await api.client.post(f"/api/models/{model['id']}/default", headers=api.admin)
    assert made_default.status_code == 200, made_default.text
    async with registry_unchanged(api, model["id"]):
        response = await api.client.delete(f"/api/models/{model['id']}", headers=api.admin)
    assert "default" in assert_problem(response, 409)["detail"]


@pytest.mark.parametrize(
    ("field", "patch"),
    [
        ("name", lambda model: {"name": "renamed-system-model"}),
        ("display_name", lambda model: {"display_name": "Mine now"}),
        ("description", lambda model: {"description": "edited"}),
        ("provider", lambda model: {"provider": "other"}),
        ("parameters_b", lambda model: {"parameters_b": 123456}),
        ("context_window", lambda model: {"context_window": model["context_window"] + 1}),
        ("max_output_tokens", lambda model: {"max_output_tokens": 1}),
        ("limits", lambda model: {"limits": {"max_retries": 19}}),
        ("token_weights", lambda model: {"token_weights": {"output": 7}}),
        (
            "capabilities",
            lambda model: {"capabilities": {"tools": not model["capabilities"]["tools"]}},
        ),
        ("pricing", lambda model: {"pricing": {"input": "9999", "output": "9999"}}),
        ("status", lambda model: {"status": "retired"}),
    ],
)
async def test_changing_a_catalog_owned_field_of_a_system_model_is_refused(
    api: Api, field: str, patch: Callable[[dict[str, Any]], dict[str, Any]]
) -> None:
    model = await system_model(api)
    async with registry_unchanged(api, model["id"]):
        response = await api.client.patch(
            f"/api/models/{model['id']}", json=patch(model), headers=api.admin
        )
    problem = assert_problem(response, 409, field=field)
    assert "Clone" in problem["detail"]


@pytest.mark.parametrize(
    "patch",
    [
        {"tags": ["team:search"]},
        {"enabled": False},
        {"deployment": {"endpoint": "https://contoso.openai.azure.com", "api_key_env": "MY_KEY"}},
    ],
)
async def test_an_admin_may_change_the_deployment_tags_and_enabled_of_a_system_model(
    api: Api, patch: dict[str, Any]
) -> None:
    model = await system_model(api)
    response = await api.client.patch(f"/api/models/{model['id']}", json=patch, headers=api.admin)
    assert response.status_code == 200, response.text
    changed = response.json()
    assert changed["version"] == model["version"] + 1
    for key, value in patch.items():
        assert changed[key] == (model[key] | value if isinstance(value, dict) else value)


def duplicate_writes(existing: str, other: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """Every write that would give a model the name `existing` (in any case) again."""
    return [
        ("POST", "/api/models", model_body(name=existing.lower())),
        ("POST", "/api/models", model_body(name=existing.upper())),
        ("POST", "/api/models", model_body(name=existing)),
        ("PUT", f"/api/models/{other['id']}", model_body(name=existing.swapcase())),
        ("PATCH", f"/api/models/{other['id']}", {"name": existing.lower()}),
        ("POST", f"/api/models/{other['id']}/clone", {"name": existing.upper()}),
    ]


async def test_a_duplicate_name_ignoring_case_is_refused_naming_the_field(api: Api) -> None:
    existing = await api.create(name=f"Dup-Name-{uuid.uuid4().hex[:8]}")
    other = await api.create()
    async with registry_unchanged(api, existing["id"], other["id"]):
        for method, url, body in duplicate_writes(existing["name"], other):
            response = await api.client.request(method, url, json=body, headers=api.admin)
            problem = assert_problem(response, 409)
            assert problem["errors"][0]["field"] == "name", (method, url)


# --- stored API keys -------------------------------------------------------------------------


async def test_a_stored_api_key_never_leaves_the_server(api: Api) -> None:
    second_key = API_KEY + "-rotated"
    created = await api.client.post(
        "/api/models",
        json=model_body(deployment={"api_key": API_KEY, "endpoint": "https://example.com"}),
        headers=api.admin,
    )
    assert created.status_code == 201, created.text
    model = created.json()
    assert model["deployment"]["has_api_key"] is True
    url = f"/api/models/{model['id']}"
    responses = [
        created,
        await api.client.patch(
            url, json={"deployment": {"api_key": second_key}, "tags": ["x"]}, headers=api.admin
        ),
        await api.client.patch(
            url, json={"deployment": {"api_key": API_KEY}, "context_window": 0}, headers=api.admin
        ),
        await api.client.put(
            url,
            json=model_body(name=model["name"], deployment={"api_key": API_KEY}, tags=["y"]),
            headers=api.admin,
        ),
        await api.client.post(f"{url}/clone", json={"name": f"{model['name']}-copy"}),
        await api.client.post(
            f"{url}/clone", json={"name": f"{model['name']}-2"}, headers=api.admin
        ),
        await api.client.get(url),
        await api.client.get(url, headers=api.admin),
        await api.client.get(f"{url}/history", headers=api.admin),
        await api.client.get("/api/models", params={"limit": 10000}),
        await api.client.get("/api/models", params={"q": API_KEY}),
    ]
    assert [response.status_code for response in responses] == [
        201, 200, 422, 200, 401, 201, 200, 200, 200, 200, 200,
    ]  # fmt: skip
    for response in responses:
        assert API_KEY not in response.text
        assert second_key not in response.text
    assert responses[-3].json()["count"] == 3  # create, patch, put: each has before → after
    assert responses[-5].json()["deployment"]["has_api_key"] is True

    async with api.database.read() as session:
        stored = (await session.execute(text("SELECT * FROM models"))).all()
        audited = (await session.execute(text("SELECT * FROM audit_entries"))).all()
    assert all(API_KEY not in str(row) and second_key not in str(row) for row in stored)
    assert all(API_KEY not in str(row) and second_key not in str(row) for row in audited)

"""The OpenAPI document is the whole contract: what a team generating a client relies on.

Every operation has a stable operationId, a typed success answer that matches the bytes the
server sends, its errors as one `Problem` schema, and says whether it needs a bearer token.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from conftest import Api, model_body

pytestmark = pytest.mark.anyio

METHODS = ("get", "put", "post", "delete", "patch")
# FastAPI's generated form: `<function>_<path>_<method>`, e.g. create_model_api_models_post.
GENERATED_ID = re.compile(r"_(get|put|post|delete|patch)$|_api_")
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


async def document_of(api: Api) -> dict[str, Any]:
    response = await api.client.get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def validator(document: dict[str, Any], schema: dict[str, Any]) -> Draft202012Validator:
    """A validator for `schema` whose `#/components/...` references resolve in `document`."""
    return Draft202012Validator({**schema, "components": document["components"]})


def assert_matches(document: dict[str, Any], name: str, answer: Any) -> None:
    errors = list(validator(document, {"$ref": f"#/components/schemas/{name}"}).iter_errors(answer))
    assert not errors, [f"{list(error.absolute_path)}: {error.message}" for error in errors[:5]]


async def test_the_document_validates_as_openapi_3_1_with_bearer_auth(api: Api) -> None:
    document = await document_of(api)
    assert document["openapi"].startswith("3.1")
    validate(document)  # raises, naming the offending part, when it is not valid OpenAPI 3.1
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token: `mdk_…`",
    }


async def test_every_operation_has_an_explicit_id_a_typed_answer_and_problem_errors(
    api: Api,
) -> None:
    document = await document_of(api)
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    ids = []
    for method, path, operation in operations(document):
        where = f"{method} {path}"
        operation_id = operation.get("operationId", "")
        assert re.fullmatch(r"[a-z][A-Za-z]+", operation_id), where
        assert not GENERATED_ID.search(operation_id), where
        ids.append(operation_id)
        successes = {s: r for s, r in operation["responses"].items() if s.startswith("2")}
        assert successes, where
        for status, response in successes.items():
            if status == "204":
                assert "content" not in response, where
                continue
            for media in response["content"].values():
                assert media.get("schema") not in (None, {}), f"{where} {status}"
        errors = {s: r for s, r in operation["responses"].items() if s[0] in "45"}
        for status, response in errors.items():
            assert response["content"] == {"application/problem+json": {"schema": PROBLEM_REF}}, (
                f"{where} {status}"
            )
        if path != "/healthz":
            assert "503" in errors, where
        if "requestBody" in operation:
            assert {"400", "413", "415", "422"} <= set(errors), where
    assert len(ids) == len(set(ids))
    assert {
        "listModels",
        "getModel",
        "createModel",
        "replaceModel",
        "updateModel",
        "deleteModel",
        "cloneModel",
        "makeDefaultModel",
        "getModelHistory",
        "listPricePeriods",
        "addPricePeriod",
        "testModel",
        "priceUsage",
        "simulate",
        "countTokens",
        "listChanges",
        "streamEvents",
        "listTokens",
        "revokeToken",
        "listAliases",
        "getAlias",
        "getAliasHistory",
        "createAlias",
        "replaceAlias",
        "deleteAlias",
        "listModelConfigs",
        "getModelConfig",
        "createModelConfig",
        "replaceModelConfig",
        "deleteModelConfig",
        "health",
        "readiness",
        "metrics",
    } == set(ids)
    problem = schemas["Problem"]
    assert {"type", "title", "status", "detail"} <= set(problem["required"])
    assert schemas["FieldProblem"]["required"] == ["field", "message"]


async def test_writes_need_a_bearer_token_and_reads_may_send_one(api: Api) -> None:
    document = await document_of(api)
    for method, path, operation in operations(document):
        where = f"{method} {path}"
        if path in ("/healthz", "/readyz"):
            assert operation["security"] == [], where
        elif method == "GET" and path != "/api/auth/tokens":
            assert operation["security"] == [{}, {"bearerAuth": []}], where
            assert "401" in operation["responses"], where
        else:
            is_read = path in ("/api/cost", "/api/simulate", "/api/tokens")
            expected = [{}, {"bearerAuth": []}] if is_read else [{"bearerAuth": []}]
            assert operation["security"] == expected, where
            if not is_read:
                assert {"401", "403"} <= set(operation["responses"]), where


def answer_schema(document: dict[str, Any], path: str, method: str, status: str) -> str:
    schema = document["paths"][path][method]["responses"][status]["content"]["application/json"]
    reference: str = schema["schema"]["$ref"]
    return reference.rsplit("/", 1)[1]


async def test_the_answers_the_server_sends_match_their_documented_schemas(api: Api) -> None:
    document = await document_of(api)
    created = await api.client.post(
        "/api/models",
        json=model_body(tags=["contract"], pricing={"input": 2, "output": 8}),
        headers=api.admin,
    )
    assert created.status_code == 201
    name = created.json()["name"]
    checks: list[tuple[str, str, str, Any]] = [
        ("/api/models", "get", "200", await api.client.get("/api/models?limit=5")),
        ("/api/models/{ref}", "get", "200", await api.client.get("/api/models/gpt-4o")),
        ("/api/models", "post", "201", created),
        (
            "/api/models/{ref}",
            "patch",
            "200",
            await api.client.patch(f"/api/models/{name}", json={"tags": []}, headers=api.admin),
        ),
        (
            "/api/models/{ref}/clone",
            "post",
            "201",
            await api.client.post(
                f"/api/models/{name}/clone", json={"name": f"{name}-c"}, headers=api.admin
            ),
        ),
        (
            "/api/models/{ref}/prices",
            "post",
            "201",
            await api.client.post(
                f"/api/models/{name}/prices",
                json={"input": 3, "output": 9, "tiers": [{"above_input_tokens": 1000, "input": 4}]},
                headers=api.admin,
            ),
        ),
        (
            "/api/models/{ref}/prices",
            "get",
            "200",
            await api.client.get(f"/api/models/{name}/prices"),
        ),
        (
            "/api/models/{ref}/history",
            "get",
            "200",
            await api.client.get(f"/api/models/{name}/history"),
        ),
        (
            "/api/cost",
            "post",
            "200",
            await api.client.post(
                "/api/cost",
                json={"model": name, "usage": {"prompt_tokens": 2000, "completion_tokens": 10}},
            ),
        ),
        (
            "/api/simulate",
            "post",
            "200",
            await api.client.post(
                "/api/simulate",
                json={
                    "text": "Hello there",
                    "custom_prices": [{"name": "own", "pricing": {"input": 1, "output": 2}}],
                },
            ),
        ),
        ("/api/tokens", "post", "200", await api.client.post("/api/tokens", json={"text": "Hi"})),
        ("/api/changes", "get", "200", await api.client.get("/api/changes?since=0&limit=3")),
        (
            "/api/auth/tokens",
            "get",
            "200",
            await api.client.get("/api/auth/tokens", headers=api.admin),
        ),
        (
            "/api/models/{ref}/test",
            "post",
            "200",
            await api.client.post(f"/api/models/{name}/test", headers=api.admin),
        ),
        (
            "/api/config/models/{model_id}",
            "get",
            "200",
            await api.client.get("/api/config/models/gpt-4o"),
        ),
        ("/healthz", "get", "200", await api.client.get("/healthz")),
        ("/readyz", "get", "200", await api.client.get("/readyz")),
    ]
    for path, method, status, response in checks:
        assert response.status_code == int(status), (path, response.text)
        assert_matches(document, answer_schema(document, path, method, status), response.json())
    listing = (await api.client.get("/api/config/models")).json()
    listing_schema = document["paths"]["/api/config/models"]["get"]["responses"]["200"]
    schema = listing_schema["content"]["application/json"]["schema"]
    assert not list(validator(document, schema).iter_errors(listing))
    assert "gpt-4o" in listing


async def test_every_error_the_server_sends_matches_the_problem_schema(api: Api) -> None:
    document = await document_of(api)
    answers = [
        await api.client.get("/api/models/no-such-model"),
        await api.client.post("/api/models", json=model_body(context_window=-1), headers=api.admin),
        await api.client.post("/api/models", json=model_body()),
        await api.client.post("/api/models", json=model_body(), headers=api.reader),
        await api.client.post(
            "/api/cost", content=b"{", headers={"Content-Type": "application/json"}
        ),
        await api.client.post("/api/cost", content=b"{}", headers={"Content-Type": "text/plain"}),
        await api.client.get("/api/changes?since=-1"),
        await api.client.get("/api/models?sort=colour"),
    ]
    for response in answers:
        assert response.status_code >= 400
        assert response.headers["content-type"] == "application/problem+json"
        assert_matches(document, "Problem", response.json())


async def test_the_statuses_the_server_answers_are_documented(api: Api) -> None:
    document = await document_of(api)
    answered = [
        (
            "/api/tokens",
            "post",
            await api.client.post("/api/tokens", json={"text": "a", "model": "x"}),
        ),
        ("/api/cost", "post", await api.client.post("/api/cost", json={"model": "x", "usage": {}})),
        ("/api/models", "get", await api.client.get("/api/models?sort=colour")),
    ]
    for path, method, response in answered:
        assert str(response.status_code) in document["paths"][path][method]["responses"], path
    sort = next(
        parameter
        for parameter in document["paths"]["/api/models"]["get"]["parameters"]
        if parameter["name"] == "sort"
    )
    assert {"name", "-context_window", "input_price"} <= set(sort["schema"]["enum"])
    assert "colour" not in sort["schema"]["enum"]


async def test_an_integral_number_is_accepted_where_the_schema_says_integer(api: Api) -> None:
    document = await document_of(api)
    body = model_body(context_window=18243.0, max_output_tokens=4096.0)
    assert_matches(document, "ModelWrite", body)
    assert (
        document["components"]["schemas"]["ModelWrite"]["properties"]["context_window"]["type"]
        == "integer"
    )
    created = await api.client.post("/api/models", json=body, headers=api.admin)
    assert created.status_code == 201, created.text
    assert created.json()["context_window"] == 18243
    assert created.json()["max_output_tokens"] == 4096
    halves = await api.client.post(
        "/api/models", json=model_body(context_window=18243.5), headers=api.admin
    )
    assert halves.status_code == 422
    assert halves.json()["errors"][0]["field"] == "context_window"
    simulated = await api.client.post(
        "/api/simulate", json={"input_tokens": 1000.0, "requests": 10.0, "models": ["gpt-4o"]}
    )
    assert simulated.status_code == 200, simulated.text
    assert simulated.json()["requests"] == 10


def pydantic_bounds(schema: Any) -> list[str]:
    """Where a schema says `gt`/`ge`/`lt`/`le` (pydantic's names, which JSON Schema ignores)."""
    found = []
    if isinstance(schema, dict):
        found += [key for key in ("gt", "ge", "lt", "le") if key in schema and "type" in schema]
        for value in schema.values():
            found += pydantic_bounds(value)
    elif isinstance(schema, list):
        for item in schema:
            found += pydantic_bounds(item)
    return found


async def test_bounds_are_json_schema_bounds_that_refuse_what_the_server_refuses(
    api: Api,
) -> None:
    document = await document_of(api)
    assert pydantic_bounds(document) == []
    model_write = validator(document, {"$ref": "#/components/schemas/ModelWrite"})
    assert not model_write.is_valid(model_body(context_window=0))
    assert not model_write.is_valid(model_body(limits={"max_retries": 21}))
    assert not model_write.is_valid(model_body(name="has space"))
    for price in (-1, 10_001, "-1", "two", "\\"):
        assert not model_write.is_valid(model_body(pricing={"input": price, "output": 1})), price
    for price in (0, 2.5, "2.5", "0.000001"):
        assert model_write.is_valid(model_body(pricing={"input": price, "output": 1})), price
    config = document["paths"]["/api/config/models/{model_id}"]["put"]["requestBody"]
    seed = validator(document, config["content"]["application/json"]["schema"])
    assert not seed.is_valid(
        {
            "name": "x",
            "max_tokens": 0,
            "supports_streaming": True,
            "supports_temperature": True,
            "api_version": "",
            "azure_endpoint": "",
        }
    )


async def test_a_model_as_read_is_a_valid_body_to_write_it_again(api: Api) -> None:
    document = await document_of(api)
    model = (await api.client.get("/api/models/gpt-4o")).json()
    assert_matches(document, "ModelWrite", model)  # GET → edit → PUT, server fields and all


async def test_the_document_and_the_server_agree_on_what_a_simulation_needs(api: Api) -> None:
    document = await document_of(api)
    simulate = validator(document, {"$ref": "#/components/schemas/SimulateRequest"})
    for body in ({}, {"input_tokens": 10, "text": "both"}):
        assert not simulate.is_valid(body), body  # the document refuses it…
        refused = await api.client.post("/api/simulate", json=body)
        assert refused.status_code == 422  # …and so does the server, naming the field
        assert refused.json()["errors"][0]["field"] == "input_tokens"
    for body in ({"input_tokens": 10}, {"text": "a sample"}, {"input_tokens": None, "text": "x"}):
        assert simulate.is_valid(body), body
        assert (await api.client.post("/api/simulate", json=body)).status_code == 200, body


async def test_a_merge_patch_is_documented_as_a_partial_model(api: Api) -> None:
    document = await document_of(api)
    body = document["paths"]["/api/models/{ref}"]["patch"]["requestBody"]["content"]
    assert body["application/merge-patch+json"]["schema"] == {
        "$ref": "#/components/schemas/ModelPatch"
    }
    patch = validator(document, {"$ref": "#/components/schemas/ModelPatch"})
    assert patch.is_valid({"pricing": {"input": 3}, "tags": None})
    assert not patch.is_valid({"pricing": {"input": True}})
    assert not patch.is_valid({"pricing": {"input": -1}})
    assert not patch.is_valid({"context_window": "big"})
    assert not patch.is_valid({"colour": "red"})

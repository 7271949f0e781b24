"""Health, readiness, OpenAPI and errors that are always problem+json."""

from __future__ import annotations

import pytest

from conftest import Api

pytestmark = pytest.mark.anyio


async def test_healthz_and_readyz_answer(api: Api) -> None:
    assert (await api.client.get("/healthz")).json() == {"status": "ok"}
    ready = await api.client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ok"


async def test_the_openapi_document_describes_the_model_body(api: Api) -> None:
    document = (await api.client.get("/openapi.json")).json()
    assert "/api/models" in document["paths"]
    body = document["paths"]["/api/models"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ModelWrite"
    }
    model_write = document["components"]["schemas"]["ModelWrite"]
    assert {"name", "provider", "pricing", "deployment"} <= set(model_write["properties"])
    assert "PricingWrite" in document["components"]["schemas"]
    assert (await api.client.get("/docs")).status_code == 200


async def test_unknown_paths_and_methods_are_problem_json(api: Api) -> None:
    missing = await api.client.get("/api/nothing-here")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    wrong_method = await api.client.request("TRACE", "/api/models")
    assert wrong_method.status_code == 405
    assert wrong_method.headers["content-type"] == "application/problem+json"


async def test_an_unreachable_database_is_a_503_not_a_500(api: Api) -> None:
    import httpx

    from conftest import settings_for
    from modeldeck.app import create_app
    from modeldeck.db import Database

    unreachable = "postgresql+asyncpg://postgres@127.0.0.1:1/nothing"
    database = Database(unreachable)
    app = create_app(settings_for(unreachable), database=database)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.get("/api/models")
            ready = await client.get("/readyz")
    finally:
        await database.dispose()
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "1"
    assert ready.status_code == 503


async def test_metrics_count_requests_by_route_template_and_size_the_registry(api: Api) -> None:
    await api.client.get("/api/models")
    await api.client.get("/api/models")
    await api.client.get("/api/models/gpt-4o")
    await api.client.get("/api/models/no-such-model")
    response = await api.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples: dict[str, float] = {}
    for line in response.text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    listing = 'modeldeck_http_requests_total{method="GET",route="/api/models",status="200"}'
    assert samples[listing] == 2
    one = 'route="/api/models/{ref:path}"'
    assert samples[f'modeldeck_http_requests_total{{method="GET",{one},status="200"}}'] == 1
    assert samples[f'modeldeck_http_requests_total{{method="GET",{one},status="404"}}'] == 1
    assert "gpt-4o" not in response.text  # raw paths never become labels
    system = sum(value for name, value in samples.items() if 'kind="system"' in name)
    assert system >= 40
    assert samples["modeldeck_revision"] >= 1

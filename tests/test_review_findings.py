"""Server-side findings of a review that have no better home, each pinned by a test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from conftest import Api, model_body
from fake_openai import FakeOpenAI, fake_openai

pytestmark = pytest.mark.anyio

SERVER_SECRET = f"server-secret-{uuid.uuid4().hex}"


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    # The fake accepts the server's secret as a key: sending it would make the test "ok".
    with fake_openai(keys={SERVER_SECRET}, deployments={"gpt-4o"}) as provider:
        yield provider


@pytest.mark.parametrize(
    "variable", ["MODELDECK_SECRET_KEY", "MODELDECK_ADMIN_TOKEN", "MODELDECK_DATABASE_URL"]
)
async def test_testing_a_deployment_never_sends_the_servers_own_settings_as_its_key(
    api: Api, fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.setenv(variable, SERVER_SECRET)
    body = model_body(
        provider="openai_compatible",
        deployment={"endpoint": f"{fake.url}/v1", "deployment": "gpt-4o", "api_key_env": variable},
    )
    created = await api.create(**body)
    response = await api.client.post(f"/api/models/{created['id']}/test", headers=api.admin)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "deployment.api_key_env"
    assert fake.requests == []
    assert SERVER_SECRET not in response.text

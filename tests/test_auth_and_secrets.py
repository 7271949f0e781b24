"""Who may do what, and provider keys that never leave the server (DESIGN §5)."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from conftest import Api, model_body, settings_for
from modeldeck.app import create_app
from modeldeck.auth.tables import ApiTokenRow
from modeldeck.auth.tokens import hash_token
from modeldeck.crypto import KeyVault
from modeldeck.models.tables import ModelRow

pytestmark = pytest.mark.anyio

PROVIDER_KEY = "sk-test-DO-NOT-LEAK-4f9a2c"


async def test_reads_are_open_by_default(api: Api) -> None:
    assert (await api.client.get("/api/models")).status_code == 200


async def test_writes_need_an_admin_token(api: Api) -> None:
    body = model_body()
    anonymous = await api.client.post("/api/models", json=body)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == "Bearer"
    reader = await api.client.post("/api/models", json=body, headers=api.reader)
    assert reader.status_code == 403
    forged = await api.client.post(
        "/api/models", json=body, headers={"Authorization": "Bearer mdk_forged"}
    )
    assert forged.status_code == 401


async def test_reads_can_require_a_token(api: Api) -> None:
    settings = settings_for(api.backend.url, read_token_required=True)
    app = create_app(settings, database=api.database)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        assert (await client.get("/api/models")).status_code == 401
        assert (await client.get("/api/models", headers=api.reader)).status_code == 200
        assert (await client.get("/api/models", headers=api.admin)).status_code == 200


async def test_tokens_are_stored_only_as_hashes(api: Api) -> None:
    token = api.admin["Authorization"].removeprefix("Bearer ")
    async with api.database.read() as session:
        hashes = set((await session.execute(select(ApiTokenRow.token_hash))).scalars())
    assert hash_token(token) in hashes
    assert token not in hashes


async def test_a_stored_api_key_is_encrypted_and_never_echoed(api: Api) -> None:
    body = model_body(
        deployment={"endpoint": "https://x.openai.azure.com", "api_key": PROVIDER_KEY}
    )
    response = await api.client.post("/api/models", json=body, headers=api.admin)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["deployment"]["has_api_key"] is True
    patched = await api.client.patch(
        f"/api/models/{created['id']}", json={"description": "x"}, headers=api.admin
    )
    texts = [
        response.text,
        patched.text,
        (await api.client.get(f"/api/models/{created['id']}")).text,
        (await api.client.get("/api/models", params={"limit": 10000})).text,
        (await api.client.get(f"/api/models/{created['id']}/history")).text,
    ]
    assert all(PROVIDER_KEY not in text for text in texts)
    assert patched.json()["deployment"]["has_api_key"] is True  # absent api_key keeps the key
    async with api.database.read() as session:
        ciphertext = (
            await session.execute(
                select(ModelRow.api_key_ciphertext).where(ModelRow.id == created["id"])
            )
        ).scalar_one()
    assert ciphertext is not None and PROVIDER_KEY not in ciphertext
    vault = KeyVault(settings_for(api.backend.url).secret_key.get_secret_value())  # type: ignore[union-attr]
    assert vault.decrypt(ciphertext) == PROVIDER_KEY


async def test_a_null_api_key_removes_the_stored_key(api: Api) -> None:
    created = await api.create(deployment={"api_key": PROVIDER_KEY})
    response = await api.client.patch(
        f"/api/models/{created['id']}", json={"deployment": {"api_key": None}}, headers=api.admin
    )
    assert response.json()["deployment"]["has_api_key"] is False


async def test_storing_an_api_key_without_a_secret_key_is_refused(api: Api) -> None:
    settings = settings_for(api.backend.url).model_copy(update={"secret_key": None})
    app = create_app(settings, database=api.database)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.post(
            "/api/models", json=model_body(deployment={"api_key": PROVIDER_KEY}), headers=api.admin
        )
    assert response.status_code == 422
    problem = response.json()
    assert problem["errors"][0]["field"] == "deployment.api_key"
    assert "MODELDECK_SECRET_KEY" in problem["errors"][0]["message"]
    assert PROVIDER_KEY not in response.text


def test_keys_rotate_to_the_newest_secret_key() -> None:
    old, new = KeyVault.generate_key(), KeyVault.generate_key()
    ciphertext = KeyVault(old).encrypt(PROVIDER_KEY)
    both = KeyVault(f"{new},{old}")
    rotated = both.rotate(ciphertext)
    assert KeyVault(new).decrypt(rotated) == PROVIDER_KEY


async def test_moving_the_endpoint_of_a_model_with_a_stored_key_needs_the_key_again(
    api: Api,
) -> None:
    created = await api.create(
        provider="azure_openai",
        deployment={"endpoint": "https://ours.openai.azure.com", "api_key": PROVIDER_KEY},
    )
    moved = {"deployment": {"endpoint": "https://elsewhere.example.com"}}
    refused = await api.client.patch(f"/api/models/{created['id']}", json=moved, headers=api.admin)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "deployment.api_key"
    again = {"deployment": {"endpoint": "https://elsewhere.example.com", "api_key": "sk-new"}}
    accepted = await api.client.patch(f"/api/models/{created['id']}", json=again, headers=api.admin)
    assert accepted.status_code == 200
    assert accepted.json()["deployment"]["has_api_key"] is True


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://user:hunter2@contoso.openai.azure.com",
        "https://llm.internal/v1?api-key=sk-123",
        "https://llm.internal/v1?x=1&TOKEN=abc",
    ],
)
async def test_an_endpoint_holding_a_credential_is_refused(api: Api, endpoint: str) -> None:
    response = await api.client.post(
        "/api/models", json=model_body(deployment={"endpoint": endpoint}), headers=api.admin
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "deployment.endpoint"
    assert "hunter2" not in response.text
    assert "sk-123" not in response.text

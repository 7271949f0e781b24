"""Failed authentications are limited per client address and logged without the token."""

from __future__ import annotations

import logging

import httpx
import pytest

from conftest import Api, settings_for
from modeldeck.app import create_app
from modeldeck.auth.failures import FailedAuthentications

pytestmark = pytest.mark.anyio

GUESS = "mdk_guessed-0123456789abcdefghijklmnopqrstuvwxyz-ABCDEFG"


def client_from(api: Api, address: str, **settings: object) -> httpx.AsyncClient:
    app = create_app(settings_for(api.backend.url, **settings), database=api.database)
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://limits")


async def test_past_the_limit_an_address_gets_429_with_retry_after_before_any_check(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="modeldeck.auth")
    async with client_from(api, "127.0.0.1", auth_failure_limit=3) as client:
        for attempt in range(3):
            wrong = {"Authorization": f"Bearer {GUESS}{attempt}"}
            assert (await client.get("/api/models", headers=wrong)).status_code == 401
        limited = await client.get("/api/models", headers={"Authorization": f"Bearer {GUESS}"})
        assert limited.status_code == 429
        assert limited.headers["content-type"] == "application/problem+json"
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        assert limited.json()["status"] == 429
        # Even the right token waits: nothing is checked while the address is limited.
        assert (await client.get("/api/models", headers=api.reader)).status_code == 429
        # Reads that send no token stay open.
        assert (await client.get("/api/models")).status_code == 200


async def test_other_addresses_are_not_limited_by_one_that_guesses(api: Api) -> None:
    async with client_from(api, "127.0.0.1", auth_failure_limit=2) as guesser:
        for _ in range(3):
            await guesser.get("/api/models", headers={"Authorization": f"Bearer {GUESS}"})
        assert (await guesser.get("/api/models", headers=api.reader)).status_code == 429
    async with client_from(api, "127.0.0.2", auth_failure_limit=2) as other:
        assert (await other.get("/api/models", headers=api.reader)).status_code == 200


async def test_each_failure_is_logged_with_address_and_path_but_never_the_token(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with client_from(api, "127.0.0.1") as client:
        await client.get("/api/models/gpt-4o", headers={"Authorization": f"Bearer {GUESS}"})
        await client.post("/api/models", json={}, headers={"Authorization": f"Basic {GUESS}"})
        await client.post("/login", data={"token": GUESS, "next": "/"})  # the console form
    failures = [
        record
        for record in caplog.records
        if record.name == "modeldeck.auth" and record.levelno == logging.WARNING
    ]
    assert len(failures) == 3
    messages = [record.getMessage() for record in failures]
    assert "127.0.0.1" in messages[0] and "/api/models/gpt-4o" in messages[0]
    assert "/api/models" in messages[1]
    assert "/login" in messages[2]
    for record in caplog.records:  # the server's own lines (the test's httpx logs its URLs)
        if not record.name.startswith("modeldeck"):
            continue
        text = record.getMessage()
        assert GUESS[:12] not in text and "mdk_" not in text, text


def test_the_window_slides_and_frees_an_address() -> None:
    now = [1000.0]
    failures = FailedAuthentications(2, 60, monotonic=lambda: now[0])
    failures.failed("127.0.0.1")
    now[0] += 10
    failures.failed("127.0.0.1")
    assert failures.retry_after("127.0.0.1") == 50  # until the first failure leaves the window
    now[0] += 49.5
    assert failures.retry_after("127.0.0.1") == 1
    now[0] += 1
    assert failures.retry_after("127.0.0.1") is None
    assert failures.retry_after("127.0.0.2") is None

"""Browsers on other origins may call the API only when `MODELDECK_CORS_ORIGINS` allows them."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from conftest import Backend, model_body, settings_for
from modeldeck.app import create_app
from modeldeck.db import Database
from modeldeck.settings import Settings

pytestmark = pytest.mark.anyio

DASHBOARD = "https://dashboard.example.com"
ELSEWHERE = "https://evil.example.net"


@asynccontextmanager
async def browser(
    backend: Backend, database: Database, **settings: Any
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings_for(backend.url, **settings), database=database)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def preflight(origin: str, method: str = "PATCH") -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "authorization, content-type, if-match, if-none-match",
    }


def listed(header: str | None) -> set[str]:
    return {item.strip().lower() for item in (header or "").split(",") if item.strip()}


def cors_headers(response: httpx.Response) -> dict[str, str]:
    return {
        name: value
        for name, value in response.headers.items()
        if name.lower().startswith("access-control-")
    }


async def test_a_preflight_from_an_allowed_origin_is_answered(
    backend: Backend, database: Database
) -> None:
    async with browser(backend, database, cors_origins=f"{DASHBOARD}, http://localhost:5173") as b:
        answer = await b.options("/api/models/gpt-4o", headers=preflight(DASHBOARD))
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == DASHBOARD
    assert {"get", "post", "put", "patch", "delete"} <= listed(
        answer.headers["access-control-allow-methods"]
    )
    assert {"authorization", "content-type", "if-match", "if-none-match"} <= listed(
        answer.headers["access-control-allow-headers"]
    )
    assert "origin" in listed(answer.headers["vary"])
    assert "access-control-allow-credentials" not in answer.headers


async def test_a_preflight_from_another_origin_is_not_allowed(
    backend: Backend, database: Database
) -> None:
    async with browser(backend, database, cors_origins=DASHBOARD) as b:
        answer = await b.options("/api/models/gpt-4o", headers=preflight(ELSEWHERE))
        simple = await b.get("/api/models?limit=1", headers={"Origin": ELSEWHERE})
    assert answer.status_code == 400
    assert "access-control-allow-origin" not in answer.headers
    assert simple.status_code == 200
    assert "access-control-allow-origin" not in simple.headers


async def test_a_preflight_asking_for_a_header_the_api_does_not_take_is_refused(
    backend: Backend, database: Database
) -> None:
    headers = {**preflight(DASHBOARD, "POST"), "Access-Control-Request-Headers": "x-csrf-token"}
    async with browser(backend, database, cors_origins=DASHBOARD) as b:
        answer = await b.options("/api/models", headers=headers)
    assert answer.status_code == 400  # the console's CSRF header stays same-origin


async def test_by_default_no_cors_header_is_sent(backend: Backend, database: Database) -> None:
    assert Settings().cors_origins == ""
    async with browser(backend, database) as b:
        answer = await b.options("/api/models/gpt-4o", headers=preflight(DASHBOARD))
        simple = await b.get("/api/models?limit=1", headers={"Origin": DASHBOARD})
    assert cors_headers(answer) == {}
    assert answer.status_code != 200
    assert simple.status_code == 200
    assert cors_headers(simple) == {}


async def test_an_allowed_origin_may_read_the_answer_and_the_headers_a_client_needs(
    backend: Backend, database: Database
) -> None:
    async with browser(backend, database, cors_origins=DASHBOARD) as b:
        answer = await b.get("/api/models/gpt-4o", headers={"Origin": DASHBOARD})
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == DASHBOARD
    assert "etag" in answer.headers
    assert {"etag", "location", "retry-after", "www-authenticate"} <= listed(
        answer.headers["access-control-expose-headers"]
    )
    assert "origin" in listed(answer.headers["vary"])
    assert "access-control-allow-credentials" not in answer.headers


async def test_credentials_are_allowed_only_to_origins_named_one_by_one(
    backend: Backend, database: Database
) -> None:
    async with browser(backend, database, cors_origins=DASHBOARD, cors_allow_credentials=True) as b:
        answer = await b.options("/api/models/gpt-4o", headers=preflight(DASHBOARD))
        simple = await b.get("/api/models?limit=1", headers={"Origin": DASHBOARD})
    assert answer.headers["access-control-allow-credentials"] == "true"
    assert answer.headers["access-control-allow-origin"] == DASHBOARD
    assert simple.headers["access-control-allow-credentials"] == "true"
    assert simple.headers["access-control-allow-origin"] == DASHBOARD

    async with browser(backend, database, cors_origins="*") as b:
        answer = await b.options("/api/models/gpt-4o", headers=preflight(ELSEWHERE))
        simple = await b.get("/api/models?limit=1", headers={"Origin": ELSEWHERE})
    assert answer.headers["access-control-allow-origin"] == "*"
    assert simple.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in answer.headers
    assert "access-control-allow-credentials" not in simple.headers

    with pytest.raises(ValidationError, match="MODELDECK_CORS_ALLOW_CREDENTIALS"):
        Settings(cors_origins="*", cors_allow_credentials=True)


async def test_error_answers_to_an_allowed_origin_carry_cors_headers(
    backend: Backend, database: Database
) -> None:
    admin = {"Authorization": f"Bearer {backend.admin_token}"}
    origin = {"Origin": DASHBOARD}
    async with browser(backend, database, cors_origins=DASHBOARD, max_body_bytes=4096) as b:
        too_large = await b.post("/api/models", content=b"x" * 5000, headers={**origin, **admin})
        unauthorized = await b.post("/api/models", json=model_body(), headers=origin)
        invalid = await b.post(
            "/api/models", json=model_body(context_window=-1), headers={**origin, **admin}
        )
        missing = await b.get("/api/models/no-such-model", headers=origin)
    for answer, status in ((too_large, 413), (unauthorized, 401), (invalid, 422), (missing, 404)):
        assert answer.status_code == status
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.headers["access-control-allow-origin"] == DASHBOARD, status
    assert "www-authenticate" in listed(unauthorized.headers["access-control-expose-headers"])


def test_origins_are_compared_as_a_browser_sends_them() -> None:
    settings = Settings(cors_origins="HTTPS://Dashboard.Example.com:443, http://127.0.0.1:8080")
    assert settings.cors_origins  # kept as written; parsed the same at start-up
    from modeldeck.cors import parse_origins

    assert parse_origins(settings.cors_origins) == (DASHBOARD, "http://127.0.0.1:8080")
    assert parse_origins("http://[::1]:3000") == ("http://[::1]:3000",)
    assert parse_origins("") == ()


@pytest.mark.parametrize(
    "origins",
    [
        "dashboard.example.com",
        "https://dashboard.example.com/",
        "https://dashboard.example.com/app",
        "https://dashboard.example.com?x=1",
        "ftp://dashboard.example.com",
        "https://user@dashboard.example.com",
        "https://dashboard.example.com:99999",
        "https://dashboard.example.com:port",
        "https://",
        "https://999.1.1.1",
        "https://dash board.example.com",
        f"*, {DASHBOARD}",
        f"{DASHBOARD}, https://",
    ],
)
def test_a_bad_origin_stops_start_up_naming_the_setting(
    origins: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MODELDECK_CORS_ORIGINS", origins)
    with pytest.raises(ValidationError, match="MODELDECK_CORS_ORIGINS"):
        Settings()


@pytest.mark.parametrize("command", [["serve"], ["db", "current"]])
def test_the_command_line_names_a_bad_origin_in_one_line(
    command: list[str], tmp_path: Path
) -> None:
    env = {**os.environ, "MODELDECK_CORS_ORIGINS": "https://dashboard.example.com/"}
    ran = subprocess.run(
        [sys.executable, "-m", "modeldeck", *command],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ran.returncode == 2
    assert ran.stderr.strip().splitlines() == [
        "modeldeck: invalid setting: MODELDECK_CORS_ORIGINS: 'https://dashboard.example.com/' "
        "is not an origin: scheme://host[:port], without a path or a trailing /"
    ]
    assert list(tmp_path.iterdir()) == []  # stopped before opening a database

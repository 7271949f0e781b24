"""API tokens an admin can list and revoke (issue 10 §2): through the API and the CLI."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from conftest import (
    BACKENDS,
    Api,
    seeded_database_url,
    settings_for,
)
from modeldeck import clock
from modeldeck.app import create_app
from modeldeck.auth.tables import ApiTokenRow
from modeldeck.auth.tokens import create_token, has_admin, hash_token, revoke_token
from modeldeck.auth.usage import recording_token_use
from modeldeck.cli import app as cli
from modeldeck.db import Database
from serving import serving

pytestmark = pytest.mark.anyio

runner = CliRunner()
PUBLIC_FIELDS = {"id", "name", "role", "created_at", "last_used_at", "revoked_at"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def new_token(api: Api, name: str, role: str = "reader") -> str:
    async with api.database.write() as session:
        return await create_token(session, name=name, role=role)  # type: ignore[arg-type]


async def listed(api: Api) -> list[dict[str, Any]]:
    response = await api.client.get("/api/auth/tokens", headers=api.admin)
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()["data"]
    return rows


async def named(api: Api, name: str) -> dict[str, Any]:
    (row,) = [row for row in await listed(api) if row["name"] == name]
    return row


def moment(text: str | None) -> datetime:
    assert text is not None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def test_an_admin_lists_tokens_without_the_tokens_or_their_hashes(api: Api) -> None:
    response = await api.client.get("/api/auth/tokens", headers=api.admin)
    assert response.status_code == 200
    rows = response.json()["data"]
    assert response.json()["count"] == len(rows)
    assert all(set(row) == PUBLIC_FIELDS for row in rows)
    roles = {row["name"]: row["role"] for row in rows}
    assert roles["test-admin"] == "admin"
    assert roles["test-reader"] == "reader"
    for token in (api.backend.admin_token, api.backend.reader_token):
        assert token not in response.text
        assert hash_token(token) not in response.text


async def test_only_an_admin_may_list_or_revoke_tokens(api: Api) -> None:
    assert (await api.client.get("/api/auth/tokens")).status_code == 401
    assert (await api.client.get("/api/auth/tokens", headers=api.reader)).status_code == 403
    reader_id = (await named(api, "test-reader"))["id"]
    refused = await api.client.post(f"/api/auth/tokens/{reader_id}/revoke", headers=api.reader)
    assert refused.status_code == 403
    assert (await named(api, "test-reader"))["revoked_at"] is None


async def test_a_revoked_token_is_refused_with_401_right_after(api: Api) -> None:
    token = await new_token(api, "to-revoke")
    # Used once first, so this instance has it cached as valid.
    assert (await api.client.get("/api/models/gpt-4o", headers=bearer(token))).status_code == 200
    token_id = (await named(api, "to-revoke"))["id"]
    revoked = await api.client.post(f"/api/auth/tokens/{token_id}/revoke", headers=api.admin)
    assert revoked.status_code == 200, revoked.text
    assert set(revoked.json()) == PUBLIC_FIELDS
    assert token not in revoked.text
    assert moment(revoked.json()["revoked_at"]) <= clock.now()
    refused = await api.client.get("/api/models/gpt-4o", headers=bearer(token))
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    assert (await named(api, "to-revoke"))["revoked_at"] == revoked.json()["revoked_at"]


async def test_revoking_the_last_active_admin_token_is_refused_unless_forced(api: Api) -> None:
    mine = await named(api, "test-admin")
    for row in await listed(api):
        if row["role"] == "admin" and row["revoked_at"] is None and row["id"] != mine["id"]:
            response = await api.client.post(
                f"/api/auth/tokens/{row['id']}/revoke", headers=api.admin
            )
            assert response.status_code == 200, response.text
    refused = await api.client.post(f"/api/auth/tokens/{mine['id']}/revoke", headers=api.admin)
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    assert "last active admin token" in refused.json()["detail"]
    assert (await api.client.get("/api/auth/tokens", headers=api.admin)).status_code == 200
    forced = await api.client.post(
        f"/api/auth/tokens/{mine['id']}/revoke", params={"force": "true"}, headers=api.admin
    )
    assert forced.status_code == 200
    assert (await api.client.get("/api/auth/tokens", headers=api.admin)).status_code == 401


async def test_revoking_an_unknown_or_malformed_id_names_the_problem(api: Api) -> None:
    missing = await api.client.post("/api/auth/tokens/2000000000/revoke", headers=api.admin)
    assert missing.status_code == 404
    for bad in ("abc", "0", "99999999999999999999"):
        response = await api.client.post(f"/api/auth/tokens/{bad}/revoke", headers=api.admin)
        assert response.status_code == 422, (bad, response.text)
        assert response.json()["errors"][0]["field"] == "token_id"


async def test_last_used_at_is_stored_at_most_once_a_minute(api: Api) -> None:
    token = await new_token(api, "usage")
    assert (await named(api, "usage"))["last_used_at"] is None
    before = clock.now()
    assert (await api.client.get("/api/models", headers=bearer(token))).status_code == 200
    first = moment((await named(api, "usage"))["last_used_at"])
    assert before <= first <= clock.now()
    with clock.moved(timedelta(seconds=30)):
        assert (await api.client.get("/api/models", headers=bearer(token))).status_code == 200
        assert moment((await named(api, "usage"))["last_used_at"]) == first
    with clock.moved(timedelta(seconds=61)):
        later = clock.now()
        assert (await api.client.get("/api/models", headers=bearer(token))).status_code == 200
        assert moment((await named(api, "usage"))["last_used_at"]) >= later


async def test_another_instance_does_not_move_last_used_within_the_minute(api: Api) -> None:
    token = await new_token(api, "two-instances")
    await api.client.get("/api/models", headers=bearer(token))
    first = (await named(api, "two-instances"))["last_used_at"]
    other = create_app(settings_for(api.backend.url), database=api.database)
    transport = httpx.ASGITransport(app=other)
    async with httpx.AsyncClient(transport=transport, base_url="http://other") as client:
        with clock.moved(timedelta(seconds=20)):
            assert (await client.get("/api/models", headers=bearer(token))).status_code == 200
            await other.state.token_usage.flush(api.database)
    assert (await named(api, "two-instances"))["last_used_at"] == first


# --- the command line -------------------------------------------------------------------------


@pytest.fixture(scope="module", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated database with one admin token (from the environment) for the commands."""
    yield from seeded_database_url(
        request.param, tmp_path_factory.mktemp("tokens"), "mdk_tokens-cli-test"
    )


def invoke(database_url: str, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(cli, [*args, "--database-url", database_url])
    return result.exit_code, result.stdout, result.stderr


def status_with(database_url: str, token: str) -> int:
    async def ask() -> int:
        database = Database(database_url)
        try:
            app = create_app(settings_for(database_url), database=database)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://cli") as client:
                return (await client.get("/api/models", headers=bearer(token))).status_code
        finally:
            await database.dispose()

    return asyncio.run(ask())


def test_token_list_and_revoke_on_the_command_line(database_url: str) -> None:
    code, token, _ = invoke(database_url, "token", "create", "--role", "reader", "--name", "ci")
    assert code == 0
    token = token.strip()
    assert status_with(database_url, token) == 200

    code, table, _ = invoke(database_url, "token", "list")
    assert code == 0
    assert "ci" in table and "reader" in table
    assert token not in table
    code, text, _ = invoke(database_url, "token", "list", "--json")
    rows = {row["name"]: row for row in json.loads(text)}
    assert rows["ci"]["revoked_at"] is None
    assert token not in text and hash_token(token) not in text

    code, said, err = invoke(database_url, "token", "revoke", "ci")
    assert code == 0, err
    assert f"revoked token {rows['ci']['id']} (ci)" in said
    assert status_with(database_url, token) == 401
    text = invoke(database_url, "token", "list", "--json")[1]
    rows = {row["name"]: row for row in json.loads(text)}
    assert rows["ci"]["revoked_at"] is not None

    code, _, err = invoke(database_url, "token", "revoke", "no-such-token")
    assert code == 1
    assert err.count("\n") == 1 and "no-such-token" in err


def test_the_last_admin_token_is_revoked_only_with_force(database_url: str) -> None:
    code, _, err = invoke(database_url, "token", "revoke", "MODELDECK_ADMIN_TOKEN")
    assert code == 1
    assert "last active admin token" in err and err.count("\n") == 1
    assert status_with(database_url, "mdk_tokens-cli-test") == 200
    code, text, err = invoke(
        database_url, "token", "revoke", "MODELDECK_ADMIN_TOKEN", "--force", "--json"
    )
    assert code == 0, err
    assert json.loads(text)["revoked_at"] is not None
    assert status_with(database_url, "mdk_tokens-cli-test") == 401


def test_token_commands_work_against_a_server_with_url_and_token(tmp_path: Path) -> None:
    with serving(tmp_path, {"MODELDECK_ADMIN_TOKEN": "mdk_server-token-test"}) as (url, _):
        admin = ["--url", url, "--token", "mdk_server-token-test"]
        refused = runner.invoke(cli, ["token", "list", "--url", url])
        assert refused.exit_code == 1
        assert "admin token" in refused.stderr
        listed = runner.invoke(cli, ["token", "list", "--json", *admin])
        assert listed.exit_code == 0, listed.output
        assert [row["name"] for row in json.loads(listed.stdout)] == ["MODELDECK_ADMIN_TOKEN"]
        assert "mdk_server-token-test" not in listed.stdout
        last = runner.invoke(cli, ["token", "revoke", "MODELDECK_ADMIN_TOKEN", *admin])
        assert last.exit_code == 1
        assert "last active admin token" in last.stderr
        token_id = str(json.loads(listed.stdout)[0]["id"])
        forced = runner.invoke(cli, ["token", "revoke", token_id, "--force", *admin])
        assert forced.exit_code == 0, forced.output
        # The server that revoked it refuses it at once.
        after = runner.invoke(cli, ["token", "list", *admin])
        assert after.exit_code == 1
        assert "not valid" in after.stderr
    gone = runner.invoke(cli, ["token", "list", *admin])
    assert gone.exit_code == 1
    assert gone.stderr.count("\n") == 1 and "unreachable" in gone.stderr


async def test_uses_noted_while_serving_are_stored_when_the_app_stops(api: Api) -> None:
    token = await new_token(api, "stopping")
    other = create_app(settings_for(api.backend.url), database=api.database)
    transport = httpx.ASGITransport(app=other)
    async with recording_token_use(other.state.token_usage, api.database):
        async with httpx.AsyncClient(transport=transport, base_url="http://other") as client:
            assert (await client.get("/api/models", headers=bearer(token))).status_code == 200
        async with api.database.read() as session:
            statement = select(ApiTokenRow).where(ApiTokenRow.name == "stopping")
            row = (await session.execute(statement)).scalar_one()
            assert row.last_used_at is None  # noted in memory, not written by the request
    assert (await named(api, "stopping"))["last_used_at"] is not None


async def test_when_every_admin_token_is_revoked_serve_makes_a_new_one(api: Api) -> None:
    async with api.database.read() as session:
        assert await has_admin(session)
    for row in await listed(api):
        if row["role"] == "admin" and row["revoked_at"] is None:
            async with api.database.write() as session:
                await revoke_token(session, row["id"], force=True)
    async with api.database.read() as session:
        assert not await has_admin(session)  # so `serve` prints a fresh admin token

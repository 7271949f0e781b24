"""`POST /api/models/{ref}/test` never leaks a key, probes the network or exfiltrates a variable.

Every provider here is a loopback server; `/test` reaches one only because the test's settings
allow 127.0.0.1. Non-loopback addresses are judged without connecting (the guard's own step).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from conftest import Backend, model_body, settings_for
from fake_openai import FakeOpenAI, fake_openai, serve_in_thread
from modeldeck.api_keys import Scrubber
from modeldeck.app import create_app
from modeldeck.client.errors import EndpointNotAllowed
from modeldeck.db import Database
from modeldeck.deployments.policy import OutboundPolicy
from modeldeck.deployments.transport import GuardedBackend, guarded_http_client
from modeldeck.settings import Settings
from serving import free_port

pytestmark = pytest.mark.anyio

# Mixed case, so that a provider echoing it upper- or lower-cased is caught.
KEY = "sk-Guard" + uuid.uuid4().hex[:16] + "XyZ"
KEY_VARIABLE = "GUARD_TEST_API_KEY"
LOOPBACK = "127.0.0.1"


@asynccontextmanager
async def client_for(
    backend: Backend, database: Database, **settings: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """The app on the test database with these settings, signed in as admin."""
    app = create_app(settings_for(backend.url, **settings), database=database)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        headers={"Authorization": f"Bearer {backend.admin_token}"},
    ) as client:
        yield client


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with fake_openai(keys={KEY}, deployments={"gpt-4o"}) as provider:
        yield provider


@pytest.fixture(autouse=True)
def provider_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_VARIABLE, KEY)


def compatible(endpoint: str, **deployment: Any) -> dict[str, Any]:
    return model_body(
        provider="openai_compatible",
        deployment={
            "endpoint": endpoint,
            "deployment": "gpt-4o",
            "api_key_env": KEY_VARIABLE,
            **deployment,
        },
    )


async def create(client: httpx.AsyncClient, body: dict[str, Any]) -> str:
    response = await client.post("/api/models", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def probe(client: httpx.AsyncClient, model_id: str) -> dict[str, Any]:
    """The answer of `/test`, checked to hold no form of the key."""
    response = await client.post(f"/api/models/{model_id}/test")
    assert response.status_code == 200, response.text
    assert KEY.lower() not in response.text.lower()
    answer: dict[str, Any] = response.json()
    return answer


@contextmanager
def provider(app: Starlette) -> Iterator[tuple[str, list[str]]]:
    """A loopback provider from an app; yields its URL and the paths it was asked for."""
    asked: list[str] = []

    async def recording(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            asked.append(scope["path"])
        await app(scope, receive, send)

    with serve_in_thread(recording) as url:
        yield url, asked


def answering(status: int, body: dict[str, Any]) -> Starlette:
    async def chat(_: Request) -> Response:
        return JSONResponse(body, status_code=status)

    return Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])


# --- the allow-list ---------------------------------------------------------------------------


async def test_the_loopback_provider_is_reached_only_because_the_settings_allow_it(
    backend: Backend, database: Database, fake: FakeOpenAI
) -> None:
    async with client_for(backend, database, test_allow_networks=LOOPBACK) as allowed:
        model_id = await create(allowed, compatible(f"{fake.url}/v1"))
        assert (await probe(allowed, model_id))["ok"] is True
    assert len(fake.requests) == 1
    async with client_for(backend, database) as default:
        answer = await probe(default, model_id)
    assert answer["ok"] is False and answer["kind"] == "not_allowed"
    assert answer["error"].startswith("endpoint not allowed: 127.0.0.1 is a loopback address")
    assert "MODELDECK_TEST_ALLOW_NETWORKS" in answer["error"]
    assert len(fake.requests) == 1  # the refused test made no connection


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("localhost", "localhost resolves to 127.0.0.1, a loopback address"),
        ("2130706433", "2130706433 resolves to 127.0.0.1, a loopback address"),
        ("[::ffff:127.0.0.1]", "::ffff:127.0.0.1 is a loopback address"),
        ("0.0.0.0", "0.0.0.0 is the unspecified address"),
        ("[::1]", "::1 is a loopback address"),
    ],
)
async def test_loopback_in_any_spelling_is_refused_before_connecting(
    backend: Backend, database: Database, fake: FakeOpenAI, host: str, reason: str
) -> None:
    port = fake.url.rsplit(":", 1)[1]
    async with client_for(backend, database) as client:
        model_id = await create(client, compatible(f"http://{host}:{port}/v1"))
        answer = await probe(client, model_id)
    assert answer["ok"] is False and answer["kind"] == "not_allowed", answer
    assert reason in answer["error"]
    assert fake.requests == []


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("169.254.169.254", "a link-local address"),
        ("10.1.2.3", "a private address"),
        ("192.168.0.10", "a private address"),
        ("172.16.5.4", "a private address"),
        ("100.64.0.1", "not a public address"),
        ("224.0.0.251", "a multicast address"),
        ("240.0.0.1", "a reserved address"),
        ("0.0.0.0", "the unspecified address"),
        ("::", "the unspecified address"),
        ("fe80::1", "a link-local address"),
        ("fd00::1", "a private address"),
        ("ff02::1", "a multicast address"),
        ("::ffff:169.254.169.254", "a link-local address"),
        ("64:ff9b::a9fe:a9fe", "a link-local address"),
        ("2002:a00:1::", "a private address"),
    ],
)
async def test_internal_addresses_are_refused_without_a_connection(
    address: str, reason: str
) -> None:
    backend = GuardedBackend(OutboundPolicy())
    with pytest.raises(EndpointNotAllowed, match=reason):
        await backend.checked_addresses(address, 443)


async def test_public_addresses_pass_and_the_operator_allows_networks_and_names() -> None:
    assert await GuardedBackend(OutboundPolicy()).checked_addresses("8.8.8.8", 443) == ["8.8.8.8"]
    settings = Settings(test_allow_networks="10.0.0.0/8, fd00::/8, llm.internal")
    policy = OutboundPolicy.from_settings(settings)
    assert policy.address_refusal("10.20.30.40") is None
    assert policy.address_refusal("fd00::5") is None
    assert policy.address_refusal("192.168.1.1") == "a private address"

    async def internal(host: str, port: int) -> list[str]:
        return ["192.168.7.7"]

    guarded = GuardedBackend(policy, internal)
    assert await guarded.checked_addresses("LLM.internal.", 443) == ["192.168.7.7"]
    with pytest.raises(EndpointNotAllowed, match=r"other\.internal resolves to 192\.168\.7\.7"):
        await guarded.checked_addresses("other.internal", 443)


async def test_a_name_is_resolved_once_and_the_connection_goes_to_the_checked_address(
    fake: FakeOpenAI,
) -> None:
    port = int(fake.url.rsplit(":", 1)[1])
    answers = [[LOOPBACK], ["169.254.169.254"]]  # a rebinding name: safe first, internal next
    asked: list[str] = []

    async def rebinding(host: str, _: int) -> list[str]:
        asked.append(host)
        return answers[len(asked) - 1]

    policy = OutboundPolicy.from_settings(Settings(test_allow_networks=LOOPBACK))
    async with guarded_http_client(policy, rebinding) as client:
        response = await client.post(
            f"http://rebind.example:{port}/v1/chat/completions",
            headers={"Authorization": f"Bearer {KEY}"},
            json={"model": "gpt-4o", "messages": []},
        )
    assert response.status_code == 200
    assert asked == ["rebind.example"]
    assert fake.requests[0].headers["host"] == f"rebind.example:{port}"


async def test_a_name_with_several_allowed_addresses_falls_back_to_the_next(
    fake: FakeOpenAI,
) -> None:
    port = int(fake.url.rsplit(":", 1)[1])

    async def dual_stack(host: str, _: int) -> list[str]:
        return ["::1", LOOPBACK]  # the fake listens on 127.0.0.1 only

    policy = OutboundPolicy.from_settings(Settings(test_allow_networks=f"::1,{LOOPBACK}"))
    async with guarded_http_client(policy, dual_stack) as client:
        response = await client.post(
            f"http://both.example:{port}/v1/chat/completions",
            headers={"Authorization": f"Bearer {KEY}"},
            json={"model": "gpt-4o", "messages": []},
        )
    assert response.status_code == 200
    assert len(fake.requests) == 1


async def test_a_name_with_one_internal_address_among_others_is_refused() -> None:
    async def mixed(host: str, port: int) -> list[str]:
        return ["8.8.8.8", "10.0.0.7"]

    with pytest.raises(EndpointNotAllowed, match=r"resolves to 10\.0\.0\.7, a private address"):
        await GuardedBackend(OutboundPolicy(), mixed).checked_addresses("mixed.example", 443)


def test_a_malformed_allow_list_stops_the_server_at_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MODELDECK_TEST_ALLOW_NETWORKS", "127.0.0.1, not a host!")
    with pytest.raises(ValidationError, match="not a host!"):
        Settings()
    monkeypatch.setenv("MODELDECK_TEST_ALLOW_NETWORKS", "10.0.0.0/33")
    with pytest.raises(ValidationError, match="test_allow_networks"):
        Settings()


# --- what comes back --------------------------------------------------------------------------


async def test_a_redirect_is_not_followed(backend: Backend, database: Database) -> None:
    async def moved(_: Request) -> Response:
        return RedirectResponse("/elsewhere/v1/chat/completions", status_code=307)

    async def elsewhere(_: Request) -> Response:
        return JSONResponse({"choices": []})

    app = Starlette(
        routes=[
            Route("/v1/chat/completions", moved, methods=["POST"]),
            Route("/elsewhere/v1/chat/completions", elsewhere, methods=["POST"]),
        ]
    )
    with provider(app) as (url, asked):
        async with client_for(backend, database, test_allow_networks=LOOPBACK) as client:
            answer = await probe(client, await create(client, compatible(f"{url}/v1")))
    assert answer["ok"] is False and answer["kind"] == "redirect" and answer["status"] == 307
    assert asked == ["/v1/chat/completions"]
    assert "/elsewhere" not in answer["error"]


INTERNAL_BODIES = [
    {"message": "INTERNAL-ONLY db_password=hunter2"},  # a shape main used to echo
    {"detail": "INTERNAL-ONLY db_password=hunter2"},
    {"error": "INTERNAL-ONLY db_password=hunter2"},
    "Traceback: INTERNAL-ONLY db_password=hunter2 at 10.0.0.5",
]


async def test_an_internal_500_body_is_never_echoed(backend: Backend, database: Database) -> None:
    async def chat(request: Request) -> Response:
        body = INTERNAL_BODIES[int(request.path_params["n"])]
        if isinstance(body, str):
            return PlainTextResponse(body, status_code=500)
        return JSONResponse(body, status_code=500)

    app = Starlette(routes=[Route("/{n:int}/v1/chat/completions", chat, methods=["POST"])])
    with provider(app) as (url, asked):
        async with client_for(backend, database, test_allow_networks=LOOPBACK) as client:
            for n in range(len(INTERNAL_BODIES)):
                endpoint = f"{url}/{n}/v1"
                answer = await probe(client, await create(client, compatible(endpoint)))
                assert answer["kind"] == "server_error" and answer["status"] == 500
                assert answer["error"] == f"{endpoint} failed (HTTP 500).", n
    assert len(asked) == len(INTERNAL_BODIES)


async def test_a_provider_error_message_is_shown_scrubbed_and_short(
    backend: Backend, database: Database
) -> None:
    said = (
        f"Key {KEY.upper()} (also {KEY.lower()}, Bearer {KEY}) cannot use this model.\n"
        + "x" * 1000
    )
    with provider(answering(400, {"error": {"message": said}})) as (url, _):
        async with client_for(backend, database, test_allow_networks=LOOPBACK) as client:
            answer = await probe(client, await create(client, compatible(f"{url}/v1")))
    assert answer["kind"] == "bad_request" and answer["status"] == 400
    message = answer["error"].split("The provider said: ", 1)[1]
    assert message.startswith("Key *** (also ***, Bearer ***) cannot use this model. xxx")
    assert len(message) <= 200


async def test_network_failures_are_fixed_plain_outcomes(
    backend: Backend, database: Database, fake: FakeOpenAI
) -> None:
    closed = f"http://{LOOPBACK}:{free_port()}/v1"
    plain_http = fake.url.replace("http://", "https://") + "/v1"  # TLS to a plain-HTTP port
    async with client_for(backend, database, test_allow_networks=LOOPBACK) as client:
        refused = await probe(client, await create(client, compatible(closed)))
        tls = await probe(client, await create(client, compatible(plain_http)))
    assert refused["kind"] == "connection"
    assert refused["error"] == f"{closed} refused the connection."
    assert tls["kind"] == "tls"
    assert tls["error"] == f"TLS error: the secure connection to {plain_http} failed."


async def test_an_endpoint_the_http_library_cannot_build_is_a_plain_outcome_not_a_500(
    backend: Backend, database: Database
) -> None:
    endpoint = "http://xn--/v1"  # an empty punycode label: accepted as a URL, no valid host
    async with client_for(backend, database) as client:
        answer = await probe(client, await create(client, compatible(endpoint)))
    assert answer["ok"] is False and answer["kind"] == "error"
    assert answer["error"] == f"No request can be made to {endpoint}: its URL is not valid."


# --- keys -------------------------------------------------------------------------------------


@pytest.mark.parametrize("variable", ["PATH", "HOME", "MODELDECK_SECRET_KEY"])
async def test_only_allowed_variables_are_read_as_keys(
    backend: Backend, database: Database, fake: FakeOpenAI, variable: str
) -> None:
    async with client_for(backend, database, test_allow_networks=LOOPBACK) as client:
        model_id = await create(client, compatible(f"{fake.url}/v1", api_key_env=variable))
        response = await client.post(f"/api/models/{model_id}/test")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["errors"][0]["field"] == "deployment.api_key_env"
    assert fake.requests == []


async def test_the_operator_chooses_which_variables_may_hold_keys(
    backend: Backend, database: Database, fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEAM_LLM_TOKEN", KEY)
    monkeypatch.setenv("MODELDECK_SECRET_KEY", KEY)
    allow = {"test_allow_networks": LOOPBACK, "test_key_env_allow": "TEAM_*, *"}
    async with client_for(backend, database, **allow) as client:
        team = await create(client, compatible(f"{fake.url}/v1", api_key_env="TEAM_LLM_TOKEN"))
        assert (await probe(client, team))["ok"] is True
        server = await create(
            client, compatible(f"{fake.url}/v1", api_key_env="MODELDECK_SECRET_KEY")
        )
        response = await client.post(f"/api/models/{server}/test")
    assert response.status_code == 422  # "*" never opens the server's own settings
    assert "MODELDECK_*" in response.json()["errors"][0]["message"]
    assert len(fake.requests) == 1


@pytest.mark.parametrize(
    "key",
    [KEY + "\n", " " + KEY, KEY + " ", "sk-a b", "sk-\x00ab", "sk-\u200bab"],
    # Ids that every xdist worker collects alike (KEY is drawn at import) and that name no key.
    ids=["newline-after", "space-before", "space-after", "space-inside", "nul", "zero-width"],
)
async def test_a_key_with_whitespace_or_control_characters_is_refused_at_write(
    backend: Backend, database: Database, key: str
) -> None:
    async with client_for(backend, database) as client:
        body = compatible("https://llm.example/v1", api_key=key, api_key_env=None)
        response = await client.post("/api/models", json=body)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"][0]["field"] == "deployment.api_key"
        assert key.strip() not in response.text
        assert (await client.get(f"/api/models/{body['name']}")).status_code == 404
        model_id = await create(client, compatible("https://llm.example/v1"))
        patched = await client.patch(
            f"/api/models/{model_id}", json={"deployment": {"api_key": key}}
        )
        assert patched.status_code == 422
        assert patched.json()["errors"][0]["field"] == "deployment.api_key"


async def test_a_key_with_a_newline_in_the_environment_is_not_sent(
    backend: Backend, database: Database, fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_VARIABLE, KEY + "\n")
    async with client_for(backend, database, test_allow_networks=LOOPBACK) as client:
        answer = await probe(client, await create(client, compatible(f"{fake.url}/v1")))
    assert answer["ok"] is False and answer["kind"] == "bad_key"
    assert KEY_VARIABLE in answer["error"] and "whitespace" in answer["error"]
    assert fake.requests == []


KEYS = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="*"),
    min_size=8,
    max_size=64,
)


@given(key=KEYS, before=st.text(max_size=40), after=st.text(max_size=40))
def test_the_scrubber_removes_every_form_a_key_is_sent_or_echoed_in(
    key: str, before: str, after: str
) -> None:
    scrub = Scrubber([key + "\n"])
    forms = [
        key,
        key + "\n",
        key.upper(),
        key.lower(),
        key.swapcase(),
        f"Bearer {key}",
        repr(f"Bearer {key}\n".encode()),
        repr(key + "\n"),
        quote(key, safe=""),
        json.dumps({"key": key}),
    ]
    for form in forms:
        scrubbed = scrub(before + form + after)
        assert key.lower() not in scrubbed.lower(), form

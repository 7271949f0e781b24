"""Every model on Amazon Bedrock gets a client: boto3's Converse API for those that are not
Claude, driven for real against a loopback fake of Bedrock's HTTP API (over TLS: botocore
sends a Bedrock API key over HTTPS only). Also: OpenAI-style tools reach each provider's API
in its own shape, checked on the wire through each real SDK."""

from __future__ import annotations

import asyncio
import binascii
import datetime
import ipaddress
import json
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import botocore.exceptions
import httpx
import pytest
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from modeldeck.client import ClientPool, Model
from modeldeck.client.bedrock import AsyncBedrockConverse
from modeldeck.client.errors import MissingExtra, UnsupportedProvider
from modeldeck.deployments.policy import OutboundPolicy
from modeldeck.deployments.transport import guarded_http_client
from modeldeck.settings import Settings
from test_provider_clients import FakeProviders

pytestmark = pytest.mark.anyio

KEY = "bedrock-Test-key-" + uuid.uuid4().hex[:12]
LLAMA = "meta.llama3-1-8b-instruct-v1:0"
MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "ping"}]
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "The weather in a city.",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]
USAGE = {"inputTokens": 1000, "outputTokens": 100, "totalTokens": 1100}
PRICING = {"input": "0.22", "output": "0.22"}  # USD per million tokens


# --- a Bedrock runtime on loopback, over TLS ----------------------------------------------------


@dataclass
class Tls:
    cert: Path
    key: Path
    context: ssl.SSLContext


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Tls:
    """A self-signed certificate for 127.0.0.1, and a client context that trusts it."""
    folder = tmp_path_factory.mktemp("bedrock-tls")
    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=365 * 30))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(private, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Tls(cert_path, key_path, ssl.create_default_context(cafile=str(cert_path)))


@contextmanager
def serve_tls(app: Any, tls: Tls) -> Iterator[str]:
    """An ASGI app served by uvicorn over TLS on a free loopback port; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        log_level="warning",
        lifespan="off",
        timeout_graceful_shutdown=1,
        ssl_certfile=str(tls.cert),
        ssl_keyfile=str(tls.key),
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise TimeoutError("the fake Bedrock did not start")
        time.sleep(0.01)
    try:
        yield f"https://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def event_message(event_type: str, payload: dict[str, Any]) -> bytes:
    """One message of AWS's event stream (binary framing, CRC32 checked by botocore)."""
    headers = b""
    for name, value in (
        (":event-type", event_type),
        (":content-type", "application/json"),
        (":message-type", "event"),
    ):
        raw = value.encode()
        headers += bytes([len(name)]) + name.encode() + b"\x07" + struct.pack(">H", len(raw)) + raw
    body = json.dumps(payload).encode()
    total = 12 + len(headers) + len(body) + 4
    prelude = struct.pack(">II", total, len(headers))
    prelude += struct.pack(">I", binascii.crc32(prelude))
    message = prelude + headers + body
    return message + struct.pack(">I", binascii.crc32(message))


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class FakeBedrock:
    """`POST /model/{modelId}/converse` and `/converse-stream`, as Bedrock's runtime answers.

    A Bedrock API key must come as `Bearer KEY`; a SigV4 signature is taken as it is (its
    header is recorded). `fail` answers that many 503s first; `delay` waits before answering.
    """

    url: str = ""
    requests: list[Seen] = field(default_factory=list)
    fail: int = 0
    delay: float = 0.0

    async def handle(self, request: Request) -> Response:
        path = request.url.path
        body = json.loads(await request.body() or b"{}")
        self.requests.append(Seen(path, dict(request.headers), body))
        sent = request.headers.get("authorization", "")
        if not (sent == f"Bearer {KEY}" or sent.startswith("AWS4-HMAC-SHA256 ")):
            return self.error(403, "AccessDeniedException", f"Invalid API key {sent}")
        if self.fail > 0:
            self.fail -= 1
            return self.error(503, "ServiceUnavailableException", "Try again")
        if self.delay:
            await asyncio.sleep(self.delay)
        if path.endswith("/converse-stream"):
            return StreamingResponse(self.events(), media_type="application/vnd.amazon.eventstream")
        return JSONResponse(
            {
                "output": {"message": {"role": "assistant", "content": [{"text": "pong"}]}},
                "stopReason": "end_turn",
                "usage": USAGE,
                "metrics": {"latencyMs": 12},
            }
        )

    @staticmethod
    async def events() -> AsyncIterator[bytes]:
        yield event_message("messageStart", {"role": "assistant"})
        for text in ("po", "ng"):
            yield event_message(
                "contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": text}}
            )
        yield event_message("contentBlockStop", {"contentBlockIndex": 0})
        yield event_message("messageStop", {"stopReason": "end_turn"})
        yield event_message("metadata", {"usage": USAGE, "metrics": {"latencyMs": 12}})

    @staticmethod
    def error(status: int, code: str, message: str) -> Response:
        return JSONResponse(
            {"message": message}, status_code=status, headers={"x-amzn-ErrorType": code}
        )

    async def moved(self, request: Request) -> Response:
        self.requests.append(Seen(request.url.path, dict(request.headers), {}))
        return RedirectResponse("/elsewhere", status_code=307)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/moved/model/{model}/converse", self.moved, methods=["POST"]),
                Route("/model/{model}/{operation}", self.handle, methods=["POST"]),
            ]
        )


@pytest.fixture(scope="module")
def served(tls: Tls) -> Iterator[FakeBedrock]:
    fake = FakeBedrock()
    with serve_tls(fake.app(), tls) as url:
        fake.url = url
        yield fake


@pytest.fixture
def fake(served: FakeBedrock, monkeypatch: pytest.MonkeyPatch, tls: Tls) -> FakeBedrock:
    served.requests.clear()
    served.fail = 0
    served.delay = 0.0
    # boto3's own HTTP library trusts the fake's certificate (the sync client only).
    monkeypatch.setenv("AWS_CA_BUNDLE", str(tls.cert))
    for variable in ("AWS_BEARER_TOKEN_BEDROCK", "AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(variable, raising=False)
    return served


def llama(endpoint: str | None, **overrides: Any) -> Model:
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "name": "bedrock/llama",
        "provider": "other",
        "tags": ["family:llama", "host:bedrock", "vendor:meta"],
        "context_window": 128000,
        "max_output_tokens": 2048,
        "version": 1,
        "capabilities": {"tools": True},
        "deployment": {"endpoint": endpoint, "deployment": LLAMA, "api_key_env": "BEDROCK_KEY"},
        "limits": {"max_retries": 0, "base_timeout_s": 5, "max_timeout_s": 10},
        "pricing": PRICING,
    }
    body.update(overrides)
    return Model.model_validate(body)


ENV = {"BEDROCK_KEY": KEY, "AWS_REGION": "eu-west-3"}


@pytest.fixture
async def pool(fake: FakeBedrock, tls: Tls) -> AsyncIterator[ClientPool]:
    made = ClientPool.from_models(
        [llama(fake.url)], environ=ENV, http_client=httpx.AsyncClient(verify=tls.context)
    )
    try:
        yield made
    finally:
        await made.close()


def text_of(answer: dict[str, Any]) -> str:
    return str(answer["output"]["message"]["content"][0]["text"])


def check_request(seen: Seen, operation: str = "converse") -> None:
    assert seen.path == f"/model/{LLAMA}/{operation}"
    assert seen.headers["authorization"] == f"Bearer {KEY}"
    assert seen.body["messages"] == [{"role": "user", "content": [{"text": "ping"}]}]
    assert seen.body["system"] == [{"text": "Be brief."}]
    assert seen.body["inferenceConfig"] == {"maxTokens": 5, "temperature": 0.1, "topP": 0.9}
    assert seen.body["toolConfig"] == {
        "tools": [
            {
                "toolSpec": {
                    "name": "get_weather",
                    "description": "The weather in a city.",
                    "inputSchema": {"json": TOOLS[0]["function"]["parameters"]},  # type: ignore[index]
                }
            }
        ],
        "toolChoice": {"tool": {"name": "get_weather"}},
    }


def params(pool: ClientPool, name: str = "bedrock/llama", **extra: Any) -> dict[str, Any]:
    return pool.chat_params(
        name,
        messages=MESSAGES,
        max_tokens=5,
        temperature=0.1,
        top_p=0.9,
        tools=TOOLS,
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
        **extra,
    )


# --- the clients --------------------------------------------------------------------------------


async def test_the_async_client_calls_converse_through_the_pools_connections(
    pool: ClientPool, fake: FakeBedrock, tls: Tls
) -> None:
    client = pool.client("bedrock/llama")
    assert isinstance(client, AsyncBedrockConverse)
    answer = await client.converse(**params(pool))
    assert text_of(answer) == "pong"
    (seen,) = fake.requests
    check_request(seen)
    # A whole boto3 response is priced: 1000 in + 100 out at 0.22 per million.
    assert pool.cost("bedrock/llama", answer).total == Decimal("0.000242")


async def test_the_async_client_streams_converse(pool: ClientPool, fake: FakeBedrock) -> None:
    answer = await pool.client("bedrock/llama").converse_stream(**params(pool, stream=True))
    texts: list[str] = []
    usage = None
    async for event in answer["stream"]:
        if "contentBlockDelta" in event:
            texts.append(event["contentBlockDelta"]["delta"]["text"])
        if "metadata" in event:
            usage = event["metadata"]["usage"]
    assert "".join(texts) == "pong"
    check_request(fake.requests[-1], "converse-stream")
    assert pool.cost("bedrock/llama", usage).total == Decimal("0.000242")


def test_the_sync_client_is_boto3s_own(fake: FakeBedrock) -> None:
    pool = ClientPool.from_models([llama(fake.url)], environ=ENV)
    client = pool.sync_client("bedrock/llama")
    assert type(client).__name__ == "BedrockRuntime"
    assert pool.sync_client("bedrock/llama") is client
    answer = client.converse(**params(pool))
    assert text_of(answer) == "pong"
    check_request(fake.requests[-1])
    assert pool.cost("bedrock/llama", answer).total == Decimal("0.000242")
    streamed = client.converse_stream(**params(pool))
    events = list(streamed["stream"])
    assert events[-1]["metadata"]["usage"] == USAGE
    check_request(fake.requests[-1], "converse-stream")


def test_region_timeouts_and_retries_come_from_the_record(fake: FakeBedrock) -> None:
    limits = {"max_retries": 4, "base_timeout_s": 3, "max_timeout_s": 40}
    records = [
        llama("https://bedrock-runtime.ap-south-1.amazonaws.com", name="east", limits=limits),
        llama(None, name="nowhere-given"),
    ]
    pool = ClientPool.from_models(records, environ=ENV)
    client = pool.sync_client("east")
    assert client.meta.region_name == "ap-south-1"
    assert client.meta.endpoint_url == "https://bedrock-runtime.ap-south-1.amazonaws.com"
    config = client.meta.config
    assert (config.read_timeout, config.connect_timeout) == (40, 3)
    assert config.retries["total_max_attempts"] == 5  # the first attempt and 4 retries
    assert config.signature_version == "bearer"
    assert pool.client("east").region == "ap-south-1"
    # No endpoint: AWS_REGION, and Bedrock's own endpoint there.
    assert pool.sync_client("nowhere-given").meta.region_name == "eu-west-3"


def test_retries_and_timeouts_are_applied(fake: FakeBedrock) -> None:
    retried = llama(fake.url, name="retried", limits={"max_retries": 1, "max_timeout_s": 10})
    slow = llama(fake.url, name="slow", limits={"max_retries": 0, "max_timeout_s": 1})
    pool = ClientPool.from_models([retried, slow], environ=ENV)
    fake.fail = 1
    assert text_of(pool.sync_client("retried").converse(**params(pool, "retried"))) == "pong"
    assert len(fake.requests) == 2
    fake.fail = 2
    with pytest.raises(botocore.exceptions.ClientError, match="ServiceUnavailable"):
        pool.sync_client("retried").converse(**params(pool, "retried"))
    assert len(fake.requests) == 4  # 1 retry, no more
    fake.delay = 3
    started = time.monotonic()
    with pytest.raises(botocore.exceptions.ReadTimeoutError):
        pool.sync_client("slow").converse(**params(pool, "slow"))
    assert time.monotonic() - started < 2.5


async def test_the_async_client_retries_and_times_out_like_boto3(
    fake: FakeBedrock, tls: Tls
) -> None:
    retried = llama(fake.url, name="retried", limits={"max_retries": 1, "max_timeout_s": 10})
    slow = llama(fake.url, name="slow", limits={"max_retries": 0, "max_timeout_s": 1})
    pool = ClientPool.from_models(
        [retried, slow], environ=ENV, http_client=httpx.AsyncClient(verify=tls.context)
    )
    try:
        fake.fail = 1
        assert text_of(await pool.client("retried").converse(**params(pool, "retried"))) == "pong"
        assert len(fake.requests) == 2
        fake.delay = 3
        started = time.monotonic()
        with pytest.raises(botocore.exceptions.ReadTimeoutError):
            await pool.client("slow").converse(**params(pool, "slow"))
        assert time.monotonic() - started < 2.5
    finally:
        await pool.close()


def test_without_a_key_boto3_signs_with_the_default_aws_credentials(
    fake: FakeBedrock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    unset = llama(fake.url, name="unset")  # names BEDROCK_KEY, which is not set here
    pool = ClientPool.from_models([unset], environ={"AWS_REGION": "eu-west-3"})
    pool.sync_client("unset").converse(**params(pool, "unset"))
    signed = fake.requests[-1].headers["authorization"]
    assert signed.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/eu-west-3/bedrock/aws4_request" in signed
    # AWS_BEARER_TOKEN_BEDROCK in the pool's environment is a Bedrock API key, as for boto3.
    no_variable = llama(
        fake.url, name="plain", deployment={"endpoint": fake.url, "deployment": LLAMA}
    )
    pool = ClientPool.from_models(
        [no_variable], environ={"AWS_REGION": "eu-west-3", "AWS_BEARER_TOKEN_BEDROCK": KEY}
    )
    pool.sync_client("plain").converse(**params(pool, "plain"))
    assert fake.requests[-1].headers["authorization"] == f"Bearer {KEY}"


def test_without_boto3_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    for module in ("boto3", "botocore.config"):
        monkeypatch.setitem(sys.modules, module, None)  # as if not installed
    pool = ClientPool.from_models([llama(None)], environ=ENV)
    with pytest.raises(MissingExtra, match=r"pip install 'modeldeck\[bedrock\]'"):
        pool.client("bedrock/llama")
    with pytest.raises(UnsupportedProvider):
        pool.sync_client("bedrock/llama")
    assert pool.chat_params("bedrock/llama", messages=MESSAGES)["modelId"] == LLAMA


def test_boto3_loads_only_when_a_bedrock_client_is_built() -> None:
    code = """
import sys
from modeldeck.client import ClientPool, Model
def record(name, **fields):
    return Model.model_validate({"id": name, "version": 1, "name": name,
        "deployment": {"api_key_env": "K", "deployment": "meta.llama3-8b-instruct-v1:0"},
        "context_window": 1, "max_output_tokens": 1, **fields})
environ = {"K": "k", "AWS_REGION": "us-east-1"}
ClientPool.from_models([record("gpt-4o", provider="openai")], environ=environ).client("gpt-4o")
before = "boto3" in sys.modules or "botocore" in sys.modules
llama = record("llama", provider="other", tags=["host:bedrock"])
ClientPool.from_models([llama], environ=environ).client("llama")
print(before, "boto3" in sys.modules)
"""
    ran = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.split() == ["False", "True"]


def test_chat_params_are_converses_from_the_record_alone() -> None:
    pool = ClientPool.from_models([llama(None)], environ={})  # no key, no region
    got = pool.chat_params(
        "bedrock/llama",
        system="Answer in French.",
        messages=[
            *MESSAGES,
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
            {"role": "user", "content": [{"type": "text", "text": "and now?"}]},
        ],
        max_completion_tokens=50,
        stop="END",
        seed=1,
        stream=True,
        tools=TOOLS,
        tool_choice="auto",
        additionalModelRequestFields={"top_k": 5},
    )
    assert got == {
        "modelId": LLAMA,
        "system": [{"text": "Answer in French."}, {"text": "Be brief."}],
        "messages": [
            {"role": "user", "content": [{"text": "ping"}]},
            {
                "role": "assistant",
                "content": [
                    {
                        "toolUse": {
                            "toolUseId": "call_1",
                            "name": "get_weather",
                            "input": {"city": "Paris"},
                        }
                    }
                ],
            },
            {
                "role": "user",
                "content": [
                    {"toolResult": {"toolUseId": "call_1", "content": [{"text": "sunny"}]}},
                    {"text": "and now?"},
                ],
            },
        ],
        "inferenceConfig": {"maxTokens": 50, "stopSequences": ["END"]},
        "toolConfig": {
            "tools": [
                {
                    "toolSpec": {
                        "name": "get_weather",
                        "description": "The weather in a city.",
                        "inputSchema": {"json": TOOLS[0]["function"]["parameters"]},  # type: ignore[index]
                    }
                }
            ],
            "toolChoice": {"auto": {}},
        },
        "additionalModelRequestFields": {"top_k": 5},
    }
    # Converse's own tools pass as they are; "none" (which Converse lacks) sends no tools.
    native = [{"toolSpec": {"name": "x", "inputSchema": {"json": {"type": "object"}}}}]
    assert pool.chat_params("bedrock/llama", tools=native)["toolConfig"] == {"tools": native}
    assert "toolConfig" not in pool.chat_params("bedrock/llama", tools=TOOLS, tool_choice="none")
    # A model without the tools capability gets none.
    plain = ClientPool.from_models([llama(None, capabilities={"tools": False})], environ={})
    assert "toolConfig" not in plain.chat_params("bedrock/llama", tools=TOOLS)


# --- the probe (POST /api/models/{ref}/test) ----------------------------------------------------


async def test_ping_calls_converse_once(pool: ClientPool, fake: FakeBedrock) -> None:
    answer = await pool.ping("bedrock/llama")
    assert answer.ok, answer
    (seen,) = fake.requests
    assert seen.path == f"/model/{LLAMA}/converse"
    assert seen.body["inferenceConfig"] == {"maxTokens": 1}
    fake.fail = 5
    answer = await pool.ping("bedrock/llama")
    assert answer.kind == "server_error" and answer.status == 503
    assert len(fake.requests) == 2  # no retries


async def test_ping_with_a_wrong_key_is_auth_without_the_key(fake: FakeBedrock, tls: Tls) -> None:
    wrong = "bedrock-wrong-key-1234567890"
    pool = ClientPool.from_models(
        [llama(fake.url)],
        environ={**ENV, "BEDROCK_KEY": wrong},
        http_client=httpx.AsyncClient(verify=tls.context),
    )
    answer = await pool.ping("bedrock/llama")
    await pool.close()
    assert answer.kind == "auth" and answer.status == 403, answer
    assert wrong not in json.dumps(answer.as_dict())


async def test_ping_goes_through_the_pools_http_client(fake: FakeBedrock, tls: Tls) -> None:
    sent: list[str] = []

    async def record_request(request: httpx.Request) -> None:
        sent.append(request.url.path)

    http = httpx.AsyncClient(verify=tls.context, event_hooks={"request": [record_request]})
    pool = ClientPool.from_models([llama(fake.url)], environ=ENV, http_client=http)
    try:
        assert (await pool.ping("bedrock/llama")).ok
    finally:
        await pool.close()
    assert sent == [f"/model/{LLAMA}/converse"]


async def test_ping_keeps_the_servers_guards(fake: FakeBedrock, tls: Tls) -> None:
    """The server's guarded transport: loopback refused before connecting; allowed, TLS is
    checked against the system's roots only; a redirect is answered, not followed."""
    refused = ClientPool.from_models(
        [llama(fake.url)], environ=ENV, http_client=guarded_http_client(OutboundPolicy())
    )
    answer = await refused.ping("bedrock/llama")
    await refused.close()
    assert answer.kind == "not_allowed", answer
    assert "loopback" in (answer.error or "")
    allowed = OutboundPolicy.from_settings(Settings(test_allow_networks="127.0.0.1"))
    untrusted = ClientPool.from_models(
        [llama(fake.url)], environ=ENV, http_client=guarded_http_client(allowed)
    )
    answer = await untrusted.ping("bedrock/llama")
    await untrusted.close()
    assert answer.kind == "tls", answer
    assert fake.requests == []
    moved = ClientPool.from_models(
        [llama(f"{fake.url}/moved")],
        environ=ENV,
        http_client=httpx.AsyncClient(verify=tls.context, follow_redirects=False),
    )
    answer = await moved.ping("bedrock/llama")
    await moved.close()
    assert answer.kind == "redirect" and answer.status == 307, answer
    assert [seen.path for seen in fake.requests] == [f"/moved/model/{LLAMA}/converse"]


async def test_ping_without_a_key_does_not_use_aws_credentials() -> None:
    pool = ClientPool.from_models(
        [llama("https://bedrock-runtime.us-east-1.amazonaws.com")], environ={}
    )
    answer = await pool.ping("bedrock/llama")
    await pool.close()
    assert answer.kind == "missing_key", answer


# --- tools across providers ---------------------------------------------------------------------


def provider_models(url: str) -> dict[str, Model]:
    def make(name: str, provider: str, deployment: str, endpoint: str, **extra: Any) -> Model:
        return Model.model_validate(
            {
                "id": str(uuid.uuid4()),
                "name": name,
                "provider": provider,
                "context_window": 200000,
                "max_output_tokens": 1024,
                "version": 1,
                "capabilities": {"tools": True},
                "limits": {"max_retries": 0, "base_timeout_s": 5, "max_timeout_s": 10},
                "deployment": {
                    "endpoint": endpoint,
                    "deployment": deployment,
                    "api_key_env": "PROVIDER_TEST_KEY",
                },
                **extra,
            }
        )

    vertex = f"{url}/v1/projects/proj-1/locations/us-east5"
    return {
        "anthropic": make("claude", "anthropic", "claude-sonnet-4-5", url),
        "bedrock": make(
            "bedrock/claude",
            "other",
            "anthropic.claude-sonnet-4-5-v1:0",
            url,
            tags=["host:bedrock", "vendor:anthropic"],
        ),
        "google": make("gemini", "google", "gemini-2.5-flash", url),
        "vertex_google": make(
            "vertex/gemini", "google", "gemini-2.5-pro", vertex, tags=["host:vertex_ai"]
        ),
        "mistral": make("mistral", "mistral", "mistral-large-latest", url),
    }


@pytest.fixture(scope="module")
def providers() -> Iterator[FakeProviders]:
    from fake_openai import serve_in_thread

    fake = FakeProviders()
    with serve_in_thread(fake.app()) as url:
        fake.url = url
        yield fake


@pytest.mark.parametrize("kind", ["anthropic", "bedrock", "google", "vertex_google", "mistral"])
async def test_openai_style_tools_reach_each_api_in_its_own_shape(
    kind: str, providers: FakeProviders
) -> None:
    records = provider_models(providers.url)
    pool = ClientPool.from_models(
        records.values(),
        environ={"PROVIDER_TEST_KEY": "provider-test-key", "AWS_REGION": "eu-west-3"},
    )
    name = records[kind].name
    sent = pool.chat_params(
        name,
        messages=MESSAGES,
        max_tokens=5,
        tools=TOOLS,
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
    )
    providers.requests.clear()
    client = pool.client(name)
    try:
        if kind in ("google", "vertex_google"):
            await client.models.generate_content(**sent)
        elif kind == "mistral":
            await client.chat.complete_async(**sent)
        else:
            await client.messages.create(**sent)
    finally:
        await pool.close()
    body = providers.requests[-1].body
    function = TOOLS[0]["function"]
    if kind in ("anthropic", "bedrock"):
        assert body["tools"] == [
            {
                "name": "get_weather",
                "description": "The weather in a city.",
                "input_schema": function["parameters"],  # type: ignore[index]
            }
        ]
        assert body["tool_choice"] == {"type": "tool", "name": "get_weather"}
    elif kind == "mistral":
        assert body["tools"] == TOOLS
        assert body["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    else:
        (tool,) = body["tools"]
        (declaration,) = tool["functionDeclarations"]
        assert declaration.pop("name") == "get_weather"
        assert declaration.pop("description") == "The weather in a city."
        # google-genai sends the JSON Schema under the field's own (snake_case) name, which
        # Google's APIs read as they read camelCase.
        assert declaration == {"parameters_json_schema": function["parameters"]}  # type: ignore[index]
        # Gemini's API gets camelCase here and Vertex snake_case: both read either.
        calling = body["toolConfig"]["functionCallingConfig"]
        names = calling.get("allowedFunctionNames", calling.get("allowed_function_names"))
        assert (calling["mode"], names) == ("ANY", ["get_weather"])


def test_tool_choices_and_native_tools_per_api() -> None:
    records = provider_models("http://127.0.0.1:9")
    pool = ClientPool.from_models(records.values(), environ={})

    def anthropic(**given: Any) -> dict[str, Any]:
        return pool.chat_params("claude", messages=MESSAGES, tools=TOOLS, **given)

    assert anthropic(tool_choice="auto")["tool_choice"] == {"type": "auto"}
    assert anthropic(tool_choice="required")["tool_choice"] == {"type": "any"}
    assert anthropic(tool_choice="none")["tool_choice"] == {"type": "none"}
    assert anthropic(parallel_tool_calls=False)["tool_choice"] == {
        "type": "auto",
        "disable_parallel_tool_use": True,
    }
    native = [{"name": "x", "input_schema": {"type": "object"}}, {"type": "web_search_20250305"}]
    kept = pool.chat_params("claude", tools=native, tool_choice={"type": "any"})
    assert kept["tools"] == native and kept["tool_choice"] == {"type": "any"}

    def gemini(**given: Any) -> dict[str, Any]:
        config: dict[str, Any] = pool.chat_params("gemini", messages=MESSAGES, **given)["config"]
        return config

    assert gemini(tools=TOOLS, tool_choice="none")["tool_config"] == {
        "function_calling_config": {"mode": "NONE"}
    }
    search = {"google_search": {}}
    assert gemini(tools=[*TOOLS, search])["tools"][1] == search
    assert gemini(tools=[search])["tools"] == [search]
    assert pool.chat_params("mistral", tools=TOOLS, tool_choice="required")["tool_choice"] == (
        "required"
    )

"""Models on Amazon Bedrock other than Claude (Llama, Mistral, Nova…): boto3's Converse API.

`sync_client(name)` is boto3's own `bedrock-runtime` client (`converse`, `converse_stream`),
sending with boto3's HTTP library. boto3 has no async client, so `client(name)` is
`AsyncBedrockConverse`: the same boto3 calls, each run on a worker thread, whose HTTP request
is sent by the pool's shared `httpx.AsyncClient` on the caller's event loop (botocore's
`before-send` event hands it over). So these calls share the pool's connections like every
other client's, and the server's `/test` sends them through its guarded transport.

Keys: a Bedrock API key (the record's `api_key_env`, else `AWS_BEARER_TOKEN_BEDROCK` in the
pool's environment) is sent as `Authorization: Bearer`, through botocore's own bearer support
(`signature_version="bearer"`), given to each client through a botocore session of its own:
the process environment is never written, and no AWS credential is looked up (so no call to
the instance metadata service). botocore sends a bearer token over HTTPS only. Without a key,
boto3's default credential chain signs with SigV4 (environment, `~/.aws`, SSO, instance
role…); the async client looks them up on its first call, not when the pool builds it.
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import importlib
import threading
from collections.abc import AsyncIterator, Iterator, Mapping
from types import ModuleType
from typing import Any

import httpx

from modeldeck.client.errors import MissingExtra
from modeldeck.client.providers import ClientSpec

SERVICE = "bedrock-runtime"
INSTALL = "pip install 'modeldeck[bedrock]'"
# The event loop and httpx client the running async call sends with (set around each call).
_SENDER: contextvars.ContextVar[_Sender | None] = contextvars.ContextVar(
    "modeldeck_bedrock_sender", default=None
)


def _import(module: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise MissingExtra(
            "The boto3 SDK is not installed, and models on Amazon Bedrock other than Claude "
            f"need it (Bedrock's Converse API): {INSTALL}."
        ) from error


def require_sdk() -> None:
    """Raises `MissingExtra` naming the extra when boto3 is not installed."""
    _import("boto3")
    _import("botocore.config")


class _Token:
    """botocore's token provider for one client: the Bedrock API key the pool resolved."""

    def __init__(self, key: str) -> None:
        self._key = key

    def load_token(self, **_: Any) -> Any:
        tokens = _import("botocore.tokens")
        return tokens.FrozenAuthToken(self._key)


def build_boto3(spec: ClientSpec) -> Any:
    """boto3's `bedrock-runtime` client for a record: its region, endpoint, key, timeouts and
    retries (`max_attempts` is the number of retries, as `max_retries`)."""
    boto3 = _import("boto3")
    config_module = _import("botocore.config")
    session_module = _import("botocore.session")
    options: dict[str, Any] = {
        "connect_timeout": spec.connect_timeout_s,
        "read_timeout": spec.timeout_s,
        "retries": {"max_attempts": spec.max_retries, "mode": "standard"},
    }
    core = session_module.Session()
    if spec.api_key is not None:
        credentials = _import("botocore.credentials")
        core.register_component("token_provider", _Token(spec.api_key))
        # No AWS credentials are looked for: the key is the only one sent.
        core.register_component("credential_provider", credentials.CredentialResolver([]))
        options["signature_version"] = "bearer"
    session = boto3.session.Session(botocore_session=core, region_name=spec.region)
    return session.client(
        SERVICE,
        region_name=spec.region,
        endpoint_url=spec.endpoint or None,
        config=config_module.Config(**options),
    )


@dataclasses.dataclass(frozen=True)
class _Sender:
    loop: asyncio.AbstractEventLoop
    http: httpx.AsyncClient
    timeout: httpx.Timeout


class AsyncBedrockConverse:
    """The async client `ClientPool.client()` gives a Bedrock model that is not Claude.

    `await converse(**params)` and `await converse_stream(**params)` take and answer what
    boto3's do (`pool.chat_params(name, ...)` makes the params); `converse_stream`'s
    `"stream"` is iterated with `async for`. Each call runs boto3 on a worker thread (boto3
    has no async client) and sends its HTTP request with the pool's `httpx.AsyncClient` on
    the calling loop; botocore still builds, signs, retries and parses. `boto3_client` is
    the boto3 client itself (made on first use; called directly it sends by itself).
    """

    def __init__(self, spec: ClientSpec, http_client: httpx.AsyncClient | None) -> None:
        require_sdk()
        self.spec = spec
        self.region = spec.region
        self.max_retries = spec.max_retries
        self.timeout = spec.timeout
        self._http = http_client
        self._client: Any = None
        self._lock = threading.Lock()

    @property
    def boto3_client(self) -> Any:
        with self._lock:
            if self._client is None:
                client = build_boto3(self.spec)
                client.meta.events.register(f"before-send.{SERVICE}", _send_with_httpx)
                self._client = client
            return self._client

    def with_options(
        self, *, max_retries: int | None = None, timeout: float | None = None
    ) -> AsyncBedrockConverse:
        """A copy with other retries or read timeout (seconds), on the same connections."""
        spec = self.spec
        if max_retries is not None:
            spec = dataclasses.replace(spec, max_retries=max_retries)
        if timeout is not None:
            spec = dataclasses.replace(
                spec, timeout_s=timeout, connect_timeout_s=min(spec.connect_timeout_s, timeout)
            )
        return AsyncBedrockConverse(spec, self._http)

    async def converse(self, **params: Any) -> dict[str, Any]:
        answer: dict[str, Any] = await self._run("converse", params)
        return answer

    async def converse_stream(self, **params: Any) -> dict[str, Any]:
        """boto3's answer, with `"stream"` an async iterator of its events."""
        answer: dict[str, Any] = await self._run("converse_stream", params)
        if "stream" in answer:
            answer["stream"] = _AsyncEvents(answer["stream"])
        return answer

    async def _run(self, operation: str, params: Mapping[str, Any]) -> Any:
        call = getattr(self.boto3_client, operation)
        if self._http is None:  # no pool connections: boto3 sends by itself
            return await asyncio.to_thread(call, **params)
        sender = _Sender(asyncio.get_running_loop(), self._http, self.timeout)
        token = _SENDER.set(sender)
        try:  # to_thread copies the context: the worker sees this call's sender
            return await asyncio.to_thread(call, **params)
        finally:
            _SENDER.reset(token)

    def __repr__(self) -> str:
        return f"AsyncBedrockConverse(region={self.region!r}, endpoint={self.spec.endpoint!r})"


class _AsyncEvents:
    """A boto3 event stream read on worker threads, for `async for`."""

    def __init__(self, events: Any) -> None:
        self._events = events
        self._iterator: Iterator[Any] = iter(events)

    def __aiter__(self) -> AsyncIterator[Any]:
        return self

    async def __anext__(self) -> Any:
        done = object()
        event = await asyncio.to_thread(next, self._iterator, done)
        if event is done:
            raise StopAsyncIteration
        return event

    async def aclose(self) -> None:
        await asyncio.to_thread(self._events.close)


class _Body:
    """The `raw` of a botocore response: its body's chunks, read from an httpx response
    on the event loop (all at once, or one chunk at a time for an event stream)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, response: httpx.Response) -> None:
        self._loop = loop
        self._response = response

    def stream(self, **_: Any) -> Iterator[bytes]:
        chunks = self._response.aiter_bytes()  # decoded: botocore reads them as sent
        while True:
            future = asyncio.run_coroutine_threadsafe(_next_chunk(chunks), self._loop)
            chunk = future.result()
            if chunk is None:
                return
            yield chunk

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self._response.aclose(), self._loop).result()


async def _next_chunk(chunks: AsyncIterator[bytes]) -> bytes | None:
    try:
        return await chunks.__anext__()
    except StopAsyncIteration:
        return None


def _send_with_httpx(request: Any, **_: Any) -> Any:
    """botocore's `before-send`: send the signed request with the pool's httpx client.

    Returns None (botocore sends by itself) outside an `AsyncBedrockConverse` call. A timeout
    or a failed connection becomes botocore's own error (which its retries know), caused by
    httpx's; anything else (an address the server's guard refuses) is raised as it is.
    """
    sender = _SENDER.get()
    if sender is None:
        return None
    awsrequest = _import("botocore.awsrequest")
    exceptions = _import("botocore.exceptions")
    body = request.body
    if body is not None and not isinstance(body, bytes | bytearray):
        body = body.read() if hasattr(body, "read") else str(body).encode()
    built = sender.http.build_request(
        request.method,
        request.url,
        headers=list(request.headers.items()),
        content=body,
        timeout=sender.timeout,
    )
    streaming = bool(getattr(request, "stream_output", False))

    async def send() -> httpx.Response:
        response = await sender.http.send(built, stream=True)
        if not streaming:
            await response.aread()
        return response

    future = asyncio.run_coroutine_threadsafe(send(), sender.loop)
    try:
        response = future.result()
    except httpx.ConnectTimeout as error:
        raise exceptions.ConnectTimeoutError(endpoint_url=request.url, error=error) from error
    except httpx.TimeoutException as error:
        raise exceptions.ReadTimeoutError(endpoint_url=request.url, error=error) from error
    except httpx.TransportError as error:
        raise exceptions.EndpointConnectionError(endpoint_url=request.url, error=error) from error
    return awsrequest.AWSResponse(
        str(response.url),
        response.status_code,
        dict(response.headers),
        _Body(sender.loop, response),
    )

"""One tiny request to a model's deployment, and what went wrong in plain words.

Answers never contain the API key nor a response body: failures are a few fixed outcomes in
plain words, a provider's own message is shown only from a recognised error shape, and every
message passes through a `Scrubber` that removes the key in any form it was sent.
"""

from __future__ import annotations

import asyncio
import errno
import json
import re
import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from modeldeck.api_keys import Scrubber, key_defect
from modeldeck.client.errors import (
    ClientPoolError,
    EndpointNotAllowed,
    MissingApiKey,
    MissingEndpoint,
    ModelDisabled,
    UnsupportedProvider,
)
from modeldeck.client.providers import DEFAULT_HOSTS, ClientSpec, api_family, chat_params
from modeldeck.client.schemas import Model

TIMEOUT_CAP_S = 20.0
PROMPT = "ping"

Kind = Literal[
    "auth",
    "not_found",
    "timeout",
    "connection",
    "tls",
    "redirect",
    "not_allowed",
    "rate_limit",
    "bad_request",
    "server_error",
    "unsupported",
    "missing_key",
    "bad_key",
    "missing_endpoint",
    "disabled",
    "error",
]


@dataclass(frozen=True)
class Ping:
    """`ok` with `latency_ms`, or `error` (plain words) and `kind`."""

    ok: bool
    model: str
    deployment: str
    latency_ms: float | None = None
    error: str | None = None
    kind: Kind | None = None
    status: int | None = None

    def as_dict(self) -> dict[str, Any]:
        if self.ok:
            return {
                "ok": True,
                "latency_ms": self.latency_ms,
                "model": self.model,
                "deployment": self.deployment,
            }
        return {
            "ok": False,
            "error": self.error,
            "kind": self.kind,
            "status": self.status,
            "latency_ms": self.latency_ms,
            "model": self.model,
            "deployment": self.deployment,
        }


def cannot_build(model: Model, error: ClientPoolError) -> Ping:
    kind: Kind = "error"
    if isinstance(error, MissingApiKey):
        kind = "missing_key"
    elif isinstance(error, MissingEndpoint):
        kind = "missing_endpoint"
    elif isinstance(error, UnsupportedProvider):
        kind = "unsupported"
    elif isinstance(error, ModelDisabled):
        kind = "disabled"
    return Ping(False, model.name, model.deployment_name, error=str(error), kind=kind)


# The provider's message is shown when it comes in this shape only (OpenAI, Azure OpenAI,
# Anthropic, Google): anything else (a proxy's page, a stack trace, an internal service's 500,
# Mistral's flat errors) is never echoed.
PROVIDER_MESSAGE_LIMIT = 200
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]+")


def provider_message(error: Exception, scrub: Scrubber) -> str:
    """The message of a recognised provider error body, scrubbed, on one line, kept short."""
    response = _response(error)
    if response is None:
        return ""
    try:  # the raw body: the SDK's `error.body` has already unwrapped "error" when present
        body = json.loads(response.text)
    except (ValueError, httpx.ResponseNotRead):
        return ""
    inner = body.get("error") if isinstance(body, dict) else None
    message = inner.get("message") if isinstance(inner, dict) else None
    if not isinstance(message, str):
        return ""
    text = " ".join(_UNPRINTABLE.sub(" ", scrub(message)).split())
    if len(text) > PROVIDER_MESSAGE_LIMIT:
        text = text[: PROVIDER_MESSAGE_LIMIT - 1].rstrip() + "…"
    return text


def _causes(error: BaseException) -> list[BaseException]:
    """`error` and what caused it, outermost first."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain and len(chain) < 20:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _connection_failure(where: str, error: BaseException) -> tuple[Kind, str]:
    """One of a few fixed outcomes: never the error's own text, which may hold a key or a body."""
    causes = _causes(error)
    for cause in causes:
        if isinstance(cause, EndpointNotAllowed):
            return "not_allowed", str(cause)
    for cause in causes:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return "tls", f"TLS error: {where} presented a certificate that is not trusted."
        if isinstance(cause, ssl.SSLError):
            return "tls", f"TLS error: the secure connection to {where} failed."
        if isinstance(cause, socket.gaierror):
            return "connection", f"Could not resolve the host of {where}."
        if isinstance(cause, ConnectionRefusedError) or (
            isinstance(cause, OSError) and cause.errno == errno.ECONNREFUSED
        ):
            return "connection", f"{where} refused the connection."
    return "connection", f"Could not connect to {where}."


# Where the SDKs' errors come from: their HTTP status and response are read from these only.
_SDK_MODULES = ("openai", "anthropic", "google", "mistralai", "botocore")


def _from_sdk(error: BaseException) -> bool:
    return type(error).__module__.partition(".")[0] in _SDK_MODULES


def status_of(error: BaseException) -> int | None:
    """The HTTP status a provider answered, from any of the SDKs' error types."""
    if not _from_sdk(error):
        return None
    for attribute in ("status_code", "code"):  # openai, anthropic, mistralai; google-genai
        status = getattr(error, attribute, None)
        if isinstance(status, int) and not isinstance(status, bool) and 100 <= status < 600:
            return status
    answer = getattr(error, "response", None)  # botocore's ClientError: the parsed answer
    if isinstance(answer, dict):
        metadata = answer.get("ResponseMetadata")
        status = metadata.get("HTTPStatusCode") if isinstance(metadata, dict) else None
        if isinstance(status, int) and not isinstance(status, bool) and 100 <= status < 600:
            return status
    return None


def _response(error: BaseException) -> httpx.Response | None:
    for attribute in ("response", "raw_response"):
        response = getattr(error, attribute, None)
        if isinstance(response, httpx.Response):
            return response
    return None


def _timed_out(error: BaseException) -> bool:
    if isinstance(error, TimeoutError | httpx.TimeoutException):
        return True
    return _from_sdk(error) and "Timeout" in type(error).__name__


def _no_connection(error: BaseException) -> bool:
    if isinstance(error, EndpointNotAllowed | httpx.TransportError | OSError):
        return True
    name = type(error).__name__
    return _from_sdk(error) and name in (
        "APIConnectionError",
        "NoResponseError",
        "EndpointConnectionError",  # botocore's
        "ConnectionClosedError",
    )


def explain(
    model: Model, spec: ClientSpec, error: Exception, timeout: float, scrub: Scrubber | None = None
) -> tuple[Kind, str]:
    """(kind, plain words) for what the provider or the network answered (any of the SDKs)."""
    scrub = scrub or Scrubber([spec.api_key])
    where = spec.endpoint or DEFAULT_HOSTS.get(spec.kind, "api.openai.com")
    if spec.kind in ("bedrock", "bedrock_converse") and not spec.endpoint:
        where = f"bedrock-runtime.{spec.region}.amazonaws.com"
    thing = "Deployment" if model.provider == "azure_openai" else "Model"
    if _timed_out(error):
        return "timeout", f"No answer from {where} within {timeout:g} s."
    status = status_of(error)
    if status is None and _no_connection(error):
        return _connection_failure(where, error)
    if status in (401, 403):
        return (
            "auth",
            f"{where} refused {_key_source(model)} (HTTP {status}): check that it is "
            "the right key for this endpoint and still valid.",
        )
    if status is not None:
        if 300 <= status < 400:
            return "redirect", f"{where} answered with a redirect (HTTP {status}), not followed."
        said = provider_message(error, scrub)
        said = f" The provider said: {said}" if said else ""
        if status == 404:
            return (
                "not_found",
                f"{thing} {spec.deployment!r} was not found at {where} (HTTP 404).{said}",
            )
        if status == 429:
            return "rate_limit", f"{where} is rate-limiting this key (HTTP 429); try later.{said}"
        if status >= 500:
            return "server_error", f"{where} failed (HTTP {status}).{said}"
        return "bad_request", f"{where} refused the request (HTTP {status}).{said}"
    if isinstance(error, httpx.InvalidURL | ValueError):
        return "error", f"No request can be made to {where}: its URL is not valid."
    if type(error).__name__ == "InvalidEndpointConfigurationError":
        return (
            "error",
            f"No request can be made to {where}: a Bedrock API key is sent over HTTPS only.",
        )
    return "error", f"The request failed: {type(error).__name__}."


def _key_source(model: Model) -> str:
    if model.deployment.api_key_env and not model.deployment.has_api_key:
        return f"the key in {model.deployment.api_key_env}"
    return "the stored API key"


async def _call_once(model: Model, client: Any, params: dict[str, Any], timeout: float) -> None:
    """The model's chat call with `params`, without retries, through its SDK."""
    family = api_family(model)
    if family == "bedrock":  # Converse, through `AsyncBedrockConverse` and the pool's client
        once = client.with_options(max_retries=0, timeout=timeout)
        await once.converse(**params)
    elif family == "anthropic":
        # The http client is passed again: AnthropicBedrock's copy drops it otherwise, and the
        # call would leave through a client of its own (outside the server's guard).
        once = client.with_options(max_retries=0, http_client=client._client)
        await once.messages.create(**params)
    elif family == "google":
        params["config"]["http_options"]["retry_options"] = {"attempts": 1}
        await client.models.generate_content(**params)
    elif family == "mistral":
        from mistralai.client.utils import BackoffStrategy, RetryConfig

        none = RetryConfig("none", BackoffStrategy(0, 0, 1.0, 0), False)
        await client.chat.complete_async(**params, retries=none)
    else:
        await client.with_options(max_retries=0).chat.completions.create(**params)


async def ping(
    model: Model,
    spec: ClientSpec,
    client: Any,
    *,
    timeout_cap: float = TIMEOUT_CAP_S,
) -> Ping:
    """One chat call of at most one token, without retries, under a short timeout."""
    timeout = min(timeout_cap, model.timeout_for(1))
    params = chat_params(
        model,
        {
            "messages": [{"role": "user", "content": PROMPT}],
            "max_tokens": 1,
            "timeout": timeout,
        },
    )
    if spec.api_key is None:
        # Vertex without a key would use Google's default credentials: their token requests
        # would leave through Google's own HTTP library, outside the guarded connections.
        words = (
            f"Model {model.name!r} names no key: a test does not use Google's default "
            "credentials; set deployment.api_key_env to a variable holding an access token."
        )
        return Ping(False, model.name, spec.deployment, error=words, kind="missing_key")
    defect = key_defect(spec.api_key)
    if defect is not None:
        # Sent, such a key fails inside the HTTP library with an error that quotes it.
        source = _key_source(model)
        words = f"{source[0].upper()}{source[1:]} {defect}; it was not sent."
        return Ping(False, model.name, spec.deployment, error=words, kind="bad_key")
    scrub = Scrubber([spec.api_key])
    started = time.perf_counter()
    try:
        async with asyncio.timeout(timeout + 1):
            await _call_once(model, client, params, timeout)
    # Any failure: each SDK has its own errors (and two let httpx's through); `explain` turns
    # each into fixed words, never the error's own text.
    except Exception as error:
        elapsed = round((time.perf_counter() - started) * 1000, 1)
        kind, words = explain(model, spec, error, timeout, scrub)
        status = status_of(error)
        return Ping(
            False,
            model.name,
            spec.deployment,
            latency_ms=elapsed,
            error=scrub(words),
            kind=kind,
            status=status,
        )
    elapsed = round((time.perf_counter() - started) * 1000, 1)
    return Ping(True, model.name, spec.deployment, latency_ms=elapsed)

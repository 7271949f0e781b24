"""One tiny request to a model's deployment, and what went wrong in plain words.

Answers never contain the API key: provider messages about keys are left out, and every
provider message is scrubbed of the key before it is shown.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any, Literal

import openai

from modeldeck.client.errors import (
    ClientPoolError,
    MissingApiKey,
    MissingEndpoint,
    ModelDisabled,
    UnsupportedProvider,
)
from modeldeck.client.providers import ClientSpec, chat_params
from modeldeck.client.schemas import Model

TIMEOUT_CAP_S = 20.0
PROMPT = "ping"

Kind = Literal[
    "auth",
    "not_found",
    "timeout",
    "connection",
    "rate_limit",
    "bad_request",
    "server_error",
    "unsupported",
    "missing_key",
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


def _provider_message(error: openai.APIStatusError, key: str) -> str:
    """The provider's own message, scrubbed of the key and kept short."""
    body = error.body
    message: Any = None
    if isinstance(body, dict):
        inner = body.get("error", body)
        message = inner.get("message") if isinstance(inner, dict) else inner
    text = str(message or "").strip()
    if key:
        text = text.replace(key, "***")
    return text[:300]


def explain(model: Model, spec: ClientSpec, error: Exception, timeout: float) -> tuple[Kind, str]:
    """(kind, plain words) for what the provider or the network answered."""
    where = spec.endpoint or "api.openai.com"
    thing = "Deployment" if model.provider == "azure_openai" else "Model"
    key_source = (
        f"the key in {model.deployment.api_key_env}"
        if model.deployment.api_key_env and not model.deployment.has_api_key
        else "the stored API key"
    )
    if isinstance(error, openai.APITimeoutError | TimeoutError):
        return "timeout", f"No answer from {where} within {timeout:g} s."
    if isinstance(error, openai.APIConnectionError):
        cause = error.__cause__ or error
        return "connection", f"Could not connect to {where}: {str(cause) or type(cause).__name__}."
    if isinstance(error, openai.AuthenticationError | openai.PermissionDeniedError):
        return (
            "auth",
            f"{where} refused {key_source} (HTTP {error.status_code}): check that it is the "
            "right key for this endpoint and still valid.",
        )
    if isinstance(error, openai.APIStatusError):
        said = _provider_message(error, spec.api_key)
        said = f" The provider said: {said}" if said else ""
        status = error.status_code
        if isinstance(error, openai.NotFoundError):
            return (
                "not_found",
                f"{thing} {spec.deployment!r} was not found at {where} (HTTP 404).{said}",
            )
        if isinstance(error, openai.RateLimitError):
            return "rate_limit", f"{where} is rate-limiting this key (HTTP 429); try later.{said}"
        if status >= 500:
            return "server_error", f"{where} failed (HTTP {status}).{said}"
        return "bad_request", f"{where} refused the request (HTTP {status}).{said}"
    return "error", f"The request failed: {type(error).__name__}."


async def ping(
    model: Model,
    spec: ClientSpec,
    client: openai.AsyncOpenAI,
    *,
    timeout_cap: float = TIMEOUT_CAP_S,
) -> Ping:
    """One chat completion of at most one token, without retries, under a short timeout."""
    timeout = min(timeout_cap, model.timeout_for(1))
    params = chat_params(
        model,
        {
            "messages": [{"role": "user", "content": PROMPT}],
            "max_tokens": 1,
            "timeout": timeout,
        },
    )
    once = client.with_options(max_retries=0)
    started = time.perf_counter()
    try:
        async with asyncio.timeout(timeout + 1):
            await once.chat.completions.create(**params)
    except (openai.OpenAIError, TimeoutError) as error:
        elapsed = round((time.perf_counter() - started) * 1000, 1)
        kind, words = explain(model, spec, error, timeout)
        status = error.status_code if isinstance(error, openai.APIStatusError) else None
        return Ping(
            False,
            model.name,
            spec.deployment,
            latency_ms=elapsed,
            error=words,
            kind=kind,
            status=status,
        )
    elapsed = round((time.perf_counter() - started) * 1000, 1)
    return Ping(True, model.name, spec.deployment, latency_ms=elapsed)

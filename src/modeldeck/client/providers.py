"""From a model record to a ready OpenAI-protocol client: endpoint, key, retries, timeouts."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import openai

from modeldeck.client.errors import MissingApiKey, MissingEndpoint, UnsupportedProvider
from modeldeck.client.schemas import Model

KeyResolver = Callable[[Model], str | None]

OPENAI_PROTOCOL = ("openai", "azure_openai", "openai_compatible")
DEFAULT_AZURE_API_VERSION = "2025-01-01-preview"
CONNECT_TIMEOUT_S = 10.0
# What to install for providers the pool does not build (their SDKs are not OpenAI clients).
PROVIDER_PACKAGES = {"anthropic": "anthropic", "google": "google-genai", "mistral": "mistralai"}


@dataclass(frozen=True)
class ClientSpec:
    """Everything a client is made from; two equal specs make interchangeable clients."""

    provider: str
    endpoint: str | None
    api_version: str | None
    deployment: str
    max_retries: int
    timeout_s: float
    connect_timeout_s: float
    api_key: str = field(repr=False)

    @property
    def timeout(self) -> httpx.Timeout:
        return httpx.Timeout(self.timeout_s, connect=self.connect_timeout_s)


def resolve_key(model: Model, key_resolver: KeyResolver | None, environ: Mapping[str, str]) -> str:
    """The key from `key_resolver`, else from the environment variable the record names."""
    if key_resolver is not None:
        key = key_resolver(model)
        if key:
            return key
    variable = model.deployment.api_key_env
    if variable:
        value = environ.get(variable)
        if value:
            return value
        raise _missing(model, f"set the environment variable {variable}")
    if model.deployment.has_api_key:
        raise _missing(
            model,
            "a key is stored on the server, but the API never returns stored keys: set "
            "deployment.api_key_env and that variable here, or pass key_resolver=",
        )
    raise _missing(
        model, "set deployment.api_key_env to the environment variable that holds the key"
    )


def _missing(model: Model, remedy: str) -> MissingApiKey:
    return MissingApiKey(f"Model {model.name!r} has no API key here: {remedy}.")


def unsupported(model: Model) -> UnsupportedProvider:
    package = PROVIDER_PACKAGES.get(model.provider)
    install = (
        f"use its own SDK (`pip install {package}`) with pool.model({model.name!r}) for the "
        "endpoint and limits, or "
        if package
        else ""
    )
    return UnsupportedProvider(
        f"Model {model.name!r} uses provider {model.provider!r}; ClientPool builds OpenAI-protocol "
        f"clients only ({', '.join(OPENAI_PROTOCOL)}). To call it, {install}reach it through an "
        "OpenAI-compatible endpoint (provider openai_compatible)."
    )


def client_spec(
    model: Model, key_resolver: KeyResolver | None, environ: Mapping[str, str]
) -> ClientSpec:
    """What to build for `model`; raises a `ClientPoolError` saying what is missing."""
    if model.provider not in OPENAI_PROTOCOL:
        raise unsupported(model)
    deployment = model.deployment
    endpoint = deployment.endpoint
    api_version = None
    if model.provider == "azure_openai":
        endpoint = endpoint or environ.get("AZURE_OPENAI_ENDPOINT") or None
        if not endpoint:
            raise MissingEndpoint(
                f"Model {model.name!r} is on Azure OpenAI but has no endpoint: set deployment."
                "endpoint (https://<resource>.openai.azure.com) or AZURE_OPENAI_ENDPOINT."
            )
        api_version = deployment.api_version or DEFAULT_AZURE_API_VERSION
    elif model.provider == "openai_compatible" and not endpoint:
        raise MissingEndpoint(
            f"Model {model.name!r} is OpenAI-compatible but has no endpoint: set "
            "deployment.endpoint to the server's base URL (for example http://host:8000/v1)."
        )
    limits = model.limits
    return ClientSpec(
        provider=model.provider,
        endpoint=endpoint,
        api_version=api_version,
        deployment=model.deployment_name,
        max_retries=limits.max_retries,
        timeout_s=limits.max_timeout_s,
        connect_timeout_s=min(CONNECT_TIMEOUT_S, limits.base_timeout_s),
        api_key=resolve_key(model, key_resolver, environ),
    )


def build_async(spec: ClientSpec, http_client: httpx.AsyncClient | None) -> openai.AsyncOpenAI:
    """An async client; many share one `http_client` (one connection pool, cheap to make)."""
    if spec.provider == "azure_openai":
        assert spec.endpoint is not None
        return openai.AsyncAzureOpenAI(
            api_key=spec.api_key,
            azure_endpoint=spec.endpoint,
            api_version=spec.api_version,
            azure_deployment=spec.deployment,
            max_retries=spec.max_retries,
            timeout=spec.timeout,
            http_client=http_client,
        )
    return openai.AsyncOpenAI(
        api_key=spec.api_key,
        base_url=spec.endpoint or None,
        max_retries=spec.max_retries,
        timeout=spec.timeout,
        http_client=http_client,
    )


def build_sync(spec: ClientSpec, http_client: httpx.Client | None) -> openai.OpenAI:
    if spec.provider == "azure_openai":
        assert spec.endpoint is not None
        return openai.AzureOpenAI(
            api_key=spec.api_key,
            azure_endpoint=spec.endpoint,
            api_version=spec.api_version,
            azure_deployment=spec.deployment,
            max_retries=spec.max_retries,
            timeout=spec.timeout,
            http_client=http_client,
        )
    return openai.OpenAI(
        api_key=spec.api_key,
        base_url=spec.endpoint or None,
        max_retries=spec.max_retries,
        timeout=spec.timeout,
        http_client=http_client,
    )


# Parameters of chat.completions.create that need a capability, by capability.
_NEEDS = {
    "temperature": ("temperature", "top_p"),
    "streaming": ("stream", "stream_options"),
    "tools": ("tools", "tool_choice", "parallel_tool_calls", "functions", "function_call"),
    "json_mode": ("response_format",),
    "reasoning": ("reasoning_effort",),
}
# Refused by every reasoning model (OpenAI's o-series and GPT-5, DeepSeek's reasoner).
_REASONING_REFUSES = ("logprobs", "top_logprobs")
# Refused as well by reasoning models whose sampling is fixed (OpenAI's: no temperature).
_FIXED_SAMPLING_REFUSES = ("presence_penalty", "frequency_penalty", "logit_bias")


def chat_params(model: Model, params: Mapping[str, Any]) -> dict[str, Any]:
    """`params` for `chat.completions.create`, with `model` and `timeout` set and the rest fitted.

    Drops what the model does not support; on OpenAI and Azure reasoning models `max_tokens`
    becomes `max_completion_tokens` (the only one they accept; other providers want
    `max_tokens`).
    """
    fitted = dict(params)
    capabilities = model.capabilities
    for capability, names in _NEEDS.items():
        if not getattr(capabilities, capability):
            for name in names:
                fitted.pop(name, None)
    if capabilities.reasoning:
        refused: tuple[str, ...] = _REASONING_REFUSES
        if not capabilities.temperature:
            refused += _FIXED_SAMPLING_REFUSES
        for name in refused:
            fitted.pop(name, None)
    if (
        capabilities.reasoning
        and model.provider in ("openai", "azure_openai")
        and "max_tokens" in fitted
    ):
        limit = fitted.pop("max_tokens")
        fitted.setdefault("max_completion_tokens", limit)
    fitted["model"] = model.deployment_name
    if fitted.get("timeout") is None:
        expected = (
            fitted.get("max_tokens")
            or fitted.get("max_completion_tokens")
            or model.max_output_tokens
        )
        fitted["timeout"] = model.timeout_for(int(expected))
    return fitted

"""Clients of the providers' own SDKs: Anthropic (also on Bedrock and Vertex), Gemini, Mistral.

Each SDK is an optional extra, imported here only when a client of its kind is built; without
it the pool raises `MissingExtra` naming the extra. Every client gets the pool's shared httpx
connection pool, the record's retries and timeouts, and the key the pool resolved.

- `anthropic`: `AsyncAnthropic` / `Anthropic`, base URL from `deployment.endpoint`.
- `bedrock`: `AsyncAnthropicBedrock`, the key as a Bedrock API key (bearer), the region from
  the record (see `providers.client_kind`); no AWS SDK is needed.
- `vertex_anthropic`: `AsyncAnthropicVertex`, the key as an OAuth access token (without one:
  Google's default credentials).
- `google`: `genai.Client(...).aio` (async) / `genai.Client` (sync); `vertex_google` the same
  with `vertexai=True`, project and location.
- `mistral`: `mistralai.client.Mistral`, async and sync methods on one object.
- `bedrock_converse` (any other model on Bedrock): boto3's `bedrock-runtime` client (sync), and
  `bedrock.AsyncBedrockConverse` around it (async); see `client/bedrock.py`.
"""

from __future__ import annotations

import importlib
import re
from types import ModuleType
from typing import Any

import httpx

from modeldeck.client.errors import MissingExtra
from modeldeck.client.providers import EXTRAS, ClientSpec

# A version at the end of an endpoint: the SDKs add their own (`/v1/messages`, `/v1beta/...`).
_VERSION_TAIL = re.compile(r"/(v\d+(?:alpha|beta)?\d*)/?$")
# The packages each extra installs, by the module the SDK is imported from.
PACKAGES = {
    "anthropic": "anthropic",
    "google": "google-genai",
    "mistral": "mistralai",
    "bedrock": "boto3",
}


def sdk(kind: str, module: str) -> ModuleType:
    """The SDK module for a kind of client, or `MissingExtra` naming what to install."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        extra = EXTRAS[kind]
        raise MissingExtra(
            f"The {PACKAGES[extra]} SDK is not installed, and models of kind {kind!r} need "
            f"it: pip install 'modeldeck[{extra}]'."
        ) from error


def split_version(endpoint: str | None) -> tuple[str | None, str | None]:
    """(base URL, API version) of an endpoint that may end in `/v1`, `/v1beta`…"""
    if not endpoint:
        return None, None
    found = _VERSION_TAIL.search(endpoint)
    if found is None:
        return endpoint.rstrip("/"), None
    return endpoint[: found.start()], found.group(1)


def build_async(spec: ClientSpec, http_client: httpx.AsyncClient | None) -> Any:
    return _build(spec, http_client, sync=False)


def build_sync(spec: ClientSpec, http_client: httpx.Client | None) -> Any:
    return _build(spec, http_client, sync=True)


def _build(
    spec: ClientSpec, http_client: httpx.Client | httpx.AsyncClient | None, *, sync: bool
) -> Any:
    if spec.kind in ("anthropic", "bedrock", "vertex_anthropic"):
        return _anthropic(spec, http_client, sync=sync)
    if spec.kind in ("google", "vertex_google"):
        return _google(spec, http_client, sync=sync)
    if spec.kind == "mistral":
        return _mistral(spec, http_client, sync=sync)
    if spec.kind == "bedrock_converse":
        from modeldeck.client import bedrock

        if sync:
            return bedrock.build_boto3(spec)  # boto3 sends with its own HTTP library
        assert http_client is None or isinstance(http_client, httpx.AsyncClient)
        return bedrock.AsyncBedrockConverse(spec, http_client)
    raise ValueError(f"no native client of kind {spec.kind!r}")


def _anthropic(spec: ClientSpec, http_client: Any, *, sync: bool) -> Any:
    anthropic = sdk(spec.kind, "anthropic")
    common: dict[str, Any] = {
        "max_retries": spec.max_retries,
        "timeout": spec.timeout,
        "http_client": http_client,
    }
    if spec.kind == "bedrock":
        bedrock = anthropic.AnthropicBedrock if sync else anthropic.AsyncAnthropicBedrock
        return bedrock(
            api_key=spec.api_key,
            aws_region=spec.region,
            base_url=spec.endpoint or None,
            **common,
        )
    if spec.kind == "vertex_anthropic":
        vertex = anthropic.AnthropicVertex if sync else anthropic.AsyncAnthropicVertex
        return vertex(
            region=spec.region,
            project_id=spec.project,
            access_token=spec.api_key,
            base_url=spec.endpoint,
            **common,
        )
    client = anthropic.Anthropic if sync else anthropic.AsyncAnthropic
    base_url, _ = split_version(spec.endpoint)
    return client(api_key=spec.api_key, base_url=base_url, **common)


def _google(spec: ClientSpec, http_client: Any, *, sync: bool) -> Any:
    genai = sdk(spec.kind, "google.genai")
    types = sdk(spec.kind, "google.genai.types")
    base_url, version = split_version(spec.endpoint)
    options = types.HttpOptions(
        base_url=base_url,
        api_version=spec.api_version or version,
        timeout=round(spec.timeout_s * 1000),
        retry_options=types.HttpRetryOptions(attempts=spec.max_retries + 1),
        **({"httpx_client": http_client} if sync else {"httpx_async_client": http_client}),
    )
    if spec.kind == "vertex_google":
        credentials = None
        if spec.api_key:
            oauth2 = sdk(spec.kind, "google.oauth2.credentials")
            credentials = oauth2.Credentials(token=spec.api_key)
        client = genai.Client(
            vertexai=True,
            project=spec.project,
            location=spec.region,
            credentials=credentials,
            http_options=options,
        )
    else:
        client = genai.Client(api_key=spec.api_key, http_options=options)
    return client if sync else client.aio


def _mistral(spec: ClientSpec, http_client: Any, *, sync: bool) -> Any:
    mistral = sdk(spec.kind, "mistralai.client")
    utils = sdk(spec.kind, "mistralai.client.utils")
    timeout_ms = round(spec.timeout_s * 1000)
    # Mistral's SDK retries for a time, not a number of times: none when max_retries is 0,
    # else with backoff for as long as that many attempts may take.
    if spec.max_retries:
        retry = utils.RetryConfig(
            "backoff",
            utils.BackoffStrategy(500, 8000, 2.0, timeout_ms * (spec.max_retries + 1)),
            True,
        )
    else:
        retry = utils.RetryConfig("none", utils.BackoffStrategy(0, 0, 1.0, 0), False)
    base_url, _ = split_version(spec.endpoint)
    return mistral.Mistral(
        api_key=spec.api_key,
        server_url=base_url,
        retry_config=retry,
        timeout_ms=timeout_ms,
        **({"client": http_client} if sync else {"async_client": http_client}),
    )

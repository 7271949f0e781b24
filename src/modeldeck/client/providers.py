"""From a model record to a ready provider client: endpoint, key, retries, timeouts.

OpenAI, Azure OpenAI and OpenAI-compatible models get `openai` clients; Anthropic, Google
and Mistral models get their own SDK's client (`client/native.py`, each SDK an extra that is
imported only when such a client is built). Where a model is hosted elsewhere, its tags say
so (`NATIVE_RULES` below): `host:bedrock` with Claude is `AnthropicBedrock`, any other model on
Bedrock boto3's Converse API (`client/bedrock.py`), `host:vertex…` with Claude is
`AnthropicVertex` and with Gemini is `google-genai` on Vertex.
"""

from __future__ import annotations

import json
import re
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
# The client kinds the pool builds besides OpenAI's, and the extra that brings each SDK.
EXTRAS = {
    "anthropic": "anthropic",
    "bedrock": "anthropic",
    "bedrock_converse": "bedrock",
    "vertex_anthropic": "anthropic",
    "google": "google",
    "vertex_google": "google",
    "mistral": "mistral",
}
# Where a client connects when the record has no endpoint (to name it in messages).
DEFAULT_HOSTS = {
    "openai": "api.openai.com",
    "anthropic": "api.anthropic.com",
    "google": "generativelanguage.googleapis.com",
    "mistral": "api.mistral.ai",
}
# Which API a kind of client speaks: what `chat_params` fits the parameters to.
API_FAMILY = {
    "openai": "openai",
    "azure_openai": "openai",
    "openai_compatible": "openai",
    "anthropic": "anthropic",
    "bedrock": "anthropic",
    "bedrock_converse": "bedrock",
    "vertex_anthropic": "anthropic",
    "google": "google",
    "vertex_google": "google",
    "mistral": "mistral",
}
# The variable Bedrock API keys are read from when the record names none (as boto3 does).
BEDROCK_KEY_ENV = "AWS_BEARER_TOKEN_BEDROCK"
NATIVE_RULES = """\
provider anthropic, google, mistral: that provider's SDK at deployment.endpoint (else its
public API); a tag host:bedrock and a Claude model (tag vendor:anthropic, provider anthropic,
or a Bedrock id with "anthropic."): AnthropicBedrock, region from the endpoint
(https://bedrock-runtime.<region>.amazonaws.com) else AWS_REGION; any other model tagged
host:bedrock: boto3's bedrock-runtime client (Converse API), the same region, the key a Bedrock
API key, else the default AWS credentials; a tag host:vertex… and a
Claude or Gemini model: AnthropicVertex or google-genai on Vertex, project and region from the
endpoint (https://<region>-aiplatform.googleapis.com/v1/projects/<project>/locations/<region>)."""
_BEDROCK_HOST = re.compile(r"^bedrock-runtime(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com$")
_VERTEX_PATH = re.compile(
    r"^(?P<base>.*?)/projects/(?P<project>[^/]+)/locations/(?P<region>[^/]+)/?$"
)


@dataclass(frozen=True)
class ClientSpec:
    """Everything a client is made from; two equal specs make interchangeable clients.

    `kind` is which SDK client (`client_kind`); `region` and `project` are Bedrock's and
    Vertex's; `api_key` is None only on Vertex without `api_key_env` (Google's default
    credentials then) and on Bedrock's Converse without a key (the default AWS credentials).
    """

    provider: str
    kind: str
    endpoint: str | None
    api_version: str | None
    deployment: str
    max_retries: int
    timeout_s: float
    connect_timeout_s: float
    region: str | None = None
    project: str | None = None
    api_key: str | None = field(default=None, repr=False)

    @property
    def timeout(self) -> httpx.Timeout:
        return httpx.Timeout(self.timeout_s, connect=self.connect_timeout_s)


def _vendor(model: Model) -> str | None:
    for tag in model.tags:
        if tag.startswith("vendor:"):
            return tag.removeprefix("vendor:")
    return None


def _host(model: Model) -> str | None:
    for tag in model.tags:
        if tag.startswith("host:"):
            return tag.removeprefix("host:")
    return None


def client_kind(model: Model) -> str | None:
    """Which client the pool builds for `model` (from its provider and tags); None: none."""
    if model.provider in OPENAI_PROTOCOL:
        return model.provider
    host = _host(model) or ""
    vendor = _vendor(model)
    name = model.deployment_name.lower()
    claude = vendor == "anthropic" or model.provider == "anthropic" or "claude" in name
    if host == "bedrock":
        bedrock_claude = name.startswith("anthropic.") or ".anthropic." in name
        return "bedrock" if claude or bedrock_claude else "bedrock_converse"
    if host.startswith("vertex"):
        if claude:
            return "vertex_anthropic"
        gemini = vendor == "google" or model.provider == "google" or "gemini" in name
        return "vertex_google" if gemini else None
    if model.provider in ("anthropic", "google", "mistral"):
        return model.provider
    return None


def api_family(model: Model) -> str:
    """The API `chat_params` fits parameters to: openai, anthropic, google, mistral or bedrock
    (Converse)."""
    return API_FAMILY.get(client_kind(model) or "", "openai")


def resolve_key(
    model: Model,
    key_resolver: KeyResolver | None,
    environ: Mapping[str, str],
    *,
    optional: bool = False,
) -> str | None:
    """The key from `key_resolver`, else from the environment variable the record names.

    `optional`: a record naming no variable and storing no key has none (Vertex: Google's
    default credentials), rather than raising.
    """
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
    if optional:
        return None
    raise _missing(
        model, "set deployment.api_key_env to the environment variable that holds the key"
    )


def _missing(model: Model, remedy: str) -> MissingApiKey:
    return MissingApiKey(f"Model {model.name!r} has no API key here: {remedy}.")


def unsupported(model: Model) -> UnsupportedProvider:
    host = _host(model)
    where = f" hosted on {host!r}" if host else ""
    return UnsupportedProvider(
        f"Model {model.name!r} (provider {model.provider!r}{where}) has no client the pool "
        "builds: it builds OpenAI-protocol clients (openai, azure_openai, openai_compatible), "
        "Anthropic, Google and Mistral clients, any model on Bedrock, and Claude or Gemini on "
        "Vertex (from the tags host:bedrock / host:vertex). To call it, use its own SDK with "
        f"pool.model({model.name!r}) for the endpoint and limits, or reach it through an "
        "OpenAI-compatible endpoint (provider openai_compatible)."
    )


def client_spec(
    model: Model, key_resolver: KeyResolver | None, environ: Mapping[str, str]
) -> ClientSpec:
    """What to build for `model`; raises a `ClientPoolError` saying what is missing."""
    kind = client_kind(model)
    if kind is None:
        raise unsupported(model)
    deployment = model.deployment
    endpoint = deployment.endpoint
    api_version = None
    region = project = None
    if kind == "azure_openai":
        endpoint = endpoint or environ.get("AZURE_OPENAI_ENDPOINT") or None
        if not endpoint:
            raise MissingEndpoint(
                f"Model {model.name!r} is on Azure OpenAI but has no endpoint: set deployment."
                "endpoint (https://<resource>.openai.azure.com) or AZURE_OPENAI_ENDPOINT."
            )
        api_version = deployment.api_version or DEFAULT_AZURE_API_VERSION
    elif kind == "openai_compatible" and not endpoint:
        raise MissingEndpoint(
            f"Model {model.name!r} is OpenAI-compatible but has no endpoint: set "
            "deployment.endpoint to the server's base URL (for example http://host:8000/v1)."
        )
    elif kind in ("bedrock", "bedrock_converse"):
        region = _bedrock_region(model, endpoint, environ)
    elif kind in ("vertex_anthropic", "vertex_google"):
        endpoint, project, region = _vertex_place(model, endpoint)
    elif kind == "google":
        api_version = deployment.api_version
    limits = model.limits
    return ClientSpec(
        provider=model.provider,
        kind=kind,
        endpoint=endpoint,
        api_version=api_version,
        deployment=model.deployment_name,
        max_retries=limits.max_retries,
        timeout_s=limits.max_timeout_s,
        connect_timeout_s=min(CONNECT_TIMEOUT_S, limits.base_timeout_s),
        region=region,
        project=project,
        api_key=_bedrock_key(model, key_resolver, environ)
        if kind == "bedrock_converse"
        else resolve_key(
            model, key_resolver, environ, optional=kind in ("vertex_anthropic", "vertex_google")
        ),
    )


def _bedrock_key(
    model: Model, key_resolver: KeyResolver | None, environ: Mapping[str, str]
) -> str | None:
    """A Bedrock API key (the resolver's, the record's variable, else AWS_BEARER_TOKEN_BEDROCK)
    or None: boto3's default AWS credentials then."""
    try:
        key = resolve_key(model, key_resolver, environ, optional=True)
    except MissingApiKey:
        if model.deployment.has_api_key and not model.deployment.api_key_env:
            raise  # a stored key this process cannot read: say so, not sign as someone else
        key = None
    return key or environ.get(BEDROCK_KEY_ENV) or None


def _bedrock_region(model: Model, endpoint: str | None, environ: Mapping[str, str]) -> str:
    if endpoint:
        try:
            found = _BEDROCK_HOST.match(httpx.URL(endpoint).host)
        except httpx.InvalidURL:
            found = None
        if found:
            return found.group(1)
    region = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")
    if region:
        return region
    raise MissingEndpoint(
        f"Model {model.name!r} is on Amazon Bedrock but names no region: set deployment."
        "endpoint (https://bedrock-runtime.<region>.amazonaws.com) or AWS_REGION."
    )


def _vertex_place(model: Model, endpoint: str | None) -> tuple[str, str, str]:
    """(base URL, project, region) from `https://<region>-aiplatform.googleapis.com/v1/
    projects/<project>/locations/<region>`."""
    found = _VERTEX_PATH.match(endpoint or "")
    if found is None:
        raise MissingEndpoint(
            f"Model {model.name!r} is on Google Vertex but its endpoint does not name the "
            "project and region: set deployment.endpoint to https://<region>-aiplatform."
            "googleapis.com/v1/projects/<project>/locations/<region>."
        )
    return found["base"], found["project"], found["region"]


def build_async(spec: ClientSpec, http_client: httpx.AsyncClient | None) -> Any:
    """An async client; many share one `http_client` (one connection pool, cheap to make).

    Raises `MissingExtra` when the provider's SDK is not installed.
    """
    if spec.kind in EXTRAS:
        from modeldeck.client import native

        return native.build_async(spec, http_client)
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


def build_sync(spec: ClientSpec, http_client: httpx.Client | None) -> Any:
    if spec.kind in EXTRAS:
        from modeldeck.client import native

        return native.build_sync(spec, http_client)
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


# What each provider's chat call takes (besides what `_NEEDS` gates); the rest is dropped.
_ANTHROPIC_TAKES = frozenset(
    (
        "model messages max_tokens system temperature top_p top_k stop_sequences stream "
        "tools tool_choice metadata thinking service_tier cache_control container "
        "inference_geo output_config timeout extra_headers extra_query extra_body"
    ).split()
)
_MISTRAL_TAKES = frozenset(
    (
        "model messages temperature top_p max_tokens stream stop random_seed metadata "
        "response_format tools tool_choice presence_penalty frequency_penalty n prediction "
        "parallel_tool_calls reasoning_effort prompt_mode guardrails prompt_cache_key "
        "service_tier safe_prompt retries server_url timeout_ms http_headers"
    ).split()
)
# OpenAI's name → GenerateContentConfig's, for Gemini.
_GOOGLE_CONFIG = {
    "temperature": "temperature",
    "top_p": "top_p",
    "top_k": "top_k",
    "max_tokens": "max_output_tokens",
    "max_completion_tokens": "max_output_tokens",
    "max_output_tokens": "max_output_tokens",
    "stop": "stop_sequences",
    "stop_sequences": "stop_sequences",
    "seed": "seed",
    "presence_penalty": "presence_penalty",
    "frequency_penalty": "frequency_penalty",
    "n": "candidate_count",
    "tools": "tools",
    "tool_config": "tool_config",
    "system_instruction": "system_instruction",
    "thinking_config": "thinking_config",
    "safety_settings": "safety_settings",
    "response_mime_type": "response_mime_type",
    "response_schema": "response_schema",
}
_SYSTEM_ROLES = ("system", "developer")


def chat_params(model: Model, params: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword arguments for the model's chat call, fitted to the model and to its API.

    Needs the record only (no key). Drops what the model does not support and sets the
    deployment name and a timeout (from the token limit, else the model's max output). Then,
    by the API of the client the pool builds (`api_family`):

    - OpenAI (`chat.completions.create`): on OpenAI and Azure reasoning models `max_tokens`
      becomes `max_completion_tokens` (the only one they accept; other providers want
      `max_tokens`).
    - Anthropic (`messages.create`, also on Bedrock and Vertex): `max_tokens` is always set
      (Anthropic requires it), system messages become `system`, `stop` `stop_sequences`;
      what Anthropic does not take (`seed`, `n`, penalties…) is dropped.
    - Mistral (`chat.complete`/`complete_async`): `seed` becomes `random_seed`, the timeout
      `timeout_ms`.
    - Google (`models.generate_content`): `model`, `contents` (messages with roles user and
      model) and `config` (a GenerateContentConfig dict: system messages as
      `system_instruction`, `max_output_tokens`, `stop_sequences`, the timeout in
      `http_options`).
    - Bedrock's Converse (`converse`/`converse_stream` of boto3, any model on Bedrock but
      Claude): `modelId`, `messages` as content blocks (`[{"text": ...}]`, tool calls as
      `toolUse`, tool answers as `toolResult`), `system`, `inferenceConfig` (`maxTokens`,
      `temperature`, `topP`, `stopSequences`), `toolConfig`; no timeout (it is the client's)
      and no `stream` (call `converse_stream`).

    Tools are given in OpenAI's shape (`{"type": "function", "function": {"name",
    "description", "parameters"}}`, `tool_choice` `"auto"`/`"required"`/`"none"`/a named
    function) and become each API's own (`convert_tools`); a tool already in the API's own
    shape passes as it is.
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
    limit = fitted.get("max_tokens") or fitted.get("max_completion_tokens")
    timeout = fitted.get("timeout")
    if timeout is None:
        timeout = model.timeout_for(int(limit or model.max_output_tokens))
    family = api_family(model)
    if family == "bedrock":
        return _converse_params(model, fitted)
    if family == "anthropic":
        return _anthropic_params(model, fitted, limit, timeout)
    if family == "mistral":
        return _mistral_params(model, fitted, timeout)
    if family == "google":
        return _google_params(model, fitted, timeout)
    if (
        capabilities.reasoning
        and model.provider in ("openai", "azure_openai")
        and "max_tokens" in fitted
    ):
        fitted.setdefault("max_completion_tokens", fitted.pop("max_tokens"))
    fitted["model"] = model.deployment_name
    fitted["timeout"] = timeout
    return fitted


def _text(content: Any) -> str:
    """The text of an OpenAI message content: a string, or its text parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(part.get("text", "")) for part in content if isinstance(part, Mapping))
    return str(content)


def _split_system(messages: Any) -> tuple[list[str], list[Any]]:
    """(system texts, the other messages) of an OpenAI-style message list."""
    system: list[str] = []
    rest: list[Any] = []
    for message in messages or ():
        if isinstance(message, Mapping) and message.get("role") in _SYSTEM_ROLES:
            system.append(_text(message.get("content")))
        else:
            rest.append(message)
    return system, rest


def _anthropic_params(
    model: Model, fitted: dict[str, Any], limit: Any, timeout: float
) -> dict[str, Any]:
    if "stop" in fitted:
        stop = fitted.pop("stop")
        fitted.setdefault("stop_sequences", [stop] if isinstance(stop, str) else stop)
    if "messages" in fitted:
        system, fitted["messages"] = _split_system(fitted["messages"])
        if system:
            given = fitted.get("system")
            fitted["system"] = "\n\n".join([*([given] if isinstance(given, str) else []), *system])
    _anthropic_tools(fitted)
    answer = {key: value for key, value in fitted.items() if key in _ANTHROPIC_TAKES}
    answer["max_tokens"] = int(limit or model.max_output_tokens)
    answer["model"] = model.deployment_name
    answer["timeout"] = timeout
    return answer


def _mistral_params(model: Model, fitted: dict[str, Any], timeout: float) -> dict[str, Any]:
    if "max_completion_tokens" in fitted:
        fitted.setdefault("max_tokens", fitted.pop("max_completion_tokens"))
    if "seed" in fitted:
        fitted.setdefault("random_seed", fitted.pop("seed"))
    answer = {key: value for key, value in fitted.items() if key in _MISTRAL_TAKES}
    answer["model"] = model.deployment_name
    answer.setdefault("timeout_ms", round(timeout * 1000))
    return answer


def _google_params(model: Model, fitted: dict[str, Any], timeout: float) -> dict[str, Any]:
    if "tools" in fitted:
        fitted["tools"] = _google_tools(fitted["tools"])
    if "tool_choice" in fitted:
        choice = _google_tool_choice(fitted.pop("tool_choice"))
        if choice is not None:
            fitted.setdefault("tool_config", choice)
    config: dict[str, Any] = {}
    for name, value in fitted.items():
        target = _GOOGLE_CONFIG.get(name)
        if target is not None:
            config[target] = (
                [value] if target == "stop_sequences" and isinstance(value, str) else value
            )
    response_format = fitted.get("response_format")
    if isinstance(response_format, Mapping) and response_format.get("type") in (
        "json_object",
        "json_schema",
    ):
        config.setdefault("response_mime_type", "application/json")
    contents = fitted.get("contents")
    if contents is None and "messages" in fitted:
        system, messages = _split_system(fitted["messages"])
        if system:
            config.setdefault("system_instruction", "\n\n".join(system))
        contents = [_google_content(message) for message in messages]
    config.update(fitted.get("config") or {})
    http_options = dict(config.get("http_options") or {})
    http_options.setdefault("timeout", round(timeout * 1000))
    config["http_options"] = http_options
    return {"model": model.deployment_name, "contents": contents or [], "config": config}


def _google_content(message: Any) -> Any:
    """An OpenAI-style message as a Gemini content (role user or model, text parts)."""
    if not isinstance(message, Mapping) or "parts" in message:
        return message
    role = "model" if message.get("role") == "assistant" else "user"
    content = message.get("content")
    if isinstance(content, list):
        parts = [
            {"text": part["text"]}
            if isinstance(part, Mapping) and part.get("type") == "text"
            else part
            for part in content
        ]
    else:
        parts = [{"text": _text(content)}]
    return {"role": role, "parts": parts}


# --- tools: OpenAI's shape to each API's ------------------------------------------------------


def _openai_function(tool: Any) -> Mapping[str, Any] | None:
    """The `function` of an OpenAI-style function tool; None for any other shape."""
    if isinstance(tool, Mapping) and tool.get("type") == "function":
        function = tool.get("function")
        if isinstance(function, Mapping) and isinstance(function.get("name"), str):
            return function
    return None


def _schema(function: Mapping[str, Any]) -> Any:
    parameters = function.get("parameters")
    return parameters if parameters is not None else {"type": "object", "properties": {}}


def _choice(choice: Any) -> tuple[str, str | None] | None:
    """OpenAI's `tool_choice` as (auto | required | none | function, name); None: not OpenAI's."""
    if choice in ("auto", "required", "none"):
        return str(choice), None
    function = _openai_function(choice)
    if function is not None:
        return "function", str(function["name"])
    return None


def convert_tools(family: str, tools: Any) -> Any:
    """OpenAI-style function tools in the shape of `family`'s API (see `chat_params`); any
    other tool (already that API's, or a provider's built-in tool) is kept as it is."""
    if family == "anthropic":
        return [_anthropic_tool(tool) for tool in tools]
    if family == "google":
        return _google_tools(tools)
    if family == "bedrock":
        return [_converse_tool(tool) for tool in tools]
    return tools


def _anthropic_tool(tool: Any) -> Any:
    function = _openai_function(tool)
    if function is None:
        return tool
    converted: dict[str, Any] = {"name": function["name"], "input_schema": _schema(function)}
    if function.get("description"):
        converted["description"] = function["description"]
    return converted


def _anthropic_tools(fitted: dict[str, Any]) -> None:
    """tools → `{name, description, input_schema}`; tool_choice → `{"type": auto | any | tool
    | none}`, with `disable_parallel_tool_use` from `parallel_tool_calls=False`."""
    if "tools" in fitted:
        fitted["tools"] = [_anthropic_tool(tool) for tool in fitted["tools"] or ()]
    parallel = fitted.pop("parallel_tool_calls", None)
    choice = fitted.get("tool_choice")
    if choice is None:
        if parallel is False and fitted.get("tools"):
            fitted["tool_choice"] = {"type": "auto", "disable_parallel_tool_use": True}
        return
    read = _choice(choice)
    if read is not None:
        kind, name = read
        anthropic_type = {"auto": "auto", "required": "any", "none": "none"}.get(kind, "tool")
        choice = {"type": anthropic_type, **({"name": name} if name else {})}
    if parallel is False and isinstance(choice, Mapping) and choice.get("type") != "none":
        choice = {**choice, "disable_parallel_tool_use": True}
    fitted["tool_choice"] = choice


def _google_tools(tools: Any) -> list[Any]:
    """OpenAI function tools as one Gemini tool of `function_declarations` (their JSON Schema
    as `parameters_json_schema`, which takes any JSON Schema), the others as they are."""
    declarations: list[dict[str, Any]] = []
    others: list[Any] = []
    for tool in tools or ():
        function = _openai_function(tool)
        if function is None:
            others.append(tool)
            continue
        declaration: dict[str, Any] = {"name": function["name"]}
        if function.get("description"):
            declaration["description"] = function["description"]
        if function.get("parameters") is not None:
            declaration["parameters_json_schema"] = function["parameters"]
        declarations.append(declaration)
    return ([{"function_declarations": declarations}] if declarations else []) + others


def _google_tool_choice(choice: Any) -> Any:
    read = _choice(choice)
    if read is None:
        return choice if isinstance(choice, Mapping) else None
    kind, name = read
    mode = {"auto": "AUTO", "required": "ANY", "none": "NONE"}.get(kind, "ANY")
    config: dict[str, Any] = {"mode": mode}
    if name:
        config["allowed_function_names"] = [name]
    return {"function_calling_config": config}


def _converse_tool(tool: Any) -> Any:
    function = _openai_function(tool)
    if function is None:
        return tool
    spec: dict[str, Any] = {"name": function["name"], "inputSchema": {"json": _schema(function)}}
    if function.get("description"):
        spec["description"] = function["description"]
    return {"toolSpec": spec}


def _converse_tool_config(tools: Any, choice: Any) -> dict[str, Any] | None:
    """Converse's `toolConfig`: `{"tools": [{"toolSpec": ...}], "toolChoice": {"auto": {}} |
    {"any": {}} | {"tool": {"name": ...}}}`. `tool_choice="none"`, which Converse lacks, sends
    no tools."""
    read = _choice(choice) if choice is not None else None
    if not tools or (read is not None and read[0] == "none"):
        return None
    config: dict[str, Any] = {"tools": [_converse_tool(tool) for tool in tools]}
    if read is not None:
        kind, name = read
        config["toolChoice"] = (
            {"tool": {"name": name}} if name else {"auto" if kind == "auto" else "any": {}}
        )
    elif isinstance(choice, Mapping):
        config["toolChoice"] = dict(choice)
    return config


# --- Bedrock's Converse -----------------------------------------------------------------------

# Converse's own parameters, passed as they are.
_CONVERSE_TAKES = frozenset(
    (
        "additionalModelRequestFields additionalModelResponseFieldPaths guardrailConfig "
        "promptVariables requestMetadata performanceConfig"
    ).split()
)


def _converse_params(model: Model, fitted: dict[str, Any]) -> dict[str, Any]:
    answer: dict[str, Any] = {"modelId": model.deployment_name}
    system: list[Any] = []
    given = fitted.get("system")
    if isinstance(given, str):
        system.append({"text": given})
    elif isinstance(given, list):
        system.extend(given)
    if "messages" in fitted:
        texts, messages = _split_system(fitted["messages"])
        system.extend({"text": text} for text in texts)
        answer["messages"] = _converse_messages(messages)
    if system:
        answer["system"] = system
    inference: dict[str, Any] = dict(fitted.get("inferenceConfig") or {})
    limit = fitted.get("max_tokens") or fitted.get("max_completion_tokens")
    if limit:
        inference.setdefault("maxTokens", int(limit))
    for name, target in (("temperature", "temperature"), ("top_p", "topP")):
        if fitted.get(name) is not None:
            inference.setdefault(target, fitted[name])
    stop = fitted.get("stop") or fitted.get("stop_sequences")
    if stop:
        inference.setdefault("stopSequences", [stop] if isinstance(stop, str) else list(stop))
    if inference:
        answer["inferenceConfig"] = inference
    tool_config = fitted.get("toolConfig") or _converse_tool_config(
        fitted.get("tools"), fitted.get("tool_choice")
    )
    if tool_config:
        answer["toolConfig"] = tool_config
    answer.update({key: value for key, value in fitted.items() if key in _CONVERSE_TAKES})
    return answer


def _converse_messages(messages: list[Any]) -> list[Any]:
    """OpenAI-style messages as Converse's (role user or assistant, content blocks); tool
    answers are `toolResult` blocks of a user message; one role never follows itself."""
    converted: list[dict[str, Any]] = []
    for message in messages:
        if not isinstance(message, Mapping):
            converted.append(message)
            continue
        role = message.get("role")
        blocks = _converse_blocks(message)
        role = "assistant" if role == "assistant" else "user"
        last = converted[-1] if converted else None
        if (
            isinstance(last, dict)
            and last.get("role") == role
            and isinstance(last.get("content"), list)
        ):
            last["content"].extend(blocks)
        else:
            converted.append({"role": role, "content": blocks})
    return converted


def _converse_blocks(message: Mapping[str, Any]) -> list[Any]:
    content = message.get("content")
    if message.get("role") == "tool":
        return [
            {
                "toolResult": {
                    "toolUseId": message.get("tool_call_id"),
                    "content": [{"text": _text(content)}],
                }
            }
        ]
    blocks: list[Any] = []
    if isinstance(content, str):
        if content:
            blocks.append({"text": content})
    elif isinstance(content, list):
        for part in content:
            if isinstance(part, Mapping) and part.get("type") == "text":
                blocks.append({"text": part.get("text", "")})
            else:
                blocks.append(part)  # Converse's own blocks (image, document…) as they are
    for call in message.get("tool_calls") or ():
        function = call.get("function") or {}
        arguments = function.get("arguments") or "{}"
        blocks.append(
            {
                "toolUse": {
                    "toolUseId": call.get("id"),
                    "name": function.get("name"),
                    "input": json.loads(arguments) if isinstance(arguments, str) else arguments,
                }
            }
        )
    return blocks

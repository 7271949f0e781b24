"""Seed 004's `ModelConfigModel` ↔ the registry's model record (DESIGN §2, §7).

The chat service of seed 004 kept one flat dict per Azure deployment. Each of its fields is
a view of one field of the model record, so both APIs read and write the same rows:

=====================  ==========================================================
seed 004 field         model record
=====================  ==========================================================
`name` (= model_id)    `name` (looked up ignoring case; never renamed through here)
`max_tokens`           `max_output_tokens`; `context_window` is made to fit (below)
`supports_streaming`   `capabilities.streaming`
`supports_temperature` `capabilities.temperature`
`api_version`          `deployment.api_version` ("" ↔ unset)
`azure_endpoint`       `deployment.endpoint` ("" ↔ unset)
`description`          `description`
`base_timeout`         `limits.base_timeout_s`
`max_timeout`          `limits.max_timeout_s`
`token_factor`         `limits.timeout_per_token_s`
=====================  ==========================================================

- Create makes an `azure_openai` model reached at deployment `model_id` with its key in
  `AZURE_OPENAI_API_KEY` (what seed 004 did) and `context_window = max(128000, max_tokens)`:
  128k tokens is the context of the Azure OpenAI GPT-4o/4.1-class deployments seed 004
  served, and `max_output_tokens ≤ context_window` must hold.
- Update (PUT) replaces the whole seed view, as seed 004 did: optional fields left out fall
  back to their seed defaults. Every field of the record outside this view (provider,
  deployment name, key, tags, prices, other capabilities, retries…) is kept. When
  `max_tokens` exceeds the `context_window`, the context window is raised to it.
- The list offers what a chat UI may call: enabled models that are not retired. One model
  (GET/PUT/DELETE by name) is found whatever its state.
- `?provider=azure_openai` lists what seed 004's chat service can call: Azure OpenAI models
  among those, the organisation's own (its chat service supplies AZURE_OPENAI_ENDPOINT when
  one has no endpoint, as seed 004 did) and system catalog models only once the
  organisation has given them an endpoint (the catalog's `azure/…` records have none: no
  resource to call). Any other `provider` lists the listed models of that provider.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated, Any

from pydantic import Field, StrictBool, ValidationInfo, field_validator

from modeldeck.models.schemas import (
    MAX_CONTEXT,
    JsonSchemaPattern,
    MultilineText,
    Number,
    Strict,
    Text,
    WholeNumber,
    url_pattern,
)
from modeldeck.problems import FieldError

PROVIDER = "azure_openai"
API_KEY_ENV = "AZURE_OPENAI_API_KEY"
CONTEXT_WINDOW = 128_000

# Registry field (as the service names it in errors) → the seed fields that show it.
SEED_FIELDS: dict[str, tuple[str, ...]] = {
    "name": ("name",),
    "description": ("description",),
    "max_output_tokens": ("max_tokens",),
    "context_window": ("max_tokens",),
    "capabilities": ("supports_streaming", "supports_temperature"),
    "capabilities.streaming": ("supports_streaming",),
    "capabilities.temperature": ("supports_temperature",),
    "deployment.api_version": ("api_version",),
    "deployment.endpoint": ("azure_endpoint",),
    "deployment.deployment": ("name",),
    "limits": ("base_timeout", "max_timeout", "token_factor"),
    "limits.base_timeout_s": ("base_timeout",),
    "limits.max_timeout_s": ("max_timeout",),
    "limits.timeout_per_token_s": ("token_factor",),
}


class ModelConfigModel(Strict):
    """Seed 004's model configuration, with the registry's limits on every value."""

    name: Annotated[Text, Field(min_length=1, max_length=128)]
    max_tokens: Annotated[WholeNumber, Field(gt=0, le=MAX_CONTEXT)]
    supports_streaming: StrictBool
    supports_temperature: StrictBool
    api_version: Annotated[Text, Field(max_length=64)]
    # "" or a deployment's endpoint URL (`url_pattern`)
    azure_endpoint: Annotated[
        Text, Field(max_length=2048), JsonSchemaPattern(lambda: f"^$|{url_pattern()}")
    ]
    description: Annotated[MultilineText, Field(max_length=4000)] = ""
    base_timeout: Annotated[Number, Field(gt=0, le=86_400)] = 120.0
    max_timeout: Annotated[Number, Field(gt=0, le=86_400)] = 300.0
    token_factor: Annotated[Number, Field(ge=0, le=60)] = 0.05

    @field_validator("max_timeout")
    @classmethod
    def _ordered(cls, value: float, info: ValidationInfo) -> float:
        base = info.data.get("base_timeout")
        if base is not None and value < base:
            raise ValueError("must be at least base_timeout")
        return value


EXAMPLE = {
    "name": "gpt-4o",
    "max_tokens": 16384,
    "supports_streaming": True,
    "supports_temperature": True,
    "api_version": "2025-01-01-preview",
    "azure_endpoint": "https://contoso.openai.azure.com",
    "description": "GPT-4o for the chat UI",
    "base_timeout": 120.0,
    "max_timeout": 300.0,
    "token_factor": 0.05,
}


def listed(model: Mapping[str, Any]) -> bool:
    """Whether the chat UI may offer this model: enabled and not retired."""
    return bool(model["enabled"]) and model["status"] != "retired"


def config_view(model: Mapping[str, Any]) -> dict[str, Any]:
    """A public model record (DESIGN §2) as seed 004's `ModelConfigModel`."""
    deployment = model["deployment"]
    capabilities = model["capabilities"]
    limits = model["limits"]
    return {
        "name": model["name"],
        "max_tokens": int(model["max_output_tokens"]),
        "supports_streaming": bool(capabilities.get("streaming", True)),
        "supports_temperature": bool(capabilities.get("temperature", True)),
        "api_version": deployment.get("api_version") or "",
        "azure_endpoint": deployment.get("endpoint") or "",
        "description": model.get("description") or "",
        "base_timeout": float(limits["base_timeout_s"]),
        "max_timeout": float(limits["max_timeout_s"]),
        "token_factor": float(limits["timeout_per_token_s"]),
    }


def callable_by_chat_service(model: Mapping[str, Any]) -> bool:
    """An Azure OpenAI deployment seed 004's chat service can reach: listed, and either the
    organisation's own or a system model the organisation gave an endpoint."""
    return (
        listed(model)
        and model["provider"] == PROVIDER
        and (not model["is_system"] or bool(model["deployment"].get("endpoint")))
    )


def config_listing(
    models: Iterable[Mapping[str, Any]], provider: str | None = None
) -> dict[str, dict[str, Any]]:
    """`{name: config}` of the listed models, or of those `provider` can call (above)."""
    if provider == PROVIDER:
        keep = callable_by_chat_service
    elif provider is not None:

        def keep(model: Mapping[str, Any]) -> bool:
            return listed(model) and model["provider"] == provider

    else:
        keep = listed
    return {model["name"]: config_view(model) for model in models if keep(model)}


def _mapped(config: ModelConfigModel) -> dict[str, Any]:
    """The registry fields one seed configuration sets (None: unset, removed by a merge)."""
    return {
        "description": config.description,
        "max_output_tokens": config.max_tokens,
        "capabilities": {
            "streaming": config.supports_streaming,
            "temperature": config.supports_temperature,
        },
        "deployment": {
            "endpoint": config.azure_endpoint or None,
            "api_version": config.api_version or None,
        },
        "limits": {
            "base_timeout_s": config.base_timeout,
            "max_timeout_s": config.max_timeout,
            "timeout_per_token_s": config.token_factor,
        },
    }


def create_body(model_id: str, config: ModelConfigModel) -> dict[str, Any]:
    """The `ModelWrite` body that creates `model_id` from a seed configuration."""
    body = _mapped(config)
    body["deployment"] = {
        key: value for key, value in body["deployment"].items() if value is not None
    } | {"deployment": model_id, "api_key_env": API_KEY_ENV}
    return body | {
        "name": model_id,
        "provider": PROVIDER,
        "context_window": max(CONTEXT_WINDOW, config.max_tokens),
    }


def update_patch(context_window: int, config: ModelConfigModel) -> dict[str, Any]:
    """The merge patch that makes a model's seed view equal `config` and keeps the rest."""
    patch = _mapped(config)
    if config.max_tokens > context_window:
        patch["context_window"] = config.max_tokens
    return patch


def seed_errors(errors: Iterable[FieldError]) -> list[FieldError]:
    """Field errors named by the registry, renamed to the seed fields they come from."""
    renamed: list[FieldError] = []
    for error in errors:
        for field in SEED_FIELDS.get(error["field"], (error["field"],)):
            candidate = FieldError(field, error["message"])
            if candidate not in renamed:
                renamed.append(candidate)
    return renamed


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """Seed fields whose value differs between two seed views, in the seed's order."""
    return [field for field in ModelConfigModel.model_fields if before[field] != after[field]]

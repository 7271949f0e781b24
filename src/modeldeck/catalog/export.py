"""Exporting the registry: our JSON (which imports back exactly) or a LiteLLM proxy config.

Both are plain functions of public model records (DESIGN §2), the one type the API, the
console and the client use (`ModelPublic`), here with the price history (`ExportedModel`);
`exportable_models` reads them. No export ever holds a secret: deployments are copied field
by field from the four that name *where* a key lives, never the key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import simplejson
import yaml
from sqlalchemy.ext.asyncio import AsyncSession

from modeldeck import clock, serialization
from modeldeck.catalog.importers import MODELDECK_FORMAT, MODELDECK_VERSION
from modeldeck.models import repository
from modeldeck.models.aliases import list_aliases
from modeldeck.models.public import history_public, model_public
from modeldeck.models.schemas import ModelWrite
from modeldeck.records.alias import AliasPublic, AliasTarget
from modeldeck.records.fields import DEPLOYMENT_FIELDS, PERIOD_FIELDS
from modeldeck.records.model import ModelPublic, PricePeriod

EXPORT_FIELDS = tuple(ModelWrite.model_fields)
PER_MILLION = Decimal(1_000_000)

# LiteLLM's provider prefix for `litellm_params.model`; "other" models keep their own name.
LITELLM_PREFIX = {
    "openai": "openai",
    "azure_openai": "azure",
    "anthropic": "anthropic",
    "google": "gemini",
    "mistral": "mistral",
    "openai_compatible": "openai",  # with api_base: LiteLLM's generic OpenAI-compatible route
}


class ExportedModel(ModelPublic):
    """A model's public record with its whole price history (None: not read with it)."""

    price_history: tuple[PricePeriod, ...] | None = None


async def exportable_models(
    session: AsyncSession, *, now: datetime | None = None
) -> list[ExportedModel]:
    """Every model's public record with its `price_history`, by name."""
    now = now or clock.now()
    return [
        ExportedModel.model_validate(
            model_public(row, now) | {"price_history": history_public(row.price_periods, now)}
        )
        for row in await repository.all_models(session)
    ]


async def exportable_aliases(session: AsyncSession) -> list[AliasPublic]:
    """Every alias's public record, by name."""
    return [AliasPublic.model_validate(alias) for alias in await list_aliases(session)]


def _deployment(model: ModelPublic) -> dict[str, Any]:
    """Where the model is reached, never a key: only the four non-secret fields."""
    return {key: getattr(model.deployment, key) for key in DEPLOYMENT_FIELDS}


def export_record(model: ExportedModel) -> dict[str, Any]:
    """One model as our format writes it: its writable fields, then its price history."""
    fields = model.model_dump(mode="python", include=set(EXPORT_FIELDS))
    record = {key: fields[key] for key in EXPORT_FIELDS}
    record["deployment"] = _deployment(model)
    if model.price_history is not None:
        record["price_history"] = [
            {key: shown[key] for key in PERIOD_FIELDS}
            for shown in (period.model_dump(mode="python") for period in model.price_history)
        ]
    return record


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return serialization.plain_decimal(value)
    if isinstance(value, datetime):
        return serialization.isoformat_z(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return value


def alias_record(alias: AliasPublic) -> dict[str, Any]:
    """An alias as POST /api/aliases takes it, its models by name (ids differ per registry)."""
    return {
        "name": alias.name,
        "description": alias.description,
        "targets": [
            {"model": target.model, "weight": target.weight, "rpm": target.rpm, "tpm": target.tpm}
            for target in alias.targets
        ],
        "fallbacks": [{"model": fallback.model} for fallback in alias.fallbacks],
    }


def export_modeldeck(models: Iterable[ExportedModel], aliases: Iterable[AliasPublic] = ()) -> str:
    """Our JSON: `{"format": "modeldeck", "version": 1, "models": [...], "aliases": [...]}`,
    each sorted by name.

    Each record is the model's writable shape (what POST /api/models takes, without any key)
    plus `price_history` when the records carry one; importing it gives the same records.
    Each alias is what POST /api/aliases takes, naming its models by name.
    """
    records = [export_record(model) for model in models]
    records.sort(key=lambda record: str(record["name"]).lower())
    document: dict[str, Any] = {
        "format": MODELDECK_FORMAT,
        "version": MODELDECK_VERSION,
        "models": records,
    }
    named = sorted(aliases, key=lambda alias: alias.name.lower())
    if named:
        document["aliases"] = [alias_record(alias) for alias in named]
    return (
        simplejson.dumps(_jsonable(document), use_decimal=True, indent=2, ensure_ascii=False) + "\n"
    )


# --- LiteLLM proxy config -------------------------------------------------------------------


class _ConfigDumper(yaml.SafeDumper):
    """YAML with prices written as the exact decimals they are (0.0000025, not 2.5e-06)."""


def _decimal(dumper: yaml.SafeDumper, value: Decimal) -> yaml.ScalarNode:
    text = format(serialization.plain_decimal(value), "f")
    if "." not in text:
        text += ".0"  # a YAML float, as LiteLLM expects for costs
    return dumper.represent_scalar("tag:yaml.org,2002:float", text)


_ConfigDumper.add_representer(Decimal, _decimal)


def has_deployment(model: ModelPublic) -> bool:
    deployment = model.deployment
    return any((deployment.endpoint, deployment.deployment, deployment.api_key_env))


def servable(model: ModelPublic) -> bool:
    """Worth a proxy route: reachable, enabled and not retired."""
    return has_deployment(model) and model.enabled and model.status != "retired"


def per_token(per_million: Decimal | None) -> Decimal | None:
    """USD per 1M tokens as USD per token, exactly (a shift of six decimal places)."""
    if per_million is None:
        return None
    return serialization.plain_decimal(per_million.scaleb(-6))


def _model_info(model: ModelPublic) -> dict[str, Any]:
    capabilities = model.capabilities
    info: dict[str, Any] = {
        "mode": "chat",
        "max_input_tokens": model.context_window,
        "max_output_tokens": model.max_output_tokens,
        "supports_function_calling": capabilities.tools,
        "supports_vision": capabilities.vision,
        "supports_response_schema": capabilities.json_mode,
        "supports_reasoning": capabilities.reasoning,
    }
    pricing = model.pricing
    if pricing is None:
        return info
    rates = {
        "input_cost_per_token": pricing.input,
        "output_cost_per_token": pricing.output,
        "cache_read_input_token_cost": pricing.cached_input,
        "cache_creation_input_token_cost": pricing.cache_write,
        "cache_creation_input_token_cost_above_1hr": pricing.cache_write_1h,
        "output_cost_per_reasoning_token": pricing.reasoning,
    }
    for key, value in rates.items():
        if value is not None:
            info[key] = per_token(value)
    if pricing.per_request is not None:
        info["input_cost_per_request"] = serialization.plain_decimal(pricing.per_request)
    for tier in pricing.tiers:
        above = tier.above_input_tokens
        if above % 1000:
            continue  # LiteLLM names tiers in thousands of tokens only
        suffix = f"above_{above // 1000}k_tokens"
        for ours, theirs in (
            (tier.input, "input_cost_per_token"),
            (tier.output, "output_cost_per_token"),
            (tier.cached_input, "cache_read_input_token_cost"),
            (tier.cache_write, "cache_creation_input_token_cost"),
        ):
            if ours is not None:
                info[f"{theirs}_{suffix}"] = per_token(ours)
    return info


def litellm_entry(
    model: ModelPublic, *, group: str | None = None, target: AliasTarget | None = None
) -> dict[str, Any]:
    """One `model_list` entry; the key is referenced as `os.environ/<VAR>`, never written.

    The record's timeout (its `max_timeout_s`) and retries go with it. As a deployment of an
    alias's group (`group`), the entry is named by the alias and carries the target's weight
    and its rpm/tpm limits.
    """
    deployment = model.deployment
    called = deployment.deployment or model.name
    prefix = LITELLM_PREFIX.get(model.provider)
    params: dict[str, Any] = {"model": f"{prefix}/{called}" if prefix else called}
    if deployment.endpoint:
        params["api_base"] = deployment.endpoint
    if deployment.api_version:
        params["api_version"] = deployment.api_version
    if deployment.api_key_env:
        params["api_key"] = f"os.environ/{deployment.api_key_env}"
    params["timeout"] = model.limits.max_timeout_s
    params["max_retries"] = model.limits.max_retries
    info = _model_info(model)
    if target is not None:
        params["weight"] = target.weight
        if target.rpm is not None:
            params["rpm"] = target.rpm
        if target.tpm is not None:
            params["tpm"] = target.tpm
    if group is not None:
        info = {"id": f"{group}/{model.name}", "base_model": model.name} | info
    return {"model_name": group or model.name, "litellm_params": params, "model_info": info}


def export_litellm_config(
    models: Iterable[ModelPublic], aliases: Iterable[AliasPublic] = ()
) -> str:
    """A LiteLLM proxy `config.yaml`: the enabled models that have a deployment, then each
    alias as a group of its targets' deployments, with its fallbacks in `router_settings`.

    A deployment is an endpoint, a deployment name or an API key variable; disabled and
    retired models are left out (a proxy would route requests to them), from groups and
    fallback lists too. An alias with no servable target is left out.
    """
    everything = list(models)
    chosen = sorted(
        (model for model in everything if servable(model)), key=lambda model: model.name.lower()
    )
    by_id = {model.id: model for model in chosen}
    entries = [litellm_entry(model) for model in chosen]
    fallbacks: list[dict[str, list[str]]] = []
    for alias in sorted(aliases, key=lambda alias: alias.name.lower()):
        members = [
            litellm_entry(by_id[target.model_id], group=alias.name, target=target)
            for target in alias.targets
            if target.model_id in by_id
        ]
        if not members:
            continue
        entries.extend(members)
        after = [by_id[item.model_id].name for item in alias.fallbacks if item.model_id in by_id]
        if after:
            fallbacks.append({alias.name: after})
    document: dict[str, Any] = {"model_list": entries}
    if fallbacks:
        document["router_settings"] = {"fallbacks": fallbacks}
    return yaml.dump(
        document, Dumper=_ConfigDumper, sort_keys=False, allow_unicode=True, width=1000
    )

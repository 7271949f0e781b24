"""A first default model from `AZURE_OPENAI_*`, as seed 004's chat service made one at start."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from modeldeck.catalog.builtin import load_builtin
from modeldeck.client.schemas import Model

# providers.DEFAULT_AZURE_API_VERSION, repeated: the registry plans the default offline and must
# not load the openai SDK (tests/test_client_offline.py keeps the two equal).
DEFAULT_AZURE_API_VERSION = "2025-01-01-preview"
KEY_VARIABLE = "AZURE_OPENAI_API_KEY"
# Seed 004's defaults for a deployment the built-in catalog does not know.
SEED_DEFAULTS: dict[str, Any] = {
    "context_window": 128000,
    "max_output_tokens": 40000,
    "capabilities": {"streaming": False, "temperature": False},
    "limits": {"base_timeout_s": 120.0, "max_timeout_s": 300.0, "timeout_per_token_s": 0.05},
}


@dataclass(frozen=True)
class DefaultPlan:
    """Create `body`, or merge-patch the existing model `ref` with it; either way the default."""

    body: dict[str, Any]
    ref: str | None = None


def needs_default(models: Sequence[Model]) -> bool:
    """Empty: no model of the organisation's own yet (at most the built-in catalog)."""
    return all(model.is_system for model in models)


def _catalog_twin(deployment: str) -> dict[str, Any] | None:
    """Size, limits, capabilities and prices of a catalog model of the same name, if any."""
    wanted = (f"azure/{deployment}".lower(), deployment.lower())
    by_name = {model.name.lower(): model for model in load_builtin().models}
    for name in wanted:
        twin = by_name.get(name)
        if twin is not None:
            return twin.model_dump(
                mode="json",
                include={
                    "parameters_b",
                    "context_window",
                    "max_output_tokens",
                    "capabilities",
                    "limits",
                    "token_weights",
                    "pricing",
                },
                exclude_none=True,
            )
    return None


def plan_default(models: Sequence[Model], environ: Mapping[str, str]) -> DefaultPlan | None:
    """What to write so that the deployment named by the environment becomes the default."""
    endpoint = environ.get("AZURE_OPENAI_ENDPOINT")
    deployment_name = environ.get("AZURE_OPENAI_DEPLOYMENT_NAME")
    if not endpoint or not deployment_name or not needs_default(models):
        return None
    deployment = {
        "endpoint": endpoint.rstrip("/"),
        "api_version": environ.get("AZURE_OPENAI_API_VERSION") or DEFAULT_AZURE_API_VERSION,
        "deployment": deployment_name,
        "api_key_env": KEY_VARIABLE,
    }
    by_name = {model.name.lower(): model for model in models}
    for name in (deployment_name, f"azure/{deployment_name}"):
        existing = by_name.get(name.lower())
        if existing is None:
            body = _catalog_twin(deployment_name) or dict(SEED_DEFAULTS)
            body.update(
                name=name,
                display_name=deployment_name,
                description="Default Azure OpenAI model, made from AZURE_OPENAI_* at first start.",
                provider="azure_openai",
                deployment=deployment,
                is_default=True,
            )
            return DefaultPlan(body)
        if existing.provider == "azure_openai":
            return DefaultPlan({"deployment": deployment, "is_default": True}, ref=existing.id)
    return None

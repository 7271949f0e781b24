"""A first default model from `AZURE_OPENAI_*`, as seed 004's chat service made one at start."""

from __future__ import annotations

import re
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


# A deployment the catalog does not know is a reasoning model (max_completion_tokens, no
# temperature) when its name says o-series (o1, o1hp, o3-mini, o4-mini…) or GPT-5 and later
# (but not their `-chat` variants), as seed 004 told o-series models by their first letter.
REASONING_NAME = re.compile(r"^(?:o\d|gpt-(?:[5-9]|\d\d)(?!.*-chat))", re.IGNORECASE)
# The name of the new model when the deployment's own name is taken (by a catalog model).
FALLBACK_PREFIX = "azure-"


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
    by_name = {
        model.name.lower(): model
        for model in load_builtin().models
        if model.provider in ("azure_openai", "openai")
    }
    for name in wanted:
        twin = by_name.get(name)
        if twin is not None:
            body = twin.model_dump(
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
            if body["capabilities"].get("reasoning"):  # OpenAI's reasoning models refuse it
                body["capabilities"]["temperature"] = False
            return body
    return None


def is_reasoning_name(deployment: str) -> bool:
    return REASONING_NAME.match(deployment) is not None


def default_name(models: Sequence[Model], deployment: str) -> str:
    """The deployment's own name when no model has it; else `azure-<deployment>` (then `-2`…).

    Never a catalog model's name: the chat service's deployment is an ordinary model of the
    organisation, not the catalog's `gpt-4o` (OpenAI) or `azure/gpt-4o` (with no endpoint).
    The pool still finds it by the deployment name (`ClientPool.client("gpt-4o")`).
    """
    taken = {model.name.lower() for model in models}
    candidates = [deployment, f"{FALLBACK_PREFIX}{deployment}"]
    candidates += [f"{FALLBACK_PREFIX}{deployment}-{n}" for n in range(2, 100)]
    return next(name for name in candidates if name.lower() not in taken)


def plan_default(models: Sequence[Model], environ: Mapping[str, str]) -> DefaultPlan | None:
    """What to create so that the deployment named by the environment becomes the default:
    always a new, ordinary Azure model (never a patch of a system model)."""
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
    body = _catalog_twin(deployment_name)
    if body is None:
        body = {key: value for key, value in SEED_DEFAULTS.items()}
        capabilities = dict(SEED_DEFAULTS["capabilities"])
        if is_reasoning_name(deployment_name):
            capabilities.update(reasoning=True, temperature=False)
        body["capabilities"] = capabilities
    body.update(
        name=default_name(models, deployment_name),
        display_name=deployment_name,
        description="Default Azure OpenAI model, made from AZURE_OPENAI_* at first start.",
        provider="azure_openai",
        deployment=deployment,
        is_default=True,
    )
    return DefaultPlan(body)

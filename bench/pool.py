"""Issue 5 figure: `ClientPool.client(name)` lookups per second against a plain dict `.get`."""

from __future__ import annotations

import time
from collections.abc import Callable

from modeldeck.client import ClientPool, Model
from modeldeck.client.snapshot import catalog_records

LOOKUPS = 2_000_000
ROUNDS = 5


def _rate(lookup: Callable[[str], object], names: list[str]) -> float:
    """Lookups per second, cycling through every name; best of a few rounds."""
    order = (names * (LOOKUPS // len(names) + 1))[:LOOKUPS]
    best = 0.0
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for name in order:
            lookup(name)
        best = max(best, LOOKUPS / (time.perf_counter() - start))
    return best


def lookups() -> tuple[str, float, float]:
    """(figure, pool lookups/s, dict.get lookups/s) over the built-in catalog's OpenAI models."""
    models = [Model.model_validate(record) for record in catalog_records()]
    variables = {model.deployment.api_key_env for model in models if model.deployment.api_key_env}
    environ = {variable: "bench-key" for variable in variables}
    environ["AZURE_OPENAI_ENDPOINT"] = "https://bench.openai.azure.com"
    pool = ClientPool.from_models(models, environ=environ)
    names = [model.name for model in models if model.provider in ("openai", "azure_openai")]
    names += [model.name for model in models if model.provider == "openai_compatible"]
    plain = {name: pool.client(name) for name in names}
    # Alternate, so a noisy neighbour hurts both alike.
    ours = max(_rate(pool.client, names), _rate(pool.client, names))
    anchor = max(_rate(plain.get, names), _rate(plain.get, names))
    return f"ClientPool.client(name) ({len(names)} models)", ours, anchor


if __name__ == "__main__":
    name, ours, anchor = lookups()
    print(f"{name}: {ours:,.0f}/s, dict.get {anchor:,.0f}/s, {ours / anchor:.2f}x")

"""Our cost agrees with LiteLLM's price map on real entries, to the last digit.

Entries of data/catalog-sources/litellm-model-prices.json (USD per token, floats) become §3
pricing (per 1M tokens, exact Decimals through repr). The expected figure is worked out by hand
with LiteLLM's documented semantics, never with litellm itself (not a dependency): cached
tokens at cache_read_input_token_cost, cache writes at cache_creation_input_token_cost (both
falling back to the input rate), reasoning tokens inside completion tokens at the output rate,
and the *_above_200k_tokens rates for every token of a request whose prompt exceeds 200k.
"""

from __future__ import annotations

import functools
import json
from decimal import Decimal
from typing import Any

import pytest

from conftest import CATALOG_SOURCES
from modeldeck.pricing.engine import Usage, cost

LITELLM_PRICES = CATALOG_SOURCES / "litellm-model-prices.json"
ABOVE_200K = "_above_200k_tokens"
TIERED_KEYS = {
    "input": "input_cost_per_token",
    "output": "output_cost_per_token",
    "cached_input": "cache_read_input_token_cost",
    "cache_write": "cache_creation_input_token_cost",
}


@functools.cache
def litellm_entries() -> dict[str, Any]:
    entries: dict[str, Any] = json.loads(LITELLM_PRICES.read_text())
    return entries


def entry(model: str) -> dict[str, Any]:
    return dict(litellm_entries()[model])


def per_million(per_token: float | None) -> Decimal | None:
    """LiteLLM's per-token float as our exact per-1M Decimal."""
    return None if per_token is None else Decimal(repr(per_token)) * 10**6


def pricing_from_litellm(prices: dict[str, Any]) -> dict[str, Any]:
    """A DESIGN §3 pricing mapping from a LiteLLM entry, with its above-200k tier if any."""
    pricing: dict[str, Any] = {
        field: per_million(prices.get(key)) for field, key in TIERED_KEYS.items()
    }
    pricing["source"] = prices.get("source")
    tier = {field: per_million(prices.get(key + ABOVE_200K)) for field, key in TIERED_KEYS.items()}
    pricing["tiers"] = (
        [{"above_input_tokens": 200_000, **tier}]
        if any(v is not None for v in tier.values())
        else []
    )
    return pricing


def litellm_cost_by_hand(
    prices: dict[str, Any], *, prompt: int, completion: int, cached: int = 0, written: int = 0
) -> Decimal:
    """What LiteLLM documents it charges, in exact decimals of its own per-token prices."""

    def rate(key: str) -> Decimal | None:
        if prompt > 200_000 and prices.get(key + ABOVE_200K) is not None:
            return Decimal(repr(prices[key + ABOVE_200K]))
        return None if prices.get(key) is None else Decimal(repr(prices[key]))

    input_rate, output_rate = rate("input_cost_per_token"), rate("output_cost_per_token")
    assert input_rate is not None
    assert output_rate is not None
    read_rate = rate("cache_read_input_token_cost") or input_rate
    write_rate = rate("cache_creation_input_token_cost") or input_rate
    return (
        (prompt - cached - written) * input_rate
        + cached * read_rate
        + written * write_rate
        + completion * output_rate
    )


def test_litellm_prices_convert_to_exact_per_million_decimals() -> None:
    pricing = pricing_from_litellm(entry("gpt-4o"))

    assert (pricing["input"], pricing["cached_input"], pricing["output"]) == (
        Decimal("2.5"),
        Decimal("1.25"),
        Decimal("10"),
    )
    assert pricing["tiers"] == []


def test_gemini_25_pro_has_its_long_context_tier() -> None:
    pricing = pricing_from_litellm(entry("gemini/gemini-2.5-pro"))

    assert pricing["tiers"] == [
        {
            "above_input_tokens": 200_000,
            "input": Decimal("2.5"),
            "output": Decimal("15"),
            "cached_input": Decimal("0.25"),
            "cache_write": None,
        }
    ]


CASES = [
    # model, prompt, cached, cache writes, completion, of which reasoning
    pytest.param("gpt-4o", 12_000, 8_192, 0, 800, 0, id="gpt-4o cached"),
    pytest.param("gpt-4o", 1, 0, 0, 1, 0, id="gpt-4o one token each"),
    pytest.param("o3-mini", 5_000, 1_024, 0, 3_000, 2_500, id="o3-mini reasoning"),
    pytest.param("o1", 40_000, 30_000, 0, 25_000, 24_000, id="o1 reasoning"),
    pytest.param(
        "gemini/gemini-2.5-pro", 150_000, 100_000, 0, 2_000, 1_500, id="gemini below 200k"
    ),
    pytest.param("gemini/gemini-2.5-pro", 200_000, 50_000, 0, 2_000, 0, id="gemini at 200k"),
    pytest.param(
        "gemini/gemini-2.5-pro", 250_000, 120_000, 0, 4_000, 3_000, id="gemini above 200k"
    ),
    pytest.param(
        "anthropic.claude-sonnet-4-20250514-v1:0", 150_000, 90_000, 20_000, 1_000, 0, id="sonnet 4"
    ),
    pytest.param(
        "anthropic.claude-sonnet-4-20250514-v1:0",
        300_000,
        200_000,
        50_000,
        1_000,
        0,
        id="sonnet 4 above 200k",
    ),
    pytest.param("claude-sonnet-4-5", 60_000, 40_000, 15_000, 2_000, 0, id="sonnet 4.5 cache"),
]


@pytest.mark.parametrize(("model", "prompt", "cached", "written", "completion", "reasoning"), CASES)
def test_our_cost_equals_litellms_documented_cost(
    model: str, prompt: int, cached: int, written: int, completion: int, reasoning: int
) -> None:
    prices = entry(model)
    usage = Usage(
        input_tokens=prompt,
        cached_input_tokens=cached,
        cache_write_tokens=written,
        output_tokens=completion,
        reasoning_tokens=reasoning,
    )

    ours = cost(pricing_from_litellm(prices), usage)

    expected = litellm_cost_by_hand(
        prices, prompt=prompt, completion=completion, cached=cached, written=written
    )
    assert ours.total == expected
    assert (ours.tier is not None) == (prompt > 200_000 and bool(ours.price_sheet.tiers))


def test_an_openai_usage_dict_prices_like_litellm_for_an_o_series_model() -> None:
    prices = entry("o3-mini")
    openai_usage = {
        "prompt_tokens": 5_000,
        "completion_tokens": 3_000,
        "total_tokens": 8_000,
        "prompt_tokens_details": {"cached_tokens": 1_024, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 2_500, "audio_tokens": 0},
    }
    model = {"name": "o3-mini", "pricing": pricing_from_litellm(prices)}

    ours = cost(model, openai_usage, requests=1_000)

    by_hand = litellm_cost_by_hand(prices, prompt=5_000, completion=3_000, cached=1_024)
    assert ours.total == by_hand * 1_000
    assert {line.component: line.tokens for line in ours.lines} == {
        "input": 3_976_000,
        "cached_input": 1_024_000,
        "output": 500_000,
        "reasoning": 2_500_000,
    }

"""The cost engine (DESIGN §3): exact prices of usage, read like the spec, then as properties.

The properties compare the engine with `by_hand`, an independent reading of §3 in Fractions.
"""

from __future__ import annotations

import dataclasses
import pickle
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction
from types import SimpleNamespace
from typing import Any

import pytest
import simplejson
from hypothesis import assume, given
from hypothesis import strategies as st
from pydantic import BaseModel

from modeldeck.pricing.engine import (
    CostBreakdown,
    CostError,
    InvalidPricing,
    InvalidUsage,
    NoPriceAt,
    PriceSheet,
    Tier,
    Unpriced,
    Usage,
    cost,
    period_at,
)

pytestmark = pytest.mark.dated

RATE_FIELDS = ("input", "cached_input", "cache_write", "output", "reasoning", "cache_write_1h")


def gpt_4o(**overrides: Any) -> dict[str, Any]:
    """A pricing mapping shaped like DESIGN §3's example."""
    pricing: dict[str, Any] = {
        "currency": "USD",
        "unit": "per_1m_tokens",
        "input": Decimal("2.50"),
        "cached_input": Decimal("1.25"),
        "cache_write": None,
        "output": Decimal("10.00"),
        "reasoning": None,
        "per_request": None,
        "tiers": [],
        "effective_from": "2024-08-06T00:00:00Z",
        "source": "https://openai.com/api/pricing",
    }
    pricing.update(overrides)
    return pricing


def long_context(**overrides: Any) -> dict[str, Any]:
    """Base rates plus one tier above 200k input tokens, like Gemini 2.5 Pro."""
    tier = {"above_input_tokens": 200_000, "input": "2.50", "output": "15", "cached_input": "0.25"}
    return gpt_4o(input="1.25", cached_input="0.125", output="10", tiers=[tier], **overrides)


def record(**overrides: Any) -> dict[str, Any]:
    """A DESIGN §2 model record (only what pricing needs)."""
    model: dict[str, Any] = {"id": "7d0c1a5e", "name": "gpt-4o", "pricing": gpt_4o()}
    model.update(overrides)
    return model


def lines_of(breakdown: CostBreakdown) -> dict[str, tuple[int, Decimal, Decimal]]:
    return {line.component: (line.tokens, line.rate, line.amount) for line in breakdown.lines}


def is_plain(amount: Decimal) -> bool:
    """Prints as a plain number: no positive exponent, no trailing fractional zeros."""
    _, digits, exponent = amount.as_tuple()
    assert isinstance(exponent, int)
    return exponent <= 0 and (exponent == 0 or digits[-1] != 0)


# --- the spec, by example -------------------------------------------------------------------


def test_uncached_input_and_output_are_billed_per_million_tokens() -> None:
    breakdown = cost(gpt_4o(), Usage(input_tokens=1_000, output_tokens=500))

    assert breakdown.total == Decimal("0.0075")
    assert lines_of(breakdown) == {
        "input": (1_000, Decimal("2.5"), Decimal("0.0025")),
        "output": (500, Decimal("10"), Decimal("0.005")),
    }
    assert breakdown.currency == "USD"
    assert breakdown.requests == 1
    assert breakdown.tier is None


def test_cached_tokens_are_billed_at_the_cached_rate() -> None:
    breakdown = cost(gpt_4o(), Usage(input_tokens=10_000, cached_input_tokens=8_000))

    assert lines_of(breakdown)["input"] == (2_000, Decimal("2.5"), Decimal("0.005"))
    assert lines_of(breakdown)["cached_input"] == (8_000, Decimal("1.25"), Decimal("0.01"))
    assert breakdown.total == Decimal("0.015")


def test_cached_tokens_are_billed_at_the_input_rate_when_there_is_no_cached_price() -> None:
    breakdown = cost(
        gpt_4o(cached_input=None), Usage(input_tokens=10_000, cached_input_tokens=8_000)
    )

    assert lines_of(breakdown)["cached_input"] == (8_000, Decimal("2.5"), Decimal("0.02"))
    assert breakdown.total == Decimal("0.025")


def test_cache_writes_are_billed_at_the_cache_write_rate_or_else_the_input_rate() -> None:
    usage = Usage(input_tokens=3_000, cached_input_tokens=1_000, cache_write_tokens=1_000)

    priced = cost(gpt_4o(cache_write="3.125"), usage)
    unpriced = cost(gpt_4o(), usage)

    assert lines_of(priced)["cache_write"] == (1_000, Decimal("3.125"), Decimal("0.003125"))
    assert lines_of(priced)["input"][0] == 1_000
    assert lines_of(unpriced)["cache_write"] == (1_000, Decimal("2.5"), Decimal("0.0025"))


def test_reasoning_tokens_are_billed_at_the_reasoning_rate_or_else_the_output_rate() -> None:
    usage = Usage(output_tokens=1_000, reasoning_tokens=600)

    own_rate = cost(gpt_4o(reasoning="20"), usage)
    output_rate = cost(gpt_4o(), usage)

    assert lines_of(own_rate)["output"] == (400, Decimal("10"), Decimal("0.004"))
    assert lines_of(own_rate)["reasoning"] == (600, Decimal("20"), Decimal("0.012"))
    assert lines_of(output_rate)["reasoning"] == (600, Decimal("10"), Decimal("0.006"))
    assert output_rate.total == Decimal("0.01")


def test_a_per_request_fee_is_charged_once_per_request() -> None:
    breakdown = cost(gpt_4o(per_request="0.005"), Usage(input_tokens=1_000), requests=3)

    assert lines_of(breakdown)["per_request"] == (3, Decimal("0.005"), Decimal("0.015"))
    assert breakdown.total == Decimal("0.0225")


def test_requests_multiply_every_line() -> None:
    usage = Usage(input_tokens=1_000, cached_input_tokens=400, output_tokens=100)

    one = cost(gpt_4o(), usage)
    thousand = cost(gpt_4o(), usage, requests=1_000)

    assert thousand.total == one.total * 1_000
    assert thousand.requests == 1_000
    for single, many in zip(one.lines, thousand.lines, strict=True):
        assert (many.tokens, many.amount) == (single.tokens * 1_000, single.amount * 1_000)


def test_a_tier_replaces_base_rates_for_the_whole_request() -> None:
    usage = Usage(input_tokens=300_000, cached_input_tokens=100_000, output_tokens=1_000)

    breakdown = cost(long_context(), usage)

    assert breakdown.tier == Tier(
        200_000, Decimal("2.5"), Decimal(15), cached_input=Decimal("0.25")
    )
    assert lines_of(breakdown) == {
        "input": (200_000, Decimal("2.5"), Decimal("0.5")),
        "cached_input": (100_000, Decimal("0.25"), Decimal("0.025")),
        "output": (1_000, Decimal("15"), Decimal("0.015")),
    }
    assert breakdown.total == Decimal("0.54")


def test_tier_applies_only_strictly_above_the_threshold() -> None:
    at_threshold = cost(long_context(), Usage(input_tokens=200_000))
    above = cost(long_context(), Usage(input_tokens=200_001))

    assert at_threshold.tier is None
    assert lines_of(at_threshold)["input"] == (200_000, Decimal("1.25"), Decimal("0.25"))
    assert above.tier is not None
    assert lines_of(above)["input"] == (200_001, Decimal("2.5"), Decimal("0.5000025"))


def test_the_highest_exceeded_tier_applies() -> None:
    tiers = [
        {"above_input_tokens": 1_000_000, "input": 8, "output": 30},
        {"above_input_tokens": 128_000, "input": 4, "output": 20},
    ]
    pricing = gpt_4o(tiers=tiers)

    assert lines_of(cost(pricing, Usage(input_tokens=500_000)))["input"][1] == Decimal(4)
    assert lines_of(cost(pricing, Usage(input_tokens=2_000_000)))["input"][1] == Decimal(8)


def test_a_null_tier_rate_keeps_the_base_rate_of_that_field() -> None:
    tier = {"above_input_tokens": 100, "input": 5, "output": None}
    usage = Usage(input_tokens=1_000, cached_input_tokens=500, output_tokens=10)

    rates = {line.component: line.rate for line in cost(gpt_4o(tiers=[tier]), usage).lines}

    assert rates == {"input": 5, "cached_input": Decimal("1.25"), "output": 10}


def test_a_tier_without_any_cached_price_bills_cache_reads_at_the_tier_input_rate() -> None:
    tier = {"above_input_tokens": 100, "input": 5, "output": 15}
    usage = Usage(input_tokens=1_000, cached_input_tokens=500)

    breakdown = cost(gpt_4o(cached_input=None, tiers=[tier]), usage)

    assert lines_of(breakdown)["cached_input"][1] == Decimal(5)


def test_amounts_are_exact_and_print_without_exponent_or_trailing_zeros() -> None:
    breakdown = cost(gpt_4o(input="0.1", output="100"), Usage(input_tokens=3, output_tokens=10**6))

    assert str(lines_of(breakdown)["input"][2]) == "3E-7"  # Decimal's own str below 1e-6
    assert f"{lines_of(breakdown)['input'][2]:f}" == "0.0000003"
    assert str(lines_of(breakdown)["output"][2]) == "100"
    assert str(breakdown.total) == "100.0000003"
    assert str(cost(gpt_4o(), Usage(input_tokens=5_000)).total) == "0.0125"
    assert all(is_plain(line.amount) and is_plain(line.rate) for line in breakdown.lines)


def test_zero_token_lines_are_left_out_but_input_and_output_always_shown() -> None:
    breakdown = cost(gpt_4o(), Usage())

    assert [line.component for line in breakdown.lines] == ["input", "output"]
    assert breakdown.total == 0
    assert str(breakdown.total) == "0"


def test_lines_come_in_a_fixed_order() -> None:
    usage = Usage(1_000, 100, 100, 1_000, 100)

    breakdown = cost(gpt_4o(per_request="0.01"), usage)

    assert [line.component for line in breakdown.lines] == [
        "input",
        "cached_input",
        "cache_write",
        "output",
        "reasoning",
        "per_request",
    ]
    assert breakdown.total == sum(line.amount for line in breakdown.lines)


def test_the_breakdown_is_json_ready_with_exact_decimals() -> None:
    breakdown = cost(long_context(), Usage(input_tokens=300_000, output_tokens=10))

    as_dict = breakdown.as_dict()
    text = simplejson.dumps(as_dict, use_decimal=True)

    assert simplejson.loads(text, use_decimal=True)["lines"][1]["amount"] == Decimal("0.00015")
    assert as_dict["total"] == Decimal("0.75015")
    assert '"total": 0.75015' in text
    assert as_dict["lines"][0] == {
        "component": "input",
        "tokens": 300_000,
        "rate": Decimal("2.5"),
        "amount": Decimal("0.75"),
    }
    assert as_dict["tier"]["above_input_tokens"] == 200_000
    assert as_dict["price_sheet"]["effective_from"] == "2024-08-06T00:00:00Z"
    assert as_dict["price_sheet"]["input"] == Decimal("1.25")


def test_a_breakdown_is_an_ordinary_frozen_dataclass() -> None:
    def fresh() -> CostBreakdown:  # lines are built on first use: each check gets a new one
        return cost(gpt_4o(per_request="0.01"), Usage(1_000, 200, 0, 50, 10), requests=2)

    spelled_out = CostBreakdown(
        total=fresh().total,
        currency="USD",
        requests=2,
        lines=fresh().lines,
        tier=None,
        price_sheet=fresh().price_sheet,
    )

    assert fresh() == spelled_out
    assert hash(fresh()) == hash(spelled_out)
    assert repr(fresh()) == repr(spelled_out)
    assert pickle.loads(pickle.dumps(fresh())) == spelled_out
    assert dataclasses.asdict(fresh())["lines"][0]["component"] == "input"
    assert dataclasses.replace(fresh(), requests=3).lines == spelled_out.lines
    with pytest.raises(dataclasses.FrozenInstanceError):
        fresh().total = Decimal(0)  # type: ignore[misc]
    with pytest.raises(AttributeError):
        fresh().no_such_field  # type: ignore[attr-defined]  # noqa: B018


# --- usage as it comes ----------------------------------------------------------------------

OPENAI_CHAT_USAGE = {
    "prompt_tokens": 2_000,
    "completion_tokens": 700,
    "total_tokens": 2_700,
    "prompt_tokens_details": {"cached_tokens": 1_536, "audio_tokens": 0},
    "completion_tokens_details": {
        "reasoning_tokens": 512,
        "audio_tokens": 0,
        "accepted_prediction_tokens": 0,
        "rejected_prediction_tokens": 0,
    },
}
SAME_USAGE = Usage(
    input_tokens=2_000, cached_input_tokens=1_536, output_tokens=700, reasoning_tokens=512
)


class PromptTokensDetails(BaseModel):
    cached_tokens: int | None = None
    audio_tokens: int | None = None


class CompletionTokensDetails(BaseModel):
    reasoning_tokens: int | None = None
    audio_tokens: int | None = None


class CompletionUsage(BaseModel):
    """Shaped like openai.types.CompletionUsage."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    prompt_tokens_details: PromptTokensDetails | None = None
    completion_tokens_details: CompletionTokensDetails | None = None


def test_an_openai_chat_usage_dict_is_taken_as_it_comes() -> None:
    assert Usage.parse(OPENAI_CHAT_USAGE) == SAME_USAGE


def test_an_openai_sdk_usage_object_is_taken_as_it_comes() -> None:
    sdk_usage = CompletionUsage.model_validate(OPENAI_CHAT_USAGE)
    bare = CompletionUsage(prompt_tokens=10, completion_tokens=5, total_tokens=15)

    assert Usage.parse(sdk_usage) == SAME_USAGE
    assert Usage.parse(bare) == Usage(input_tokens=10, output_tokens=5)
    assert cost(record(), sdk_usage) == cost(record(), SAME_USAGE)


def test_an_object_with_attributes_is_read_by_attribute() -> None:
    namespace = SimpleNamespace(
        prompt_tokens=2_000,
        completion_tokens=700,
        prompt_tokens_details=SimpleNamespace(cached_tokens=1_536),
        completion_tokens_details=SimpleNamespace(reasoning_tokens=512),
    )

    assert Usage.parse(namespace) == SAME_USAGE
    assert Usage.parse(
        SimpleNamespace(input_tokens=3, reasoning_tokens=1, output_tokens=2)
    ) == Usage(input_tokens=3, output_tokens=2, reasoning_tokens=1)


def test_an_openai_responses_usage_is_taken_as_it_comes() -> None:
    responses_usage = {
        "input_tokens": 2_000,
        "input_tokens_details": {"cached_tokens": 1_536},
        "output_tokens": 700,
        "output_tokens_details": {"reasoning_tokens": 512},
        "total_tokens": 2_700,
    }

    assert Usage.parse(responses_usage) == SAME_USAGE


def test_an_anthropic_usage_counts_cache_reads_and_writes_as_input() -> None:
    anthropic_usage = {
        "input_tokens": 50,
        "cache_read_input_tokens": 1_000,
        "cache_creation_input_tokens": 200,
        "output_tokens": 300,
        "service_tier": "standard",
    }

    assert Usage.parse(anthropic_usage) == Usage(
        input_tokens=1_250, cached_input_tokens=1_000, cache_write_tokens=200, output_tokens=300
    )


def test_null_openai_details_count_as_zero() -> None:
    usage = {
        "prompt_tokens": 10,
        "completion_tokens": 5,
        "prompt_tokens_details": None,
        "completion_tokens_details": {"reasoning_tokens": None},
    }

    assert Usage.parse(usage) == Usage(input_tokens=10, output_tokens=5)


def test_our_own_field_names_are_accepted_with_missing_counts_as_zero() -> None:
    assert Usage.parse({"input_tokens": 7}) == Usage(input_tokens=7)
    assert Usage.parse(SAME_USAGE) is SAME_USAGE
    assert Usage.parse(SAME_USAGE.as_dict()) == SAME_USAGE


@pytest.mark.parametrize(
    ("usage", "field"),
    [
        ({"input_tokens": -1}, "usage.input_tokens"),
        ({"input_tokens": 1.0}, "usage.input_tokens"),
        ({"input_tokens": "12"}, "usage.input_tokens"),
        ({"output_tokens": True}, "usage.output_tokens"),
        ({"input_tokens": 10**12 + 1}, "usage.input_tokens"),
        ({"input_tokens": 5, "cached_input_tokens": 6}, "usage.cached_input_tokens"),
        (
            {"input_tokens": 5, "cached_input_tokens": 3, "cache_write_tokens": 3},
            "usage.cached_input_tokens",
        ),
        ({"input_tokens": 5, "cache_write_tokens": 6}, "usage.cache_write_tokens"),
        ({"output_tokens": 1, "reasoning_tokens": 2}, "usage.reasoning_tokens"),
        ({"input_tokens": 1, "prompt": "hi"}, "usage.prompt"),
        ({"input_tokens": 1, "reasoning_tokens": 0, "total_tokens": 1}, "usage.total_tokens"),
        ({"prompt_tokens": -3, "completion_tokens": 1}, "usage.prompt_tokens"),
        (
            {"prompt_tokens": 5, "prompt_tokens_details": {"cached_tokens": 6}},
            "usage.prompt_tokens_details.cached_tokens",
        ),
        (
            {"completion_tokens": 5, "completion_tokens_details": {"reasoning_tokens": 6}},
            "usage.completion_tokens_details.reasoning_tokens",
        ),
        ({"input_tokens": 1, "cache_read_input_tokens": -1}, "usage.cache_read_input_tokens"),
        ([1, 2], "usage"),
        (None, "usage"),
    ],
)
def test_invalid_usage_is_refused_naming_the_field(usage: Any, field: str) -> None:
    with pytest.raises(InvalidUsage) as refused:
        cost(gpt_4o(), usage)

    assert refused.value.field == field
    assert str(refused.value).startswith(f"{field}: ")


def test_a_usage_built_directly_is_validated_too() -> None:
    with pytest.raises(InvalidUsage, match="reasoning"):
        Usage(output_tokens=1, reasoning_tokens=2)
    with pytest.raises(InvalidUsage):
        Usage(input_tokens=False)


@pytest.mark.parametrize("requests", [-1, True, 1.5, 10**12 + 1])
def test_a_bad_number_of_requests_is_refused(requests: Any) -> None:
    with pytest.raises(InvalidUsage) as refused:
        cost(gpt_4o(), Usage(), requests=requests)

    assert refused.value.field == "requests"


def test_cost_errors_are_value_errors_and_survive_pickling() -> None:
    error = pickle.loads(pickle.dumps(InvalidUsage("usage.input_tokens", "must not be negative")))

    assert isinstance(error, InvalidUsage)
    assert isinstance(error, ValueError)
    assert (error.field, error.message) == ("usage.input_tokens", "must not be negative")


# --- prices ---------------------------------------------------------------------------------


def test_floats_are_read_through_repr_never_float_arithmetic() -> None:
    sheet = PriceSheet.parse({"input": 0.1, "output": 1e-05, "cached_input": 2.5e-06 * 10**6})

    assert sheet.input == Decimal("0.1")
    assert sheet.output == Decimal("0.00001")
    assert sheet.cached_input == Decimal(repr(2.5e-06 * 10**6))


def test_prices_may_be_decimals_ints_or_strings_and_come_out_normalised() -> None:
    sheet = PriceSheet.parse({"input": "2.50", "output": 10, "reasoning": Decimal("1.2500")})

    assert (str(sheet.input), str(sheet.output), str(sheet.reasoning)) == ("2.5", "10", "1.25")
    assert sheet.currency == "USD"
    assert sheet.unit == "per_1m_tokens"


def test_effective_from_is_read_as_utc() -> None:
    aware = PriceSheet.parse(
        {"input": 1, "output": 1, "effective_from": "2024-08-06T02:00:00+02:00"}
    )
    naive = PriceSheet(input=Decimal(1), output=Decimal(1), effective_from=datetime(2024, 8, 6))
    a_date = PriceSheet.parse({"input": 1, "output": 1, "effective_from": date(2024, 8, 6)})

    assert aware.effective_from == naive.effective_from == a_date.effective_from
    assert naive.effective_from == datetime(2024, 8, 6, tzinfo=UTC)


def test_a_price_sheet_round_trips_through_its_mapping() -> None:
    sheet = PriceSheet.parse(long_context())

    assert PriceSheet.parse(sheet.as_dict()) == sheet


def test_a_pydantic_pricing_object_is_accepted() -> None:
    class Pricing(BaseModel):
        input: Decimal
        output: Decimal
        cached_input: Decimal | None = None

    breakdown = cost(
        SimpleNamespace(pricing=Pricing(input=Decimal(2), output=Decimal(8))), Usage(10**6)
    )

    assert breakdown.total == 2


@pytest.mark.parametrize(
    ("pricing", "field"),
    [
        ({"output": 1}, "pricing.input"),
        ({"input": 1, "output": None}, "pricing.output"),
        ({"input": -1, "output": 1}, "pricing.input"),
        ({"input": "abc", "output": 1}, "pricing.input"),
        ({"input": float("nan"), "output": 1}, "pricing.input"),
        ({"input": "Infinity", "output": 1}, "pricing.input"),
        ({"input": True, "output": 1}, "pricing.input"),
        ({"input": 1, "output": 10_001}, "pricing.output"),
        ({"input": 1, "output": 1, "cached_input": -0.5}, "pricing.cached_input"),
        ({"input": 1, "output": 1, "per_request": "x"}, "pricing.per_request"),
        ({"input": 1, "output": 1, "unit": "per_1k_tokens"}, "pricing.unit"),
        ({"input": 1, "output": 1, "currency": ""}, "pricing.currency"),
        ({"input": 1, "output": 1, "effective_from": "yesterday"}, "pricing.effective_from"),
        ({"input": 1, "output": 1, "tiers": {"above_input_tokens": 1}}, "pricing.tiers"),
        ({"input": 1, "output": 1, "tiers": [{"input": 2}]}, "pricing.tiers.0.above_input_tokens"),
        (
            {
                "input": 1,
                "output": 1,
                "tiers": [{"above_input_tokens": 5}, {"above_input_tokens": -5}],
            },
            "pricing.tiers.1.above_input_tokens",
        ),
        (
            {"input": 1, "output": 1, "tiers": [{"above_input_tokens": 5, "output": -1}]},
            "pricing.tiers.0.output",
        ),
        (
            {
                "input": 1,
                "output": 1,
                "tiers": [{"above_input_tokens": 5}, {"above_input_tokens": 5}],
            },
            "pricing.tiers",
        ),
    ],
)
def test_invalid_pricing_is_refused_naming_the_field(pricing: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidPricing) as refused:
        cost(pricing, Usage())

    assert refused.value.field == field


def test_a_pricing_mapping_edited_in_place_is_priced_afresh() -> None:
    pricing = gpt_4o()
    usage = Usage(input_tokens=10**6)
    assert cost(pricing, usage).total == Decimal("2.5")

    pricing["input"] = Decimal(3)
    assert cost(pricing, usage).total == 3

    pricing["tiers"].append({"above_input_tokens": 1_000, "input": 7, "output": 20})
    assert cost(pricing, usage).total == 7


def test_a_pickled_price_sheet_still_prices() -> None:
    sheet = PriceSheet.parse(long_context())
    restored = pickle.loads(pickle.dumps(sheet))

    assert restored == sheet
    assert cost(restored, Usage(input_tokens=300_000)) == cost(sheet, Usage(input_tokens=300_000))


# --- what to price --------------------------------------------------------------------------


def test_a_model_record_a_pricing_mapping_a_sheet_and_an_object_price_alike() -> None:
    usage = Usage(input_tokens=12_345, output_tokens=678)
    expected = cost(PriceSheet.parse(gpt_4o()), usage)

    assert cost(record(), usage) == expected
    assert cost(gpt_4o(), usage) == expected
    assert cost(SimpleNamespace(name="gpt-4o", pricing=gpt_4o()), usage) == expected
    assert cost(SimpleNamespace(pricing=PriceSheet.parse(gpt_4o())), usage) == expected


def test_a_model_without_pricing_is_unpriced() -> None:
    with pytest.raises(Unpriced) as refused:
        cost(record(pricing=None), Usage())

    assert refused.value.field == "pricing"
    assert "gpt-4o" in refused.value.message
    with pytest.raises(Unpriced):
        cost({"name": "local-llama"}, Usage())
    with pytest.raises(Unpriced):
        cost(None, Usage())
    with pytest.raises(Unpriced):
        cost(SimpleNamespace(pricing=None), Usage())


def test_something_that_is_not_a_price_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        cost(42, Usage())


HISTORY = [
    gpt_4o(input="5", output="15", effective_from="2024-05-13T00:00:00Z"),
    gpt_4o(input="2.5", output="10", effective_from="2024-08-06T00:00:00Z"),
]


def test_at_prices_with_the_period_in_effect_then() -> None:
    model = record(pricing=HISTORY[1], price_history=HISTORY)
    usage = Usage(input_tokens=10**6)

    assert cost(model, usage, at=datetime(2024, 6, 1, tzinfo=UTC)).total == 5
    assert cost(model, usage, at=datetime(2024, 8, 6, tzinfo=UTC)).total == Decimal("2.5")
    assert cost(model, usage, at="2030-01-01T00:00:00Z").total == Decimal("2.5")
    assert cost(model, usage).total == Decimal("2.5")


def test_at_before_the_first_period_is_refused() -> None:
    model = record(pricing=HISTORY[1], price_history=HISTORY)

    with pytest.raises(NoPriceAt) as refused:
        cost(model, Usage(), at=datetime(2024, 5, 12, 23, 59, tzinfo=UTC))

    assert refused.value.field == "at"
    assert "2024-05-13T00:00:00Z" in refused.value.message


def test_at_works_with_the_current_pricing_alone() -> None:
    assert cost(record(), Usage(), at="2025-01-01").price_sheet.input == Decimal("2.5")
    with pytest.raises(NoPriceAt):
        cost(record(), Usage(), at="2024-01-01")
    with pytest.raises(NoPriceAt):
        cost(PriceSheet.parse(gpt_4o()), Usage(), at="2024-01-01")


def test_a_history_period_without_effective_from_is_refused() -> None:
    model = record(price_history=[{"input": 1, "output": 1}])

    with pytest.raises(InvalidPricing) as refused:
        cost(model, Usage(), at="2025-01-01")

    assert refused.value.field == "price_history.0.effective_from"


def test_history_errors_name_the_period() -> None:
    model = record(
        price_history=[HISTORY[0], {"input": -1, "output": 1, "effective_from": "2024-01-01"}]
    )

    with pytest.raises(InvalidPricing) as refused:
        cost(model, Usage(), at="2025-01-01")

    assert refused.value.field == "price_history.1.input"


def test_period_at_takes_the_greatest_effective_from_not_after_at() -> None:
    periods = [PriceSheet.parse(period) for period in reversed(HISTORY)]

    assert period_at(periods, datetime(2024, 7, 1)).input == 5  # naive means UTC
    assert period_at(periods, datetime(2024, 8, 6)).input == Decimal("2.5")
    assert period_at(periods, "2024-08-06T00:00:00Z").input == Decimal("2.5")
    assert period_at(periods, datetime(2024, 1, 1)) is None
    assert period_at([], datetime(2024, 1, 1)) is None


def test_one_rule_picks_the_period_for_sheets_mappings_and_rows() -> None:
    """The engine, the simulator and the registry's rows all ask the same function."""
    sheets = [PriceSheet.parse(period) for period in HISTORY]
    mappings = [
        {**period, "effective_from": datetime.fromisoformat(period["effective_from"])}
        for period in HISTORY
    ]
    rows = [SimpleNamespace(**mapping) for mapping in mappings]
    for at in ("2024-01-01", "2024-07-01", "2024-08-06", "2030-01-01"):
        picked = [period_at(kind, at) for kind in (sheets, mappings, rows)]
        starts = {None if item is None else _start(item) for item in picked}
        assert len(starts) == 1, (at, picked)


def _start(item: Any) -> datetime:
    value = item["effective_from"] if isinstance(item, dict) else item.effective_from
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def test_pricing_before_the_first_period_names_it() -> None:
    model = {"name": "m", "pricing": None, "price_history": HISTORY}
    with pytest.raises(NoPriceAt, match="the first starts"):
        cost(model, Usage(input_tokens=1), at="2024-01-01")
    with pytest.raises(Unpriced):
        cost({"name": "m", "pricing": None, "price_history": []}, Usage(), at="2024-01-01")


# --- properties -----------------------------------------------------------------------------

MILLION = Fraction(10**6)


@st.composite
def rates(draw: st.DrawFn, max_value: int = 1_000) -> Decimal:
    places = draw(st.integers(0, 6))
    return Decimal(draw(st.integers(0, max_value * 10**places))).scaleb(-places)


def optional_rates(max_value: int = 1_000) -> st.SearchStrategy[Decimal | None]:
    return st.none() | rates(max_value)


@st.composite
def pricings(
    draw: st.DrawFn, *, tiered: bool | None = None, rising: bool = False
) -> dict[str, Any]:
    """A §3 pricing mapping; `rising`: each tier's rates at least every rate below it."""
    pricing: dict[str, Any] = {
        "input": draw(rates()),
        "output": draw(rates()),
        "cached_input": draw(optional_rates()),
        "cache_write": draw(optional_rates()),
        "reasoning": draw(optional_rates()),
        "cache_write_1h": draw(optional_rates()),
        "per_request": draw(st.none() | rates(max_value=1)),
    }
    low, high = (1, 3) if tiered else (0, 0) if tiered is False else (0, 3)
    thresholds = draw(st.lists(st.integers(0, 10**6), min_size=low, max_size=high, unique=True))
    floor = max(rate for rate in pricing.values() if rate is not None)
    tiers = []
    for threshold in sorted(thresholds):
        tier: dict[str, Any] = {"above_input_tokens": threshold}
        for field in RATE_FIELDS:
            if rising:
                tier[field] = floor + draw(rates(max_value=1_000))
            else:
                tier[field] = draw(optional_rates())
        if rising:
            floor = max(tier[field] for field in RATE_FIELDS)
        tiers.append(tier)
    pricing["tiers"] = draw(st.permutations(tiers))
    return pricing


@st.composite
def usages(draw: st.DrawFn, max_tokens: int = 3 * 10**6) -> Usage:
    input_tokens = draw(st.integers(0, max_tokens))
    cached = draw(st.integers(0, input_tokens))
    written = draw(st.integers(0, input_tokens - cached))
    output_tokens = draw(st.integers(0, max_tokens))
    reasoning = draw(st.integers(0, output_tokens))
    hour = draw(st.integers(0, written))
    return Usage(input_tokens, cached, written, output_tokens, reasoning, hour)


def rates_by_hand(pricing: dict[str, Any], input_tokens: int) -> tuple[dict[str, Fraction], Any]:
    """§3 read literally: the highest tier strictly exceeded overlays the base, then nulls
    fall back (cached and cache writes to input, reasoning to output)."""
    exceeded = [t for t in pricing["tiers"] if input_tokens > t["above_input_tokens"]]
    tier = max(exceeded, key=lambda t: t["above_input_tokens"]) if exceeded else None
    chosen = {field: pricing[field] for field in RATE_FIELDS}
    if tier is not None:
        chosen.update({field: tier[field] for field in RATE_FIELDS if tier.get(field) is not None})
    exact = {field: Fraction(rate) for field, rate in chosen.items() if rate is not None}
    exact.setdefault("cached_input", exact["input"])
    exact.setdefault("cache_write", exact["input"])
    exact.setdefault("cache_write_1h", exact["cache_write"])
    exact.setdefault("reasoning", exact["output"])
    return exact, tier


def by_hand(pricing: dict[str, Any], usage: Usage, requests: int = 1) -> Fraction:
    rate, _ = rates_by_hand(pricing, usage.input_tokens)
    uncached = usage.input_tokens - usage.cached_input_tokens - usage.cache_write_tokens
    per_request = (
        uncached * rate["input"]
        + usage.cached_input_tokens * rate["cached_input"]
        + (usage.cache_write_tokens - usage.cache_write_1h_tokens) * rate["cache_write"]
        + usage.cache_write_1h_tokens * rate["cache_write_1h"]
        + (usage.output_tokens - usage.reasoning_tokens) * rate["output"]
        + usage.reasoning_tokens * rate["reasoning"]
    ) / MILLION
    fee = pricing["per_request"]
    return requests * (per_request + (Fraction(fee) if fee is not None else 0))


@given(pricings(), usages(), st.integers(0, 10**6))
def test_cost_is_exact_and_never_negative(
    pricing: dict[str, Any], usage: Usage, requests: int
) -> None:
    breakdown = cost(pricing, usage, requests=requests)

    assert isinstance(breakdown.total, Decimal)
    assert breakdown.total >= 0
    assert Fraction(breakdown.total) == by_hand(pricing, usage, requests)
    assert breakdown.total == sum(line.amount for line in breakdown.lines)
    for line in breakdown.lines:
        assert line.amount >= 0
        assert Fraction(line.amount) == line.tokens * Fraction(line.rate) / (
            1 if line.component == "per_request" else MILLION
        )
        assert is_plain(line.amount)
    assert is_plain(breakdown.total)


GROWTHS = {
    "uncached input": (1, 0, 0, 0, 0, 0),
    "cached input": (1, 1, 0, 0, 0, 0),
    "cache writes": (1, 0, 1, 0, 0, 0),
    "1-hour cache writes": (1, 0, 1, 0, 0, 1),
    "non-reasoning output": (0, 0, 0, 1, 0, 0),
    "reasoning": (0, 0, 0, 1, 1, 0),
}


@given(pricings(rising=True), usages(), st.sampled_from(sorted(GROWTHS)), st.integers(1, 10**6))
def test_more_tokens_of_any_kind_never_cost_less(
    pricing: dict[str, Any], usage: Usage, kind: str, extra: int
) -> None:
    counts = usage.counts()
    grown = Usage(
        *(count + extra * step for count, step in zip(counts, GROWTHS[kind], strict=True))
    )

    assert cost(pricing, grown).total >= cost(pricing, usage).total


@given(pricings(), usages())
def test_caching_never_costs_more_than_not_caching(pricing: dict[str, Any], usage: Usage) -> None:
    rate, _ = rates_by_hand(pricing, usage.input_tokens)
    assume(rate["cached_input"] <= rate["input"])
    uncached = Usage(
        input_tokens=usage.input_tokens,
        cache_write_tokens=usage.cache_write_tokens,
        output_tokens=usage.output_tokens,
        reasoning_tokens=usage.reasoning_tokens,
        cache_write_1h_tokens=usage.cache_write_1h_tokens,
    )

    assert cost(pricing, usage).total <= cost(pricing, uncached).total


@given(pricings(tiered=True), usages(), st.data())
def test_a_tier_applies_to_the_whole_request_exactly_above_its_threshold(
    pricing: dict[str, Any], usage: Usage, data: st.DataObject
) -> None:
    tier = data.draw(st.sampled_from(pricing["tiers"]))
    threshold = tier["above_input_tokens"]
    for input_tokens in (threshold, threshold + 1):
        at_edge = Usage(
            input_tokens=input_tokens,
            cached_input_tokens=min(usage.cached_input_tokens, input_tokens),
            output_tokens=usage.output_tokens,
            reasoning_tokens=usage.reasoning_tokens,
        )
        breakdown = cost(pricing, at_edge)
        rate, expected_tier = rates_by_hand(pricing, input_tokens)

        applied = None if breakdown.tier is None else breakdown.tier.above_input_tokens
        assert applied == (None if expected_tier is None else expected_tier["above_input_tokens"])
        assert (applied == threshold) == (input_tokens == threshold + 1)
        for line in breakdown.lines:
            if line.component != "per_request":
                assert line.rate == rate[line.component]


@given(pricings(), usages(), st.integers(0, 10**6), st.integers(0, 10**6))
def test_costs_of_requests_add_up(pricing: dict[str, Any], usage: Usage, a: int, b: int) -> None:
    apart = cost(pricing, usage, requests=a), cost(pricing, usage, requests=b)
    together = cost(pricing, usage, requests=a + b)

    assert apart[0].total + apart[1].total == together.total
    for line_a, line_b, line in zip(apart[0].lines, apart[1].lines, together.lines, strict=True):
        assert line_a.amount + line_b.amount == line.amount
        assert line_a.tokens + line_b.tokens == line.tokens


@given(usages(max_tokens=10**12 // 2))
def test_every_usage_shape_means_the_same(usage: Usage) -> None:
    chat = {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.input_tokens + usage.output_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cached_input_tokens},
        "completion_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
    }
    anthropic = {
        "input_tokens": usage.input_tokens - usage.cached_input_tokens - usage.cache_write_tokens,
        "cache_read_input_tokens": usage.cached_input_tokens,
        "cache_creation_input_tokens": usage.cache_write_tokens,
        "cache_creation": {
            "ephemeral_5m_input_tokens": usage.cache_write_tokens - usage.cache_write_1h_tokens,
            "ephemeral_1h_input_tokens": usage.cache_write_1h_tokens,
        },
        "output_tokens": usage.output_tokens,
    }
    without_writes = Usage(
        usage.input_tokens,
        usage.cached_input_tokens,
        0,
        usage.output_tokens,
        usage.reasoning_tokens,
    )

    assert Usage.parse(usage.as_dict()) == usage
    assert Usage.parse(anthropic) == dataclasses.replace(usage, reasoning_tokens=0)
    assert Usage.parse(chat) == without_writes
    assert Usage.parse(CompletionUsage.model_validate(chat)) == without_writes


def test_cost_errors_share_one_base() -> None:
    for error in (InvalidUsage, InvalidPricing, Unpriced, NoPriceAt):
        assert issubclass(error, CostError)

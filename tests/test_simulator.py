"""The workload simulator (DESIGN §2-§3) as a pure function: examples, then properties.

`simulate(models, history, request, count)` is checked against a reference written here with
`Fraction`s, so the rules (tiers, fallbacks, weights, fits) are stated twice, independently.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modeldeck import cost
from modeldeck.pricing.engine import period_at
from modeldeck.pricing.schemas import SimulateRequest
from modeldeck.pricing.simulator import pricing_at, simulate

pytestmark = pytest.mark.dated

bounded = settings(max_examples=200, deadline=None)
UNIT_WEIGHTS = {"input": 1.0, "cached_input": 1.0, "output": 1.0, "reasoning": 1.0}


def offered(*args: Any) -> list[dict[str, Any]]:
    """The simulator's rows, where every model offers the (standard) rates asked for."""
    rows, not_offered = simulate(*args)
    assert not_offered == []
    return rows


def model(name: str, pricing: Mapping[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    """A public model record (DESIGN §2) with just what the simulator reads."""
    record: dict[str, Any] = {
        "id": f"id-{name}",
        "name": name,
        "display_name": "",
        "provider": "openai",
        "token_weights": dict(UNIT_WEIGHTS),
        "complexity_factor": None,
        "pricing": pricing,
        "context_window": None,
        "max_output_tokens": None,
    }
    record.update(fields)
    return record


def never(_: Mapping[str, Any] | None) -> tuple[int, str, bool]:
    raise AssertionError("the counter was called for a workload given in tokens")


def period(starts: str, **rates: Any) -> dict[str, Any]:
    return {
        "effective_from": datetime.fromisoformat(starts).replace(tzinfo=UTC),
        "priced": "input" in rates,
        **rates,
    }


def run(models: list[dict[str, Any]], **request: Any) -> list[dict[str, Any]]:
    return offered(models, {}, SimulateRequest(**request), never)


# --- examples -------------------------------------------------------------------------------


def test_one_row_per_priced_model_plus_custom_rows_sorted_by_total_cost() -> None:
    models = [
        model("dear", {"input": "10", "output": "30"}),
        model("free", {"input": "0", "output": "0"}),
        model("unpriced"),
        model("cheap", {"input": "0.1", "output": "0.4"}),
    ]
    rows = run(
        models,
        input_tokens=1000,
        output_tokens=100,
        custom_prices=[{"name": "mid", "pricing": {"input": "1", "output": "1"}}],
    )
    assert [row["model"] for row in rows] == ["free", "cheap", "mid", "dear"]
    assert [row["total_cost"] for row in rows] == [
        0,
        Decimal("0.00014"),
        Decimal("0.0011"),
        Decimal("0.013"),
    ]
    assert [row["custom"] for row in rows] == [False, False, True, False]


def test_equal_costs_are_ordered_by_name_ignoring_case() -> None:
    models = [model(name, {"input": "1", "output": "1"}) for name in ("b", "C", "a")]
    assert [row["model"] for row in run(models, input_tokens=1)] == ["a", "b", "C"]


def test_total_cost_is_cost_per_request_times_requests() -> None:
    models = [model("m", {"input": "0.15", "cached_input": "0.075", "output": "0.6"})]
    (row,) = run(models, input_tokens=1337, output_tokens=421, cached_share=0.75, requests=98_765)
    # 1337 * 0.75 = 1002.75 → 1003 cached: 334 * 0.15 + 1003 * 0.075 + 421 * 0.6 = 377.925 / 1M
    assert row["cached_input_tokens"] == 1003
    assert row["cost_per_request"] == Decimal("0.000377925")
    assert row["total_cost"] == Decimal("0.000377925") * 98_765


def test_weighted_tokens_and_compute_units_follow_the_model() -> None:
    weights = {"input": 2.0, "cached_input": 0.5, "output": 3.0, "reasoning": 4.0}
    models = [
        model("m", {"input": "1", "output": "1"}, token_weights=weights, complexity_factor=0.4)
    ]
    (row,) = run(
        models,
        input_tokens=1000,
        cached_share=0.25,
        output_tokens=400,
        reasoning_tokens=100,
        requests=10,
    )
    assert row["weighted_tokens"] == 10 * (750 * 2 + 250 * Decimal("0.5") + 300 * 3 + 100 * 4)
    assert row["compute_units"] == row["weighted_tokens"] * Decimal("0.4")


def test_compute_units_are_none_without_a_complexity_factor() -> None:
    (row,) = run([model("m", {"input": "1", "output": "1"})], input_tokens=10, output_tokens=5)
    assert row["weighted_tokens"] == 15
    assert row["compute_units"] is None


@pytest.mark.parametrize(
    ("input_tokens", "output_tokens", "problems"),
    [(900, 100, 0), (901, 100, 1), (10, 101, 1), (950, 101, 2)],
)
def test_fits_compares_the_workload_with_the_context_window_and_max_output(
    input_tokens: int, output_tokens: int, problems: int
) -> None:
    models = [model("m", {"input": "1", "output": "1"}, context_window=1000, max_output_tokens=100)]
    (row,) = run(models, input_tokens=input_tokens, output_tokens=output_tokens)
    assert len(row["fit_problems"]) == problems
    assert row["fits"] is (problems == 0)


def filtered_names(models: list[dict[str, Any]], **request: Any) -> list[str]:
    return [row["model"] for row in run(models, input_tokens=1000, output_tokens=100, **request)]


def catalog_like() -> list[dict[str, Any]]:
    """Models that differ in one field each, to see which filter keeps which."""
    return [
        model(
            "claude-on-bedrock",
            {"input": "3", "output": "15"},
            provider="other",
            tags=["vendor:anthropic", "host:bedrock"],
            is_system=True,
            status="active",
            context_window=200_000,
            capabilities={"tools": True, "vision": True},
        ),
        model(
            "gpt-small",
            {"input": "0.1", "output": "0.4"},
            tags=["vendor:openai", "team:search"],
            is_system=True,
            status="deprecated",
            context_window=128_000,
            capabilities={"tools": True},
        ),
        model(
            "ours",
            {"input": "0.5", "output": "0.5"},
            provider="openai_compatible",
            tags=["team:search"],
            is_system=False,
            status="active",
            context_window=32_000,
            capabilities={},
        ),
        model("gone", {"input": "0.01", "output": "0.01"}, status="retired", is_system=False),
        model("gratis", {"input": "0", "output": "0"}, status="active", is_system=True),
        model("fee-only", {"input": "0", "output": "0", "per_request": "0.01"}, status="active"),
    ]


def test_without_filters_every_priced_model_but_the_retired_is_priced() -> None:
    names = filtered_names(catalog_like())
    assert names == ["gratis", "gpt-small", "ours", "claude-on-bedrock", "fee-only"]


@pytest.mark.parametrize(
    ("request_fields", "kept"),
    [
        ({"providers": ["openai"]}, ["gratis", "gpt-small", "fee-only"]),
        ({"vendors": ["anthropic"]}, ["claude-on-bedrock"]),
        ({"statuses": ["deprecated"]}, ["gpt-small"]),
        ({"statuses": ["retired"]}, ["gone"]),
        ({"system": False}, ["ours", "fee-only"]),
        ({"system": True}, ["gratis", "gpt-small", "claude-on-bedrock"]),
        ({"tags": ["team:search"]}, ["gpt-small", "ours"]),
        ({"tags": ["team:search", "vendor:openai"]}, ["gpt-small"]),
        ({"min_context_window": 100_000}, ["gpt-small", "claude-on-bedrock"]),
        ({"max_input_price": "0.5"}, ["gratis", "gpt-small", "ours", "fee-only"]),
        ({"max_output_price": "0.4"}, ["gratis", "gpt-small", "fee-only"]),
        ({"include_free": False}, ["gpt-small", "ours", "claude-on-bedrock", "fee-only"]),
        (
            {"include_retired": True},
            ["gratis", "gone", "gpt-small", "ours", "claude-on-bedrock", "fee-only"],
        ),
    ],
)
def test_each_filter_keeps_only_the_models_it_names(
    request_fields: dict[str, Any], kept: list[str]
) -> None:
    assert filtered_names(catalog_like(), **request_fields) == kept


def test_custom_prices_pass_every_filter() -> None:
    names = filtered_names(
        catalog_like(),
        providers=["anthropic"],
        include_free=False,
        custom_prices=[{"name": "free-what-if", "pricing": {"input": "0", "output": "0"}}],
    )
    assert names == ["free-what-if"]


def test_a_missing_required_capability_is_a_misfit_ranked_last_with_fitting_first() -> None:
    models = catalog_like()
    rows = run(
        models,
        input_tokens=1000,
        output_tokens=100,
        required_capabilities=["vision", "tools"],
        fitting_first=True,
        include_free=False,
    )
    assert [(row["model"], row["fits"]) for row in rows] == [
        ("claude-on-bedrock", True),
        ("gpt-small", False),
        ("ours", False),
        ("fee-only", False),
    ]
    assert rows[1]["fit_problems"] == ["lacks vision"]
    assert rows[2]["fit_problems"] == ["lacks vision, tools"]
    # Without fitting_first the order is the cost alone, misfits and all.
    cheapest = run(models, input_tokens=1000, required_capabilities=["vision"])
    assert cheapest[0]["model"] == "gratis" and not cheapest[0]["fits"]


def test_a_context_misfit_ranks_after_every_fit_with_fitting_first() -> None:
    models = [
        model("cheap-small", {"input": "0.1", "output": "0.1"}, context_window=1000),
        model("dear-large", {"input": "10", "output": "10"}, context_window=100_000),
    ]
    rows = run(models, input_tokens=5000, output_tokens=10, fitting_first=True)
    assert [row["model"] for row in rows] == ["dear-large", "cheap-small"]


def test_rows_carry_the_prices_and_limits_they_were_ranked_by() -> None:
    models = [
        model(
            "m",
            {
                "input": "2",
                "output": "8",
                "service_tiers": {"batch": {"input": "1", "output": "4"}},
            },
            context_window=1000,
            max_output_tokens=100,
        )
    ]
    (row,) = run(models, input_tokens=10)
    assert (row["input_price"], row["output_price"]) == (Decimal(2), Decimal(8))
    assert (row["context_window"], row["max_output_tokens"]) == (1000, 100)
    (batch,) = run(models, input_tokens=10, service_tier="batch")
    assert (batch["input_price"], batch["output_price"]) == (Decimal(1), Decimal(4))
    assert filtered_names(models, service_tier="batch", max_input_price="1") == ["m"]
    assert filtered_names(models, max_input_price="1") == []


def test_a_sample_text_is_counted_once_per_model_with_its_label() -> None:
    calls: list[str | None] = []

    def counter(record: Mapping[str, Any] | None) -> tuple[int, str, bool]:
        calls.append(None if record is None else record["name"])
        return (123, "o200k_base", True) if record else (99, "estimate:default", False)

    models = [model("gpt-4o", {"input": "1", "output": "1"})]
    request = SimulateRequest(
        text="hello", custom_prices=[{"name": "mine", "pricing": {"input": 2, "output": 2}}]
    )
    rows = offered(models, {}, request, counter)
    assert calls == ["gpt-4o", None]
    by_name = {row["model"]: row for row in rows}
    assert (by_name["gpt-4o"]["input_tokens"], by_name["gpt-4o"]["tokenizer"]) == (
        123,
        "o200k_base",
    )
    assert by_name["gpt-4o"]["tokens_exact"] is True
    assert (by_name["mine"]["input_tokens"], by_name["mine"]["tokens_exact"]) == (99, False)


def test_at_uses_the_period_in_effect_and_skips_models_without_one() -> None:
    old = model("old", {"input": "1", "output": "1"})
    new = model("new", {"input": "1", "output": "1"})
    history = {
        "id-old": [
            period("2024-01-01", input=Decimal(5), output=Decimal(5)),
            period("2025-01-01", input=Decimal(1), output=Decimal(1)),
        ],
        "id-new": [period("2025-06-01", input=Decimal(1), output=Decimal(1))],
    }
    request = SimulateRequest(input_tokens=1_000_000, at=datetime(2024, 7, 1, tzinfo=UTC))
    (row,) = offered([old, new], history, request, never)
    assert (row["model"], row["total_cost"]) == ("old", 5)
    assert row["price_effective_from"] == datetime(2024, 1, 1, tzinfo=UTC)


def test_at_skips_a_model_whose_period_then_had_no_prices() -> None:
    record = model("m", {"input": "1", "output": "1"})
    history = {
        "id-m": [
            period("2024-01-01"),
            period("2025-01-01", input=Decimal(1), output=Decimal(1)),
        ]
    }
    then = SimulateRequest(input_tokens=1, at=datetime(2024, 6, 1, tzinfo=UTC))
    assert offered([record], history, then, never) == []
    later = SimulateRequest(input_tokens=1, at=datetime(2025, 6, 1, tzinfo=UTC))
    assert len(offered([record], history, later, never)) == 1


def test_period_at_takes_the_latest_started_period() -> None:
    history = [period("2024-01-01"), period("2025-01-01"), period("2026-01-01")]
    assert period_at(history, datetime(2023, 12, 31, tzinfo=UTC)) is None
    assert period_at(history, datetime(2024, 1, 1, tzinfo=UTC)) is history[0]
    assert period_at(history, datetime(2025, 12, 31, tzinfo=UTC)) is history[1]
    assert period_at(history, datetime(2099, 1, 1, tzinfo=UTC)) is history[2]
    assert pricing_at(model("m", {"input": 1}), history, None) == {"input": 1}


def test_a_tier_prices_the_whole_request_and_is_named() -> None:
    tier = {"above_input_tokens": 1000, "input": "5", "output": "15"}
    models = [model("m", {"input": "2.5", "output": "10", "tiers": [tier]})]
    (at_threshold,) = run(models, input_tokens=1000, output_tokens=10)
    (above,) = run(models, input_tokens=1001, output_tokens=10)
    assert at_threshold["tier"] is None
    assert at_threshold["cost_per_request"] == Decimal("0.0026")
    assert above["tier"]["above_input_tokens"] == 1000
    assert above["cost_per_request"] == Decimal("0.005155")


# --- properties -----------------------------------------------------------------------------

money = st.builds(
    lambda units, places: Decimal(units).scaleb(-places),
    st.integers(min_value=0, max_value=10**7),
    st.integers(min_value=0, max_value=6),
).filter(lambda value: value <= 10_000)
weights = st.floats(min_value=0.001, max_value=1000, allow_nan=False, allow_infinity=False)
factors = st.none() | st.floats(min_value=0, max_value=6000).map(lambda value: round(value, 6))
limits = st.none() | st.integers(min_value=1, max_value=2_000_000)
big_counts = st.integers(min_value=0, max_value=10**12)
counts = st.integers(min_value=0, max_value=3_000_000) | big_counts


@st.composite
def tiers(draw: st.DrawFn) -> list[dict[str, Any]]:
    thresholds = draw(st.lists(st.integers(1, 2_000_000), max_size=3, unique=True))
    return [
        {
            "above_input_tokens": threshold,
            **{
                rate: draw(st.none() | money)
                for rate in ("input", "output", "cached_input", "reasoning")
            },
        }
        for threshold in thresholds
    ]


@st.composite
def pricings(draw: st.DrawFn) -> dict[str, Any] | None:
    if draw(st.integers(0, 9)) == 0:
        return None
    return {
        "input": draw(money),
        "output": draw(money),
        "cached_input": draw(st.none() | money),
        "reasoning": draw(st.none() | money),
        "per_request": draw(st.none() | money),
        "tiers": draw(tiers()),
    }


@st.composite
def models(draw: st.DrawFn) -> list[dict[str, Any]]:
    size = draw(st.integers(0, 5))
    return [
        model(
            f"model-{n}",
            draw(pricings()),
            token_weights={name: draw(weights) for name in UNIT_WEIGHTS},
            complexity_factor=draw(factors),
            context_window=draw(limits),
            max_output_tokens=draw(limits),
        )
        for n in range(size)
    ]


@st.composite
def workloads(draw: st.DrawFn) -> SimulateRequest:
    output = draw(counts)
    customs = [
        {"name": f"custom-{n}", "pricing": {"input": draw(money), "output": draw(money)}}
        for n in range(draw(st.integers(0, 2)))
    ]
    return SimulateRequest(
        requests=draw(st.integers(min_value=1, max_value=10**12)),
        input_tokens=draw(counts),
        output_tokens=output,
        reasoning_tokens=draw(st.integers(min_value=0, max_value=output)),
        cached_share=draw(st.floats(min_value=0, max_value=1)),
        custom_prices=customs,
    )


def reference_cost(pricing: Mapping[str, Any], i: int, c: int, o: int, r: int) -> Fraction:
    """DESIGN §3 by the letter: the highest tier below the input replaces the base rates."""

    def rate(value: Any) -> Fraction | None:
        return None if value is None else Fraction(str(value))

    rates = {name: rate(pricing.get(name)) for name in ("input", "output", "cached_input")}
    rates["reasoning"] = rate(pricing.get("reasoning"))
    passed = [tier for tier in pricing.get("tiers", []) if i > tier["above_input_tokens"]]
    if passed:
        tier = max(passed, key=lambda tier: tier["above_input_tokens"])
        for name in rates:
            if tier.get(name) is not None:
                rates[name] = rate(tier[name])
    input_rate, output_rate = rates["input"], rates["output"]
    assert input_rate is not None and output_rate is not None
    cached = input_rate if rates["cached_input"] is None else rates["cached_input"]
    reasoning = output_rate if rates["reasoning"] is None else rates["reasoning"]
    tokens = (i - c) * input_rate + c * cached + (o - r) * output_rate + r * reasoning
    fee = rate(pricing.get("per_request")) or Fraction(0)
    return tokens / 1_000_000 + fee


def reference_weighted(weights: Mapping[str, float], i: int, c: int, o: int, r: int) -> Fraction:
    def w(name: str) -> Fraction:
        return Fraction(repr(weights[name]))

    return (i - c) * w("input") + c * w("cached_input") + (o - r) * w("output") + r * w("reasoning")


@bounded
@given(records=models(), request=workloads())
def test_every_row_agrees_with_the_reference(
    records: list[dict[str, Any]], request: SimulateRequest
) -> None:
    rows = offered(records, {}, request, never)
    priced = [record for record in records if record["pricing"] is not None]
    assert len(rows) == len(priced) + len(request.custom_prices)
    assert [(row["total_cost"], row["model"].lower()) for row in rows] == sorted(
        (row["total_cost"], row["model"].lower()) for row in rows
    )
    assert request.input_tokens is not None
    i, o, r = request.input_tokens, request.output_tokens, request.reasoning_tokens
    share = Decimal(repr(request.cached_share))
    c = int((i * share).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    by_name = {record["name"]: record for record in records}
    customs = {custom.name: custom for custom in request.custom_prices}
    for row in rows:
        assert 0 <= row["cached_input_tokens"] == c <= i
        assert (row["input_tokens"], row["output_tokens"], row["reasoning_tokens"]) == (i, o, r)
        assert (row["tokenizer"], row["tokens_exact"]) == ("given", True)
        assert Fraction(row["total_cost"]) == Fraction(row["cost_per_request"]) * request.requests
        record = by_name.get(row["model"])
        if row["custom"]:
            pricing: Mapping[str, Any] = customs[row["model"]].pricing.model_dump()
            weights: Mapping[str, float] = UNIT_WEIGHTS
            factor, window, most = None, None, None
        else:
            assert record is not None and row["model_id"] == record["id"]
            pricing, weights = record["pricing"], record["token_weights"]
            factor = record["complexity_factor"]
            window, most = record["context_window"], record["max_output_tokens"]
        assert Fraction(row["cost_per_request"]) == reference_cost(pricing, i, c, o, r)
        assert row["cost_per_request"] == cost(pricing, row_usage(row)).total
        weighted = reference_weighted(weights, i, c, o, r) * request.requests
        assert Fraction(row["weighted_tokens"]) == weighted
        if factor is None:
            assert row["compute_units"] is None
        else:
            assert Fraction(row["compute_units"]) == weighted * Fraction(repr(factor))
        fits = (window is None or i + o <= window) and (most is None or o <= most)
        assert row["fits"] is fits
        assert bool(row["fit_problems"]) is not fits


def row_usage(row: Mapping[str, Any]) -> dict[str, int]:
    return {
        "input_tokens": row["input_tokens"],
        "cached_input_tokens": row["cached_input_tokens"],
        "output_tokens": row["output_tokens"],
        "reasoning_tokens": row["reasoning_tokens"],
    }


@bounded
@given(
    starts=st.lists(
        st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
        min_size=1,
        max_size=6,
        unique=True,
    ),
    at=st.datetimes(min_value=datetime(1999, 1, 1), max_value=datetime(2101, 1, 1)),
)
def test_at_prices_with_the_latest_period_started_by_then(
    starts: list[datetime], at: datetime
) -> None:
    starts = sorted(start.replace(tzinfo=UTC) for start in starts)
    at = at.replace(tzinfo=UTC)
    history = {
        "id-m": [
            {"effective_from": start, "priced": True, "input": Decimal(n + 1), "output": 0}
            for n, start in enumerate(starts)
        ]
    }
    rows = offered(
        [model("m", {"input": 1, "output": 0})],
        history,
        SimulateRequest(input_tokens=1_000_000, at=at),
        never,
    )
    started = [n for n, start in enumerate(starts) if start <= at]
    if not started:
        assert rows == []
    else:
        (row,) = rows
        assert row["total_cost"] == started[-1] + 1
        assert row["price_effective_from"] == starts[started[-1]]

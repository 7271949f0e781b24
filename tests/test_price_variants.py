"""Time-of-day windows and service tiers (DESIGN §3), as the engine and the API apply them.

A period's own rates are the standard tier's; a service tier names other rates; among the
chosen rates a time-of-day window replaces them for a request made then; among those, a
long-context tier applies. The properties check that this composition is one rule: the engine,
`POST /api/cost`, the simulator and the Python client agree, and the order of periods, windows
or tiers never changes a cost.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import httpx
import pytest
import simplejson
from hypothesis import given
from hypothesis import strategies as st

from conftest import Api, days_ahead_z
from modeldeck import clock
from modeldeck.pricing.engine import (
    InvalidPricing,
    PriceSheet,
    UnknownServiceTier,
    Usage,
    cost,
    day_shares,
)
from modeldeck.pricing.schemas import SimulateRequest
from modeldeck.pricing.simulator import simulate

DAY = 24 * 60

# DeepSeek's V4 Flash as genai-prices gives it: off-peak all day but two peak windows.
DEEPSEEK = {
    "input": "0.15",
    "cached_input": "0.003",
    "output": "0.6",
    "windows": [
        {"start": "06:00", "end": "10:00", "name": "peak", "input": "0.3", "output": "1.2"},
        {"start": "01:00", "end": "04:00", "name": "peak", "input": "0.3", "output": "1.2"},
    ],
}
# Claude Sonnet 4.5's prices with their batch variant: each with its own long-context tier.
SONNET = {
    "input": "3",
    "cached_input": "0.3",
    "cache_write": "3.75",
    "output": "15",
    "tiers": [{"above_input_tokens": 200_000, "input": "6", "output": "22.5"}],
    "service_tiers": {
        "batch": {
            "input": "1.5",
            "output": "7.5",
            "tiers": [{"above_input_tokens": 200_000, "input": "3", "output": "11.25"}],
        },
        "flex": {
            "input": "2",
            "output": "9",
            "windows": [{"start": "22:00", "end": "02:00", "input": "1", "output": "4"}],
        },
    },
}
MILLION = Usage(input_tokens=1_000_000, output_tokens=1_000_000)


def at(clock_time: str, day: str = "2026-06-01") -> datetime:
    return datetime.fromisoformat(f"{day}T{clock_time}:00+00:00")


# --- the engine -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "expected", "window"),
    [
        ("00:59", "0.75", None),  # 0.15 + 0.6: off-peak
        ("01:00", "1.5", "01:00"),  # a window includes its start …
        ("03:59", "1.5", "01:00"),
        ("04:00", "0.75", None),  # … and not its end
        ("07:30", "1.5", "06:00"),
        ("23:59", "0.75", None),
    ],
)
def test_a_window_prices_the_requests_made_in_it(
    moment: str, expected: str, window: str | None
) -> None:
    breakdown = cost(DEEPSEEK, MILLION, at=at(moment))
    assert breakdown.total == Decimal(expected)
    assert (breakdown.window.as_dict(rates=False)["start"] if breakdown.window else None) == window
    assert breakdown.service_tier == "standard"


def test_without_a_moment_the_window_is_the_one_of_now() -> None:
    now = clock.now()
    minutes = now.hour * 60 + now.minute
    # Move the clock to 02:30 UTC today (in a peak window), then to 12:00 (off-peak).
    with clock.moved(timedelta(minutes=(150 - minutes) % DAY)):
        assert cost(DEEPSEEK, MILLION).total == Decimal("1.5")
    with clock.moved(timedelta(minutes=(720 - minutes) % DAY)):
        assert cost(DEEPSEEK, MILLION).total == Decimal("0.75")


def test_a_service_tier_uses_its_own_rates_and_its_own_long_context_tier() -> None:
    # 1M input tokens: above 200k, so each tier's long-context rates apply.
    assert cost(SONNET, MILLION, service_tier="batch").total == Decimal("14.25")
    assert cost(SONNET, MILLION).total == Decimal("28.5")
    long_usage = Usage(input_tokens=300_000, output_tokens=10_000)
    long_batch = cost(SONNET, long_usage, service_tier="batch")
    assert long_batch.tier is not None and long_batch.tier.input == Decimal(3)
    assert long_batch.total == Decimal("0.9") + Decimal("0.1125")
    standard = cost(SONNET, long_usage)
    assert standard.total == Decimal("1.8") + Decimal("0.225")
    assert cost(SONNET, long_usage, service_tier="standard").total == standard.total
    # Cached reads of a tier without a cached price bill at that tier's input.
    cached = Usage(input_tokens=100_000, cached_input_tokens=100_000, output_tokens=0)
    assert cost(SONNET, cached, service_tier="batch").total == Decimal("0.15")


def test_a_service_tier_may_have_windows_and_they_run_past_midnight() -> None:
    assert cost(SONNET, MILLION, service_tier="flex", at=at("23:00")).total == Decimal(5)
    assert cost(SONNET, MILLION, service_tier="flex", at=at("01:59")).total == Decimal(5)
    assert cost(SONNET, MILLION, service_tier="flex", at=at("02:00")).total == Decimal(11)
    # The standard rates of the same period have no window at that hour.
    assert cost(SONNET, MILLION, at=at("23:00")).total == Decimal("28.5")


def test_a_tier_the_period_does_not_offer_is_refused_naming_service_tier() -> None:
    with pytest.raises(UnknownServiceTier) as caught:
        cost(SONNET, MILLION, service_tier="priority")
    assert caught.value.field == "service_tier"
    assert "batch, flex" in caught.value.message


@pytest.mark.parametrize(
    ("windows", "field"),
    [
        ([{"start": "01:00", "end": "04:00"}, {"start": "03:00", "end": "05:00"}], "windows.1"),
        ([{"start": "22:00", "end": "02:00"}, {"start": "01:00", "end": "03:00"}], "windows.1"),
        ([{"start": "05:00", "end": "05:00"}], "windows.0.end"),
        ([{"start": "25:00", "end": "05:00"}], "windows.0.start"),
        ([{"start": "1:00", "end": "05:00"}], "windows.0.start"),
    ],
)
def test_windows_that_overlap_or_hold_no_time_are_refused(
    windows: list[dict[str, Any]], field: str
) -> None:
    rated = [{**window, "input": 1, "output": 1} for window in windows]
    with pytest.raises(InvalidPricing) as caught:
        PriceSheet.parse({"input": 1, "output": 1, "windows": rated})
    assert caught.value.field == f"pricing.{field}"


def test_standard_is_not_a_variant_and_a_window_holds_no_windows() -> None:
    with pytest.raises(InvalidPricing, match="standard"):
        PriceSheet.parse({"input": 1, "output": 1, "service_tiers": {"standard": DEEPSEEK}})
    nested = {**DEEPSEEK["windows"][0], "windows": DEEPSEEK["windows"][1:]}  # type: ignore[index]
    with pytest.raises(InvalidPricing, match="cannot hold windows"):
        PriceSheet.parse({"input": 1, "output": 1, "windows": [nested]})


def test_the_mapping_reads_back_the_same() -> None:
    sheet = PriceSheet.parse(SONNET)
    assert PriceSheet.parse(sheet.as_dict()) == sheet
    assert sheet.as_dict()["service_tiers"]["flex"]["windows"][0]["start"] == "22:00"


# --- properties -----------------------------------------------------------------------------


@st.composite
def apart_windows(draw: st.DrawFn) -> list[tuple[int, int]]:
    """Up to six windows (start, end) in minutes, none sharing a minute; some past midnight."""
    cuts = sorted(draw(st.sets(st.integers(0, DAY - 1), min_size=0, max_size=12)))
    pairs = [(cuts[k], cuts[k + 1]) for k in range(0, len(cuts) - 1, 2)]
    if pairs and draw(st.booleans()):  # the last one runs past midnight, up to the first
        start = pairs[-1][0]
        limit = pairs[0][0] if len(pairs) > 1 else start - 1
        if limit >= 0:
            pairs[-1] = (start, draw(st.integers(0, limit)))
    return pairs


def clock_time(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def windowed(pairs: list[tuple[int, int]], rates: list[int]) -> PriceSheet:
    return PriceSheet.parse(
        {
            "input": 1,
            "output": 1,
            "windows": [
                {"start": clock_time(a), "end": clock_time(b), "input": rate, "output": rate}
                for (a, b), rate in zip(pairs, rates, strict=False)
            ],
        }
    )


@given(apart_windows(), st.lists(st.integers(2, 50), min_size=6, max_size=6), st.data())
def test_windows_partition_the_day(
    pairs: list[tuple[int, int]], rates: list[int], data: st.DataObject
) -> None:
    sheet = windowed(pairs, rates)
    covered = [0] * DAY
    for window in sheet.windows:
        for a, b in window.spans():
            for minute in range(a, b):
                covered[minute] += 1
    assert max(covered, default=0) <= 1  # no minute in two windows
    # Every moment is priced by the window holding it, else by the period's own rates.
    minute = data.draw(st.integers(0, DAY - 1))
    found = sheet.window_at(at(clock_time(minute)))
    assert (found is not None) == bool(covered[minute])
    # Spread evenly over the day, each window's share is its minutes over the day's.
    shares = dict(day_shares(sheet))
    assert sum(shares.values()) == 1
    for window in sheet.windows:
        assert shares.get(window, 0) == Fraction(sum(b - a for a, b in window.spans()), DAY)


@given(apart_windows(), st.lists(st.integers(2, 50), min_size=6, max_size=6), st.randoms())
def test_the_order_of_windows_and_periods_never_changes_a_cost(
    pairs: list[tuple[int, int]], rates: list[int], shuffler: random.Random
) -> None:
    sheet = windowed(pairs, rates)
    mapping = sheet.as_dict()
    shuffled = dict(mapping, windows=shuffler.sample(mapping["windows"], len(mapping["windows"])))
    history = [
        dict(mapping, effective_from="2025-01-01T00:00:00Z"),
        dict(shuffled, input=7, effective_from="2026-01-01T00:00:00Z"),
        dict(mapping, input=9, effective_from="2027-01-01T00:00:00Z"),
    ]
    record = {"name": "m", "pricing": None, "price_history": history}
    reordered = dict(record, price_history=shuffler.sample(history, len(history)))
    for minute in range(0, DAY, 97):
        moment = at(clock_time(minute), "2026-06-01")
        assert cost(record, MILLION, at=moment) == cost(reordered, MILLION, at=moment)
        assert cost(mapping, MILLION, at=moment).total == cost(shuffled, MILLION, at=moment).total


def test_the_simulator_spreads_requests_over_the_windows_of_the_day() -> None:
    model = {
        "id": "x",
        "name": "deepseek",
        "display_name": "",
        "provider": "openai_compatible",
        "pricing": DEEPSEEK,
        "token_weights": {},
        "complexity_factor": None,
        "context_window": 1_000_000,
        "max_output_tokens": 1_000_000,
    }

    def run(**asked: Any) -> dict[str, Any]:
        request = SimulateRequest.model_validate(
            {"input_tokens": 1_000_000, "output_tokens": 1_000_000, "requests": 24, **asked}
        )
        rows, not_offered = simulate([model], {}, request, lambda _: (0, "", True))
        assert not_offered == []
        (row,) = rows
        return row

    # 7 peak hours (1.5 each request) and 17 off-peak (0.75): 24 requests spread evenly.
    evenly = run()
    assert evenly["total_cost"] == Decimal("1.5") * 7 + Decimal("0.75") * 17
    shares = {(item["window"] or {}).get("start"): item["share"] for item in evenly["time_mix"]}
    expected = {None: Fraction(17, 24), "01:00": Fraction(3, 24), "06:00": Fraction(4, 24)}
    assert shares.keys() == expected.keys()
    for key, share in expected.items():  # shown to 12 places when decimals cannot write it
        assert abs(Fraction(shares[key]) - share) <= Fraction(1, 2 * 10**12)
    assert run(time_of_day="02:00")["total_cost"] == Decimal("1.5") * 24
    assert run(time_of_day="12:00")["total_cost"] == Decimal("0.75") * 24
    # Office hours 08:00-18:00: 2 of the 10 hours fall in the 06:00-10:00 peak.
    office = run(daily_mix=[{"start": "08:00", "end": "18:00", "share": 1}])
    assert office["total_cost"] == (Decimal("1.5") * 2 + Decimal("0.75") * 8) * 24 / 10
    # A service tier the model does not offer leaves it out, by name.
    request = SimulateRequest.model_validate({"input_tokens": 1, "service_tier": "batch"})
    assert simulate([model], {}, request, lambda _: (0, "", True)) == ([], ["deepseek"])


# --- over HTTP, on both databases -----------------------------------------------------------


def exact(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return simplejson.loads(response.text, use_decimal=True)


@pytest.mark.anyio
@pytest.mark.dated
async def test_cost_says_which_service_tier_and_window_applied(api: Api) -> None:
    model = await api.create(pricing={**DEEPSEEK, "service_tiers": SONNET["service_tiers"]})
    usage = {"input_tokens": 1_000_000, "output_tokens": 1_000_000}

    async def price(**body: Any) -> dict[str, Any]:
        response = await api.client.post(
            "/api/cost", json={"model": model["name"], "usage": usage, **body}
        )
        answer: dict[str, Any] = exact(response)
        return answer

    today = (clock.today() + timedelta(days=1)).isoformat()  # the model is priced from now
    peak = await price(at=f"{today}T02:30:00Z")
    assert peak["total"] == Decimal("1.5")
    assert peak["window"] == {"start": "01:00", "end": "04:00", "name": "peak"}
    assert peak["service_tier"] == "standard"
    assert peak["price_period"]["rates"]["input"] == Decimal("0.3")
    calm = await price(at=f"{today}T12:00:00Z")
    assert (calm["total"], calm["window"]) == (Decimal("0.75"), None)
    batch = await price(service_tier="batch", at=f"{today}T02:30:00Z")
    assert batch["total"] == Decimal("14.25")  # batch's long-context tier: 3 + 11.25
    assert (batch["service_tier"], batch["window"]) == ("batch", None)
    assert batch["price_period"]["rates"]["output"] == Decimal("7.5")
    # The engine, the API and the simulator compose the rates the same way.
    for tier in (None, "batch", "flex"):
        for minute in range(0, DAY, 150):
            moment = f"{today}T{clock_time(minute)}:00Z"
            asked = {"at": moment} | ({"service_tier": tier} if tier else {})
            answer = await price(**asked)
            engine = cost(model["pricing"], MILLION, at=moment, service_tier=tier)
            assert answer["total"] == engine.total, (tier, moment)
            simulated = exact(
                await api.client.post(
                    "/api/simulate",
                    json={
                        "input_tokens": 1_000_000,
                        "output_tokens": 1_000_000,
                        "models": [model["name"]],
                        "time_of_day": clock_time(minute),
                    }
                    | ({"service_tier": tier} if tier else {}),
                )
            )
            assert simulated["data"][0]["total_cost"] == engine.total, (tier, moment)
            # Whichever rates applied, the row names the period they belong to.
            started = simulated["data"][0]["price_effective_from"]
            assert started == model["pricing"]["effective_from"]


@pytest.mark.anyio
@pytest.mark.dated
async def test_windows_and_service_tiers_are_stored_and_kept_in_the_price_history(
    api: Api,
) -> None:
    model = await api.create(pricing=DEEPSEEK)
    later = {**SONNET, "effective_from": days_ahead_z(30)}
    added = exact(
        await api.client.post(f"/api/models/{model['id']}/prices", json=later, headers=api.admin),
        201,
    )
    assert added["period"]["service_tiers"]["batch"]["tiers"][0]["input"] == Decimal(3)
    history = exact(await api.client.get(f"/api/models/{model['id']}/prices"))["data"]
    assert [len(period["windows"]) for period in history] == [2, 0]
    assert history[0]["windows"][0]["start"] == "01:00"  # kept in order of their start
    assert set(history[1]["service_tiers"]) == {"batch", "flex"}
    assert history[1]["service_tiers"]["flex"]["windows"][0]["end"] == "02:00"
    # The current pricing is the first period's, windows and all; no tiers yet.
    current = exact(await api.client.get(f"/api/models/{model['id']}"))["pricing"]
    assert current["service_tiers"] == {} and len(current["windows"]) == 2
    refused = await api.client.post(
        "/api/cost",
        json={"model": model["name"], "usage": {"input_tokens": 1}, "service_tier": "batch"},
    )
    assert refused.status_code == 422
    assert [error["field"] for error in refused.json()["errors"]] == ["service_tier"]
    # A clone keeps every period's windows and tiers.
    clone = exact(
        await api.client.post(
            f"/api/models/{model['id']}/clone",
            json={"name": "copy-" + model["name"]},
            headers=api.admin,
        ),
        201,
    )
    copied = exact(await api.client.get(f"/api/models/{clone['id']}/prices"))["data"]
    assert [p["windows"] for p in copied] == [p["windows"] for p in history]
    assert [p["service_tiers"] for p in copied] == [p["service_tiers"] for p in history]


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("pricing", "field"),
    [
        (
            {
                **DEEPSEEK,
                "windows": [
                    *DEEPSEEK["windows"],
                    {  # type: ignore[misc]
                        "start": "03:00",
                        "end": "05:00",
                        "input": 1,
                        "output": 1,
                    },
                ],
            },
            "pricing.windows",
        ),
        (
            {**DEEPSEEK, "service_tiers": {"standard": {"input": 1, "output": 1}}},
            "pricing.service_tiers",
        ),
        (
            {**DEEPSEEK, "service_tiers": {"Batch!": {"input": 1, "output": 1}}},
            "pricing.service_tiers.Batch!",
        ),
        (
            {**DEEPSEEK, "windows": [{"start": "01:00", "end": "04:00", "input": -1, "output": 1}]},
            "pricing.windows[0].input",
        ),
        (
            {**DEEPSEEK, "windows": [{"start": "01:00", "end": "24:01", "input": 1, "output": 1}]},
            "pricing.windows[0].end",
        ),
    ],
)
async def test_bad_windows_and_tiers_are_refused_naming_the_field_and_nothing_is_written(
    api: Api, pricing: dict[str, Any], field: str
) -> None:
    before = (await api.client.get("/api/models", params={"limit": 1})).json()["revision"]
    response = await api.client.post(
        "/api/models",
        json={
            "name": "refused-windows",
            "provider": "openai",
            "context_window": 1000,
            "max_output_tokens": 100,
            "pricing": pricing,
        },
        headers=api.admin,
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    fields = [error["field"] for error in response.json()["errors"]]
    assert any(found.startswith(field) for found in fields), fields
    after = (await api.client.get("/api/models", params={"limit": 1})).json()["revision"]
    assert after == before

"""Prices, cost, simulation and token counting over HTTP (DESIGN §3-§4), on SQLite and PostgreSQL.

Every amount is compared as an exact `Decimal` read from the response text; every refused
request is a problem+json that leaves the registry as it was.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import httpx
import pytest
import simplejson

import usage_shapes
from conftest import Api, days_ahead, days_ahead_z
from modeldeck import clock

pytestmark = [pytest.mark.anyio, pytest.mark.dated]

# A usage object exactly as OpenAI's Chat Completions API returns it.
OPENAI_USAGE = {
    "prompt_tokens": 1_000_000,
    "completion_tokens": 500_000,
    "total_tokens": 1_500_000,
    "prompt_tokens_details": {"cached_tokens": 200_000, "audio_tokens": 0},
    "completion_tokens_details": {
        "reasoning_tokens": 100_000,
        "audio_tokens": 0,
        "accepted_prediction_tokens": 0,
        "rejected_prediction_tokens": 0,
    },
}
# The same usage in our field names.
OUR_USAGE = {
    "input_tokens": 1_000_000,
    "cached_input_tokens": 200_000,
    "output_tokens": 500_000,
    "reasoning_tokens": 100_000,
}
# input 2.5, cached 1.25, output 10, reasoning 12 (per 1M tokens):
# 800,000 * 2.5 + 200,000 * 1.25 + 400,000 * 10 + 100,000 * 12, over 1M = 2 + 0.25 + 4 + 1.2
PRICING = {"input": "2.5", "cached_input": "1.25", "output": "10", "reasoning": "12"}
PRICING_TOTAL = Decimal("7.45")
TEXT = "Hello, world! Model Deck counts tokens offline: naïve café, 日本語, emoji 🎉."


@pytest.fixture(autouse=True)
def tokenizer_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Keep the tokenizer's BPE cache out of the user's home folder."""
    cache = tmp_path_factory.getbasetemp() / "tokenizer-cache"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MODELDECK_TOKENIZER_CACHE", str(cache))
        yield cache


# --- helpers --------------------------------------------------------------------------------


def exact(response: httpx.Response) -> Any:
    """The JSON body with every number that has a fraction read as an exact Decimal."""
    return simplejson.loads(response.text, use_decimal=True)


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return exact(response)


def refused(response: httpx.Response, status: int, field: str | None = None) -> dict[str, Any]:
    """A problem+json with `status`, naming `field` in its errors when one is given."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    assert "Traceback" not in response.text
    if field is not None:
        fields = [error["field"] for error in problem.get("errors", [])]
        assert field in fields, (field, problem)
    return problem


async def revision(api: Api) -> int:
    result: int = (await api.client.get("/api/models", params={"limit": 1})).json()["revision"]
    return result


async def periods(api: Api, ref: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = ok(await api.client.get(f"/api/models/{ref}/prices"))["data"]
    return data


async def state(api: Api, ref: str | None = None) -> tuple[Any, ...]:
    """What a refused request must leave as it was."""
    if ref is None:
        return (await revision(api),)
    model = (await api.client.get(f"/api/models/{ref}")).json()
    history = (await api.client.get(f"/api/models/{ref}/history")).json()
    return await revision(api), model, await periods(api, ref), history["count"]


async def add_period(api: Api, ref: str, **pricing: Any) -> httpx.Response:
    return await api.client.post(f"/api/models/{ref}/prices", json=pricing, headers=api.admin)


async def added(api: Api, ref: str, **pricing: Any) -> dict[str, Any]:
    result: dict[str, Any] = ok(await add_period(api, ref, **pricing), 201)
    return result


async def dated_model(api: Api, **fields: Any) -> dict[str, Any]:
    """A model priced 2.5 in / 10 out since 2024-01-01, and 1 in / 4 out since 2025-01-01."""
    model = await api.create(
        pricing={"input": "2.5", "output": "10", "effective_from": "2024-01-01T00:00:00Z"},
        **fields,
    )
    await added(api, model["id"], input="1", output="4", effective_from="2025-01-01T00:00:00Z")
    return model


async def price(api: Api, **body: Any) -> httpx.Response:
    return await api.client.post("/api/cost", json=body)


async def simulate(api: Api, **body: Any) -> httpx.Response:
    return await api.client.post("/api/simulate", json=body)


async def count(api: Api, **body: Any) -> httpx.Response:
    return await api.client.post("/api/tokens", json=body)


def row_of(result: dict[str, Any], name: str) -> dict[str, Any]:
    (row,) = [row for row in result["data"] if row["model"] == name]
    found: dict[str, Any] = row
    return found


# --- price history --------------------------------------------------------------------------


async def test_price_history_lists_every_period_oldest_first_with_derived_effective_until(
    api: Api,
) -> None:
    model = await dated_model(api)
    next_year = days_ahead_z(365)
    await added(
        api,
        model["id"],
        input="0.5",
        output="2",
        effective_from=next_year,
        source="https://example.com/prices",
    )
    history = await periods(api, model["name"])
    assert [period["effective_from"] for period in history] == [
        "2024-01-01T00:00:00Z",
        "2025-01-01T00:00:00Z",
        next_year,
    ]
    assert [period["effective_until"] for period in history] == [
        "2025-01-01T00:00:00Z",
        next_year,
        None,
    ]
    assert [period["current"] for period in history] == [False, True, False]
    assert [period["priced"] for period in history] == [True, True, True]
    assert [period["source"] for period in history] == [None, None, "https://example.com/prices"]
    assert [period["input"] for period in history] == [Decimal("2.5"), 1, Decimal("0.5")]


async def test_price_history_marks_a_period_without_prices_as_not_priced(api: Api) -> None:
    model = await api.create(
        pricing={"input": "2.5", "output": "10", "effective_from": "2024-01-01T00:00:00Z"}
    )
    response = await api.client.patch(
        f"/api/models/{model['id']}", json={"pricing": None}, headers=api.admin
    )
    assert response.status_code == 200, response.text
    history = await periods(api, model["id"])
    assert [period["priced"] for period in history] == [True, False]
    assert [period["current"] for period in history] == [False, True]
    assert history[0]["effective_until"] == history[1]["effective_from"]


async def test_price_history_of_an_unknown_model_is_404(api: Api) -> None:
    refused(await api.client.get("/api/models/no-such-model/prices"), 404)


async def test_adding_a_period_answers_201_with_the_model_and_the_period(api: Api) -> None:
    model = await dated_model(api)
    starts = days_ahead(365) + timedelta(hours=12)
    response = await add_period(
        api, model["name"], input="3", output="9", effective_from=starts.isoformat()
    )
    result = ok(response, 201)
    assert result["period"]["effective_from"] == starts.isoformat().replace("+00:00", "Z")
    assert result["period"]["effective_until"] is None
    assert result["period"]["current"] is False
    assert result["model"]["id"] == model["id"]
    assert response.headers["etag"] == f'"{result["model"]["version"]}"'


async def test_a_future_dated_period_does_not_change_the_current_pricing(api: Api) -> None:
    model = await dated_model(api)
    before = (await api.client.get(f"/api/models/{model['id']}")).json()["pricing"]
    result = await added(
        api, model["id"], input="100", output="200", effective_from=days_ahead_z(1)
    )
    assert result["model"]["pricing"] == before
    after = ok(await api.client.get(f"/api/models/{model['id']}"))["pricing"]
    assert after["input"] == 1 and after["output"] == 4
    assert after["effective_from"] == "2025-01-01T00:00:00Z"


async def test_a_backdated_period_that_is_now_the_latest_started_becomes_the_pricing(
    api: Api,
) -> None:
    model = await dated_model(api)
    await added(api, model["id"], input="0.3", output="1.2", effective_from="2025-06-01T00:00:00Z")
    pricing = ok(await api.client.get(f"/api/models/{model['id']}"))["pricing"]
    assert pricing["input"] == Decimal("0.3") and pricing["output"] == Decimal("1.2")
    assert pricing["effective_from"] == "2025-06-01T00:00:00Z"
    history = await periods(api, model["id"])
    assert [period["current"] for period in history] == [False, False, True]


async def test_a_backdated_period_older_than_the_current_one_leaves_the_pricing(api: Api) -> None:
    model = await dated_model(api)
    await added(api, model["id"], input="7", output="8", effective_from="2024-06-01T00:00:00Z")
    pricing = ok(await api.client.get(f"/api/models/{model['id']}"))["pricing"]
    assert (pricing["input"], pricing["output"]) == (1, 4)
    history = await periods(api, model["id"])
    assert [period["effective_from"] for period in history] == [
        "2024-01-01T00:00:00Z",
        "2024-06-01T00:00:00Z",
        "2025-01-01T00:00:00Z",
    ]
    assert history[1]["effective_until"] == "2025-01-01T00:00:00Z"


@pytest.mark.parametrize(
    "starts", ["2025-01-01T00:00:00Z", "2025-01-01T01:00:00+01:00", "2025-01-01T00:00:00"]
)
async def test_two_periods_with_the_same_start_are_refused_with_409_naming_effective_from(
    api: Api, starts: str
) -> None:
    model = await dated_model(api)
    before = await state(api, model["id"])
    response = await add_period(api, model["id"], input="5", output="6", effective_from=starts)
    refused(response, 409, "effective_from")
    assert await state(api, model["id"]) == before


async def test_the_prices_of_a_system_model_are_refused_with_409_telling_to_clone(
    api: Api,
) -> None:
    before = await state(api, "gpt-4o")
    response = await add_period(
        api, "gpt-4o", input="1", output="2", effective_from=days_ahead_z(365)
    )
    problem = refused(response, 409)
    assert "clone" in problem["detail"].lower()
    assert await state(api, "gpt-4o") == before


async def test_adding_a_period_to_an_unknown_model_is_404(api: Api) -> None:
    before = await state(api)
    refused(await add_period(api, "no-such-model", input="1", output="2"), 404)
    assert await state(api) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"output": "2"}, "input"),
        ({"input": "1"}, "output"),
        ({"input": "-1", "output": "2"}, "input"),
        ({"input": "1", "output": "abc"}, "output"),
        ({"input": "1", "output": "2", "cached_input": 10001}, "cached_input"),
        ({"input": "1", "output": "2", "effective_from": "next tuesday"}, "effective_from"),
        ({"input": "1", "output": "2", "currency": "usd"}, "currency"),
        ({"input": "1", "output": "2", "tiers": [{"input": 5}]}, "tiers[0].above_input_tokens"),
        ({"input": "1", "output": "2", "colour": "blue"}, "colour"),
    ],
)
async def test_a_bad_price_period_is_refused_with_422_naming_the_field(
    api: Api, body: dict[str, Any], field: str
) -> None:
    model = await dated_model(api)
    before = await state(api, model["id"])
    response = await api.client.post(
        f"/api/models/{model['id']}/prices", json=body, headers=api.admin
    )
    refused(response, 422, field)
    assert await state(api, model["id"]) == before


async def test_a_price_period_body_must_be_a_json_object(api: Api) -> None:
    model = await dated_model(api)
    before = await state(api, model["id"])
    response = await api.client.post(
        f"/api/models/{model['id']}/prices", json=[1, 2], headers=api.admin
    )
    refused(response, 422, "body")
    assert await state(api, model["id"]) == before


async def test_only_an_admin_may_add_a_price_period(api: Api) -> None:
    model = await dated_model(api)
    before = await state(api, model["id"])
    for headers in (api.reader, {}):
        response = await api.client.post(
            f"/api/models/{model['id']}/prices", json={"input": 1, "output": 2}, headers=headers
        )
        assert response.status_code in (401, 403), response.text
        assert response.headers["content-type"] == "application/problem+json"
    assert await state(api, model["id"]) == before


async def test_a_stale_if_match_refuses_the_new_period_with_412(api: Api) -> None:
    model = await dated_model(api)
    before = await state(api, model["id"])
    response = await api.client.post(
        f"/api/models/{model['id']}/prices",
        json={"input": 1, "output": 2, "effective_from": days_ahead_z(365)},
        headers=api.admin | {"If-Match": '"1"'},
    )
    refused(response, 412)
    assert await state(api, model["id"]) == before


async def test_adding_a_period_bumps_the_version_and_records_a_price_history_entry(
    api: Api,
) -> None:
    model = await dated_model(api)
    start = await revision(api)
    version = (await api.client.get(f"/api/models/{model['id']}")).json()["version"]
    starts = days_ahead_z(365)
    result = await added(api, model["id"], input="3", output="9", effective_from=starts)
    assert result["model"]["version"] == version + 1
    assert (await api.client.get(f"/api/models/{model['id']}")).json()["version"] == version + 1
    assert await revision(api) == start + 1
    history = ok(await api.client.get(f"/api/models/{model['id']}/history"))["data"]
    latest = history[0]
    assert latest["action"] == "price"
    assert latest["actor"] == "token:test-admin"
    changed = {change["field"]: change for change in latest["changes"]}
    assert changed["added_price_period"]["after"]["effective_from"] == starts
    assert changed["added_price_period"]["after"]["input"] == 3
    assert changed["version"] == {"field": "version", "before": version, "after": version + 1}


async def test_a_period_without_effective_from_starts_now_and_becomes_current(api: Api) -> None:
    model = await dated_model(api)
    result = await added(api, model["id"], input="0.7", output="2.8")
    assert result["period"]["current"] is True
    history = await periods(api, model["id"])
    assert history[-1]["effective_from"] == result["period"]["effective_from"]
    assert history[-2]["effective_until"] == result["period"]["effective_from"]
    pricing = ok(await api.client.get(f"/api/models/{model['id']}"))["pricing"]
    assert pricing["input"] == Decimal("0.7")


async def test_changing_pricing_through_patch_adds_a_period(api: Api) -> None:
    model = await dated_model(api)
    response = await api.client.patch(
        f"/api/models/{model['id']}", json={"pricing": {"input": "0.9"}}, headers=api.admin
    )
    assert response.status_code == 200, response.text
    history = await periods(api, model["id"])
    assert len(history) == 3
    assert history[-1]["current"] is True
    assert (history[-1]["input"], history[-1]["output"]) == (Decimal("0.9"), 4)


@pytest.mark.parametrize("method", ["PATCH", "PUT"])
@pytest.mark.parametrize("when", ["scheduled", "backdated"])
async def test_a_scheduled_or_backdated_price_through_put_or_patch_adds_its_period(
    api: Api, method: str, when: str
) -> None:
    starts = days_ahead_z(365) if when == "scheduled" else "2024-06-01T00:00:00Z"
    model = await dated_model(api)
    current = (await api.client.get(f"/api/models/{model['id']}")).json()
    start = await revision(api)
    pricing = {"input": "7", "output": "8", "effective_from": starts}
    body = {"pricing": pricing} if method == "PATCH" else current | {"pricing": pricing}
    response = await api.client.request(
        method, f"/api/models/{model['id']}", json=body, headers=api.admin
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["version"] == current["version"] + 1
    assert result["pricing"] == current["pricing"]  # not the current period: pricing stays
    assert starts in [period["effective_from"] for period in await periods(api, model["id"])]
    assert await revision(api) == start + 1
    [entry, *_] = ok(await api.client.get(f"/api/models/{model['id']}/history"))["data"]
    assert entry["after"]["added_price_period"]["effective_from"] == starts


# --- POST /api/cost -------------------------------------------------------------------------


async def test_cost_with_our_usage_fields_is_exact_with_a_line_per_component(api: Api) -> None:
    model = await api.create(pricing=PRICING)
    result = ok(await price(api, model=model["name"], usage=OUR_USAGE))
    assert result["total"] == PRICING_TOTAL
    assert result["currency"] == "USD"
    assert result["requests"] == 1
    assert result["tier"] is None
    assert result["model"] == {"id": model["id"], "name": model["name"]}
    assert result["usage"] == OUR_USAGE | {"cache_write_tokens": 0, "cache_write_1h_tokens": 0}
    assert [
        (line["component"], line["tokens"], line["rate"], line["amount"])
        for line in result["lines"]
    ] == [
        ("input", 800_000, Decimal("2.5"), 2),
        ("cached_input", 200_000, Decimal("1.25"), Decimal("0.25")),
        ("output", 400_000, 10, 4),
        ("reasoning", 100_000, 12, Decimal("1.2")),
    ]
    assert sum(line["amount"] for line in result["lines"]) == result["total"]


async def test_cost_accepts_an_openai_usage_object_as_it_comes(api: Api) -> None:
    model = await api.create(pricing=PRICING)
    pasted = ok(await price(api, model=model["id"], usage=OPENAI_USAGE))
    ours = ok(await price(api, model=model["id"], usage=OUR_USAGE))
    assert pasted["total"] == PRICING_TOTAL
    assert pasted["usage"] == ours["usage"]
    assert pasted["lines"] == ours["lines"]


async def test_a_usage_without_details_bills_everything_at_the_base_rates(api: Api) -> None:
    model = await api.create(pricing=PRICING)
    usage = {"prompt_tokens": 1234, "completion_tokens": 567, "total_tokens": 1801}
    result = ok(await price(api, model=model["id"], usage=usage))
    # 1234 * 2.5 + 567 * 10 = 3085 + 5670 = 8755 per million
    assert result["total"] == Decimal("0.008755")


async def test_cost_of_many_requests_is_the_cost_of_one_times_requests(api: Api) -> None:
    model = await api.create(pricing={"input": "0.15", "cached_input": "0.075", "output": "0.6"})
    usage = {"input_tokens": 1_337, "cached_input_tokens": 1_024, "output_tokens": 421}
    one = ok(await price(api, model=model["id"], usage=usage))
    many = ok(await price(api, model=model["id"], usage=usage, requests=98_765))
    # (313 * 0.15 + 1024 * 0.075 + 421 * 0.6) / 1M = (46.95 + 76.8 + 252.6) / 1M
    assert one["total"] == Decimal("0.00037635")
    assert many["total"] == one["total"] * 98_765 == Decimal("37.17020775")
    assert many["requests"] == 98_765
    assert [line["tokens"] for line in many["lines"]] == [313 * 98_765, 1024 * 98_765, 421 * 98_765]


async def test_a_flat_fee_per_request_is_a_line_of_its_own(api: Api) -> None:
    model = await api.create(pricing={"input": "1", "output": "2", "per_request": "0.001"})
    result = ok(
        await price(
            api, model=model["id"], usage={"input_tokens": 1000, "output_tokens": 0}, requests=3
        )
    )
    assert result["lines"][-1] == {
        "component": "per_request",
        "tokens": 3,
        "rate": Decimal("0.001"),
        "amount": Decimal("0.003"),
    }
    assert result["total"] == Decimal("0.006")


async def test_input_above_a_tier_threshold_prices_the_whole_request_at_the_tier_rates(
    api: Api,
) -> None:
    tier = {"above_input_tokens": 200_000, "input": "5", "output": "15", "cached_input": "2.5"}
    model = await api.create(
        pricing={"input": "2.5", "cached_input": "1.25", "output": "10", "tiers": [tier]}
    )
    usage = {"input_tokens": 200_001, "cached_input_tokens": 100_000, "output_tokens": 1_000}
    result = ok(await price(api, model=model["id"], usage=usage))
    # 100,001 * 5 + 100,000 * 2.5 + 1,000 * 15 = 500,005 + 250,000 + 15,000 per million
    assert result["total"] == Decimal("0.765005")
    assert result["tier"]["above_input_tokens"] == 200_000
    assert result["tier"]["input"] == 5 and result["tier"]["output"] == 15
    assert [line["rate"] for line in result["lines"]] == [5, Decimal("2.5"), 15]


async def test_input_at_a_tier_threshold_is_still_priced_at_the_base_rates(api: Api) -> None:
    tier = {"above_input_tokens": 200_000, "input": "5", "output": "15"}
    model = await api.create(pricing={"input": "2.5", "output": "10", "tiers": [tier]})
    usage = {"input_tokens": 200_000, "output_tokens": 1_000}
    result = ok(await price(api, model=model["id"], usage=usage))
    assert result["tier"] is None
    assert result["total"] == Decimal("0.51")  # 200,000 * 2.5 + 1,000 * 10 per million


async def test_the_cost_names_the_price_period_it_used(api: Api) -> None:
    model = await dated_model(api)
    result = ok(await price(api, model=model["id"], usage={"input_tokens": 1_000_000}))
    assert result["total"] == 1
    period = result["price_period"]
    assert period["effective_from"] == "2025-01-01T00:00:00Z"
    assert period["effective_until"] is None
    assert period["rates"]["input"] == 1 and period["rates"]["output"] == 4


@pytest.mark.parametrize(
    ("at", "total", "starts", "until"),
    [
        ("2024-01-01T00:00:00Z", Decimal("4.5"), "2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z"),
        ("2024-06-15T12:00:00Z", Decimal("4.5"), "2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z"),
        ("2024-12-31T23:59:59Z", Decimal("4.5"), "2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z"),
        ("2025-01-01T00:00:00Z", Decimal("1.8"), "2025-01-01T00:00:00Z", None),
        ("2025-01-01T01:00:00+01:00", Decimal("1.8"), "2025-01-01T00:00:00Z", None),
        ("2031-01-01T00:00:00Z", Decimal("1.8"), "2025-01-01T00:00:00Z", None),
    ],
)
async def test_at_prices_with_the_period_in_effect_then(
    api: Api, at: str, total: Decimal, starts: str, until: str | None
) -> None:
    model = await dated_model(api)
    usage = {"input_tokens": 1_000_000, "output_tokens": 200_000}
    result = ok(await price(api, model=model["id"], usage=usage, at=at))
    # 2024: 1M * 2.5 + 0.2M * 10 = 4.5; from 2025: 1M * 1 + 0.2M * 4 = 1.8
    assert result["total"] == total
    assert result["price_period"]["effective_from"] == starts
    assert result["price_period"]["effective_until"] == until


async def test_at_finds_a_backdated_period_added_later(api: Api) -> None:
    model = await dated_model(api)
    await added(api, model["id"], input="9", output="9", effective_from="2024-03-01T00:00:00Z")
    usage = {"input_tokens": 1_000_000}
    march = ok(await price(api, model=model["id"], usage=usage, at="2024-03-02T00:00:00Z"))
    february = ok(await price(api, model=model["id"], usage=usage, at="2024-02-01T00:00:00Z"))
    assert (march["total"], february["total"]) == (9, Decimal("2.5"))
    assert march["price_period"]["effective_until"] == "2025-01-01T00:00:00Z"


async def test_at_a_future_date_uses_a_future_dated_period(api: Api) -> None:
    model = await dated_model(api)
    await added(api, model["id"], input="0.5", output="2", effective_from=days_ahead_z(365))
    usage = {"input_tokens": 1_000_000}
    assert ok(await price(api, model=model["id"], usage=usage))["total"] == 1
    later = ok(await price(api, model=model["id"], usage=usage, at=days_ahead_z(730)))
    assert later["total"] == Decimal("0.5")


async def test_at_before_the_first_period_is_refused_naming_at(api: Api) -> None:
    model = await dated_model(api)
    before = await state(api, model["id"])
    response = await price(
        api, model=model["id"], usage={"input_tokens": 1}, at="2023-12-31T23:59:59Z"
    )
    problem = refused(response, 422, "at")
    assert "2024-01-01" in response.text, problem
    assert await state(api, model["id"]) == before


async def test_an_unpriced_model_cannot_be_costed(api: Api) -> None:
    model = await api.create(pricing=None)
    before = await state(api, model["id"])
    problem = refused(await price(api, model=model["id"], usage={"input_tokens": 1}), 422, "model")
    assert model["name"] in problem["detail"]
    assert await state(api, model["id"]) == before


async def test_a_model_never_priced_cannot_be_costed_at_any_date(api: Api) -> None:
    model = await api.create(pricing=None)
    response = await price(
        api, model=model["id"], usage={"input_tokens": 1}, at="2025-01-01T00:00:00Z"
    )
    refused(response, 422, "model")


async def test_a_period_without_prices_cannot_be_costed_but_an_older_one_can(api: Api) -> None:
    model = await api.create(
        pricing={"input": "2.5", "output": "10", "effective_from": "2024-01-01T00:00:00Z"}
    )
    await api.client.patch(f"/api/models/{model['id']}", json={"pricing": None}, headers=api.admin)
    usage = {"input_tokens": 1_000_000}
    refused(await price(api, model=model["id"], usage=usage), 422, "model")
    old = ok(await price(api, model=model["id"], usage=usage, at="2024-06-01T00:00:00Z"))
    assert old["total"] == Decimal("2.5")


async def test_cost_of_an_unknown_model_is_404(api: Api) -> None:
    before = await state(api)
    refused(await price(api, model="no-such-model", usage={"input_tokens": 1}), 404)
    assert await state(api) == before


@pytest.mark.parametrize(
    ("usage", "field"),
    [
        ({"input_tokens": -1}, "usage.input_tokens"),
        ({"input_tokens": 10, "output_tokens": -5}, "usage.output_tokens"),
        ({"input_tokens": 10, "cached_input_tokens": 11}, "usage.cached_input_tokens"),
        ({"output_tokens": 10, "reasoning_tokens": 11}, "usage.reasoning_tokens"),
        ({"input_tokens": 1.5}, "usage.input_tokens"),
        ({"input_tokens": "100"}, "usage.input_tokens"),
        ({"input_tokens": True}, "usage.input_tokens"),
        ({"input_tokens": 10**13}, "usage.input_tokens"),
        ({"input_tokens": 10, "cached_input_tokens": 1, "colour": 1}, "usage.colour"),
        ({"prompt_tokens": -3, "completion_tokens": 1}, "usage.prompt_tokens"),
        (
            {
                "prompt_tokens": 10,
                "completion_tokens": 1,
                "prompt_tokens_details": {"cached_tokens": 11},
            },
            "usage.prompt_tokens_details.cached_tokens",
        ),
        (
            {
                "prompt_tokens": 10,
                "completion_tokens": 5,
                "completion_tokens_details": {"reasoning_tokens": 6},
            },
            "usage.completion_tokens_details.reasoning_tokens",
        ),
    ],
)
async def test_bad_usage_is_refused_with_422_naming_the_field(
    api: Api, usage: dict[str, Any], field: str
) -> None:
    model = await api.create(pricing=PRICING)
    before = await state(api, model["id"])
    refused(await price(api, model=model["id"], usage=usage), 422, field)
    assert await state(api, model["id"]) == before


@pytest.mark.parametrize("requests", [0, -1, "10", 1.5, True, None, 10**13])
async def test_requests_must_be_a_positive_whole_number(api: Api, requests: Any) -> None:
    model = await api.create(pricing=PRICING)
    before = await state(api)
    response = await price(api, model=model["id"], usage={"input_tokens": 1}, requests=requests)
    refused(response, 422, "requests")
    assert await state(api) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"usage": {"input_tokens": 1}}, "model"),
        ({"model": "gpt-4o"}, "usage"),
        ({"model": "gpt-4o", "usage": [1, 2]}, "usage"),
        ({"model": "gpt-4o", "usage": "1000 tokens"}, "usage"),
        ({"model": 42, "usage": {"input_tokens": 1}}, "model"),
        ({"model": "", "usage": {"input_tokens": 1}}, "model"),
        ({"model": "gpt-4o", "usage": {"input_tokens": 1}, "at": "yesterday"}, "at"),
        ({"model": "gpt-4o", "usage": {"input_tokens": 1}, "at": 1700000000.5}, "at"),
        ({"model": "gpt-4o", "usage": {"input_tokens": 1}, "currency": "EUR"}, "currency"),
    ],
)
async def test_a_bad_cost_request_is_refused_with_422_naming_the_field(
    api: Api, body: dict[str, Any], field: str
) -> None:
    before = await state(api)
    refused(await api.client.post("/api/cost", json=body), 422, field)
    assert await state(api) == before


@pytest.mark.parametrize(
    "usage",
    [
        {},
        {"prompt_tokens": None, "completion_tokens": None},
        {"prompt_tokens": 5, "prompt_tokens_details": None},
        {"prompt_tokens": 5, "prompt_tokens_details": "cached"},
        {"prompt_tokens": 5, "prompt_tokens_details": [1]},
        {"prompt_tokens": 5, "completion_tokens_details": {"reasoning_tokens": "x"}},
        {"input_tokens": 5, "input_tokens_details": 7},
        {"cache_read_input_tokens": -1},
        {"cache_read_input_tokens": 5, "input_tokens": "x"},
        {"input_tokens": {"n": 1}},
        {"input_tokens": [1]},
        {"input_tokens": None},
    ],
)
async def test_odd_usage_shapes_are_answered_without_a_500(api: Api, usage: Any) -> None:
    before = await state(api)
    response = await price(api, model="gpt-4o", usage=usage)
    assert response.status_code in (200, 422), response.text
    if response.status_code == 422:
        refused(response, 422)
    else:
        assert exact(response)["total"] >= 0
    assert await state(api) == before


@pytest.mark.parametrize("raw", ['{"input_tokens": 1e400}', '{"prompt_tokens": 10.5}'])
async def test_token_counts_with_a_fraction_or_out_of_range_are_refused(api: Api, raw: str) -> None:
    content = f'{{"model": "gpt-4o", "usage": {raw}}}'
    response = await api.client.post(
        "/api/cost", content=content, headers={"Content-Type": "application/json"}
    )
    refused(response, 422)
    assert response.json()["errors"][0]["field"].startswith("usage.")


@pytest.mark.parametrize("raw", ['{"input_tokens": 1E+2}', '{"prompt_tokens": 100.0}'])
async def test_whole_token_counts_written_as_json_reals_are_integers(api: Api, raw: str) -> None:
    # JSON Schema's `integer`, which the document gives every count, holds 100.0 too.
    content = f'{{"model": "gpt-4o", "usage": {raw}}}'
    response = await api.client.post(
        "/api/cost", content=content, headers={"Content-Type": "application/json"}
    )
    assert ok(response)["usage"]["input_tokens"] == 100


# --- POST /api/simulate ---------------------------------------------------------------------


async def test_simulate_prices_every_priced_model_cheapest_first(api: Api) -> None:
    unpriced = await api.create(pricing=None)
    cheap = await api.create(pricing={"input": "0", "output": "0"})
    result = ok(await simulate(api, input_tokens=1500, output_tokens=400, requests=1000))
    listed = (await api.client.get("/api/models", params={"limit": 10000, "priced": "true"})).json()
    assert sorted(row["model"] for row in result["data"]) == sorted(
        model["name"] for model in listed["data"] if model["status"] != "retired"
    )  # retired models only with include_retired (tests/test_status.py)
    assert unpriced["name"] not in {row["model"] for row in result["data"]}
    totals = [row["total_cost"] for row in result["data"]]
    assert totals == sorted(totals)
    assert result["data"][0]["total_cost"] == 0 and cheap["name"] in {
        row["model"] for row in result["data"] if row["total_cost"] == 0
    }
    assert result["count"] == len(result["data"])
    assert result["requests"] == 1000
    assert all(row["custom"] is False for row in result["data"])


async def test_each_row_costs_per_request_times_requests_exactly(api: Api) -> None:
    model = await api.create(
        pricing={"input": "0.15", "cached_input": "0.075", "output": "0.6", "reasoning": "0.7"}
    )
    body = {
        "input_tokens": 1337,
        "output_tokens": 421,
        "reasoning_tokens": 100,
        "cached_share": 0.5,
        "requests": 98_765,
    }
    result = ok(await simulate(api, **body, models=[model["name"], "gpt-4o", "claude-sonnet-4-5"]))
    for row in result["data"]:
        assert row["total_cost"] == row["cost_per_request"] * 98_765
    row = row_of(result, model["name"])
    # 1337 * 0.5 = 668.5 → 668 cached (half to even): 669 * 0.15 + 668 * 0.075 + 321 * 0.6
    # + 100 * 0.7 = 100.35 + 50.1 + 192.6 + 70 = 413.05 per million
    assert (row["input_tokens"], row["cached_input_tokens"]) == (1337, 668)
    assert (row["output_tokens"], row["reasoning_tokens"]) == (421, 100)
    assert row["cost_per_request"] == Decimal("0.00041305")
    assert row["total_cost"] == Decimal("40.79488325")
    usage = {
        "input_tokens": 1337,
        "cached_input_tokens": 668,
        "output_tokens": 421,
        "reasoning_tokens": 100,
    }
    single = ok(await price(api, model=model["id"], usage=usage, requests=98_765))
    assert single["total"] == row["total_cost"]


async def test_weighted_tokens_use_the_models_token_weights(api: Api) -> None:
    model = await api.create(
        token_weights={"input": 2, "cached_input": 0.5, "output": 3, "reasoning": 4},
        parameters_b=70,
    )
    result = ok(
        await simulate(
            api,
            models=[model["id"]],
            input_tokens=1000,
            cached_share=0.25,
            output_tokens=400,
            reasoning_tokens=100,
            requests=10,
        )
    )
    (row,) = result["data"]
    # per request 750 * 2 + 250 * 0.5 + 300 * 3 + 100 * 4 = 2925; ten requests: 29,250
    assert row["weighted_tokens"] == 29_250
    # complexity factor 70 / 175 = 0.4
    assert row["compute_units"] == 11_700


async def test_default_weights_count_every_token_once(api: Api) -> None:
    model = await api.create(parameters_b=350)
    result = ok(
        await simulate(api, models=[model["id"]], input_tokens=1000, output_tokens=500, requests=3)
    )
    (row,) = result["data"]
    assert row["weighted_tokens"] == 4500
    assert row["compute_units"] == 9000


async def test_compute_units_are_null_without_parameters_b(api: Api) -> None:
    model = await api.create(parameters_b=None)
    result = ok(await simulate(api, models=[model["id"]], input_tokens=1000, output_tokens=500))
    (row,) = result["data"]
    assert row["weighted_tokens"] == 1500
    assert row["compute_units"] is None


@pytest.mark.parametrize(
    ("input_tokens", "output_tokens", "fits", "reason"),
    [
        (7_000, 1_000, True, None),
        (7_001, 1_000, False, "context window"),
        (100, 1_001, False, "max output"),
        (7_500, 2_000, False, "context window"),
    ],
)
async def test_a_workload_that_does_not_fit_the_model_is_flagged_with_a_reason(
    api: Api, input_tokens: int, output_tokens: int, fits: bool, reason: str | None
) -> None:
    model = await api.create(context_window=8_000, max_output_tokens=1_000)
    result = ok(
        await simulate(
            api, models=[model["id"]], input_tokens=input_tokens, output_tokens=output_tokens
        )
    )
    (row,) = result["data"]
    assert row["fits"] is fits
    if fits:
        assert row["fit_problems"] == []
    else:
        assert row["fit_problems"] and any(reason in problem for problem in row["fit_problems"])
    if input_tokens + output_tokens > 8_000 and output_tokens > 1_000:
        assert len(row["fit_problems"]) == 2


async def test_the_models_filter_limits_the_rows_to_the_models_named(api: Api) -> None:
    mine = await api.create(pricing={"input": "100", "output": "100"})
    result = ok(
        await simulate(
            api,
            models=["GPT-4O", mine["id"], "claude-sonnet-4-5"],
            input_tokens=10,
            output_tokens=1,
        )
    )
    assert [row["model"] for row in result["data"]] == ["gpt-4o", "claude-sonnet-4-5", mine["name"]]
    assert row_of(result, "gpt-4o")["provider"] == "openai"


async def test_an_unknown_model_in_the_filter_is_refused_naming_its_place(api: Api) -> None:
    before = await state(api)
    response = await simulate(api, models=["gpt-4o", "no-such-model"], input_tokens=10)
    problem = refused(response, 422, "models[1]")
    assert "no-such-model" in problem["detail"]
    assert await state(api) == before


async def test_a_filtered_unpriced_model_is_left_out(api: Api) -> None:
    unpriced = await api.create(pricing=None)
    result = ok(await simulate(api, models=[unpriced["id"], "gpt-4o"], input_tokens=10))
    assert [row["model"] for row in result["data"]] == ["gpt-4o"]


async def test_a_sample_text_is_counted_with_each_models_tokenizer(
    api: Api, real_o200k: Any
) -> None:
    result = ok(
        await simulate(api, models=["gpt-4o", "claude-sonnet-4-5"], text=TEXT, output_tokens=10)
    )
    openai = row_of(result, "gpt-4o")
    assert openai["tokenizer"] == "o200k_base"
    assert openai["tokens_exact"] is True
    assert openai["input_tokens"] == len(real_o200k.encode_ordinary(TEXT))
    claude = row_of(result, "claude-sonnet-4-5")
    assert claude["tokenizer"] == "estimate:anthropic"
    assert claude["tokens_exact"] is False
    assert claude["input_tokens"] == math.ceil(Fraction(len(TEXT)) / Fraction("3.5"))


async def test_given_token_counts_are_labelled_given_and_exact(api: Api) -> None:
    result = ok(await simulate(api, models=["claude-sonnet-4-5"], input_tokens=10))
    (row,) = result["data"]
    assert (row["tokenizer"], row["tokens_exact"], row["input_tokens"]) == ("given", True, 10)


@pytest.mark.parametrize(
    "body",
    [
        {"output_tokens": 10},
        {"input_tokens": 10, "text": "hello"},
        {"input_tokens": None, "text": None},
    ],
)
async def test_both_or_neither_of_input_tokens_and_text_is_refused(
    api: Api, body: dict[str, Any]
) -> None:
    before = await state(api)
    refused(await simulate(api, **body), 422, "input_tokens")
    assert await state(api) == before


async def test_at_simulates_with_the_prices_in_effect_then(api: Api) -> None:
    model = await dated_model(api)
    newcomer = await api.create()
    body = {"models": [model["id"], newcomer["id"]], "input_tokens": 1_000_000}
    then = ok(await simulate(api, **body, at="2024-06-01T00:00:00Z"))
    assert [row["model"] for row in then["data"]] == [model["name"]]
    assert then["data"][0]["total_cost"] == Decimal("2.5")
    assert then["data"][0]["price_effective_from"] == "2024-01-01T00:00:00Z"
    assert then["at"] == "2024-06-01T00:00:00Z"
    now = ok(await simulate(api, **body))
    assert row_of(now, model["name"])["total_cost"] == 1
    assert row_of(now, newcomer["name"])["total_cost"] == Decimal("2.5")


async def test_custom_price_rows_appear_marked_custom(api: Api) -> None:
    body = {
        "models": ["gpt-4o"],
        "input_tokens": 1_000,
        "output_tokens": 500,
        "requests": 1_000,
        "custom_prices": [
            {"name": "self-hosted", "pricing": {"input": 0.2, "output": 0.6}},
            {
                "name": "tiny-box",
                "pricing": {"input": "0.01", "output": "0.02"},
                "context_window": 1_200,
                "max_output_tokens": 400,
            },
        ],
    }
    result = ok(await simulate(api, **body))
    assert [row["model"] for row in result["data"]] == ["tiny-box", "self-hosted", "gpt-4o"]
    custom = row_of(result, "self-hosted")
    assert custom["custom"] is True
    assert custom["model_id"] is None
    # (1,000 * 0.2 + 500 * 0.6) / 1M = 0.0005 per request
    assert custom["cost_per_request"] == Decimal("0.0005")
    assert custom["total_cost"] == Decimal("0.5")
    assert custom["weighted_tokens"] == 1_500_000
    assert custom["compute_units"] is None
    assert custom["fits"] is True
    tiny = row_of(result, "tiny-box")
    assert tiny["fits"] is False
    assert len(tiny["fit_problems"]) == 2
    assert row_of(result, "gpt-4o")["custom"] is False


async def test_custom_rows_with_a_text_use_the_default_estimate(api: Api) -> None:
    body = {"models": [], "text": TEXT, "custom_prices": [{"name": "mine", "pricing": PRICING}]}
    (row,) = ok(await simulate(api, **body))["data"]
    assert row["tokenizer"] == "estimate:default" and row["tokens_exact"] is False
    assert row["input_tokens"] == math.ceil(len(TEXT) / 4)


@pytest.mark.parametrize("share", [-0.01, 1.01, 2, "0.5", True, None])
async def test_cached_share_outside_0_to_1_is_refused(api: Api, share: Any) -> None:
    before = await state(api)
    refused(await simulate(api, input_tokens=10, cached_share=share), 422, "cached_share")
    assert await state(api) == before


@pytest.mark.parametrize("share", [0, 1, 0.5])
async def test_cached_share_at_its_bounds_is_accepted(api: Api, share: float) -> None:
    (row,) = ok(await simulate(api, models=["gpt-4o"], input_tokens=10, cached_share=share))["data"]
    assert row["cached_input_tokens"] == 10 * share


async def test_reasoning_tokens_above_output_tokens_is_refused(api: Api) -> None:
    before = await state(api)
    response = await simulate(api, input_tokens=10, output_tokens=5, reasoning_tokens=6)
    refused(response, 422, "reasoning_tokens")
    assert await state(api) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"input_tokens": -1}, "input_tokens"),
        ({"input_tokens": 1.5}, "input_tokens"),
        ({"input_tokens": "10"}, "input_tokens"),
        ({"input_tokens": 10, "output_tokens": -1}, "output_tokens"),
        ({"input_tokens": 10, "requests": 0}, "requests"),
        ({"input_tokens": 10, "requests": "5"}, "requests"),
        ({"input_tokens": 10, "at": "soon"}, "at"),
        ({"input_tokens": 10, "models": "gpt-4o"}, "models"),
        ({"input_tokens": 10, "models": [""]}, "models[0]"),
        ({"text": 42}, "text"),
        ({"input_tokens": 10, "custom_prices": [{"name": "x"}]}, "custom_prices[0].pricing"),
        (
            {
                "input_tokens": 10,
                "custom_prices": [{"name": "x", "pricing": {"input": -1, "output": 1}}],
            },
            "custom_prices[0].pricing.input",
        ),
        ({"input_tokens": 10, "colour": "blue"}, "colour"),
    ],
)
async def test_a_bad_workload_is_refused_with_422_naming_the_field(
    api: Api, body: dict[str, Any], field: str
) -> None:
    before = await state(api)
    refused(await simulate(api, **body), 422, field)
    assert await state(api) == before


async def test_a_sample_text_over_the_size_limit_is_refused_naming_text(api: Api) -> None:
    refused(await simulate(api, text="é" * 500_001), 422, "text")


async def test_a_simulated_row_above_a_tier_threshold_names_its_tier(api: Api) -> None:
    tier = {"above_input_tokens": 1_000, "input": "5", "output": "15"}
    model = await api.create(pricing={"input": "2.5", "output": "10", "tiers": [tier]})
    (row,) = ok(await simulate(api, models=[model["id"]], input_tokens=1_001, output_tokens=0))[
        "data"
    ]
    assert row["tier"]["above_input_tokens"] == 1_000
    assert row["cost_per_request"] == Decimal("0.005005")


# --- POST /api/tokens -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_o200k(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """tiktoken's own o200k_base (tiktoken_ext.openai_public), read from a seeded cache."""
    import tiktoken
    import tiktoken.load
    import tiktoken_ext.openai_public as openai_public  # type: ignore[import-untyped]

    from modeldeck.tokenizer import counting

    cache = tmp_path_factory.mktemp("real-tiktoken")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MODELDECK_TOKENIZER_CACHE", str(cache))
        counting._verified_bpe_bytes(counting._SPECS["o200k_base"])
        mp.setenv("TIKTOKEN_CACHE_DIR", str(cache))

        def offline(*args: Any, **kwargs: Any) -> Any:
            raise AssertionError("tiktoken tried to download its BPE file")

        mp.setattr(tiktoken.load, "read_file", offline)
        return tiktoken.Encoding(**openai_public.o200k_base())


async def test_gpt_4o_is_counted_exactly_with_o200k_base(api: Api, real_o200k: Any) -> None:
    result = ok(await count(api, model="gpt-4o", text=TEXT))
    assert result["tokenizer"] == "o200k_base"
    assert result["exact"] is True
    assert result["tokens"] == len(real_o200k.encode_ordinary(TEXT))
    assert result["chars"] == len(TEXT)
    assert result["model"] == "gpt-4o"


async def test_a_published_o200k_example_counts_as_published(api: Api) -> None:
    # tiktoken's README: "tiktoken is great!" → [83, 8251, 2488, 382, 2212, 0] in o200k_base
    assert ok(await count(api, model="gpt-4o", text="tiktoken is great!"))["tokens"] == 6


async def test_a_claude_model_gets_a_labelled_estimate(api: Api) -> None:
    result = ok(await count(api, model="claude-sonnet-4-5", text=TEXT))
    assert result["tokenizer"] == "estimate:anthropic"
    assert result["exact"] is False
    assert result["tokens"] == math.ceil(Fraction(len(TEXT)) / Fraction("3.5"))


async def test_without_a_model_the_default_estimate_is_used(api: Api) -> None:
    result = ok(await count(api, text=TEXT))
    assert result["model"] is None
    assert result["tokenizer"] == "estimate:default"
    assert result["exact"] is False
    assert result["tokens"] == math.ceil(len(TEXT) / 4)


async def test_an_empty_text_is_zero_tokens(api: Api) -> None:
    assert ok(await count(api, model="gpt-4o", text=""))["tokens"] == 0


async def test_counting_for_an_unknown_model_is_404(api: Api) -> None:
    before = await state(api)
    refused(await count(api, model="no-such-model", text="hello"), 404)
    assert await state(api) == before


async def test_a_text_of_exactly_the_size_limit_is_counted(api: Api) -> None:
    result = ok(await count(api, text="a" * 1_000_000))
    assert result["tokens"] == 250_000


@pytest.mark.parametrize("text", ["a" * 1_000_001, "é" * 500_001, "🎉" * 250_001])
async def test_a_text_over_a_million_utf8_bytes_is_refused_naming_text(api: Api, text: str) -> None:
    before = await state(api)
    refused(await count(api, model="gpt-4o", text=text), 422, "text")
    assert await state(api) == before


@pytest.mark.parametrize("text", [42, None, ["hello"], {"text": "hello"}, True])
async def test_a_text_that_is_not_a_string_is_refused(api: Api, text: Any) -> None:
    before = await state(api)
    refused(await count(api, model="gpt-4o", text=text), 422, "text")
    assert await state(api) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "text"), ({"text": "hi", "model": 5}, "model"), ({"text": "hi", "x": 1}, "x")],
)
async def test_a_bad_token_request_is_refused_naming_the_field(
    api: Api, body: dict[str, Any], field: str
) -> None:
    refused(await api.client.post("/api/tokens", json=body), 422, field)


# --- the library agrees with the API ---------------------------------------------------------


@pytest.mark.parametrize("usage", [OUR_USAGE, OPENAI_USAGE])
async def test_the_library_prices_a_public_model_record_like_the_api(
    api: Api, usage: dict[str, Any]
) -> None:
    from modeldeck import cost

    mine = await api.create(
        pricing={
            "input": "0.15",
            "cached_input": "0.075",
            "output": "0.6",
            "tiers": [{"above_input_tokens": 500_000, "input": "0.3", "output": "1.2"}],
        }
    )
    for ref in (mine["name"], "gpt-4o", "claude-sonnet-4-5", "gemini-2.5-pro"):
        response = await api.client.get(f"/api/models/{ref}")
        record = response.json()  # plain JSON: prices arrive as floats
        by_api = ok(await price(api, model=ref, usage=usage, requests=7))
        assert cost(record, usage, requests=7).total == by_api["total"], ref
        assert cost(exact(response), usage, requests=7).total == by_api["total"], ref


async def test_a_model_named_twice_in_the_filter_gets_one_row(api: Api) -> None:
    gpt = (await api.client.get("/api/models/gpt-4o")).json()
    result = ok(await simulate(api, models=["gpt-4o", "GPT-4o", gpt["id"]], input_tokens=10))
    assert [row["model"] for row in result["data"]] == ["gpt-4o"]
    assert result["count"] == 1


async def test_a_future_dated_period_becomes_the_pricing_once_it_starts(api: Api) -> None:
    model = await dated_model(api)
    await added(api, model["id"], input="0.5", output="2", effective_from=days_ahead_z(1))
    assert ok(await api.client.get(f"/api/models/{model['id']}"))["pricing"]["input"] == 1
    usage = {"input_tokens": 1_000_000}
    assert ok(await price(api, model=model["id"], usage=usage))["total"] == 1
    with clock.moved(timedelta(days=1)):  # past the next midnight, when the period starts
        pricing = ok(await api.client.get(f"/api/models/{model['id']}"))["pricing"]
        assert pricing["input"] == Decimal("0.5")
        assert ok(await price(api, model=model["id"], usage=usage))["total"] == Decimal("0.5")
        (row,) = ok(await simulate(api, models=[model["id"]], **usage))["data"]
        assert row["total_cost"] == Decimal("0.5")
        current = [period["current"] for period in await periods(api, model["id"])]
    assert current == [False, False, True]


@pytest.mark.parametrize("name", sorted(usage_shapes.SHAPES))
async def test_cost_takes_each_providers_usage_as_it_comes(api: Api, name: str) -> None:
    model = await api.create(pricing=PRICING)
    usage, usage_format = usage_shapes.SHAPES[name]
    expected = usage_shapes.expected(name)
    detected = ok(await price(api, model=model["id"], usage=usage))
    named = ok(await price(api, model=model["id"], usage=usage, usage_format=usage_format))
    ours = ok(await price(api, model=model["id"], usage=expected))
    assert detected["usage"] == named["usage"] == expected
    assert detected["total"] == named["total"] == ours["total"]


async def test_a_usage_with_two_formats_keys_asks_for_usage_format(api: Api) -> None:
    model = await api.create(pricing=PRICING)
    usage = {"prompt_tokens": 10, "cache_read_input_tokens": 5}
    problem = refused(await price(api, model=model["id"], usage=usage), 422, "usage")
    assert "usage_format" in problem["errors"][0]["message"]
    named = ok(await price(api, model=model["id"], usage=usage, usage_format="openai_chat"))
    assert named["usage"]["input_tokens"] == 10


async def test_a_gemini_total_below_its_parts_is_refused_naming_it(api: Api) -> None:
    model = await api.create(pricing=PRICING)
    usage = usage_shapes.GEMINI | {"totalTokenCount": 100}
    refused(await price(api, model=model["id"], usage=usage), 422, "usage.totalTokenCount")

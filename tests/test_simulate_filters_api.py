"""`POST /api/simulate` with the Simulator's filters and fit ranking (issue 18 §1): the same
`simulate` the console runs, asked through the API."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import Api

pytestmark = [pytest.mark.anyio]


async def simulate(api: Api, **body: Any) -> dict[str, Any]:
    response = await api.client.post("/api/simulate", json={"input_tokens": 1000, **body})
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def test_the_filters_narrow_the_models_and_leave_custom_prices_in(api: Api) -> None:
    ours = await api.create(name="ours-cheap", tags=["team:search"], context_window=500_000)
    answer = await simulate(
        api,
        providers=["openai"],
        system=False,
        tags=["team:search"],
        min_context_window=400_000,
        max_input_price="2.5",
        custom_prices=[{"name": "what-if", "pricing": {"input": 9, "output": 9}}],
    )
    assert [row["model"] for row in answer["data"]] == [ours["name"], "what-if"]


async def test_free_models_are_priced_unless_left_out(api: Api) -> None:
    free = await api.create(name="free-model", pricing={"input": "0", "output": "0"})
    named = [row["model"] for row in (await simulate(api))["data"]]
    assert free["name"] in named
    left = [row["model"] for row in (await simulate(api, include_free=False))["data"]]
    assert free["name"] not in left and len(left) < len(named)


async def test_fitting_first_ranks_misfits_last_with_their_reasons(api: Api) -> None:
    small = await api.create(
        name="small-window",
        context_window=2000,
        max_output_tokens=1000,
        pricing={"input": "0.001", "output": "0.001"},
    )
    answer = await simulate(
        api, output_tokens=1500, fitting_first=True, required_capabilities=["vision"]
    )
    rows = answer["data"]
    fits = [row["fits"] for row in rows]
    assert fits == sorted(fits, reverse=True)  # every fit before every misfit
    last = next(row for row in rows if row["model"] == small["name"])
    assert last["fit_problems"] == [
        "input + output (2,500) exceeds the context window (2,000)",
        "output (1,500) exceeds max output (1,000)",
        "lacks vision",
    ]
    assert (last["context_window"], last["max_output_tokens"]) == (2000, 1000)
    assert (last["input_price"], last["output_price"]) == (0.001, 0.001)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("providers", ["openia"]),
        ("statuses", ["gone"]),
        ("required_capabilities", ["telepathy"]),
        ("min_context_window", 0),
        ("max_output_price", -1),
        ("include_free", "yes"),
    ],
)
async def test_a_bad_filter_is_refused_naming_its_field(api: Api, field: str, value: Any) -> None:
    response = await api.client.post("/api/simulate", json={"input_tokens": 1, field: value})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"].split("[")[0].split(".")[0] == field

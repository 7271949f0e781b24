"""The console's pure views: where a model comes from, its filters, audit changes as people read
them, and the price chart's steps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from modeldeck.console.audit_view import changes, price_lines
from modeldeck.console.charts import price_steps
from modeldeck.console.model_filters import ModelFilters, origin
from modeldeck.problems import Problem


def record(**overrides: Any) -> dict[str, Any]:
    model: dict[str, Any] = {
        "id": "1",
        "name": "some-model",
        "provider": "other",
        "tags": [],
        "context_window": 128_000,
        "capabilities": {"streaming": True, "tools": True, "vision": False},
        "pricing": {"input": Decimal("2.5"), "output": Decimal("10"), "currency": "USD"},
    }
    return model | overrides


@pytest.mark.parametrize(
    ("name", "provider", "tags", "vendor", "host"),
    [
        ("anthropic.claude-3-haiku", "other", ["litellm_provider:bedrock"], "anthropic", "bedrock"),
        ("claude-sonnet-4-5", "anthropic", ["vendor:anthropic"], "anthropic", "anthropic"),
        ("gpt-4o", "azure_openai", ["vendor:openai", "host:azure"], "openai", "azure"),
        ("gpt-4o", "openai", [], "openai", "openai"),
        (
            "deepinfra/meta-llama/Llama-3-70B",
            "openai_compatible",
            ["litellm_provider:deepinfra"],
            "meta",
            "deepinfra",
        ),
        ("mystery-7b", "other", [], None, None),
        ("some-model", "other", ["modelsdev_provider:groq"], None, "groq"),
    ],
)
def test_a_models_vendor_and_host_come_from_its_tags_then_its_name(
    name: str, provider: str, tags: list[str], vendor: str | None, host: str | None
) -> None:
    found = origin(record(name=name, provider=provider, tags=tags))
    assert (found.vendor, found.host) == (vendor, host)


def test_filters_need_every_capability_and_keep_within_the_limits() -> None:
    filters = ModelFilters.parse(
        {"cap": ["tools", "vision"], "min_context": ["100,000"], "max_input": ["3"]}
    )
    assert filters.capabilities == ("tools", "vision")
    assert filters.min_context == 100_000
    vision = {"streaming": True, "tools": True, "vision": True}
    assert filters.matches(record(capabilities=vision))
    assert not filters.matches(record())  # no vision
    assert not filters.matches(record(capabilities=vision, context_window=32_000))
    assert not filters.matches(record(capabilities=vision, pricing=None))
    dear = {"input": Decimal("3.01"), "output": Decimal("1"), "currency": "USD"}
    assert not filters.matches(record(capabilities=vision, pricing=dear))
    vendor = ModelFilters.parse({"vendor": ["Bedrock"]})
    assert vendor.matches(record(tags=["host:bedrock"]))
    assert not vendor.matches(record(tags=["host:azure"]))


def test_filters_that_do_not_parse_name_their_parameter() -> None:
    with pytest.raises(Problem) as refused:
        ModelFilters.parse({"cap": ["telepathy"], "min_context": ["lots"], "max_output": ["-1"]})
    assert [error["field"] for error in refused.value.errors] == [
        "cap",
        "min_context",
        "max_output",
    ]


def test_an_update_lists_what_changed_without_bookkeeping_and_prices_as_rates() -> None:
    before = {
        "id": "1",
        "version": 1,
        "updated_at": "2026-01-01T00:00:00Z",
        "display_name": "",
        "capabilities": {"tools": False},
        "pricing": {"input": 1, "output": 2, "currency": "USD", "tiers": []},
    }
    after = before | {
        "version": 2,
        "updated_at": "2026-01-02T00:00:00Z",
        "display_name": "New",
        "capabilities": {"tools": True},
        "pricing": {
            "input": 3,
            "cached_input": 0.5,
            "output": 4,
            "currency": "USD",
            "tiers": [{"above_input_tokens": 200000, "input": 6, "output": 8}],
            "effective_from": "2026-01-02T00:00:00Z",
        },
    }
    found = {change.field: change for change in changes(before, after)}
    assert set(found) == {"display_name", "capabilities.tools", "pricing"}
    assert found["display_name"].before == ("(empty)",)
    assert found["capabilities.tools"].label == "Capability: tools"
    assert found["capabilities.tools"].after == ("yes",)
    assert found["pricing"].after == (
        "input 3, cached input 0.5, output 4 (USD per 1M tokens)",
        "above 200,000 input tokens: input 6, output 8",
        "from 2026-01-02 00:00 UTC",
    )


def test_a_created_model_lists_its_fields_and_price_once() -> None:
    created = {"id": "1", "name": "x", "version": 1, "limits": {"max_retries": 3}, "pricing": None}
    found = {change.field: change for change in changes(None, created)}
    assert set(found) == {"name", "limits.max_retries"}
    assert price_lines(None) == ("unpriced",)


def test_every_period_is_a_step_of_its_own_and_the_future_is_marked() -> None:
    now = datetime(2026, 6, 1, 12, tzinfo=UTC)

    def period(start: datetime, rate: str, current: bool = False) -> dict[str, Any]:
        return {
            "effective_from": start,
            "priced": True,
            "input": Decimal(rate),
            "cached_input": None,
            "output": Decimal(rate) * 2,
            "current": current,
        }

    history = [
        period(now - timedelta(days=400), "1"),
        period(now - timedelta(hours=3), "2"),
        period(now - timedelta(hours=2), "3", current=True),
        period(now + timedelta(days=30), "0.5"),
    ]
    chart = price_steps(history, now)
    assert chart is not None
    [inputs] = [series for series in chart.series if series.key == "input"]
    assert inputs.path.count("M") == 4
    assert len(chart.starts) == 3
    assert min(b - a for a, b in zip([chart.left, *chart.starts], chart.starts, strict=False)) >= 20
    assert chart.current == "from 2026-06-01 10:00 UTC: input 3, output 6"
    assert [band.kind for band in chart.bands] == ["current", "future"]
    assert chart.future == ["from 2026-07-01 12:00 UTC: input 0.5, output 1.0"]

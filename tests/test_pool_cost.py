"""`pool.cost(name, usage_or_response)`: the cost engine at the call site, on the pool's record."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from fake_openai import FakeOpenAI, fake_openai
from modeldeck import cost
from modeldeck.client import ClientPool, Model, UnknownModel, ValidationFailed
from modeldeck.client.snapshot import catalog_records

KEY = "cost-key"
ENV = {"POOL_COST_KEY": KEY}
PRICING = {
    "currency": "USD",
    "input": "2.5",
    "cached_input": "1.25",
    "output": "10",
    "effective_from": "2025-01-01T00:00:00Z",
    "service_tiers": {"batch": {"input": "1.25", "output": "5"}},
}


def record(**overrides: Any) -> Model:
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "name": "priced",
        "provider": "openai_compatible",
        "deployment": {"api_key_env": "POOL_COST_KEY", "endpoint": "http://127.0.0.1:9/v1"},
        "context_window": 128000,
        "max_output_tokens": 16384,
        "pricing": PRICING,
        "version": 1,
    }
    body.update(overrides)
    return Model.model_validate(body)


def test_cost_of_a_usage_dict_is_the_engines_on_the_pools_record() -> None:
    model = record()
    pool = ClientPool.from_models([model], environ=ENV)
    usage = {"prompt_tokens": 1000, "completion_tokens": 200}
    result = pool.cost("PRICED", usage)  # by name ignoring case, like every pool lookup
    assert result.model == "priced" and result.model_id == model.id
    assert result.total == cost(model, usage).total == Decimal("0.0045")
    assert result.usage["input_tokens"] == 1000 and result.usage["output_tokens"] == 200
    assert result.source == "server" and not result.stale
    assert pool.cost(model.id, usage).total == result.total  # by id too


def test_service_tier_requests_and_at_reach_the_engine() -> None:
    pool = ClientPool.from_models([record()], environ=ENV)
    usage = {"prompt_tokens": 1000, "completion_tokens": 200}
    assert pool.cost("priced", usage, service_tier="batch").total == Decimal("0.00225")
    assert pool.cost("priced", usage, requests=10).total == Decimal("0.045")
    later = datetime(2026, 1, 1, tzinfo=UTC)
    assert pool.cost("priced", usage, at=later).total == Decimal("0.0045")
    with pytest.raises(ValidationFailed):  # no price history in the pool: not in effect then
        pool.cost("priced", usage, at="2024-01-01T00:00:00Z")


def test_sdk_objects_and_responses_of_any_provider_are_read() -> None:
    pool = ClientPool.from_models([record()], environ=ENV)
    openai_response = SimpleNamespace(
        usage=SimpleNamespace(prompt_tokens=1000, completion_tokens=200, total_tokens=1200)
    )
    anthropic_delta = {"input_tokens": 1000, "output_tokens": 200}  # message_start + delta
    assert pool.cost("priced", openai_response).total == Decimal("0.0045")
    assert pool.cost("priced", anthropic_delta).total == Decimal("0.0045")


def test_unknown_and_unpriced_models_say_so() -> None:
    pool = ClientPool.from_models([record(name="free", pricing=None)], environ=ENV)
    with pytest.raises(UnknownModel):
        pool.cost("nope", {"prompt_tokens": 1})
    with pytest.raises(ValidationFailed, match="no price"):
        pool.cost("free", {"prompt_tokens": 1})


def test_catalog_records_price_like_the_engine() -> None:
    models = [Model.model_validate(body) for body in catalog_records()]
    pool = ClientPool.from_models(models, environ={})
    claude = pool.model("claude-sonnet-4-5")
    usage = {"input_tokens": 1000, "output_tokens": 100, "cache_read_input_tokens": 500}
    assert pool.cost("claude-sonnet-4-5", usage).total == cost(claude, usage).total


@pytest.fixture
def fake() -> Any:
    with fake_openai(keys={KEY}) as provider:
        yield provider


@pytest.mark.anyio
async def test_a_streamed_completion_is_priced_from_its_final_chunk(fake: FakeOpenAI) -> None:
    model = record(deployment={"api_key_env": "POOL_COST_KEY", "endpoint": f"{fake.url}/v1"})
    pool = ClientPool.from_models([model], environ=ENV)
    try:
        client = pool.client("priced")
        stream = await client.chat.completions.create(
            **pool.chat_params(
                "priced",
                messages=[{"role": "user", "content": "hi"}],
                stream=True,
                stream_options={"include_usage": True},
            )
        )
        usage = None
        text = ""
        async for chunk in stream:
            if chunk.choices:
                text += chunk.choices[0].delta.content or ""
            if chunk.usage is not None:  # only the last chunk carries it
                usage = chunk.usage
        assert text == "pong" and usage is not None
        assert fake.requests[-1].body["stream_options"] == {"include_usage": True}
        assert pool.cost("priced", usage).total == Decimal("0.0045")
    finally:
        await pool.close()


def test_anthropic_stream_usage_message_start_then_message_delta() -> None:
    types = pytest.importorskip("anthropic.types")
    pool = ClientPool.from_models([record()], environ=ENV)
    start = types.Usage(input_tokens=1000, output_tokens=1, cache_read_input_tokens=0)
    delta = types.MessageDeltaUsage(output_tokens=200)
    usage = start.model_dump(exclude_none=True) | delta.model_dump(exclude_none=True)
    assert pool.cost("priced", usage).total == Decimal("0.0045")
    assert pool.cost("priced", delta).usage["output_tokens"] == 200  # an SDK object as is

"""Issue 3 figures: the cost engine against LiteLLM, the simulator, token counting."""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import tempfile
import time
import timeit
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from bench.registry import _fill
from modeldeck import serialization
from modeldeck.app import create_app
from modeldeck.pricing.engine import Usage, cost
from modeldeck.settings import Settings

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # never fetch the price map

PROMPT, COMPLETION, CACHED = 1200, 300, 1024


def _rate(call: Callable[[], Any], seconds: float = 1.0) -> float:
    """Calls per second, best of three runs of about `seconds` each."""
    number = max(1, int(seconds / max(timeit.timeit(call, number=50) / 50, 1e-9)))
    best = min(timeit.repeat(call, number=number, repeat=3))
    return number / best


def cost_against_litellm() -> list[tuple[str, float, float]]:
    import litellm

    gpt4o = litellm.model_cost["gpt-4o"]
    record = {
        "name": "gpt-4o",
        "pricing": {
            "input": str(gpt4o["input_cost_per_token"] * 10**6),
            "cached_input": str(gpt4o["cache_read_input_token_cost"] * 10**6),
            "output": str(gpt4o["output_cost_per_token"] * 10**6),
        },
    }
    usage = Usage(input_tokens=PROMPT, cached_input_tokens=CACHED, output_tokens=COMPLETION)
    openai_usage = {
        "prompt_tokens": PROMPT,
        "completion_tokens": COMPLETION,
        "prompt_tokens_details": {"cached_tokens": CACHED},
    }
    litellm_usage = litellm.Usage(
        prompt_tokens=PROMPT,
        completion_tokens=COMPLETION,
        prompt_tokens_details={"cached_tokens": CACHED},
    )
    ours = float(cost(record, usage).total)
    theirs = sum(
        litellm.cost_per_token(
            model="gpt-4o",
            prompt_tokens=PROMPT,
            completion_tokens=COMPLETION,
            cache_read_input_tokens=CACHED,
        )
    )
    if abs(ours - theirs) > 1e-9:
        raise AssertionError(f"the two disagree: ours {ours}, LiteLLM {theirs}")
    counts = (
        _rate(lambda: cost(record, usage)),
        _rate(
            lambda: litellm.cost_per_token(
                model="gpt-4o",
                prompt_tokens=PROMPT,
                completion_tokens=COMPLETION,
                cache_read_input_tokens=CACHED,
            )
        ),
    )
    objects = (
        _rate(lambda: cost(record, openai_usage)),
        _rate(lambda: litellm.cost_per_token(model="gpt-4o", usage_object=litellm_usage)),
    )
    return [
        ("cost: token counts in (calls/s)", *counts),
        ("cost: OpenAI usage object in (calls/s)", *objects),
    ]


def _history_record(name: str) -> dict[str, Any]:
    """A built-in model as a record with its whole price history (what `cost` resolves)."""
    from modeldeck.catalog.builtin import load_builtin

    periods = [
        {**period.pricing.model_dump(), "effective_from": period.effective_from}
        for period in load_builtin().price_history(name)
        if period.pricing is not None
    ]
    return {"name": name, "pricing": None, "price_history": periods}


def cost_with_variants() -> list[tuple[str, float, float, float]]:
    """`cost` with a whole price history, a time-of-day window or a service tier in play, against
    litellm.cost_per_token (gpt-4o, current prices: the anchor of the 25x target) and
    genai_prices.calc_price on the same case (which agrees on the total)."""
    import genai_prices
    import litellm

    usage = Usage(input_tokens=PROMPT, cached_input_tokens=CACHED, output_tokens=COMPLETION)
    theirs = genai_prices.Usage(
        input_tokens=PROMPT, cache_read_tokens=CACHED, output_tokens=COMPLETION
    )
    peak = datetime(2026, 11, 2, 2, 30, tzinfo=UTC)  # in DeepSeek's 01:00-04:00 peak window
    cases: list[tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]] = [
        (
            "cost: history + peak window (calls/s)",
            _history_record("deepseek-v4-flash"),
            {"at": peak},
            {"model_ref": "deepseek-v4-flash", "provider_id": "deepseek"},
        ),
        (
            "cost: history + batch tier (calls/s)",
            _history_record("claude-sonnet-4-5"),
            {"at": peak, "service_tier": "batch"},
            {
                "model_ref": "claude-sonnet-4-5",
                "provider_id": "anthropic",
                "price_context": {"processing": "batch"},
            },
        ),
    ]

    def anchor() -> Any:
        return litellm.cost_per_token(
            model="gpt-4o",
            prompt_tokens=PROMPT,
            completion_tokens=COMPLETION,
            cache_read_input_tokens=CACHED,
        )

    results = []
    for name, record, ours_options, their_options in cases:
        ours = cost(record, usage, **ours_options).total
        calculated = genai_prices.calc_price(
            theirs, genai_request_timestamp=peak, **their_options
        ).total_price
        if ours != calculated:
            raise AssertionError(f"{name}: ours {ours}, genai-prices {calculated}")
        ours_rate = _rate(lambda: cost(record, usage, **ours_options))  # noqa: B023 (run here)
        their_rate = _rate(
            lambda: genai_prices.calc_price(
                theirs,
                genai_request_timestamp=peak,
                **their_options,  # noqa: B023 (run here)
            )
        )
        results.append((name, ours_rate, _rate(anchor), their_rate))
    return results


async def _simulate_times(total: int, runs: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/sim.db"
        await _fill(url, total)
        app = create_app(Settings(database_url=url))
        transport = httpx.ASGITransport(app=app)
        body = {
            "requests": 100_000,
            "input_tokens": 1500,
            "output_tokens": 400,
            "reasoning_tokens": 100,
            "cached_share": 0.4,
            "custom_prices": [{"name": "self-hosted", "pricing": {"input": 0.2, "output": 0.6}}],
        }
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            first = await client.post("/api/simulate", json=body)
            assert first.status_code == 200, first.text
            rows = first.json()["count"]
            ours, anchor = [], []
            for _ in range(runs):
                start = time.perf_counter()
                response = await client.post("/api/simulate", json=body)
                ours.append(time.perf_counter() - start)
                assert response.status_code == 200
                # Anchor: serialising the same answer, the least any handler of it must do.
                start = time.perf_counter()
                serialization.dumps_bytes(serialization.loads(response.content))
                anchor.append(time.perf_counter() - start)
        if rows < total:
            raise AssertionError(f"only {rows} rows for {total} priced models")
        return statistics.median(ours), statistics.median(anchor)


def simulate_median() -> tuple[str, float, float]:
    ours, anchor = asyncio.run(_simulate_times(1000, 30))
    return "POST /api/simulate over 1,000 priced models (median ms)", ours * 1000, anchor * 1000


def _english(size: int) -> str:
    words = (
        "the registry keeps every model an application may call with its prices and limits "
        "while platform engineers review deployments budgets quotas latency and errors before "
        "they approve a change that reaches production replicas within milliseconds"
    ).split()
    generator = random.Random(7)
    sentences = []
    length = 0
    while length < size:
        sentence = " ".join(generator.choice(words) for _ in range(generator.randint(6, 18)))
        sentence = sentence.capitalize() + generator.choice([".", ".", "?", "!", ","]) + " "
        sentences.append(sentence)
        length += len(sentence)
    return "".join(sentences)[:size]


def token_rate() -> tuple[str, float, float]:
    from modeldeck.tokenizer.counting import count_tokens, get_encoding

    text = _english(900_000)
    count_tokens(text, "gpt-4o")  # load the encoding once
    encoding = get_encoding("o200k_base")
    megabytes = len(text.encode()) / 1e6
    ours = min(timeit.repeat(lambda: count_tokens(text, "gpt-4o"), number=1, repeat=5))
    raw = min(timeit.repeat(lambda: encoding.encode_ordinary(text), number=1, repeat=5))
    return "count tokens, o200k, English (MB/s, one core)", megabytes / ours, megabytes / raw

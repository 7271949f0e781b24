"""A workload priced on many models at once: a pure function over public records."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Context, Decimal, Inexact, InvalidOperation, Overflow
from typing import Any

from modeldeck.pricing.engine import CostError, PriceSheet, Usage, cost, period_at
from modeldeck.pricing.schemas import CustomPrice, SimulateRequest
from modeldeck.records.status import restatus

# Weighted tokens and compute units are exact: tokens (≤ 10^12) times requests (≤ 10^12)
# times a weight and a factor (shortest float reprs, ≤ 17 digits each) fit well within 200
# digits; the default context (28 digits) would round them silently.
_EXACT = Context(prec=200, traps=[Inexact, InvalidOperation, Overflow])

TokenCounter = Callable[[Mapping[str, Any] | None], tuple[int, str, bool]]


def pricing_at(
    model: Mapping[str, Any], history: Sequence[Mapping[str, Any]], at: datetime | None
) -> Mapping[str, Any] | None:
    """The model's prices now, or at `at`; None when it is unpriced then."""
    if at is None:
        pricing: Mapping[str, Any] | None = model["pricing"]
        return pricing
    period = period_at(history, at)
    if period is None or not period["priced"]:
        return None
    return period


def _weighted(usage: Usage, weights: Mapping[str, Any], requests: int) -> Decimal:
    """Tokens times their `token_weights` (DESIGN §2), for all requests."""
    uncached = usage.input_tokens - usage.cached_input_tokens
    plain_output = usage.output_tokens - usage.reasoning_tokens
    per_request = Decimal(0)
    for tokens, name in (
        (uncached, "input"),
        (usage.cached_input_tokens, "cached_input"),
        (plain_output, "output"),
        (usage.reasoning_tokens, "reasoning"),
    ):
        weight = Decimal(repr(float(weights.get(name, 1))))
        per_request = _EXACT.add(per_request, _EXACT.multiply(tokens, weight))
    return _EXACT.multiply(per_request, requests)


def _fit(
    input_tokens: int, output_tokens: int, context_window: int | None, max_output: int | None
) -> list[str]:
    problems = []
    if context_window is not None and input_tokens + output_tokens > context_window:
        problems.append(
            f"input + output ({input_tokens + output_tokens:,}) exceeds the context window "
            f"({context_window:,})"
        )
    if max_output is not None and output_tokens > max_output:
        problems.append(f"output ({output_tokens:,}) exceeds max output ({max_output:,})")
    return problems


def _row(
    *,
    name: str,
    model: Mapping[str, Any] | None,
    pricing: Mapping[str, Any] | PriceSheet,
    usage: Usage,
    request: SimulateRequest,
    tokenizer: str,
    exact: bool,
    context_window: int | None,
    max_output: int | None,
) -> dict[str, Any]:
    breakdown = cost(pricing, usage, requests=request.requests)
    per_request = cost(pricing, usage).total
    weights = model["token_weights"] if model else {}
    weighted = _weighted(usage, weights, request.requests)
    factor = model["complexity_factor"] if model else None
    problems = _fit(usage.input_tokens, usage.output_tokens, context_window, max_output)
    return {
        "model": name,
        "model_id": model["id"] if model else None,
        "display_name": (model["display_name"] if model else "") or name,
        "provider": model["provider"] if model else None,
        "custom": model is None,
        "currency": breakdown.currency,
        "cost_per_request": per_request,
        "total_cost": breakdown.total,
        "input_tokens": usage.input_tokens,
        "cached_input_tokens": usage.cached_input_tokens,
        "output_tokens": usage.output_tokens,
        "reasoning_tokens": usage.reasoning_tokens,
        "tokenizer": tokenizer,
        "tokens_exact": exact,
        "weighted_tokens": weighted,
        "compute_units": (
            None if factor is None else _EXACT.multiply(weighted, Decimal(repr(factor)))
        ),
        "tier": None if breakdown.tier is None else breakdown.tier.as_dict(),
        "price_effective_from": breakdown.price_sheet.effective_from,
        "fits": not problems,
        "fit_problems": problems,
    }


def retired(model: Mapping[str, Any], at: datetime | None) -> bool:
    """Whether a served record is retired now, or by `at` (its dates may retire it later)."""
    if at is None:
        return bool(model.get("status") == "retired")
    return bool(restatus(model, at.date())["status"] == "retired")


def simulate(
    models: Iterable[Mapping[str, Any]],
    history: Mapping[str, Sequence[Mapping[str, Any]]],
    request: SimulateRequest,
    count: TokenCounter,
    *,
    named: bool = False,
) -> list[dict[str, Any]]:
    """One row per model priced at `request.at` (or now) plus the custom rows, cheapest first.

    Retired models are left out unless `request.include_retired`, or the models were `named`
    one by one (then each is priced as asked). `count(model)` gives (tokens, tokenizer, exact)
    of the request's text for a model; it is only called when the workload is a sample text.
    """
    rows = []
    for model in models:
        if not (named or request.include_retired) and retired(model, request.at):
            continue
        pricing = pricing_at(model, history.get(model["id"], ()), request.at)
        if pricing is None:
            continue
        tokens, tokenizer, exact = _input_tokens(request, count, model)
        usage = _usage(request, tokens)
        rows.append(
            _row(
                name=model["name"],
                model=model,
                pricing=pricing,
                usage=usage,
                request=request,
                tokenizer=tokenizer,
                exact=exact,
                context_window=model["context_window"],
                max_output=model["max_output_tokens"],
            )
        )
    for custom in request.custom_prices:
        rows.append(_custom_row(custom, request, count))
    rows.sort(key=lambda row: (row["total_cost"], row["model"].lower()))
    return rows


def _custom_row(
    custom: CustomPrice, request: SimulateRequest, count: TokenCounter
) -> dict[str, Any]:
    tokens, tokenizer, exact = _input_tokens(request, count, None)
    try:
        sheet = PriceSheet.parse(custom.pricing.model_dump(exclude={"effective_from"}))
    except CostError as error:  # the schema already refused what the engine would
        raise ValueError(str(error)) from None
    return _row(
        name=custom.name,
        model=None,
        pricing=sheet,
        usage=_usage(request, tokens),
        request=request,
        tokenizer=tokenizer,
        exact=exact,
        context_window=custom.context_window,
        max_output=custom.max_output_tokens,
    )


def _input_tokens(
    request: SimulateRequest, count: TokenCounter, model: Mapping[str, Any] | None
) -> tuple[int, str, bool]:
    if request.input_tokens is not None:
        return request.input_tokens, "given", True
    return count(model)


def _usage(request: SimulateRequest, input_tokens: int) -> Usage:
    return Usage(
        input_tokens=input_tokens,
        cached_input_tokens=request.cached_of(input_tokens),
        output_tokens=request.output_tokens,
        reasoning_tokens=request.reasoning_tokens,
    )

"""A workload priced on many models at once: a pure function over public records."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Context, Decimal, Inexact, InvalidOperation, Overflow
from fractions import Fraction
from typing import Any

from modeldeck.pricing.engine import (
    STANDARD,
    CostBreakdown,
    CostError,
    PriceSheet,
    UnknownServiceTier,
    Usage,
    cost,
    day_shares,
    period_at,
    sheet_of,
)
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
    input_tokens: int,
    output_tokens: int,
    context_window: int | None,
    max_output: int | None,
    lacking: Sequence[str] = (),
) -> list[str]:
    problems = []
    if context_window is not None and input_tokens + output_tokens > context_window:
        problems.append(
            f"input + output ({input_tokens + output_tokens:,}) exceeds the context window "
            f"({context_window:,})"
        )
    if max_output is not None and output_tokens > max_output:
        problems.append(f"output ({output_tokens:,}) exceeds max output ({max_output:,})")
    if lacking:
        problems.append(f"lacks {', '.join(lacking)}")
    return problems


def _mixed(amounts: Iterable[tuple[Fraction, Decimal]]) -> Decimal:
    """The sum of shares times amounts: exact if decimals can write it, else to 12 places."""
    total = sum((share * Fraction(amount) for share, amount in amounts), Fraction(0))
    numerator, denominator = Decimal(total.numerator), Decimal(total.denominator)
    try:
        return _EXACT.divide(numerator, denominator).normalize(_EXACT)
    except Inexact:
        rounded = _ROUNDED.divide(numerator, denominator)
        return rounded.quantize(_MIXED_PLACES, context=_ROUNDED).normalize(_ROUNDED)


_ROUNDED = Context(prec=200, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, Overflow])
_MIXED_PLACES = Decimal("1e-12")


def _priced(
    pricing: Mapping[str, Any] | PriceSheet, usage: Usage, request: SimulateRequest
) -> tuple[CostBreakdown, Decimal, Decimal, list[dict[str, Any]]]:
    """The workload's cost at the asked service tier, over the day's time-of-day windows.

    Returns the breakdown of the largest share, the total, the cost per request and the
    shares. Raises UnknownServiceTier when the prices have no rates for that tier.
    """
    rates = sheet_of(pricing).service_tier(request.service_tier)
    if not rates.windows:
        breakdown = cost(rates, usage, requests=request.requests)
        return breakdown, breakdown.total, cost(rates, usage).total, []
    shares = day_shares(rates, request.minutes_mix())
    outside = replace(rates, windows=())
    pieces = [
        (
            window,
            share,
            cost(outside if window is None else window.rates, usage, requests=request.requests),
            cost(outside if window is None else window.rates, usage).total,
        )
        for window, share in shares
    ]
    largest = max(pieces, key=lambda piece: piece[1])
    return (
        largest[2],
        _mixed((share, breakdown.total) for _, share, breakdown, _ in pieces),
        _mixed((share, per_request) for _, share, _, per_request in pieces),
        [
            {
                "window": None if window is None else window.as_dict(rates=False),
                "share": _mixed([(share, Decimal(1))]),
            }
            for window, share, _, _ in pieces
        ],
    )


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
    breakdown, total, per_request, time_mix = _priced(pricing, usage, request)
    rates = sheet_of(pricing).service_tier(request.service_tier)
    weights = model["token_weights"] if model else {}
    weighted = _weighted(usage, weights, request.requests)
    factor = model["complexity_factor"] if model else None
    problems = _fit(
        usage.input_tokens,
        usage.output_tokens,
        context_window,
        max_output,
        lacking_capabilities(model, request.required_capabilities) if model else (),
    )
    return {
        "model": name,
        "model_id": model["id"] if model else None,
        "display_name": (model["display_name"] if model else "") or name,
        "provider": model["provider"] if model else None,
        "custom": model is None,
        "currency": breakdown.currency,
        "cost_per_request": per_request,
        "total_cost": total,
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
        "service_tier": request.service_tier or STANDARD,
        "time_mix": time_mix,
        "price_effective_from": sheet_of(pricing).effective_from,
        "input_price": rates.input,
        "output_price": rates.output,
        "context_window": context_window,
        "max_output_tokens": max_output,
        "fits": not problems,
        "fit_problems": problems,
    }


def lacking_capabilities(model: Mapping[str, Any], required: Sequence[str] | None) -> list[str]:
    """The required capabilities a model does not have, in the order asked."""
    held = model.get("capabilities") or {}
    return [name for name in required or () if not held.get(name)]


def vendors_of(model: Mapping[str, Any]) -> list[str]:
    """The model's vendors: what its `vendor:` tags name (who made it, wherever it is hosted)."""
    return [
        tag.removeprefix("vendor:") for tag in model.get("tags") or () if tag.startswith("vendor:")
    ]


def status_on(model: Mapping[str, Any], at: datetime | None) -> str:
    """The model's status now, or on `at`'s day."""
    if at is None:
        return str(model.get("status"))
    return str(restatus(model, at.date())["status"])


def admitted(model: Mapping[str, Any], request: SimulateRequest, *, named: bool = False) -> bool:
    """Whether the request's filters on the record (not its prices) keep a registry model.

    Retired models are left out unless asked for: by `include_retired`, by a `statuses` that
    names retired, or by naming the models one by one.
    """
    status = status_on(model, request.at)
    if status == "retired" and not (
        named or request.include_retired or (request.statuses and "retired" in request.statuses)
    ):
        return False
    if request.statuses is not None and status not in request.statuses:
        return False
    if request.providers is not None and model["provider"] not in request.providers:
        return False
    if request.vendors is not None and not set(vendors_of(model)) & set(request.vendors):
        return False
    if request.system is not None and bool(model.get("is_system")) != request.system:
        return False
    if request.tags is not None and not set(request.tags) <= set(model.get("tags") or ()):
        return False
    window = model.get("context_window")
    return request.min_context_window is None or (
        window is not None and window >= request.min_context_window
    )


def _priced_in(rates: PriceSheet, request: SimulateRequest, *, named: bool = False) -> bool:
    """Whether the request's price filters keep a model at these (service tier's) rates."""
    if request.max_input_price is not None and rates.input > request.max_input_price:
        return False
    if request.max_output_price is not None and rates.output > request.max_output_price:
        return False
    free = rates.input == 0 and rates.output == 0 and not rates.per_request
    return not free or request.include_free or named


def rank_key(row: Mapping[str, Any], fitting_first: bool) -> tuple[bool, Decimal, str]:
    """Cheapest first (ties by name, ignoring case); with `fitting_first`, misfits last."""
    return (fitting_first and not row["fits"], row["total_cost"], row["model"].lower())


def simulate(
    models: Iterable[Mapping[str, Any]],
    history: Mapping[str, Sequence[Mapping[str, Any]]],
    request: SimulateRequest,
    count: TokenCounter,
    *,
    named: bool = False,
) -> tuple[list[dict[str, Any]], list[str]]:
    """One row per model priced at `request.at` (or now) plus the custom rows, cheapest first,
    and the names of those left out for having no rates at the asked service tier.

    Registry models pass the request's filters (`admitted`, then its price filters); retired
    and free models are left out unless asked for, or the models were `named` one by one
    (then each is priced as asked). `count(model)` gives (tokens, tokenizer, exact) of the
    request's text for a model; it is only called when the workload is a sample text.
    """
    rows = []
    not_offered = []
    for model in models:
        if not admitted(model, request, named=named):
            continue
        pricing = pricing_at(model, history.get(model["id"], ()), request.at)
        if pricing is None:
            continue
        sheet = sheet_of(pricing)  # parsed once here, handed on
        try:
            rates = sheet.service_tier(request.service_tier)
        except UnknownServiceTier:
            not_offered.append(model["name"])
            continue
        if not _priced_in(rates, request, named=named):
            continue
        tokens, tokenizer, exact = _input_tokens(request, count, model)
        usage = _usage(request, tokens)
        try:
            row = _row(
                name=model["name"],
                model=model,
                pricing=sheet,
                usage=usage,
                request=request,
                tokenizer=tokenizer,
                exact=exact,
                context_window=model["context_window"],
                max_output=model["max_output_tokens"],
            )
        except UnknownServiceTier:
            not_offered.append(model["name"])
            continue
        rows.append(row)
    for custom in request.custom_prices:
        try:
            rows.append(_custom_row(custom, request, count))
        except UnknownServiceTier:
            not_offered.append(custom.name)
    rows.sort(key=lambda row: rank_key(row, request.fitting_first))
    return rows, not_offered


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

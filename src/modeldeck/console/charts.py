"""Geometry for the console's inline SVG charts: pure functions, drawn by the templates."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    path: str


@dataclass(frozen=True)
class StepChart:
    """A price history: one step line per rate, gaps where the model was unpriced."""

    width: int
    height: int
    left: int
    top: int
    right: int
    bottom: int
    series: list[Series]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    now_x: float
    description: str


SERIES = (("input", "input"), ("cached_input", "cached input"), ("output", "output"))


def nice_step(span: float, count: int = 4) -> float:
    """A round tick spacing (1, 2 or 5 times a power of ten): about `count` ticks."""
    if span <= 0:
        return 1.0
    raw = span / count
    power: float = 10.0 ** math.floor(math.log10(raw))
    return next(float(step * power) for step in (1, 2, 5, 10) if step * power >= raw)


def _price(value: Any) -> float | None:
    return None if value is None else float(Decimal(value))


def price_steps(history: Sequence[Mapping[str, Any]], now: datetime) -> StepChart | None:
    """Step lines of input, cached input and output prices from the first period to now."""
    if not history:
        return None
    width, height, left, right, top, bottom = 640, 240, 64, 16, 16, 40
    starts: list[datetime] = [period["effective_from"] for period in history]
    start = starts[0]
    end = max(now, starts[-1])
    end = end + max((end - start) * 0.05, timedelta(days=1))
    span = (end - start).total_seconds()
    prices = [
        price
        for period in history
        if period["priced"]
        for key, _ in SERIES
        if (price := _price(period[key])) is not None
    ]
    if not prices:
        return None
    step = nice_step(max(prices) * 1.1 or 1.0)
    top_value = step * math.ceil(max(prices) * 1.1 / step) or step

    def x(moment: datetime) -> float:
        return round(left + (width - left - right) * (moment - start).total_seconds() / span, 2)

    def y(value: float) -> float:
        return round(top + (height - top - bottom) * (1 - value / top_value), 2)

    series = []
    for key, label in SERIES:
        parts: list[str] = []
        for index, period in enumerate(history):
            value = _price(period[key]) if period["priced"] else None
            if value is None:
                continue
            until = history[index + 1]["effective_from"] if index + 1 < len(history) else end
            parts.append(f"M{x(period['effective_from'])},{y(value)}H{x(until)}")
        if parts:
            series.append(Series(key, label, "".join(parts)))
    y_ticks = [
        Tick(y(step * count), _short(step * count)) for count in range(round(top_value / step) + 1)
    ]
    x_ticks = [Tick(x(start), start.strftime("%Y-%m-%d"))]
    if x(now) - x(start) > 120:
        x_ticks.append(Tick(x(now), "now"))
    description = "; ".join(
        f"from {period['effective_from']:%Y-%m-%d}: "
        + (
            ", ".join(f"{label} {period[key]}" for key, label in SERIES if period[key] is not None)
            if period["priced"]
            else "unpriced"
        )
        for period in history
    )
    return StepChart(
        width, height, left, top, right, bottom, series, x_ticks, y_ticks, x(now), description
    )


def _short(value: float) -> str:
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text or "0"


@dataclass(frozen=True)
class Bar:
    """One model's total cost: its share of the bar area (a percentage) and its labels."""

    rank: int
    name: str
    model_id: str | None
    total: Decimal
    currency: str
    percent: float
    fits: bool
    custom: bool
    fit_problems: tuple[str, ...]


@dataclass(frozen=True)
class CostChart:
    """The cheapest models' total cost as horizontal bars, on a linear or a log scale."""

    bars: list[Bar]
    scale: str
    low: Decimal
    high: Decimal
    ticks: list[tuple[float, Decimal]]
    of: int = 0
    currency: str = "USD"
    misfits: int = field(default=0)


# Bars never vanish: a cost above the scale's start is at least this wide (percent).
MIN_BAR = 0.4


def _decade_floor(value: Decimal) -> Decimal:
    return Decimal(1).scaleb(math.floor(math.log10(value)))


def _decade_ceiling(value: Decimal) -> Decimal:
    return Decimal(1).scaleb(math.ceil(math.log10(value)))


def cost_chart(rows: Sequence[Mapping[str, Any]], scale: str, of: int) -> CostChart:
    """Bars of `rows` (already ranked), their lengths on a linear scale from 0 or on a log scale
    from the decade below the cheapest non-zero cost to the decade above the dearest."""
    totals = [Decimal(row["total_cost"]) for row in rows]
    positive = [total for total in totals if total > 0]
    highest = max(positive, default=Decimal(1))
    if scale == "log" and positive:
        low, high = _decade_floor(min(positive)), _decade_ceiling(highest)
        if high <= low:
            high = low * 10
        span = math.log10(high) - math.log10(low)

        def percent(total: Decimal) -> float:
            if total <= 0:
                return 0.0
            return max(MIN_BAR, 100 * (math.log10(total) - math.log10(low)) / span)

        decades = round(span)
        step = max(1, math.ceil(decades / 6))
        ticks = [
            (100 * index / decades, low.scaleb(index)) for index in range(0, decades + 1, step)
        ]
    else:
        scale, low = "linear", Decimal(0)
        step_size = Decimal(repr(nice_step(float(highest))))
        high = step_size * math.ceil(highest / step_size) if highest > 0 else Decimal(1)

        def percent(total: Decimal) -> float:
            return 0.0 if total <= 0 else max(MIN_BAR, float(100 * total / high))

        count = round(high / step_size) if highest > 0 else 1
        ticks = [(100 * index / count, step_size * index) for index in range(count + 1)]
    bars = [
        Bar(
            rank=rank,
            name=str(row["model"]),
            model_id=row.get("model_id"),
            total=total,
            currency=str(row["currency"]),
            percent=round(percent(total), 3),
            fits=bool(row["fits"]),
            custom=bool(row["custom"]),
            fit_problems=tuple(row["fit_problems"]),
        )
        for rank, (row, total) in enumerate(zip(rows, totals, strict=True), start=1)
    ]
    return CostChart(
        bars,
        scale,
        low,
        high,
        ticks,
        of=of,
        currency=bars[0].currency if bars else "USD",
        misfits=sum(1 for bar in bars if not bar.fits),
    )

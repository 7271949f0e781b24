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
    anchor: str = "middle"
    row: int = 0  # x-axis labels: 0 under the axis, 1 a line lower (future periods)


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    path: str


@dataclass(frozen=True)
class Band:
    """A stretch of the x axis drawn behind the lines: the period in effect now, or the future."""

    kind: str
    x: float
    width: float


@dataclass(frozen=True)
class StepChart:
    """A price history: one step line per rate, gaps where the model was unpriced.

    Every period gets a step of its own, however short (two changes on one day are two steps):
    the x axis gives each period a minimum width and shares the rest by duration.
    """

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
    starts: list[float] = field(default_factory=list)
    bands: list[Band] = field(default_factory=list)
    current: str | None = None
    future: list[str] = field(default_factory=list)


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


def _rates_text(period: Mapping[str, Any]) -> str:
    if not period["priced"]:
        return "unpriced"
    return ", ".join(f"{label} {period[key]}" for key, label in SERIES if period[key] is not None)


def price_steps(history: Sequence[Mapping[str, Any]], now: datetime) -> StepChart | None:
    """Step lines of input, cached input and output prices of every period, past and future."""
    if not history:
        return None
    width, height, left, right, top, bottom = 640, 250, 64, 16, 20, 52
    starts: list[datetime] = [period["effective_from"] for period in history]
    start = starts[0]
    end = max(now, starts[-1])
    end = end + max((end - start) * 0.05, timedelta(days=1))
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

    # Each period's share of the axis: a minimum, then the rest by how long it lasts.
    area = width - left - right
    ends = [*starts[1:], end]
    spans = [
        max((until - begin).total_seconds(), 0.0) for begin, until in zip(starts, ends, strict=True)
    ]
    total = sum(spans) or 1.0
    least = min(28.0, area / (2 * len(history)))
    widths = [least + (area - least * len(history)) * span / total for span in spans]
    lefts = [left + sum(widths[:index]) for index in range(len(history))]

    def x(moment: datetime) -> float:
        index = max(i for i, begin in enumerate(starts) if begin <= moment or i == 0)
        span = spans[index]
        part = (moment - starts[index]).total_seconds() / span if span else 0.0
        return round(lefts[index] + widths[index] * min(max(part, 0.0), 1.0), 2)

    def y(value: float) -> float:
        return round(top + (height - top - bottom) * (1 - value / top_value), 2)

    series = []
    for key, label in SERIES:
        parts: list[str] = []
        for index, period in enumerate(history):
            value = _price(period[key]) if period["priced"] else None
            if value is None:
                continue
            parts.append(
                f"M{round(lefts[index], 2)},{y(value)}H{round(lefts[index] + widths[index], 2)}"
            )
        if parts:
            series.append(Series(key, label, "".join(parts)))
    y_ticks = [
        Tick(y(step * count), _short(step * count)) for count in range(round(top_value / step) + 1)
    ]
    x_ticks = [Tick(left, start.strftime("%Y-%m-%d"), "start")]
    bands = []
    current_text = None
    future_text = []
    for index, period in enumerate(history):
        begins = period["effective_from"]
        if period.get("current") or (
            begins <= now and (index + 1 == len(history) or starts[index + 1] > now)
        ):
            bands.append(Band("current", round(lefts[index], 2), round(widths[index], 2)))
            current_text = f"from {begins:%Y-%m-%d %H:%M} UTC: {_rates_text(period)}"
        elif begins > now:
            bands.append(Band("future", round(lefts[index], 2), round(widths[index], 2)))
            at = round(lefts[index], 2)
            anchor = "start" if at < width / 2 else "end"  # its label stays inside the chart
            x_ticks.append(Tick(at, f"from {begins:%Y-%m-%d}", anchor, 1))
            future_text.append(f"from {begins:%Y-%m-%d %H:%M} UTC: {_rates_text(period)}")
    description = "; ".join(
        f"from {period['effective_from']:%Y-%m-%d %H:%M}: {_rates_text(period)}"
        + (" (future)" if period["effective_from"] > now else "")
        for period in history
    )
    return StepChart(
        width,
        height,
        left,
        top,
        right,
        bottom,
        series,
        x_ticks,
        y_ticks,
        x(now),
        description,
        starts=[round(position, 2) for position in lefts[1:]],
        bands=bands,
        current=current_text,
        future=future_text,
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

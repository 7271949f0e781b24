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
    label: str
    full_label: str
    value: str
    y: float
    width: float
    fits: bool
    custom: bool


@dataclass(frozen=True)
class BarChart:
    """Total cost per model, cheapest first, as horizontal bars."""

    width: int
    height: int
    label_width: int
    row_height: int
    bars: list[Bar] = field(default_factory=list)


def cost_bars(rows: Sequence[Mapping[str, Any]], format_cost: Any) -> BarChart:
    width, label_width, value_width, row_height = 800, 240, 110, 22
    area = width - label_width - value_width
    highest = max((Decimal(row["total_cost"]) for row in rows), default=Decimal(0))
    bars = []
    for index, row in enumerate(rows):
        total = Decimal(row["total_cost"])
        name = str(row["model"])
        bars.append(
            Bar(
                label=name if len(name) <= 30 else name[:29] + "…",
                full_label=name,
                value=f"{row['currency']} {format_cost(total)}",
                y=index * row_height + 4,
                width=max(round(float(total / highest) * area, 2), 1.0) if total > 0 else 0.0,
                fits=bool(row["fits"]),
                custom=bool(row["custom"]),
            )
        )
    return BarChart(width, len(rows) * row_height + 8, label_width, row_height, bars)

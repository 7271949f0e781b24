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

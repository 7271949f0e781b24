"""The cost engine: exact prices of LLM usage from price periods (DESIGN §3), with no I/O.

Everything here is a plain function of its arguments. Money is `Decimal` end to end, computed in
a private context wide enough that no result is ever rounded (an inexact step raises instead).
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise
from typing import TYPE_CHECKING, Any, Final, TypeVar

from modeldeck import clock
from modeldeck.pricing.errors import (
    CostError,
    InvalidPricing,
    InvalidUsage,
    NoPriceAt,
    UnknownServiceTier,
    Unpriced,
)
from modeldeck.pricing.usage import MAX_TOKENS, USAGE_FORMATS, Counts, Usage, usage_counts

__all__ = [
    "MAX_RATE",
    "MAX_TOKENS",
    "STANDARD",
    "USAGE_FORMATS",
    "CostBreakdown",
    "CostError",
    "CostLine",
    "InvalidPricing",
    "InvalidUsage",
    "NoPriceAt",
    "PriceSheet",
    "Tier",
    "UnknownServiceTier",
    "Unpriced",
    "Usage",
    "Window",
    "cost",
    "day_shares",
    "period_at",
    "sheet_of",
]

PeriodT = TypeVar("PeriodT")
MAX_RATE: Final = Decimal(10_000)
"""Largest price accepted per million tokens (and per request), as DESIGN §2 calls absurd."""
MAX_RATE_PLACES: Final = 30
"""Most decimal places a price may carry; keeps every product well inside the context below."""
STANDARD: Final = "standard"
"""The service tier of a period's own rates; the others (batch, flex, …) are its variants."""
SERVICE_TIER_PATTERN: Final = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
MAX_WINDOWS: Final = 24
MAX_SERVICE_TIERS: Final = 8
_DAY: Final = 24 * 60

# 100 digits hold any count (≤ 10^24 with requests) times any rate (≤ 35 digits) and their sums;
# clamp=1 with Emax = prec - 1 caps exponents at 0, so normalize() never yields "1E+2".
_CTX: Final = decimal.Context(
    prec=100,
    Emax=99,
    Emin=-999_999,
    clamp=1,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow, decimal.Inexact],
)
_mul: Final = _CTX.multiply
_add: Final = _CTX.add
_norm: Final = _CTX.normalize
_ZERO: Final = Decimal(0)


def _reprefixed(error: CostError, old: str, new: str) -> CostError:
    """The same error with its field path moved from under `old` to under `new`."""
    if old == new or not error.field.startswith(old):
        return error
    return type(error)(new + error.field[len(old) :], error.message)


# --- prices ---------------------------------------------------------------------------------


def _price(value: object, field: str) -> Decimal:
    """A price as an exact, normalised Decimal; floats go through repr, never float maths."""
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, bool):
        raise InvalidPricing(field, f"must be a number, got {value!r}")
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float | str):
        try:
            number = Decimal(repr(float(value)) if isinstance(value, float) else value.strip())
        except decimal.InvalidOperation:
            raise InvalidPricing(field, f"must be a number, got {value!r}") from None
    else:
        raise InvalidPricing(field, f"must be a number, got {value!r}")
    if not number.is_finite():
        raise InvalidPricing(field, f"must be finite, got {value!r}")
    if number < 0:
        raise InvalidPricing(field, f"must not be negative, got {value!r}")
    if number > MAX_RATE:
        raise InvalidPricing(field, f"must be at most {MAX_RATE:,}, got {value!r}")
    try:
        number = _norm(number)
    except decimal.Inexact:
        raise InvalidPricing(field, f"has too many digits: {value!r}") from None
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_RATE_PLACES:
        raise InvalidPricing(field, f"has more than {MAX_RATE_PLACES} decimal places")
    return _ZERO if number.is_zero() else number


def _optional_price(value: object, field: str) -> Decimal | None:
    return None if value is None else _price(value, field)


def _instant(value: object, field: str, error: type[CostError] = CostError) -> datetime:
    """An aware UTC datetime from a datetime (naive means UTC), a date or an ISO 8601 string."""
    if type(value) is datetime and value.tzinfo is UTC:
        return value
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise error(field, f"must be an ISO 8601 date-time, got {value!r}") from None
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if not isinstance(value, datetime):
        raise error(field, f"must be a date-time, got {value!r}")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _iso(instant: datetime | None) -> str | None:
    return None if instant is None else instant.isoformat().replace("+00:00", "Z")


def _fields_of(source: object, field: str, error: type[CostError]) -> Callable[[str], Any]:
    """A key reader for a mapping, a pydantic model or a plain object."""
    if isinstance(source, Mapping):
        return source.get
    if source is None or isinstance(source, str | bytes | int | float | Sequence):
        raise error(field, f"expected a mapping, got {source!r}")
    dump = getattr(source, "model_dump", None)
    if callable(dump):
        dumped = dump()
        if isinstance(dumped, Mapping):
            return dumped.get

    def get(key: str) -> Any:
        return getattr(source, key, None)

    return get


_Rates = tuple[Decimal, Decimal, Decimal, Decimal, Decimal, Decimal]


def _rates(
    input_: Decimal,
    cached: Decimal | None,
    write: Decimal | None,
    output: Decimal,
    reasoning: Decimal | None,
    write_1h: Decimal | None,
) -> tuple[_Rates, _Rates]:
    """(input, cached, cache write, output, reasoning, 1-hour cache write) rates with the null
    fallbacks applied: per 1M tokens as quoted, and per token as billed."""
    written = input_ if write is None else write
    per_million = (
        input_,
        input_ if cached is None else cached,
        written,
        output,
        output if reasoning is None else reasoning,
        written if write_1h is None else write_1h,
    )
    per_token = tuple(rate.scaleb(-6, _CTX) for rate in per_million)
    return per_million, per_token  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class Tier:
    """Long-context rates: they replace the base rates for a whole request whose input_tokens
    exceed `above_input_tokens`; a null rate keeps the base rate of that field."""

    above_input_tokens: int
    input: Decimal | None
    output: Decimal | None
    cached_input: Decimal | None = None
    cache_write: Decimal | None = None
    reasoning: Decimal | None = None
    cache_write_1h: Decimal | None = None

    def __post_init__(self) -> None:
        threshold = self.above_input_tokens
        if isinstance(threshold, bool) or not isinstance(threshold, int):
            raise InvalidPricing(
                "tier.above_input_tokens", f"must be an integer, got {threshold!r}"
            )
        if not 0 <= threshold <= MAX_TOKENS:
            raise InvalidPricing(
                "tier.above_input_tokens", f"must be between 0 and {MAX_TOKENS:,}, got {threshold}"
            )
        for name in _TIER_RATES:
            object.__setattr__(self, name, _optional_price(getattr(self, name), f"tier.{name}"))

    @classmethod
    def parse(cls, tier: Mapping[str, Any] | object, *, field: str = "tier") -> Tier:
        """A tier from its DESIGN §3 mapping; errors are named under `field`."""
        get = _fields_of(tier, field, InvalidPricing)
        threshold = get("above_input_tokens")
        if threshold is None:
            raise InvalidPricing(f"{field}.above_input_tokens", "is required")
        try:
            return cls(threshold, *(get(name) for name in _TIER_RATES))
        except CostError as error:
            raise _reprefixed(error, "tier", field) from None

    def as_dict(self) -> dict[str, Any]:
        """The DESIGN §3 mapping of this tier."""
        tier: dict[str, Any] = {"above_input_tokens": self.above_input_tokens}
        tier.update((name, getattr(self, name)) for name in _TIER_RATES)
        return tier


_TIER_RATES: Final = (
    "input",
    "output",
    "cached_input",
    "cache_write",
    "reasoning",
    "cache_write_1h",
)


def _minute(value: object, field: str, *, end: bool) -> int:
    """A UTC time of day "HH:MM" as minutes since midnight; an end may be "24:00"."""
    if isinstance(value, str):
        found = re.fullmatch(r"([01][0-9]|2[0-4]):([0-5][0-9])", value.strip())
        if found is not None:
            minute = int(found.group(1)) * 60 + int(found.group(2))
            if minute < _DAY or (end and minute == _DAY):
                return minute
    latest = "24:00" if end else "23:59"
    raise InvalidPricing(field, f'must be a UTC time "HH:MM" from 00:00 to {latest}, got {value!r}')


def _clock_time(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


@dataclass(frozen=True, slots=True)
class Window:
    """Rates for a time of day (UTC), as DeepSeek's off-peak hours: from `start` (inclusive)
    to `end` (exclusive), in minutes since midnight; an `end` before `start` runs past midnight.
    Its `rates` replace the period's for a request made then (they have their own tiers)."""

    start: int
    end: int
    rates: PriceSheet
    name: str | None = None

    def spans(self) -> tuple[tuple[int, int], ...]:
        """The minutes of the day it covers, as one or two [start, end) spans."""
        if self.start < self.end:
            return ((self.start, self.end),)
        return tuple(span for span in ((self.start, _DAY), (0, self.end)) if span[0] < span[1])

    @classmethod
    def parse(cls, window: Mapping[str, Any] | object, *, field: str, currency: str) -> Window:
        get = _fields_of(window, field, InvalidPricing)
        start = _minute(get("start"), f"{field}.start", end=False)
        end = _minute(get("end"), f"{field}.end", end=True)
        if start == end % _DAY:
            raise InvalidPricing(f"{field}.end", "must differ from start (a window of no time)")
        name = get("name")
        if name is not None and (not isinstance(name, str) or not 0 < len(name) <= 64):
            raise InvalidPricing(f"{field}.name", f"must be a short text, got {name!r}")
        rates = PriceSheet.parse(window, field=field, currency=currency, nested="window")
        return cls(start, end, rates, name)

    def as_dict(self, *, rates: bool = True) -> dict[str, Any]:
        """The DESIGN §3 mapping: start, end, name and (unless `rates` is false) its rates."""
        shown: dict[str, Any] = {
            "start": _clock_time(self.start),
            "end": _clock_time(self.end),
            "name": self.name,
        }
        if rates:
            shown.update(self.rates.rates_dict())
        return shown


class _Plan:
    """What `cost` needs of a price sheet, worked out once when the sheet is made."""

    __slots__ = ("base", "per_request", "spans", "thresholds", "tiers", "variants", "varied")

    def __init__(self, sheet: PriceSheet) -> None:
        self.base = _rates(
            sheet.input,
            sheet.cached_input,
            sheet.cache_write,
            sheet.output,
            sheet.reasoning,
            sheet.cache_write_1h,
        )
        self.per_request = sheet.per_request
        self.thresholds = tuple(tier.above_input_tokens for tier in sheet.tiers)
        self.tiers = tuple((tier, *self._tier_rates(sheet, tier)) for tier in sheet.tiers)
        self.variants = dict(sheet.service_tiers)
        self.varied = bool(sheet.windows or sheet.service_tiers)
        # Each window's spans in seconds of the UTC day, for `window_at`.
        self.spans = tuple(
            (a * 60, b * 60, window) for window in sheet.windows for a, b in window.spans()
        )

    @staticmethod
    def _tier_rates(sheet: PriceSheet, tier: Tier) -> tuple[_Rates, _Rates]:
        # A tier overlays the base sheet field by field, then the null fallbacks apply: a tier
        # with neither its own nor a base cached price bills cache reads at the tier's input.
        def pick(tier_rate: Decimal | None, base_rate: Decimal | None) -> Decimal | None:
            return base_rate if tier_rate is None else tier_rate

        return _rates(
            sheet.input if tier.input is None else tier.input,
            pick(tier.cached_input, sheet.cached_input),
            pick(tier.cache_write, sheet.cache_write),
            sheet.output if tier.output is None else tier.output,
            pick(tier.reasoning, sheet.reasoning),
            pick(tier.cache_write_1h, sheet.cache_write_1h),
        )


class _Planned:
    """Holds a price sheet's precomputed plan outside its dataclass fields (not compared)."""

    __slots__ = ("_plan",)
    _plan: _Plan


_SHEET_RATES: Final = (
    "input",
    "output",
    "cached_input",
    "cache_write",
    "cache_write_1h",
    "reasoning",
    "per_request",
)
_UNITS: Final = frozenset(("per_1m_tokens",))


@dataclass(frozen=True, slots=True)
class PriceSheet(_Planned):
    """One price period (DESIGN §3): rates per 1M tokens in `currency`, `per_request` a flat fee."""

    input: Decimal
    output: Decimal
    cached_input: Decimal | None = None
    cache_write: Decimal | None = None
    reasoning: Decimal | None = None
    per_request: Decimal | None = None
    tiers: tuple[Tier, ...] = ()
    cache_write_1h: Decimal | None = None
    currency: str = "USD"
    unit: str = "per_1m_tokens"
    effective_from: datetime | None = None
    source: str | None = None
    windows: tuple[Window, ...] = ()
    service_tiers: tuple[tuple[str, PriceSheet], ...] = ()

    def __post_init__(self) -> None:
        for name in _SHEET_RATES:
            value = getattr(self, name)
            if value is None and name in ("input", "output"):
                raise InvalidPricing(f"pricing.{name}", "is required")
            object.__setattr__(self, name, _optional_price(value, f"pricing.{name}"))
        tiers = self.tiers
        if not isinstance(tiers, tuple | list) or not all(isinstance(t, Tier) for t in tiers):
            raise InvalidPricing("pricing.tiers", "must be a sequence of Tier")
        tiers = tuple(sorted(tiers, key=lambda tier: tier.above_input_tokens))
        for low, high in pairwise(tiers):
            if low.above_input_tokens == high.above_input_tokens:
                raise InvalidPricing(
                    "pricing.tiers", f"two tiers start above {low.above_input_tokens} tokens"
                )
        object.__setattr__(self, "tiers", tiers)
        if not isinstance(self.currency, str) or not self.currency.strip():
            raise InvalidPricing(
                "pricing.currency", f"must be a currency code, got {self.currency!r}"
            )
        object.__setattr__(self, "currency", self.currency.strip().upper())
        if self.unit not in _UNITS:
            raise InvalidPricing(
                "pricing.unit", f"must be one of {', '.join(sorted(_UNITS))}, got {self.unit!r}"
            )
        if self.effective_from is not None:
            instant = _instant(self.effective_from, "pricing.effective_from", InvalidPricing)
            object.__setattr__(self, "effective_from", instant)
        if self.source is not None and not isinstance(self.source, str):
            raise InvalidPricing("pricing.source", f"must be a string, got {self.source!r}")
        object.__setattr__(self, "windows", _checked_windows(self.windows))
        object.__setattr__(self, "service_tiers", _checked_service_tiers(self.service_tiers))
        object.__setattr__(self, "_plan", _Plan(self))

    @classmethod
    def parse(
        cls,
        pricing: Mapping[str, Any] | object,
        *,
        field: str = "pricing",
        currency: str | None = None,
        nested: str | None = None,
    ) -> PriceSheet:
        """A price period from its DESIGN §3 mapping (or an object with those attributes).

        Prices may be Decimal, int, str or float (read through repr); `effective_from` a
        datetime or an ISO 8601 string. Keys not in §3 are ignored; errors are named under
        `field` (e.g. "price_history.2.input"). `nested` ("window" or "service_tier") reads
        the rates of a window or a service tier, which take the period's `currency`.
        """
        if isinstance(pricing, cls):
            return pricing
        get = _fields_of(pricing, field, InvalidPricing)
        raw_tiers = get("tiers")
        if raw_tiers is None:
            raw_tiers = ()
        elif isinstance(raw_tiers, str | bytes | Mapping) or not isinstance(raw_tiers, Sequence):
            raise InvalidPricing(f"{field}.tiers", "must be a list of tiers")
        tiers = tuple(
            tier if isinstance(tier, Tier) else Tier.parse(tier, field=f"{field}.tiers.{n}")
            for n, tier in enumerate(raw_tiers)
        )
        if currency is None:
            currency = get("currency")
        unit = get("unit")
        code = "USD" if currency is None else currency
        if isinstance(code, str):
            code = code.strip().upper()
        windows = _parse_windows(get("windows"), f"{field}.windows", code, nested)
        service_tiers = _parse_service_tiers(
            get("service_tiers"), f"{field}.service_tiers", code, nested
        )
        try:
            return cls(
                input=get("input"),
                output=get("output"),
                cached_input=get("cached_input"),
                cache_write=get("cache_write"),
                cache_write_1h=get("cache_write_1h"),
                reasoning=get("reasoning"),
                per_request=get("per_request"),
                tiers=tiers,
                currency=code,
                unit="per_1m_tokens" if unit is None else unit,
                effective_from=None if nested else get("effective_from"),
                source=None if nested else get("source"),
                windows=windows,
                service_tiers=service_tiers,
            )
        except CostError as error:
            raise _reprefixed(error, "pricing", field) from None

    def rates_dict(self) -> dict[str, Any]:
        """What the rates are (for a window or a service tier: all there is to it)."""
        rates: dict[str, Any] = {
            "input": self.input,
            "cached_input": self.cached_input,
            "cache_write": self.cache_write,
            "cache_write_1h": self.cache_write_1h,
            "output": self.output,
            "reasoning": self.reasoning,
            "per_request": self.per_request,
            "tiers": [tier.as_dict() for tier in self.tiers],
        }
        if self.windows:
            rates["windows"] = [window.as_dict() for window in self.windows]
        return rates

    def as_dict(self) -> dict[str, Any]:
        """The DESIGN §3 mapping: Decimals kept, `effective_from` as ISO 8601 with Z."""
        return {
            "currency": self.currency,
            "unit": self.unit,
            **self.rates_dict(),
            "windows": [window.as_dict() for window in self.windows],
            "service_tiers": {name: rates.rates_dict() for name, rates in self.service_tiers},
            "effective_from": _iso(self.effective_from),
            "source": self.source,
        }

    def service_tier(self, name: str | None) -> PriceSheet:
        """The rates of a service tier: this sheet's own for `standard` (or None)."""
        if name is None or name == STANDARD:
            return self
        try:
            plan = self._plan
        except AttributeError:
            plan = _Plan(self)
            object.__setattr__(self, "_plan", plan)
        rates = plan.variants.get(name)
        if rates is None:
            offered = ", ".join((STANDARD, *plan.variants))
            raise UnknownServiceTier(
                "service_tier", f"{name!r} is not offered at these prices (offered: {offered})"
            )
        return rates

    def window_at(self, instant: datetime) -> Window | None:
        """The time-of-day window `instant` falls in (None: the sheet's own rates apply)."""
        if not self.windows:
            return None
        # Windows start and end on whole minutes: the fraction of a second never matters.
        second = instant.hour * 3600 + instant.minute * 60 + instant.second
        try:
            spans = self._plan.spans
        except AttributeError:
            spans = _Plan(self).spans
        for low, high, window in spans:
            if low <= second < high:
                return window
        return None


def _parse_windows(
    raw: object, field: str, currency: object, nested: str | None
) -> tuple[Window, ...]:
    if raw is None or (isinstance(raw, list | tuple) and not raw):
        return ()
    if nested == "window":
        raise InvalidPricing(field, "a window cannot hold windows of its own")
    if isinstance(raw, str | bytes | Mapping) or not isinstance(raw, Sequence):
        raise InvalidPricing(field, "must be a list of time-of-day windows")
    code = currency if isinstance(currency, str) else "USD"
    return tuple(
        window
        if isinstance(window, Window)
        else Window.parse(window, field=f"{field}.{n}", currency=code)
        for n, window in enumerate(raw)
    )


def _parse_service_tiers(
    raw: object, field: str, currency: object, nested: str | None
) -> tuple[tuple[str, PriceSheet], ...]:
    if raw is None or (isinstance(raw, Mapping) and not raw):
        return ()
    if nested is not None:
        raise InvalidPricing(field, f"a {nested.replace('_', ' ')} cannot hold service tiers")
    if not isinstance(raw, Mapping):
        raise InvalidPricing(field, "must map each service tier's name to its rates")
    code = currency if isinstance(currency, str) else "USD"
    return tuple(
        (
            name,
            rates
            if isinstance(rates, PriceSheet)
            else PriceSheet.parse(
                rates, field=f"{field}.{name}", currency=code, nested="service_tier"
            ),
        )
        for name, rates in raw.items()
    )


def _checked_windows(windows: object) -> tuple[Window, ...]:
    """Windows in order of their start, refused when two hold the same minute."""
    if not isinstance(windows, tuple | list) or not all(isinstance(w, Window) for w in windows):
        raise InvalidPricing("pricing.windows", "must be a sequence of Window")
    if len(windows) > MAX_WINDOWS:
        raise InvalidPricing("pricing.windows", f"must hold at most {MAX_WINDOWS} windows")
    spans = sorted((span, n) for n, window in enumerate(windows) for span in window.spans())
    for (low, n), (high, m) in pairwise(spans):
        if high[0] < low[1]:
            first, second = windows[min(n, m)], windows[max(n, m)]
            raise InvalidPricing(
                f"pricing.windows.{max(n, m)}",
                f"{_clock_time(second.start)}-{_clock_time(second.end)} overlaps "
                f"{_clock_time(first.start)}-{_clock_time(first.end)}",
            )
    return tuple(sorted(windows, key=lambda window: window.start))


def _checked_service_tiers(tiers: object) -> tuple[tuple[str, PriceSheet], ...]:
    if isinstance(tiers, Mapping):
        tiers = tuple(tiers.items())
    if not isinstance(tiers, tuple | list):
        raise InvalidPricing("pricing.service_tiers", "must map names to PriceSheets")
    if len(tiers) > MAX_SERVICE_TIERS:
        raise InvalidPricing(
            "pricing.service_tiers", f"must hold at most {MAX_SERVICE_TIERS} service tiers"
        )
    seen: set[str] = set()
    for name, rates in tiers:
        field = f"pricing.service_tiers.{name}"
        if not isinstance(name, str) or not SERVICE_TIER_PATTERN.match(name):
            raise InvalidPricing(
                "pricing.service_tiers",
                f"a service tier's name is lowercase letters, digits and _, got {name!r}",
            )
        if name == STANDARD:
            raise InvalidPricing(field, "standard is the period's own rates, not a variant")
        if name in seen:
            raise InvalidPricing(field, "is given twice")
        if not isinstance(rates, PriceSheet) or rates.service_tiers:
            raise InvalidPricing(field, "must be the rates of one service tier")
        seen.add(name)
    return tuple(sorted(((name, rates) for name, rates in tiers), key=lambda item: item[0]))


def day_shares(
    sheet: PriceSheet, mix: Sequence[tuple[int, int, Fraction]] | None = None
) -> list[tuple[Window | None, Fraction]]:
    """How a day's requests fall into the sheet's windows (None: its own rates), by share.

    `mix`: (start, end, weight) spans of the UTC day in minutes (an end before the start runs
    past midnight), requests spread evenly within each; None: spread evenly over the day. The
    shares are exact fractions that add up to 1; windows no request falls in are left out.
    """
    if mix is None:
        mix = ((0, _DAY, Fraction(1)),)
    pieces: list[tuple[int, int, Fraction]] = []  # (start, end, weight per minute)
    for start, end, weight in mix:
        parts = [(start, end)] if start < end else [(start, _DAY), (0, end)]
        minutes = sum(b - a for a, b in parts)
        if minutes and weight:
            pieces.extend((a, b, Fraction(weight) / minutes) for a, b in parts if a < b)
    whole = sum(((b - a) * per for a, b, per in pieces), Fraction(0))
    if not whole:
        raise InvalidUsage("daily_mix", "must put some share of the requests in some hour")
    found: dict[int, Fraction] = {}
    for n, window in enumerate((None, *sheet.windows)):
        spans = ((0, _DAY),) if window is None else window.spans()
        share = Fraction(0)
        for a, b, per in pieces:
            for c, d in spans:
                overlap = min(b, d) - max(a, c)
                if overlap > 0:
                    share += overlap * per
        found[n] = share
    in_windows = sum((found[n] for n in range(1, len(sheet.windows) + 1)), Fraction(0))
    found[0] -= in_windows  # the day, less what the windows hold: the sheet's own rates
    return [
        (None if n == 0 else sheet.windows[n - 1], share / whole)
        for n, share in found.items()
        if share
    ]


def period_at(periods: Iterable[PeriodT], at: datetime | str) -> PeriodT | None:
    """The one rule of which price period is in effect at `at` (DESIGN §3); None before any.

    The period with the greatest `effective_from` ≤ `at`. `periods` may be PriceSheets,
    stored rows or public mappings, in any order; a period without `effective_from` has
    always been in effect; on equal starts the later one in `periods` wins. Naive datetimes
    and ISO 8601 strings are taken as UTC.
    """
    instant = _instant(at, "at")
    best: PeriodT | None = None
    best_from: datetime | None = None
    for period in periods:
        item: Any = period
        start = (
            item.effective_from
            if type(item) is PriceSheet
            else item.get("effective_from")
            if isinstance(item, Mapping)
            else item.effective_from
        )
        if start is None:
            if best_from is None:
                best = period
            continue
        if type(start) is not datetime or start.tzinfo is None:
            start = _instant(start, "effective_from")
        if start <= instant and (best_from is None or start >= best_from):
            best, best_from = period, start
    return best


def _in_effect(periods: Sequence[PriceSheet], at: datetime | str) -> PriceSheet:
    """`period_at`, as an error a caller can act on when nothing is in effect."""
    if not periods:
        raise Unpriced("pricing", "there are no price periods")
    best = period_at(periods, at)
    if best is None:
        first = min(p.effective_from for p in periods if p.effective_from is not None)
        raise NoPriceAt(
            "at",
            f"no price period in effect at {_iso(_instant(at, 'at'))}; "
            f"the first starts {_iso(first)}",
        )
    return best


# --- resolving what to price ----------------------------------------------------------------

# Parsed mappings by id: (the mapping, kept alive so the id stays its own; a copy, to notice
# edits made in place; the result). Bounded: cleared when full and refilled by later calls.
_PARSED: dict[int, tuple[Any, Any, Any]] = {}
_PARSED_MAX: Final = 16_384  # a registry of thousands of priced models stays parsed
_MISSING: Final = object()


def _snapshot(value: object) -> object:
    """A copy of the dicts and lists in `value`, deep enough to notice any later edit."""
    if isinstance(value, Mapping):
        return {key: _snapshot(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_snapshot(item) for item in value)
    return value


def _remember(source: object, result: Any) -> None:
    if len(_PARSED) >= _PARSED_MAX:
        _PARSED.clear()
    _PARSED[id(source)] = (source, _snapshot(source), result)


def _sheet(pricing: object, field: str) -> PriceSheet:
    """A PriceSheet from a sheet, a pricing mapping (parsed once while unchanged) or object."""
    if type(pricing) is PriceSheet:
        return pricing
    if type(pricing) is dict or isinstance(pricing, Mapping):
        entry = _PARSED.get(id(pricing))
        if entry is not None and entry[0] is pricing and entry[1] == pricing:
            sheet: PriceSheet = entry[2]
            return sheet
        sheet = PriceSheet.parse(pricing, field=field)
        _remember(pricing, sheet)
        return sheet
    return PriceSheet.parse(pricing, field=field)


def sheet_of(pricing: object) -> PriceSheet:
    """A PriceSheet from a sheet or a pricing mapping (parsed once while it is unchanged)."""
    return _sheet(pricing, "pricing")


def _history(history: object) -> tuple[PriceSheet, ...]:
    """The periods of a price_history list, each required to have `effective_from`."""
    if type(history) is not list and (
        isinstance(history, str | bytes | Mapping) or not isinstance(history, Sequence)
    ):
        raise InvalidPricing("price_history", "must be a list of price periods")
    entry = _PARSED.get(id(history))
    if entry is not None and entry[0] is history and entry[1] == history:
        cached: tuple[PriceSheet, ...] = entry[2]
        return cached
    periods = tuple(_sheet(period, f"price_history.{n}") for n, period in enumerate(history))
    for n, period in enumerate(periods):
        if period.effective_from is None:
            raise InvalidPricing(f"price_history.{n}.effective_from", "is required")
    _remember(history, periods)
    return periods


def _resolve(target: object, at: datetime | str | None) -> PriceSheet:
    """The price period that prices `target`: its current one, or the one in effect `at`."""
    if type(target) is PriceSheet:
        return target if at is None else _in_effect((target,), at)
    if type(target) is dict or isinstance(target, Mapping):
        pricing = target.get("pricing", _MISSING)
        if pricing is _MISSING and "price_history" not in target and "name" not in target:
            sheet = _sheet(target, "pricing")  # a pricing mapping, not a model record
            return sheet if at is None else _in_effect((sheet,), at)
        if at is None and pricing is not None and pricing is not _MISSING:
            return _sheet(pricing, "pricing")
        history, name = target.get("price_history"), target.get("name")
    elif isinstance(target, PriceSheet):
        return target if at is None else _in_effect((target,), at)
    elif target is None:
        raise Unpriced("pricing", "there is no pricing")
    elif hasattr(target, "pricing"):
        pricing = target.pricing
        history = getattr(target, "price_history", None)
        name = getattr(target, "name", None)
    else:
        raise TypeError(
            "cost() prices a PriceSheet, a pricing mapping, a model record or an object with "
            f".pricing, not {type(target).__name__}"
        )
    if pricing is _MISSING:
        pricing = None
    if at is None:
        if pricing is None:
            raise Unpriced("pricing", _unpriced(name))
        return _sheet(pricing, "pricing")
    periods = list(_history(history)) if history else []
    if pricing is not None:
        current = _sheet(pricing, "pricing")
        if current.effective_from is not None or not periods:
            periods.append(current)
    if not periods:
        raise Unpriced("pricing", _unpriced(name))
    return _in_effect(periods, at)


def _unpriced(name: object) -> str:
    return "there is no pricing" if name is None else f"model {name!r} has no pricing"


# --- the cost -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CostLine:
    """One component of a cost: amount = tokens * rate / 1M (per_request: requests * fee)."""

    component: str
    tokens: int
    rate: Decimal
    amount: Decimal

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, Decimals kept."""
        return {
            "component": self.component,
            "tokens": self.tokens,
            "rate": self.rate,
            "amount": self.amount,
        }


class _PendingLines:
    """Holds what a breakdown's `lines` are made from until they are first read."""

    __slots__ = ("_line_inputs",)
    _line_inputs: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class CostBreakdown(_PendingLines):
    """The exact cost of some usage and how it adds up.

    `cost()` leaves `lines` to be built on first access (most callers only want `total`);
    to every reader, including ==, repr, hash and pickle, it is an ordinary field.
    """

    total: Decimal
    currency: str
    requests: int
    lines: tuple[CostLine, ...]
    tier: Tier | None
    price_sheet: PriceSheet
    service_tier: str = STANDARD
    window: Window | None = None

    if not TYPE_CHECKING:  # hidden from mypy so that typos stay errors

        def __getattr__(self, name: str) -> Any:
            # Python calls this only for an unset slot: the lines of a breakdown from cost().
            if name != "lines":
                raise AttributeError(name)
            lines = _lines(*self._line_inputs)
            object.__setattr__(self, "lines", lines)
            return lines

    def applied_rates(self) -> PriceSheet:
        """The rates that priced it: its service tier's, or its window's when it fell in one."""
        if self.window is not None:
            return self.window.rates
        return self.price_sheet.service_tier(self.service_tier)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, Decimals kept as Decimal (the API encodes them exactly)."""
        return {
            "total": self.total,
            "currency": self.currency,
            "requests": self.requests,
            "lines": [line.as_dict() for line in self.lines],
            "tier": None if self.tier is None else self.tier.as_dict(),
            "service_tier": self.service_tier,
            "window": None if self.window is None else self.window.as_dict(rates=False),
            "price_sheet": self.price_sheet.as_dict(),
        }


def _lines(
    counts: Counts, requests: int, per_million: _Rates, per_token: _Rates, fee: Decimal | None
) -> tuple[CostLine, ...]:
    """The lines of a breakdown: input and output always, the others when a request has some."""
    i, c, w, o, r, h = counts
    lines = []
    tokens_of = (i - c - w, c, w - h, o - r, r, h)
    for k in _LINE_ORDER:
        per_request = tokens_of[k]
        if per_request or k in (0, 3):
            tokens = per_request * requests
            amount = _norm(_mul(tokens, per_token[k]))
            lines.append(CostLine(_COMPONENTS[k], tokens, per_million[k], amount))
    if fee is not None:
        lines.append(CostLine("per_request", requests, fee, _norm(_mul(requests, fee))))
    return tuple(lines)


_COMPONENTS: Final = (
    "input",
    "cached_input",
    "cache_write",
    "output",
    "reasoning",
    "cache_write_1h",
)
_LINE_ORDER: Final = (0, 1, 2, 5, 3, 4)  # input, cached, cache writes (5 min, 1 h), output, …

# A frozen dataclass's __init__ sets each field through object.__setattr__, which doubles the
# time of cost(); it builds its breakdown by setting the slots directly instead.
_new: Final = object.__new__
_set_total, _set_currency, _set_requests, _set_tier, _set_sheet, _set_service, _set_window = (
    vars(CostBreakdown)[name].__set__
    for name in ("total", "currency", "requests", "tier", "price_sheet", "service_tier", "window")
)
_set_line_inputs: Final = vars(_PendingLines)["_line_inputs"].__set__


def cost(
    target: object,
    usage: Usage | Mapping[str, Any] | object,
    *,
    requests: int = 1,
    at: datetime | str | None = None,
    usage_format: str | None = None,
    service_tier: str | None = None,
) -> CostBreakdown:
    """The exact cost of `requests` requests with `usage` each, priced by `target`.

    `target`: a PriceSheet, a pricing mapping, a model record mapping (DESIGN §2, with
    "pricing" and optionally "price_history") or an object with `.pricing` (and optionally
    `.price_history`). `usage`: a Usage or anything `Usage.parse` takes (any provider's usage,
    or an SDK response with its `.usage`), in `usage_format` when given (see `pricing.usage`).
    `at`: price with the period in effect then (greatest `effective_from` <= `at`) instead of
    the current one; its time of day (else now's) picks a time-of-day window.
    `service_tier`: the period's rates for that tier (`batch`, `flex`, …); standard when None.

    The rates compose in one order everywhere: the service tier's rates, then the window of
    the time of day among them, then the long-context tier among those.
    """
    sheet = target if type(target) is PriceSheet and at is None else _resolve(target, at)
    if type(usage) is Usage and usage_format is None:
        counts = (
            usage.input_tokens,
            usage.cached_input_tokens,
            usage.cache_write_tokens,
            usage.output_tokens,
            usage.reasoning_tokens,
            usage.cache_write_1h_tokens,
        )
    else:
        counts = usage_counts(usage, usage_format)
    if type(requests) is not int or not 0 <= requests <= MAX_TOKENS:
        requests = _requests(requests)
    try:
        plan = sheet._plan
    except AttributeError:  # a sheet restored by pickle or copy: the plan is not a field
        plan = _Plan(sheet)
        object.__setattr__(sheet, "_plan", plan)

    service = STANDARD
    window = None
    if plan.varied or service_tier is not None:
        rates = sheet.service_tier(service_tier)
        if service_tier is not None:
            service = service_tier
        if rates.windows:
            window = rates.window_at(clock.now() if at is None else _instant(at, "at"))
            if window is not None:
                rates = window.rates
        plan = rates._plan

    i, c, w, o, r, h = counts
    tier = None
    per_million, per_token = plan.base
    thresholds = plan.thresholds
    if thresholds and i > thresholds[0]:
        k = len(thresholds) - 1
        while i <= thresholds[k]:
            k -= 1
        tier, per_million, per_token = plan.tiers[k]

    total = _add(_mul(i - c - w, per_token[0]), _mul(o - r, per_token[3]))
    if c:
        total = _add(total, _mul(c, per_token[1]))
    if w:
        total = _add(total, _mul(w - h, per_token[2]))
        if h:
            total = _add(total, _mul(h, per_token[5]))
    if r:
        total = _add(total, _mul(r, per_token[4]))
    fee = plan.per_request
    if fee is not None:
        total = _add(total, fee)
    if requests != 1:
        total = _mul(total, requests)

    breakdown: CostBreakdown = _new(CostBreakdown)
    _set_total(breakdown, _norm(total))
    _set_currency(breakdown, sheet.currency)
    _set_requests(breakdown, requests)
    _set_tier(breakdown, tier)
    _set_sheet(breakdown, sheet)
    _set_service(breakdown, service)
    _set_window(breakdown, window)
    _set_line_inputs(breakdown, (counts, requests, per_million, per_token, fee))
    return breakdown


def _requests(requests: object) -> int:
    if isinstance(requests, bool) or not isinstance(requests, int):
        raise InvalidUsage("requests", f"must be a whole number, got {requests!r}")
    if not 0 <= requests <= MAX_TOKENS:
        raise InvalidUsage("requests", f"must be between 0 and {MAX_TOKENS:,}, got {requests}")
    return int(requests)

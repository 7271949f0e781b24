"""What every importer makes: records, skips, errors, and the exact conversions they share.

Units: LiteLLM and OpenRouter price per token (floats; strings), models.dev per 1M tokens
(floats); we store USD per 1M tokens as exact Decimals: a float is read by its shortest repr
(`Decimal(repr(f))`), so 2.5e-06 per token is exactly 2.5 per 1M. Digits beyond the 12
decimal places we store are float noise of the source (0.049999999999999996) and are rounded.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from pydantic import TypeAdapter

from modeldeck import serialization
from modeldeck.models.schemas import (
    ENV_VAR_PATTERN,
    TAG_PATTERN,
    ModelWrite,
    PricingWrite,
    UTCMoment,
    strip_unsafe,
)

PER_MILLION = Decimal(1_000_000)
STORED_PLACES = Decimal("1e-12")  # ExactDecimal keeps 12 decimal places
MAX_REPORTED_ERRORS = 20
MOMENT: TypeAdapter[datetime] = TypeAdapter(UTCMoment)

# Why a record is not imported: a stable code for scripts and tests, and a sentence for people.
SKIP_DOCUMENTATION = "documentation"
SKIP_NOT_CHAT = "not_chat"
SKIP_NO_CONTEXT = "no_context_window"
SKIP_NO_TEXT_OUTPUT = "no_text_output"
SKIP_EMBEDDING = "embedding"
SKIP_BAD_NAME = "bad_name"
SKIP_DUPLICATE = "duplicate_name"


@dataclass(frozen=True, slots=True)
class Skip:
    code: str
    reason: str


@dataclass(frozen=True, slots=True)
class RecordError:
    """One malformed value: where it is in the file, which field, and what is wrong."""

    position: str
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.position}: {self.field}" if self.field else self.position
        return f"{where}: {self.message}" if where else self.message


class ImportFormatError(ValueError):
    """A file that cannot be imported: unreadable, the wrong shape, or malformed records."""

    def __init__(self, source: str, errors: Sequence[RecordError]) -> None:
        self.source = source
        self.errors = list(errors)
        shown = [f"{source}: {error}" for error in self.errors[:MAX_REPORTED_ERRORS]]
        if len(self.errors) > 1:
            more = len(self.errors) - len(shown)
            head = f"{source}: {len(self.errors)} malformed records; nothing was imported"
            shown = [head, *(f"  {line}" for line in shown)]
            if more:
                shown.append(f"  … and {more} more")
        super().__init__("\n".join(shown))


@dataclass(frozen=True, slots=True)
class PricePeriodImport:
    """One period of a model's price history (our own format): `pricing` None = unpriced."""

    effective_from: datetime
    pricing: PricingWrite | None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class ImportRecord:
    """One record of a file: a validated model to import, or a skip with its reason.

    `fields` are the ModelWrite fields the source sets: an existing model keeps the others
    (an admin's deployment, limits, …) when the record is imported again.
    """

    position: str
    name: str
    model: ModelWrite | None = None
    fields: frozenset[str] = frozenset()
    price_history: tuple[PricePeriodImport, ...] | None = None
    source_provider: str | None = None
    renamed_from: str | None = None
    skip: Skip | None = None


class Malformed(Exception):
    """A malformed value inside one record (becomes a RecordError with the position)."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class Converted:
    """What a converter made of one source record, before validation."""

    body: dict[str, Any]
    source_provider: str | None = None
    price_history: tuple[PricePeriodImport, ...] | None = None


# (position, name in the source, conversion of the record), one per record of a file.
Entry = tuple[str, str, Callable[[], "Converted | Skip"]]


def stored(value: Decimal) -> Decimal:
    """A price as we store it: at most 12 decimal places, no trailing zeros."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -12:
        value = value.quantize(STORED_PLACES)
    return serialization.plain_decimal(value)


def number(value: Any, field: str) -> Decimal:
    """A JSON number read exactly: a float by its shortest repr."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise Malformed(field, f"must be a number, got {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise Malformed(field, "must be a finite number")
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if number < 0:
        raise Malformed(field, f"must not be negative, got {value!r}")
    return number


def per_token(record: Mapping[str, Any], field: str) -> Decimal | None:
    """USD per token (a JSON number) as exact USD per 1M tokens."""
    value = record.get(field)
    return None if value is None else stored(number(value, field) * PER_MILLION)


def per_million(record: Mapping[str, Any], field: str, shown: str) -> Decimal | None:
    value = record.get(field)
    return None if value is None else stored(number(value, shown))


def token_count(record: Mapping[str, Any], field: str, shown: str | None = None) -> int | None:
    """A token count: a positive whole number (128000.0 is accepted); 0 means not known."""
    value = record.get(field)
    if value is None:
        return None
    shown = shown or field
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise Malformed(shown, f"must be a whole number of tokens, got {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise Malformed(shown, "must be a finite number")
    if value != int(value) or value < 0:
        raise Malformed(shown, f"must be a positive whole number of tokens, got {value!r}")
    return int(value) or None  # the catalogs write 0 for "not known"


def day(value: Any, field: str) -> date:
    """A day written YYYY-MM-DD, YYYY-MM or YYYY (the 1st of the month or year)."""
    if not isinstance(value, str):
        raise Malformed(field, f"must be a date (YYYY-MM-DD), got {value!r}")
    parts = value.strip().split("-")
    try:
        numbers = [int(part) for part in parts]
        if not 1 <= len(numbers) <= 3:
            raise ValueError
        return date(numbers[0], *[*numbers[1:], 1, 1][:2])
    except ValueError:
        raise Malformed(field, f"must be a date (YYYY-MM-DD), got {value!r}") from None


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def text_value(value: Any, field: str, limit: int, *, multiline: bool = False) -> str:
    """A catalog's text as a model may hold it: invisible and control characters removed."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Malformed(field, f"must be text, got {value!r}")
    value = value.replace("\r\n", "\n")
    if not multiline:
        value = re.sub(r"[\t\n\r\u2028\u2029]+", " ", value)
    return strip_unsafe(value, "\n\t" if multiline else "").strip()[:limit]


def tag(prefix: str, value: str) -> list[str]:
    tag = f"{prefix}:{value}"
    return [tag] if TAG_PATTERN.fullmatch(tag) else []


def env_var(candidates: Any) -> str | None:
    """The variable holding the API key among a provider's variables."""
    if not isinstance(candidates, list):
        return None
    names = [
        name for name in candidates if isinstance(name, str) and ENV_VAR_PATTERN.fullmatch(name)
    ]
    for suffix in ("_API_KEY", "_KEY", "_TOKEN"):
        for name in names:
            if name.endswith(suffix):
                return name
    return None


def mapping(value: Any, field: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise Malformed(field, f"must be an object, got {type(value).__name__}")
    return value


def pricing_body(
    rates: dict[str, Decimal | None],
    tiers: list[dict[str, Any]],
    *,
    source: Any = None,
    effective_from: datetime | None = None,
) -> dict[str, Any] | None:
    """A pricing body when the source has both input and output prices, else None (unpriced)."""
    if rates.get("input") is None or rates.get("output") is None:
        return None
    if rates.get("cache_write") == 0:
        # 0 is how the catalogs say "no cache-write surcharge": those tokens cost the input
        # rate, which is what null means in our price shape (DESIGN §3).
        rates["cache_write"] = None
    if rates.get("reasoning") is not None and rates["reasoning"] == rates["output"]:
        rates["reasoning"] = None  # null already means "billed at output"
    body: dict[str, Any] = {key: value for key, value in rates.items() if value is not None}
    if tiers:
        body["tiers"] = sorted(tiers, key=lambda tier: int(tier["above_input_tokens"]))
    if isinstance(source, str) and source.startswith(("https://", "http://")):
        body["source"] = source[:2048]
    if effective_from is not None:
        body["effective_from"] = effective_from
    return body

"""Validated value types for anything a client writes: exact money, numbers as JSON means them,
text without invisible characters, UTC moments, closed objects (DESIGN §2-§3).

Pure (pydantic only): the model record's schema, the price period's and the cost requests'
all build on these, so each rule is written once and reads the same in every error.
"""

from __future__ import annotations

import math
import sys
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    GetJsonSchemaHandler,
    StrictInt,
    StrictStr,
    WithJsonSchema,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

# Characters that are not what they seem: controls (C0, DEL, C1), format characters (bidi
# overrides and isolates, zero-width spaces and joiners, soft hyphen, BOM…), lone surrogates
# and the line and paragraph separators. Refused in every text a model holds.
UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})

MAX_PRICE = Decimal(10_000)  # per million tokens; anything above is a typo, not a price
MAX_CONTEXT = 100_000_000


def _money(value: Any) -> Any:
    """Exact money from JSON: an integer, a decimal string, or a float read by its shortest repr."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("must be a number, not a boolean")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        return Decimal(repr(value))
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        if "_" in value:
            raise ValueError("must be a number")
        try:
            parsed = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError("must be a number") from None
        return parsed
    if isinstance(value, Decimal):
        return value
    raise ValueError("must be a number")


def _money_range(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("must be a finite number")
    if value < 0:
        raise ValueError("must not be negative")
    if value > MAX_PRICE:
        raise ValueError(f"must be at most {MAX_PRICE} per million tokens")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -12:
        raise ValueError("has more than 12 decimal places")
    return value


# What the document says a price is: the exact-decimal forms `_money` reads, in range.
MONEY_SCHEMA = {
    "anyOf": [
        {"type": "number", "minimum": 0, "maximum": int(MAX_PRICE)},
        # Decimal() reads an exponent of at most 18 digits
        {"type": "string", "pattern": r"^\s*\+?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,18})?\s*$"},
    ],
    "description": 'Per million tokens, exact: a number, or a decimal string such as "2.5"',
}
Money = Annotated[
    Decimal,
    BeforeValidator(_money),
    AfterValidator(_money_range),
    WithJsonSchema(MONEY_SCHEMA, mode="validation"),
]


def _finite_number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError("must be a number")
    try:
        number = float(value)
    except OverflowError:  # an integer with hundreds of digits
        raise ValueError("must be a finite number") from None
    if not math.isfinite(number):
        raise ValueError("must be a finite number")
    return number


Number = Annotated[float, BeforeValidator(_finite_number)]


def whole_number(value: Any) -> Any:
    """18243.0 is the integer 18243 (JSON Schema's `integer`); 18243.5 and "18243" stay refused."""
    if isinstance(value, float | Decimal) and not isinstance(value, bool):
        number = Decimal(repr(value)) if isinstance(value, float) else value
        # Beyond 2**63 the range check would refuse it anyway; int() of 1E+999999 is slow.
        if number.is_finite() and abs(number) < 2**63 and number == number.to_integral_value():
            return int(number)
    return value


# An integer as JSON Schema means it: any number without a fractional part, never a string.
WholeNumber = Annotated[StrictInt, BeforeValidator(whole_number)]


def unsafe_character(text: str, allowed: str = "") -> tuple[int, str] | None:
    """The first control, format or separator character of `text` (position, character)."""
    if text.isprintable():  # the common case, in C: no Cc, Cf, Cs, Zl or Zp at all
        return None
    for position, character in enumerate(text):
        if character not in allowed and unicodedata.category(character) in UNSAFE_CATEGORIES:
            return position, character
    return None


def strip_unsafe(text: str, allowed: str = "") -> str:
    """`text` without its control, format and separator characters (for imported text)."""
    while (found := unsafe_character(text, allowed)) is not None:
        position, character = found
        text = text[:position] + text[position:].replace(character, "")
    return text


def _refuse_unsafe(text: str, allowed: str, what: str) -> str:
    found = unsafe_character(text, allowed)
    if found is not None:
        position, character = found
        label = f"U+{ord(character):04X}"
        name = unicodedata.name(character, "")
        raise ValueError(
            f"must not contain {what} ({label}{' ' + name if name else ''} at position {position})"
        )
    return text


def _plain_text(value: str) -> str:
    """One line of visible text: no control, bidi, zero-width or line-separator characters."""
    return _refuse_unsafe(value, "", "control, bidirectional or invisible characters")


def _multiline_text(value: str) -> str:
    """Like `_plain_text`, but newlines (LF or CRLF) and tabs are allowed."""
    _refuse_unsafe(
        value.replace("\r\n", "\n"),
        "\n\t",
        "control, bidirectional or invisible characters other than newline and tab",
    )
    return value


@cache
def _unsafe_codes() -> tuple[int, ...]:
    """Every code point `unsafe_character` refuses; one scan of Unicode (0.3 s), when needed."""
    # Surrogates (Cs) are not characters of a JSON Schema string; no regex engine takes them.
    categories = UNSAFE_CATEGORIES - {"Cs"}
    return tuple(
        code for code in range(sys.maxunicode + 1) if unicodedata.category(chr(code)) in categories
    )


def _character_class(allowed: str = "") -> str:
    """A regex class of the characters `unsafe_character` refuses, for the JSON Schema."""
    ranges: list[tuple[int, int]] = []
    for code in _unsafe_codes():
        if chr(code) in allowed:
            continue
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1] = (ranges[-1][0], code)
        else:
            ranges.append((code, code))

    # BMP as \uXXXX (ECMA-262 and Python read it alike), the rest as the characters themselves.
    def spelled(code: int) -> str:
        return f"\\u{code:04x}" if code <= 0xFFFF else chr(code)

    return "".join(
        spelled(low) if low == high else f"{spelled(low)}-{spelled(high)}" for low, high in ranges
    )


@dataclass(frozen=True)
class JsonSchemaPattern:
    """Says a validator's rule in the document as a `pattern` (the validator still decides)."""

    pattern: Callable[[], str]

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        schema["pattern"] = self.pattern()
        return schema


# Built when the document is, not on import: the scan of every code point takes 0.3 s.
@cache
def plain_text_pattern() -> str:
    return f"^[^{_character_class()}]*$"


@cache
def multiline_text_pattern() -> str:
    return f"^(?:[^{_character_class(chr(9) + chr(10))}]|\\r\\n)*$"


@cache
def url_pattern() -> str:
    """`DeploymentWrite._url`'s rule, in visible text: http(s)://host, then no whitespace."""
    unsafe = _character_class()
    return f"^https?://[^\\s/?#{unsafe}]+[^\\s{unsafe}]*$"


Text = Annotated[StrictStr, AfterValidator(_plain_text), JsonSchemaPattern(plain_text_pattern)]
MultilineText = Annotated[
    StrictStr, AfterValidator(_multiline_text), JsonSchemaPattern(multiline_text_pattern)
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:59:59-23:00 is in the year 10000 in UTC
        raise ValueError("is out of the supported range of dates") from None


UTCMoment = Annotated[datetime, AfterValidator(_utc)]

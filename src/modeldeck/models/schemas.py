"""What a client may write for a model, and the rules every value must satisfy (DESIGN §2-§3)."""

from __future__ import annotations

import math
import re
import sys
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl, urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    SecretStr,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from modeldeck.api_keys import key_defect
from modeldeck.records.fields import SERVER_FIELDS

PROVIDERS = (
    "openai",
    "azure_openai",
    "openai_compatible",
    "anthropic",
    "google",
    "mistral",
    "other",
)
Provider = Literal[
    "openai", "azure_openai", "openai_compatible", "anthropic", "google", "mistral", "other"
]
Status = Literal["active", "deprecated", "retired"]

NAME_PATTERN = re.compile(r"^[A-Za-z0-9._\-:/@]{1,128}$")
TAG_PATTERN = re.compile(r"^[A-Za-z0-9._\-:/@]{1,64}$")
ENV_VAR_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
CREDENTIAL_PARAMETERS = frozenset(
    {
        "key",
        "api-key",
        "api_key",
        "apikey",
        "token",
        "access_token",
        "secret",
        "password",
        "sig",
        "signature",
        "code",
        "auth",
    }
)
# Characters that are not what they seem: controls (C0, DEL, C1), format characters (bidi
# overrides and isolates, zero-width spaces and joiners, soft hyphen, BOM…), lone surrogates
# and the line and paragraph separators. Refused in every text a model holds.
UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
# The last segment of `/api/models/{ref}/<word>`: a name ending in "/<word>" would be read as
# that sub-route of another model (a test checks this against the app's routes).
SUB_ROUTE_WORDS = ("clone", "default", "history", "prices", "test")

MAX_PRICE = Decimal(10_000)  # per million tokens; anything above is a typo, not a price
MAX_CONTEXT = 100_000_000
MAX_PARAMETERS_B = 1_000_000.0


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


class Capabilities(Strict):
    streaming: StrictBool = True
    temperature: StrictBool = True
    tools: StrictBool = False
    vision: StrictBool = False
    json_mode: StrictBool = False
    reasoning: StrictBool = False


class Limits(Strict):
    base_timeout_s: Annotated[Number, Field(gt=0, le=86_400)] = 120.0
    max_timeout_s: Annotated[Number, Field(gt=0, le=86_400)] = 300.0
    timeout_per_token_s: Annotated[Number, Field(ge=0, le=60)] = 0.05
    max_retries: Annotated[WholeNumber, Field(ge=0, le=20)] = 3

    @field_validator("max_timeout_s")
    @classmethod
    def _ordered(cls, value: float, info: ValidationInfo) -> float:
        base = info.data.get("base_timeout_s")
        if base is not None and value < base:
            raise ValueError("must be at least base_timeout_s")
        return value


class TokenWeights(Strict):
    input: Annotated[Number, Field(gt=0, le=1000)] = 1.0
    cached_input: Annotated[Number, Field(gt=0, le=1000)] = 1.0
    output: Annotated[Number, Field(gt=0, le=1000)] = 1.0
    reasoning: Annotated[Number, Field(gt=0, le=1000)] = 1.0


class DeploymentWrite(Strict):
    endpoint: Annotated[Text, Field(max_length=2048), JsonSchemaPattern(url_pattern)] | None = None
    api_version: Annotated[Text, Field(min_length=1, max_length=64)] | None = None
    deployment: Annotated[Text, Field(min_length=1, max_length=256)] | None = None
    api_key_env: (
        Annotated[
            StrictStr, Field(max_length=128), JsonSchemaPattern(lambda: ENV_VAR_PATTERN.pattern)
        ]
        | None
    ) = None
    # Write-only. Absent: keep the stored key; null: remove it; a string: store it encrypted.
    api_key: (
        Annotated[
            SecretStr,
            Field(min_length=1, max_length=4096),
            JsonSchemaPattern(lambda: "^[\\x21-\\x7e]+$"),  # what `key_defect` accepts
        ]
        | None
    ) = None

    @model_validator(mode="before")
    @classmethod
    def _drop_server_fields(cls, value: Any) -> Any:
        if isinstance(value, dict) and "has_api_key" in value:
            value = {key: item for key, item in value.items() if key != "has_api_key"}
        return value

    @field_validator("endpoint")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not re.fullmatch(r"https?://[^\s/?#]+\S*", value):
            raise ValueError("must be an http:// or https:// URL without spaces")
        # Endpoints are shown and exported; a secret in one would leak. Keys go in api_key(_env).
        parts = urlsplit(value)
        if parts.username is not None or parts.password is not None:
            raise ValueError("must not hold credentials (user:password@); use api_key_env")
        secretish = {name.lower() for name, _ in parse_qsl(parts.query, keep_blank_values=True)}
        if secretish & CREDENTIAL_PARAMETERS:
            raise ValueError("must not hold a key in its query string; use api_key_env")
        return value.rstrip("/")

    @field_validator("api_key")
    @classmethod
    def _sendable_key(cls, value: SecretStr | None) -> SecretStr | None:
        # A pasted newline or space would be stored, then fail (and be quoted) when sent.
        defect = key_defect(value.get_secret_value()) if value is not None else None
        if defect is not None:
            raise ValueError(defect)
        return value

    @field_validator("api_key_env")
    @classmethod
    def _env_name(cls, value: str | None) -> str | None:
        if value is not None and not ENV_VAR_PATTERN.fullmatch(value):
            raise ValueError("must be an environment variable name (letters, digits, _)")
        return value

    def public(self, *, has_api_key: bool) -> dict[str, Any]:
        shown = self.model_dump(exclude={"api_key"})
        shown["has_api_key"] = has_api_key
        return shown


class TierWrite(Strict):
    above_input_tokens: Annotated[WholeNumber, Field(gt=0, le=MAX_CONTEXT)]
    input: Money | None = None
    output: Money | None = None
    cached_input: Money | None = None
    cache_write: Money | None = None
    reasoning: Money | None = None


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


class PricingWrite(Strict):
    """One price period (DESIGN §3); `effective_from` defaults to the moment it is saved."""

    currency: Annotated[StrictStr, Field(pattern=r"^[A-Z]{3}$")] = "USD"
    unit: Literal["per_1m_tokens"] = "per_1m_tokens"
    input: Money
    output: Money
    cached_input: Money | None = None
    cache_write: Money | None = None
    reasoning: Money | None = None
    per_request: Money | None = None
    tiers: Annotated[list[TierWrite], Field(max_length=16)] = []
    effective_from: UTCMoment | None = None
    source: Annotated[Text, Field(max_length=2048)] | None = None

    @field_validator("tiers")
    @classmethod
    def _distinct_thresholds(cls, tiers: list[TierWrite]) -> list[TierWrite]:
        thresholds = [tier.above_input_tokens for tier in tiers]
        if len(set(thresholds)) != len(thresholds):
            raise ValueError("two tiers share one above_input_tokens threshold")
        return sorted(tiers, key=lambda tier: tier.above_input_tokens)

    def rates(self) -> dict[str, Any]:
        """What a price is, without when it started or where it was read."""
        return self.model_dump(exclude={"effective_from", "source"})


def _unique_tags(tags: list[str]) -> list[str]:
    for tag in tags:
        if not TAG_PATTERN.fullmatch(tag):
            raise ValueError(f"tag {tag!r} must be 1-64 letters, digits or . _ - : / @")
    return list(dict.fromkeys(tags))


def _model_name(value: str) -> str:
    if not NAME_PATTERN.fullmatch(value):
        raise ValueError("must be 1-128 characters: letters, digits and . _ - : / @ (no spaces)")
    _, slash, last = value.rpartition("/")
    if slash and last.lower() in SUB_ROUTE_WORDS:
        words = ", ".join(SUB_ROUTE_WORDS)
        raise ValueError(
            f"must not end in {slash + last!r}: after a '/', the last segment of a name may "
            f"not be one of the reserved words {words} (they are sub-routes of /api/models/…)"
        )
    return value


ModelName = Annotated[
    StrictStr,
    AfterValidator(_model_name),
    # Documented, not enforced by pydantic: `_model_name` says what is wrong in plain words.
    Field(json_schema_extra={"pattern": NAME_PATTERN.pattern}),
]


class ModelWrite(Strict):
    """A whole model as a client writes it (POST and PUT; PATCH is merged into this)."""

    name: ModelName
    display_name: Annotated[Text, Field(max_length=200)] = ""
    description: Annotated[MultilineText | None, Field(max_length=4000)] = ""
    provider: Provider
    deployment: DeploymentWrite = DeploymentWrite()
    parameters_b: Annotated[Number, Field(gt=0, le=MAX_PARAMETERS_B)] | None = None
    context_window: Annotated[WholeNumber, Field(gt=0, le=MAX_CONTEXT)]
    max_output_tokens: Annotated[WholeNumber, Field(gt=0, le=MAX_CONTEXT)]
    capabilities: Capabilities = Capabilities()
    limits: Limits = Limits()
    token_weights: TokenWeights = TokenWeights()
    pricing: PricingWrite | None = None
    status: Status = "active"
    deprecation_date: date | None = None
    tags: Annotated[
        list[Annotated[StrictStr, JsonSchemaPattern(lambda: TAG_PATTERN.pattern)]],
        Field(max_length=32),
        AfterValidator(_unique_tags),
    ] = []
    is_default: StrictBool = False
    enabled: StrictBool = True

    @model_validator(mode="before")
    @classmethod
    def _drop_server_fields(cls, value: Any) -> Any:
        if isinstance(value, dict):
            value = {key: item for key, item in value.items() if key not in SERVER_FIELDS}
            if value.get("description") is None and "description" in value:
                value["description"] = ""
        return value

    @field_validator("max_output_tokens")
    @classmethod
    def _fits(cls, value: int, info: ValidationInfo) -> int:
        context_window = info.data.get("context_window")
        if context_window is not None and value > context_window:
            raise ValueError("must not exceed context_window")
        return value


class CloneRequest(Strict):
    name: ModelName
    display_name: Annotated[Text, Field(max_length=200)] | None = None


# Catalog-owned fields of a system model: everything but these may not change (DESIGN §2).
SYSTEM_WRITABLE = frozenset({"deployment", "enabled", "is_default", "tags"})

"""What a client may write for a model, and the rules every value must satisfy (DESIGN §2-§3)."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal, get_args
from urllib.parse import parse_qsl, urlsplit

from pydantic import (
    AfterValidator,
    Field,
    SecretStr,
    StrictBool,
    StrictStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from modeldeck.api_keys import key_defect
from modeldeck.pricing.periods import PricingWrite as PricingWrite
from modeldeck.pricing.periods import TierWrite as TierWrite
from modeldeck.records.fields import NAME_PATTERN as NAME_PATTERN
from modeldeck.records.fields import PROVIDERS as PROVIDERS
from modeldeck.records.fields import SERVER_FIELDS, STATUSES
from modeldeck.validation import MAX_CONTEXT as MAX_CONTEXT
from modeldeck.validation import MAX_PRICE as MAX_PRICE
from modeldeck.validation import JsonSchemaPattern as JsonSchemaPattern
from modeldeck.validation import Money as Money
from modeldeck.validation import MultilineText as MultilineText
from modeldeck.validation import Number as Number
from modeldeck.validation import Strict as Strict
from modeldeck.validation import Text as Text
from modeldeck.validation import UTCMoment as UTCMoment
from modeldeck.validation import WholeNumber as WholeNumber
from modeldeck.validation import multiline_text_pattern as multiline_text_pattern
from modeldeck.validation import plain_text_pattern as plain_text_pattern
from modeldeck.validation import strip_unsafe as strip_unsafe
from modeldeck.validation import unsafe_character as unsafe_character
from modeldeck.validation import url_pattern as url_pattern

Provider = Literal[
    "openai", "azure_openai", "openai_compatible", "anthropic", "google", "mistral", "other"
]
Status = Literal["active", "deprecated", "retired"]
# The Literals above are what pydantic and mypy check; records.fields lists the same values.
assert get_args(Provider) == PROVIDERS and get_args(Status) == STATUSES

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
# The last segment of `/api/models/{ref}/<word>`: a name ending in "/<word>" would be read as
# that sub-route of another model (a test checks this against the app's routes).
SUB_ROUTE_WORDS = ("clone", "default", "history", "prices", "test")

MAX_PARAMETERS_B = 1_000_000.0


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
    status: Annotated[
        Status,
        Field(
            description="What the vendor or an admin says; the served status also follows "
            "deprecation_date and retires_on. A status sent back as read changes nothing."
        ),
    ] = "active"
    deprecation_date: Annotated[
        date | None, Field(description="The day the vendor deprecated the model")
    ] = None
    retires_on: Annotated[
        date | None,
        Field(description="The announced shutdown day: on and after it the model is retired"),
    ] = None
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

"""The Models page's own filters (capability, context, price, vendor or host) and where a model
comes from: pure functions over the snapshot's public records.

The API's list filters (`records.query`) stay as they are; these narrow the console's view
before it is sorted and paged by the same `records.query.run`.
"""

from __future__ import annotations

import re
import weakref
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from modeldeck.models.snapshot import Snapshot
from modeldeck.problems import FieldError, invalid

CAPABILITIES = ("streaming", "temperature", "tools", "vision", "json_mode", "reasoning")
PARAMETERS = ("cap", "min_context", "max_input", "max_output", "vendor")
# Context windows offered as "at least"; any other whole number in the address works too.
CONTEXT_STEPS = (8_000, 32_000, 128_000, 200_000, 1_000_000)

# Tags that name the host a catalog import read a model from (`host:` is our own convention,
# read by the client pool; the importers keep their source's provider id under its own name).
HOST_TAGS = ("host:", "litellm_provider:", "modelsdev_provider:")
# The host a first-party provider's API is, when no tag says otherwise.
PROVIDER_HOSTS = {
    "openai": "openai",
    "azure_openai": "azure",
    "anthropic": "anthropic",
    "google": "gemini",
    "mistral": "mistral",
}
# Hosts that serve only their own vendor's models.
FIRST_PARTY_HOSTS = {
    "openai": "openai",
    "anthropic": "anthropic",
    "gemini": "google",
    "mistral": "mistral",
    "codestral": "mistral",
    "deepseek": "deepseek",
    "xai": "xai",
    "cohere": "cohere",
    "cohere_chat": "cohere",
    "moonshot": "moonshot",
    "ai21": "ai21",
}
# A vendor recognised from a word of the model's name, when no `vendor:` tag says it.
NAME_VENDORS = (
    ("anthropic", re.compile(r"claude|anthropic")),
    ("openai", re.compile(r"(^|[/.:_-])(gpt|o[134]|chatgpt|davinci|babbage|codex)([.:_-]|$|\d)")),
    ("google", re.compile(r"gemini|gemma|palm|bison")),
    ("meta", re.compile(r"llama")),
    ("mistral", re.compile(r"mistral|mixtral|codestral|ministral|pixtral|magistral|devstral")),
    ("qwen", re.compile(r"qwen|qwq")),
    ("deepseek", re.compile(r"deepseek")),
    ("xai", re.compile(r"grok")),
    ("cohere", re.compile(r"command[-_]|cohere")),
    ("moonshot", re.compile(r"kimi|moonshot")),
    ("zhipu", re.compile(r"(^|[/.])glm")),
    ("amazon", re.compile(r"(^|[/.])(nova|titan)[-.]")),
    ("ai21", re.compile(r"jamba|(^|[/.])j2-")),
    ("microsoft", re.compile(r"(^|[/.-])phi-?\d")),
    ("minimax", re.compile(r"minimax")),
)


@dataclass(frozen=True, slots=True)
class Origin:
    """Who made a model (vendor) and whose API serves it (host); None when not known."""

    vendor: str | None
    host: str | None

    @property
    def text(self) -> str:
        if self.vendor and self.host and self.vendor != self.host:
            return f"{self.vendor} · {self.host}"
        return self.vendor or self.host or "—"


def _tagged(tags: Sequence[str], prefixes: Sequence[str]) -> str | None:
    for prefix in prefixes:
        for tag in tags:
            if tag.startswith(prefix) and len(tag) > len(prefix):
                return tag[len(prefix) :]
    return None


def origin(model: Mapping[str, Any]) -> Origin:
    tags = model["tags"]
    host = _tagged(tags, HOST_TAGS) or PROVIDER_HOSTS.get(model["provider"])
    vendor = _tagged(tags, ("vendor:",))
    if vendor is None:
        name = model["name"].lower()
        vendor = next((who for who, pattern in NAME_VENDORS if pattern.search(name)), None)
    if vendor is None and host is not None:
        vendor = FIRST_PARTY_HOSTS.get(host)
    return Origin(vendor, host)


class Origins:
    """The origin of each model of a snapshot, worked out once per snapshot (which never
    changes once made), and each vendor and host with its number of models: the choices."""

    def __init__(self) -> None:
        self._snapshot: weakref.ref[Snapshot] | None = None
        self._by_id: dict[str, Origin] = {}
        self._choices: list[tuple[str, int]] = []

    def _load(self, snapshot: Snapshot) -> None:
        if self._snapshot is not None and self._snapshot() is snapshot:
            return
        self._by_id = {model["id"]: origin(model) for model in snapshot.models}
        counts: Counter[str] = Counter()
        for found in self._by_id.values():
            counts.update({name for name in (found.vendor, found.host) if name})
        self._choices = sorted(counts.items())
        self._snapshot = weakref.ref(snapshot)

    def of(self, snapshot: Snapshot) -> Mapping[str, Origin]:
        self._load(snapshot)
        return self._by_id

    def choices(self, snapshot: Snapshot) -> list[tuple[str, int]]:
        self._load(snapshot)
        return self._choices


ORIGINS = Origins()


def _whole(name: str, value: str | None, errors: list[FieldError]) -> int | None:
    if value is None or value.strip() == "":
        return None
    try:
        number = int(value.strip().replace(",", "").replace("_", ""))
    except ValueError:
        errors.append(FieldError(name, "must be a whole number of tokens"))
        return None
    if number < 0:
        errors.append(FieldError(name, "must not be negative"))
        return None
    return number


def _price(name: str, value: str | None, errors: list[FieldError]) -> Decimal | None:
    if value is None or value.strip() == "":
        return None
    try:
        price = Decimal(value.strip())
    except InvalidOperation:
        errors.append(FieldError(name, "must be a price per 1M tokens, such as 2.5"))
        return None
    if not price.is_finite() or price < 0:
        errors.append(FieldError(name, "must be a price per 1M tokens, such as 2.5"))
        return None
    return price


@dataclass(frozen=True, slots=True)
class ModelFilters:
    capabilities: tuple[str, ...] = ()
    min_context: int | None = None
    max_input: Decimal | None = None
    max_output: Decimal | None = None
    vendor: str | None = None

    @classmethod
    def parse(cls, params: Mapping[str, Sequence[str]]) -> ModelFilters:
        """From the page's query string (`cap` may repeat); every problem at once."""
        errors: list[FieldError] = []
        wanted = tuple(dict.fromkeys(value for value in params.get("cap", ()) if value))
        unknown = [value for value in wanted if value not in CAPABILITIES]
        if unknown:
            errors.append(FieldError("cap", f"must be one of {', '.join(CAPABILITIES)}"))

        def one(name: str) -> str | None:
            values = params.get(name, ())
            return values[-1] if values else None

        filters = cls(
            capabilities=tuple(value for value in wanted if value in CAPABILITIES),
            min_context=_whole("min_context", one("min_context"), errors),
            max_input=_price("max_input", one("max_input"), errors),
            max_output=_price("max_output", one("max_output"), errors),
            vendor=(one("vendor") or "").strip().lower() or None,
        )
        if errors:
            raise invalid(errors)
        return filters

    @property
    def active(self) -> bool:
        return bool(
            self.capabilities
            or self.min_context is not None
            or self.max_input is not None
            or self.max_output is not None
            or self.vendor
        )

    def matches(
        self, model: Mapping[str, Any], origins: Mapping[str, Origin] | None = None
    ) -> bool:
        capabilities = model["capabilities"]
        if not all(capabilities.get(name) for name in self.capabilities):
            return False
        if self.min_context is not None and model["context_window"] < self.min_context:
            return False
        if self.max_input is not None or self.max_output is not None:
            pricing = model["pricing"]
            if pricing is None:
                return False
            for limit, side in ((self.max_input, "input"), (self.max_output, "output")):
                if limit is not None and (
                    pricing[side] is None or Decimal(str(pricing[side])) > limit
                ):
                    return False
        if self.vendor:
            found = origins[model["id"]] if origins is not None else origin(model)
            if self.vendor not in (found.vendor, found.host):
                return False
        return True

    def apply(self, snapshot: Snapshot) -> Sequence[dict[str, Any]]:
        """The snapshot's models these filters keep."""
        if not self.active:
            return snapshot.models
        origins = ORIGINS.of(snapshot) if self.vendor else None
        return [model for model in snapshot.models if self.matches(model, origins)]

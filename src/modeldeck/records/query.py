"""Filtering, sorting and paging the model list: pure functions over public records.

Shared by the server's list and the client's offline answers, so both filter alike.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from modeldeck.problems import FieldError, invalid


def _price(side: str) -> Callable[[dict[str, Any]], Any]:
    def key(model: dict[str, Any]) -> Any:
        pricing = model["pricing"]
        return None if pricing is None else pricing[side]

    return key


SORT_KEYS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "name": lambda model: model["name"].lower(),
    "display_name": lambda model: (model["display_name"] or model["name"]).lower(),
    "provider": lambda model: model["provider"],
    "parameters_b": lambda model: model["parameters_b"],
    "complexity_factor": lambda model: model["complexity_factor"],
    "context_window": lambda model: model["context_window"],
    "max_output_tokens": lambda model: model["max_output_tokens"],
    "input_price": _price("input"),
    "output_price": _price("output"),
    "priced": lambda model: model["pricing"] is not None,
    "status": lambda model: model["status"],
    "created_at": lambda model: model["created_at"],
    "updated_at": lambda model: model["updated_at"],
}

MAX_LIMIT = 10_000

# name → (JSON schema, description): parsed by `ModelQuery.parse`, documented in OpenAPI.
PARAMETERS: dict[str, tuple[dict[str, Any], str]] = {
    "q": ({"type": "string"}, "Text to find in name, display name, description or tags"),
    "provider": ({"type": "string"}, "Only this provider"),
    "priced": ({"type": "boolean"}, "true: only models with a current price; false: only unpriced"),
    "enabled": ({"type": "boolean"}, "Only enabled (true) or disabled (false) models"),
    "system": ({"type": "boolean"}, "true: only built-in catalog models; false: only ordinary"),
    "status": ({"enum": ["active", "deprecated", "retired"]}, "Only this status"),
    "tag": ({"type": "string"}, "Only models with this tag"),
    "sort": (
        {
            "type": "string",
            "default": "name",
            "enum": [*SORT_KEYS, *(f"-{key}" for key in SORT_KEYS)],
        },
        f"One of {', '.join(SORT_KEYS)}; prefix - for descending",
    ),
    "limit": ({"type": "integer", "default": 100, "minimum": 1, "maximum": MAX_LIMIT}, "Page size"),
    "offset": ({"type": "integer", "default": 0, "minimum": 0}, "Models to skip"),
}


def openapi_parameters() -> list[dict[str, Any]]:
    return [
        {"name": name, "in": "query", "required": False, "schema": schema, "description": text}
        for name, (schema, text) in PARAMETERS.items()
    ]


def _flag(name: str, value: str | None, errors: list[FieldError]) -> bool | None:
    if value is None or value == "":
        return None
    lowered = value.lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    errors.append(FieldError(name, "must be true or false"))
    return None


def _integer(name: str, value: str | None, default: int, errors: list[FieldError]) -> int:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        errors.append(FieldError(name, "must be a whole number"))
        return default


@dataclass(frozen=True)
class ModelQuery:
    q: str | None = None
    provider: str | None = None
    priced: bool | None = None
    enabled: bool | None = None
    system: bool | None = None
    status: str | None = None
    tag: str | None = None
    sort: str = "name"
    limit: int = 100
    offset: int = 0

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> ModelQuery:
        """From a query string; every problem is reported at once, naming its parameter."""
        errors: list[FieldError] = []
        unknown = sorted(set(params) - set(PARAMETERS))
        errors.extend(FieldError(name, "is not a filter of this list") for name in unknown)
        status = params.get("status") or None
        if status is not None and status not in ("active", "deprecated", "retired"):
            errors.append(FieldError("status", "must be active, deprecated or retired"))
        query = cls(
            q=params.get("q") or None,
            provider=params.get("provider") or None,
            priced=_flag("priced", params.get("priced"), errors),
            enabled=_flag("enabled", params.get("enabled"), errors),
            system=_flag("system", params.get("system"), errors),
            status=status,
            tag=params.get("tag") or None,
            sort=params.get("sort") or "name",
            limit=_integer("limit", params.get("limit"), 100, errors),
            offset=_integer("offset", params.get("offset"), 0, errors),
        )
        return query.validate(errors)

    def validate(self, errors: list[FieldError] | None = None) -> ModelQuery:
        errors = errors if errors is not None else []
        if self.sort.lstrip("-") not in SORT_KEYS:
            errors.append(
                FieldError("sort", f"must be one of {', '.join(SORT_KEYS)} (prefix - to reverse)")
            )
        if not 1 <= self.limit <= MAX_LIMIT:
            errors.append(FieldError("limit", f"must be between 1 and {MAX_LIMIT}"))
        if self.offset < 0:
            errors.append(FieldError("offset", "must not be negative"))
        if errors:
            raise invalid(errors)
        return self


def _matches(model: dict[str, Any], query: ModelQuery) -> bool:
    if query.provider is not None and model["provider"] != query.provider:
        return False
    if query.priced is not None and (model["pricing"] is not None) != query.priced:
        return False
    if query.enabled is not None and model["enabled"] != query.enabled:
        return False
    if query.system is not None and model["is_system"] != query.system:
        return False
    if query.status is not None and model["status"] != query.status:
        return False
    if query.tag is not None and query.tag not in model["tags"]:
        return False
    if query.q:
        needle = query.q.lower()
        haystack = " ".join(
            [model["name"], model["display_name"], model["description"], *model["tags"]]
        ).lower()
        if needle not in haystack:
            return False
    return True


def _sort_key(field: str) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    key = SORT_KEYS[field]

    def ordered(model: dict[str, Any]) -> tuple[Any, ...]:
        value = key(model)
        # Unknown values (no parameters, no price) sort last in either direction.
        missing = value is None
        if isinstance(value, Decimal):
            value = float(value)
        return (missing, value if not missing else 0, model["name"].lower())

    return ordered


def run(models: Sequence[dict[str, Any]], query: ModelQuery) -> tuple[list[dict[str, Any]], int]:
    """The page of models the query asks for, and how many matched in all."""
    matching = [model for model in models if _matches(model, query)]
    field = query.sort.lstrip("-")
    descending = query.sort.startswith("-")
    key = _sort_key(field)
    if descending:
        known = [model for model in matching if SORT_KEYS[field](model) is not None]
        unknown = [model for model in matching if SORT_KEYS[field](model) is None]
        known.sort(key=key, reverse=True)
        unknown.sort(key=lambda model: model["name"].lower())
        matching = known + unknown
    elif field != "name":
        matching.sort(key=key)
    return matching[query.offset : query.offset + query.limit], len(matching)

"""The one place a row becomes its public JSON shape (DESIGN §2); secrets never leave here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from modeldeck.models.tables import ModelRow, PricePeriodRow
from modeldeck.pricing.engine import period_at
from modeldeck.records.fields import DEPLOYMENT_FIELDS, SERVER_FIELDS, complexity_factor
from modeldeck.records.status import day_start, derived_status, next_status_day


def next_change(row: ModelRow, now: datetime) -> datetime | None:
    """When the record shown at `now` next changes by itself, so a cached view knows when it
    goes stale: a future-dated price period takes over, or a date moves the status on."""
    upcoming = [moment for period in row.price_periods if (moment := period.effective_from) > now]
    day = next_status_day(row.deprecation_date, row.retires_on, now.date())
    if day is not None:
        upcoming.append(day_start(day))
    return min(upcoming, default=None)


def period_public(period: PricePeriodRow) -> dict[str, Any]:
    return {
        "currency": period.currency,
        "unit": period.unit,
        "input": period.input,
        "cached_input": period.cached_input,
        "cache_write": period.cache_write,
        "cache_write_1h": period.cache_write_1h,
        "output": period.output,
        "reasoning": period.reasoning,
        "per_request": period.per_request,
        "tiers": list(period.tiers or []),
        "windows": list(period.windows or []),
        "service_tiers": dict(period.service_tiers or {}),
        "effective_from": period.effective_from,
        "source": period.source,
    }


def pricing_public(period: PricePeriodRow | None) -> dict[str, Any] | None:
    if period is None or not period.is_priced:
        return None
    return period_public(period)


def history_public(periods: list[PricePeriodRow], now: datetime) -> list[dict[str, Any]]:
    """Oldest first, each with the derived end (`effective_until`) and whether it is current."""
    ordered = sorted(periods, key=lambda period: period.effective_from)
    current = period_at(ordered, now)
    result = []
    for index, period in enumerate(ordered):
        following = ordered[index + 1] if index + 1 < len(ordered) else None
        shown = period_public(period)
        shown["priced"] = period.is_priced
        shown["effective_until"] = following.effective_from if following else None
        shown["current"] = period is current
        result.append(shown)
    return result


def _float(value: Any) -> Any:
    return float(value) if value is not None and not isinstance(value, bool | int) else value


def model_public(row: ModelRow, now: datetime) -> dict[str, Any]:
    deployment = {field: row.deployment.get(field) for field in DEPLOYMENT_FIELDS}
    deployment["has_api_key"] = row.api_key_ciphertext is not None
    return {
        "id": row.id,
        "name": row.name,
        "display_name": row.display_name,
        "description": row.description,
        "provider": row.provider,
        "deployment": deployment,
        "parameters_b": row.parameters_b,
        "complexity_factor": complexity_factor(row.parameters_b),
        "context_window": row.context_window,
        "max_output_tokens": row.max_output_tokens,
        "capabilities": dict(row.capabilities),
        "limits": {key: _float(value) for key, value in row.limits.items()}
        | {"max_retries": int(row.limits.get("max_retries", 3))},
        "token_weights": {key: _float(value) for key, value in row.token_weights.items()},
        "pricing": pricing_public(period_at(row.price_periods, now)),
        "status": derived_status(row.status, row.deprecation_date, row.retires_on, now.date()),
        "deprecation_date": row.deprecation_date,
        "retires_on": row.retires_on,
        "tags": list(row.tags),
        "is_system": row.is_system,
        "is_default": row.is_default,
        "enabled": row.enabled,
        "version": row.version,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def writable(public: dict[str, Any]) -> dict[str, Any]:
    """A public record as the body that would write it again (the base a merge patch applies to)."""
    body = {key: value for key, value in public.items() if key not in SERVER_FIELDS}
    body["deployment"] = {
        key: value for key, value in public["deployment"].items() if key != "has_api_key"
    }
    return body

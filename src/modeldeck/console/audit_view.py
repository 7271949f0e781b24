"""Audit entries as people read them: the fields that mean something, prices as prices.

Pure functions over an entry's recorded `before` and `after` (the API's history keeps them
whole); the console shows what changed without the bookkeeping every write does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from modeldeck.audit.diff import diff
from modeldeck.audit.tables import AuditEntryRow
from modeldeck.console.render import integer, moment, money

# Every write moves these; they say nothing about what changed.
NOISE = frozenset({"id", "version", "created_at", "updated_at"})
# Fields whose value is a price period, shown as a list of its rates.
PRICE_FIELDS = {"pricing": "Price", "added_price_period": "Added price period"}
RATES = (
    ("input", "input"),
    ("cached_input", "cached input"),
    ("cache_write", "cache write"),
    ("cache_write_1h", "1-hour cache write"),
    ("output", "output"),
    ("reasoning", "reasoning"),
    ("per_request", "per request"),
)
LABELS = {
    "display_name": "Display name",
    "parameters_b": "Parameters (billions)",
    "complexity_factor": "Complexity factor",
    "context_window": "Context window",
    "max_output_tokens": "Max output tokens",
    "deprecation_date": "Deprecation date",
    "retires_on": "Retires on",
    "is_default": "Default model",
    "is_system": "System model",
    "deployment.api_key_env": "API key environment variable",
    "deployment.has_api_key": "Stored API key",
    "deployment.api_version": "API version",
    "deployment.endpoint": "Endpoint",
    "deployment.deployment": "Deployment name",
    "limits.base_timeout_s": "Base timeout (s)",
    "limits.max_timeout_s": "Max timeout (s)",
    "limits.timeout_per_token_s": "Timeout per output token (s)",
    "limits.max_retries": "Max retries",
}


@dataclass(frozen=True, slots=True)
class Change:
    """One changed field: its path, a label, and each side as lines of text."""

    field: str
    label: str
    before: tuple[str, ...]
    after: tuple[str, ...]


def label(field: str) -> str:
    if field in LABELS:
        return LABELS[field]
    if field in PRICE_FIELDS:
        return PRICE_FIELDS[field]
    head, _, leaf = field.rpartition(".")
    words = leaf.replace("_", " ")
    if head == "capabilities":
        return f"Capability: {words}"
    if head == "token_weights":
        return f"Token weight: {words}"
    return words.capitalize() if not head else f"{head.replace('_', ' ')}: {words}"


def _rates(rates: Mapping[str, Any]) -> str:
    return ", ".join(
        f"{name} {money(rates[key])}" for key, name in RATES if rates.get(key) is not None
    )


def price_lines(period: Mapping[str, Any] | None) -> tuple[str, ...]:
    """A price period as lines: its rates per 1M tokens, tiers, windows, service tiers, start."""
    if period is None:
        return ("unpriced",)
    currency = period.get("currency") or "USD"
    lines = [f"{_rates(period) or 'no rates'} ({currency} per 1M tokens)"]
    for tier in period.get("tiers") or ():
        above = integer(tier.get("above_input_tokens"))
        lines.append(f"above {above} input tokens: {_rates(tier)}")
    for window in period.get("windows") or ():
        name = f" {window['name']}" if window.get("name") else ""
        lines.append(f"{window.get('start')} to {window.get('end')} UTC{name}: {_rates(window)}")
    for name, rates in sorted((period.get("service_tiers") or {}).items()):
        lines.append(f"{name} tier: {_rates(rates)}")
    if period.get("effective_from"):
        lines.append(f"from {moment(period['effective_from'])}")
    if period.get("source"):
        lines.append(f"source: {period['source']}")
    return tuple(lines)


def shown(value: Any) -> tuple[str, ...]:
    """Any other recorded value as one line."""
    if value is None:
        return ("—",)
    if isinstance(value, bool):
        return ("yes" if value else "no",)
    if isinstance(value, str):
        if value == "":
            return ("(empty)",)
        if len(value) >= 20 and value[4:5] == "-" and value[10:11] == "T":
            return (moment(value),)
        return (value,)
    if isinstance(value, datetime | date):
        return (moment(value),)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10_000:
        return (integer(value),)
    if isinstance(value, list):
        return (", ".join(str(item) for item in value) or "(none)",)
    if isinstance(value, dict):
        return (", ".join(f"{key}: {shown(item)[0]}" for key, item in value.items()) or "(none)",)
    return (str(value),)


def _leaves(record: Mapping[str, Any]) -> dict[str, Any]:
    """A created or deleted record's fields, nested objects spread into their own fields."""
    leaves: dict[str, Any] = {}
    for key, value in record.items():
        if key in NOISE or key in PRICE_FIELDS:
            continue
        if isinstance(value, dict):
            for inner, item in value.items():
                leaves[f"{key}.{inner}"] = item
        else:
            leaves[key] = value
    return leaves


def changes(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> list[Change]:
    """What an entry changed, without bookkeeping; each price once, as a list of rates."""
    found: list[Change] = []
    price_changed = set()
    if before is not None and after is not None:
        for change in diff(dict(before), dict(after)):
            field = change["field"]
            top = field.split(".", 1)[0]
            if top in NOISE:
                continue
            if top in PRICE_FIELDS:
                price_changed.add(top)
                continue
            found.append(
                Change(field, label(field), shown(change["before"]), shown(change["after"]))
            )
    else:
        record = after if after is not None else before
        assert record is not None
        for field, value in _leaves(record).items():
            if value is None or value == [] or value == "":
                continue
            empty = ("",)
            found.append(
                Change(
                    field,
                    label(field),
                    empty if after is not None else shown(value),
                    shown(value) if after is not None else empty,
                )
            )
        price_changed = {key for key in PRICE_FIELDS if record.get(key) is not None}
    moved = after is not None and after.get("pricing") == after.get("added_price_period")
    if moved and {"pricing", "added_price_period"} <= price_changed:
        price_changed.discard("added_price_period")  # the new period is the price now
    for key in PRICE_FIELDS:
        if key in price_changed:
            old = None if before is None or key == "added_price_period" else before.get(key)
            new = None if after is None else after.get(key)
            old_lines = () if before is None or key == "added_price_period" else price_lines(old)
            new_lines = () if after is None else price_lines(new)
            found.append(Change(key, label(key), old_lines, new_lines))
    return found


def entry_view(entry: AuditEntryRow) -> dict[str, Any]:
    return {
        "revision": entry.revision,
        "action": entry.action,
        "actor": entry.actor,
        "at": entry.at,
        "model_id": entry.model_id,
        "model_name": entry.model_name,
        "changes": changes(entry.before, entry.after),
        # A creation or deletion lists every field; an update only what changed.
        "kind": "created"
        if entry.before is None
        else "deleted"
        if entry.after is None
        else "changed",
    }

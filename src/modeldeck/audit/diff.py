"""Field-by-field differences between two versions of a record, as a pure function."""

from __future__ import annotations

from typing import Any


def diff(before: Any, after: Any, prefix: str = "") -> list[dict[str, Any]]:
    """Every leaf that differs, as `{"field": "pricing.input", "before": …, "after": …}`."""
    if isinstance(before, dict) and isinstance(after, dict):
        changes: list[dict[str, Any]] = []
        for key in sorted(set(before) | set(after)):
            field = f"{prefix}.{key}" if prefix else str(key)
            changes.extend(diff(before.get(key), after.get(key), field))
        return changes
    if before == after:
        return []
    return [{"field": prefix, "before": before, "after": after}]

"""JSON with exact decimals: money is written as the number it is, never through a float."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import simplejson


def plain_decimal(value: Decimal) -> Decimal:
    """The same number without trailing zeros or an exponent: 2.500 → 2.5, 1E+1 → 10."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return isoformat_z(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def isoformat_z(moment: datetime) -> str:
    """ISO 8601 in UTC with a `Z`, the one way timestamps leave the service."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    text = moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return text


def _exact(value: Any) -> Any:
    if isinstance(value, Decimal):
        return plain_decimal(value)
    if isinstance(value, dict):
        return {key: _exact(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_exact(item) for item in value]
    return value


def dumps(value: Any) -> str:
    return simplejson.dumps(
        _exact(value), use_decimal=True, default=_default, ensure_ascii=False, separators=(",", ":")
    )


def dumps_bytes(value: Any) -> bytes:
    return dumps(value).encode()


def loads(text: str | bytes) -> Any:
    """Parse JSON keeping every non-integer number as an exact Decimal.

    NaN and Infinity (which Python's json.dumps writes) are read, so that validation can
    refuse them naming the field instead of calling the whole body unreadable.
    """
    return simplejson.loads(text, use_decimal=True, allow_nan=True)

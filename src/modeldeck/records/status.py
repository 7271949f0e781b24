"""A model's `status`, derived from its dates at read time (DESIGN §2), alike on both sides.

What is stored is the status an admin or a catalog *said* (`active`, `deprecated` when the
vendor deprecated a model without a date, `retired` when a catalog dropped it or an admin
retired it), and two dates. What is served is the furthest along of:

* the stored status;
* `deprecated` on and after `deprecation_date` (the day the vendor deprecated it);
* `retired` on and after `retires_on` (the announced shutdown day).

So a model never says `deprecated` only because a shutdown is scheduled (that is `retires_on`,
shown as "retires on <date>"), and a model whose shutdown day has come is `retired` without
anyone writing anything. Days are UTC days of `modeldeck.clock`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Any

ORDER = {"active": 0, "deprecated": 1, "retired": 2}


def dated_status(deprecation_date: date | None, retires_on: date | None, today: date) -> str:
    """What the dates alone say on `today`."""
    if retires_on is not None and retires_on <= today:
        return "retired"
    if deprecation_date is not None and deprecation_date <= today:
        return "deprecated"
    return "active"


def derived_status(
    stored: str, deprecation_date: date | None, retires_on: date | None, today: date
) -> str:
    """The status served on `today`: the stored one, moved on by the dates when they say so."""
    dated = dated_status(deprecation_date, retires_on, today)
    return dated if ORDER[dated] > ORDER.get(stored, 0) else stored


def stored_status(
    sent: str, deprecation_date: date | None, retires_on: date | None, today: date
) -> str:
    """What to store for a written `status`: only what the written dates do not already say.

    A status read from the API and written back (GET, edit, PUT; an export imported; a clone)
    then stays derived: moving or clearing a date later moves the status with it.
    """
    dated = dated_status(deprecation_date, retires_on, today)
    return sent if ORDER[sent] > ORDER[dated] else "active"


def next_status_day(
    deprecation_date: date | None, retires_on: date | None, today: date
) -> date | None:
    """The next day after `today` on which the dates may change the served status."""
    later = [day for day in (deprecation_date, retires_on) if day is not None and day > today]
    return min(later, default=None)


def day_start(day: date) -> datetime:
    """The first moment of a UTC day: when a status that changes that day changes."""
    return datetime.combine(day, time(0), tzinfo=UTC)


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def restatus(record: Mapping[str, Any], today: date) -> dict[str, Any]:
    """A public record (as once served, or as a catalog holds it) with its status for `today`.

    Statuses only move on with time, so re-deriving an older answer is exact.
    """
    status = derived_status(
        str(record.get("status") or "active"),
        _day(record.get("deprecation_date")),
        _day(record.get("retires_on")),
        today,
    )
    return dict(record) if status == record.get("status") else {**record, "status": status}


__all__ = [
    "ORDER",
    "dated_status",
    "day_start",
    "derived_status",
    "next_status_day",
    "restatus",
    "stored_status",
]

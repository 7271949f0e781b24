"""The one clock. Every "what time is it" in Model Deck asks here.

Prices take effect, periods end, snapshots go stale and deprecations fall due by this clock, so
a test can move it (``with clock.moved(timedelta(days=3650)):``) and see the product behave
exactly as it will on that day. Durations (timeouts, caches, back-off) use ``time.monotonic``,
which no one should move, and do not come here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

_offset = timedelta(0)


def now() -> datetime:
    """The current moment, timezone-aware, in UTC."""
    return datetime.now(UTC) + _offset


def today() -> date:
    """Today's date in UTC."""
    return now().date()


@contextmanager
def moved(by: timedelta) -> Iterator[None]:
    """Run a block with this process's clock `by` ahead (or behind, when negative)."""
    global _offset
    before = _offset
    _offset = before + by
    try:
        yield
    finally:
        _offset = before


__all__ = ["moved", "now", "today"]

"""Failed authentications per client address, limited in a sliding window (per instance)."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

MAX_ADDRESSES = 10_000


class FailedAuthentications:
    """Counts failures per address; past `limit` within `window_s`, the address must wait."""

    def __init__(
        self, limit: int, window_s: float, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self._monotonic = monotonic
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, address: str, now: float) -> deque[float] | None:
        failures = self._failures.get(address)
        if failures is None:
            return None
        while failures and failures[0] <= now - self.window_s:
            failures.popleft()
        if not failures:
            del self._failures[address]
            return None
        return failures

    def retry_after(self, address: str) -> int | None:
        """Whole seconds `address` must wait before trying again, or None when it may try."""
        now = self._monotonic()
        failures = self._recent(address, now)
        if failures is None or len(failures) < self.limit:
            return None
        return max(1, math.ceil(failures[-self.limit] + self.window_s - now))

    def failed(self, address: str) -> None:
        now = self._monotonic()
        failures = self._recent(address, now)
        if failures is None:
            if len(self._failures) >= MAX_ADDRESSES:
                self._forget_quiet(now)
            failures = self._failures[address] = deque(maxlen=self.limit)
        failures.append(now)

    def _forget_quiet(self, now: float) -> None:
        """Bound the memory an address-hopping attacker can take: drop expired entries first."""
        for address in list(self._failures):
            self._recent(address, now)
        if len(self._failures) >= MAX_ADDRESSES:
            self._failures.clear()

"""Issue 13 figures: reads from a black-holed server once the circuit breaker is open (against
a plain dict read), and how soon a sync `ClientPool` in this process sees a write made on
another instance (PostgreSQL, two `modeldeck serve`)."""

from __future__ import annotations

import socket
import statistics
import tempfile
import threading
import time
import uuid
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bench.changes import ADMIN, EDITS, WARM_UP, fresh_postgres_database, instance
from modeldeck.client import ClientPool, Registry, RegistryFallbackWarning
from modeldeck.client.registry import Breaker

READS = 5_000
DICT_READS = 1_000_000


def _black_hole() -> tuple[socket.socket, str]:
    """A listener that accepts connections (the kernel does) and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    return listener, f"http://127.0.0.1:{listener.getsockname()[1]}"


def black_holed_reads() -> tuple[str, float, float, float]:
    """(label, first read ms, median read ms after it, median dict read ms)."""
    listener, url = _black_hole()
    try:
        with (
            tempfile.TemporaryDirectory() as cache,
            Registry(url, cache_dir=cache, timeout=1.0, breaker=Breaker(base=3600)) as registry,
            warnings.catch_warnings(),
        ):
            warnings.simplefilter("ignore", RegistryFallbackWarning)
            start = time.perf_counter()
            registry.get("gpt-4o")  # pays the timeout, opens the breaker
            first = (time.perf_counter() - start) * 1000
            samples = []
            for number in range(READS):
                start = time.perf_counter()
                if number % 2:
                    registry.get("gpt-4o")
                else:
                    registry.default()
                samples.append((time.perf_counter() - start) * 1000)
    finally:
        listener.close()
    plain = {"gpt-4o": object()}
    start = time.perf_counter()
    for _ in range(DICT_READS):
        plain["gpt-4o"]
    anchor = (time.perf_counter() - start) * 1000 / DICT_READS
    label = f"get()/default() from a black-holed server ({READS} reads after the first)"
    return label, first, statistics.median(samples), anchor


def sync_pool_propagation() -> tuple[str, float, float]:
    """(label, median ms, p99 ms): PATCH on instance A until a sync pool following B sees it."""
    name = f"bench-sync-pool-{uuid.uuid4().hex[:6]}"
    with (
        fresh_postgres_database() as url,
        instance(url) as base_a,
        instance(url) as base_b,
        tempfile.TemporaryDirectory() as cache,
        httpx.Client(base_url=base_a, headers=ADMIN) as a,
    ):
        created = a.post(
            "/api/models",
            json={
                "name": name,
                "provider": "openai",
                "context_window": 128000,
                "max_output_tokens": 16384,
            },
        )
        created.raise_for_status()
        path = f"/api/models/{created.json()['id']}"
        registry = Registry(base_b, cache_dir=Path(cache))
        samples = []
        with (
            ClientPool(registry, environ={}).start_in_background() as pool,
            ThreadPoolExecutor(1) as sender,
        ):
            for number in range(WARM_UP + EDITS):
                wanted = f"edit {number}"
                start = time.perf_counter()
                # As the async figure does: from sending the PATCH, not from its answer.
                patch = sender.submit(a.patch, path, json={"description": wanted})
                deadline = start + 10
                while pool.model(name).description != wanted:
                    if time.perf_counter() > deadline:
                        raise TimeoutError(f"the sync pool did not see {wanted!r}")
                    time.sleep(0.0002)
                arrived = time.perf_counter()
                patch.result().raise_for_status()
                if number >= WARM_UP:
                    samples.append((arrived - start) * 1000)
        assert not [t for t in threading.enumerate() if t.name == "modeldeck-client-pool"]
    p99 = statistics.quantiles(samples, n=100, method="inclusive")[98]
    label = f"PATCH on A -> sync ClientPool on B ({EDITS} edits, PostgreSQL)"
    return label, statistics.median(samples), p99


if __name__ == "__main__":
    label, first, median, anchor = black_holed_reads()
    print(
        f"{label}: first {first:.0f} ms, median {median * 1000:.1f} µs, dict {anchor * 1e6:.0f} ns"
    )
    label, median, p99 = sync_pool_propagation()
    print(f"{label}: median {median:.1f} ms, p99 {p99:.1f} ms (target <= 100)")

"""Issue 10 figure: the model list's read rate while 20 PATCH/s land, and write p99 meanwhile.

One `modeldeck serve` on a registry of MODELS models; wrk reads `GET /api/models` for a few
seconds with no writes (the anchor), then again while a paced writer sends WRITES_PER_S
PATCHes a second to ordinary models. Everything talks to 127.0.0.1 and stops by itself.
"""

from __future__ import annotations

import asyncio
import http.client
import itertools
import json
import statistics
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

from bench.changes import ADMIN, fresh_postgres_database, instance
from bench.harness import requests_per_second
from bench.registry import _fill

MODELS = 1000
WRITES_PER_S = 20
READ_SECONDS = 5
ROUNDS = 2
# Writes in flight at most: a slow server makes them queue here, not pile up without bound.
WRITERS = 8
READ_PATH = "/api/models"
# Numbers every edit of the run, so no PATCH repeats an earlier one (a no-op writes nothing).
EDIT_NUMBERS = itertools.count()


@dataclass
class Writes:
    """Latencies (ms) of the PATCHes sent, and the ones that did not answer 200."""

    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def p99(self) -> float:
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[98]


def _ordinary_ids(base: str) -> list[str]:
    with urllib.request.urlopen(f"{base}/api/models?system=false&limit=10000") as response:
        listing = json.loads(response.read())
    return [model["id"] for model in listing["data"]]


_connections = threading.local()


def _patch(base: str, model_id: str, number: int, writes: Writes) -> None:
    """One PATCH on this writer thread's kept-alive connection (as a client's pool would)."""
    body = json.dumps({"description": f"bench edit {number}"}).encode()
    headers = ADMIN | {"Content-Type": "application/json"}
    start = time.perf_counter()
    try:
        connection = getattr(_connections, "open", None)
        if connection is None:
            host, port = base.removeprefix("http://").split(":")
            connection = _connections.open = http.client.HTTPConnection(host, int(port), timeout=30)
        connection.request("PATCH", f"/api/models/{model_id}", body, headers)
        response = connection.getresponse()
        response.read()
    except (OSError, http.client.HTTPException) as error:
        _connections.open = None
        writes.failures.append(f"{type(error).__name__}: {error}")
        return
    writes.latencies.append((time.perf_counter() - start) * 1000)
    if response.status != 200:
        writes.failures.append(f"HTTP {response.status}")


@contextmanager
def paced_writes(base: str, ids: list[str], writes: Writes) -> Iterator[None]:
    """WRITES_PER_S PATCHes a second on a fixed schedule until the block ends."""
    stop = threading.Event()

    def schedule() -> None:
        with ThreadPoolExecutor(WRITERS) as pool:
            start = time.perf_counter()
            for sent in itertools.count():
                due = start + sent / WRITES_PER_S
                delay = due - time.perf_counter()
                if stop.is_set() or (delay > 0 and stop.wait(delay)):
                    break
                number = next(EDIT_NUMBERS)
                pool.submit(_patch, base, ids[number % len(ids)], number, writes)

    pacer = threading.Thread(target=schedule, daemon=True)
    pacer.start()
    try:
        yield
    finally:
        stop.set()
        pacer.join(60)


def _read_rates(base: str, writes: Writes) -> tuple[float, float]:
    """Best read rate of ROUNDS without writes, and of ROUNDS with them, alternated."""
    ids = _ordinary_ids(base)
    quiet, loaded = [], []
    for _ in range(ROUNDS):
        quiet.append(requests_per_second(base + READ_PATH, READ_SECONDS))
        with paced_writes(base, ids, writes):
            loaded.append(requests_per_second(base + READ_PATH, READ_SECONDS))
    if writes.failures:
        raise RuntimeError(f"{len(writes.failures)} writes failed: {writes.failures[:3]}")
    return max(quiet), max(loaded)


def _quiet_writes(base: str) -> Writes:
    """The anchor of write latency: the same paced writes with no reads at all."""
    writes = Writes()
    with paced_writes(base, _ordinary_ids(base), writes):
        time.sleep(READ_SECONDS)
    return writes


def postgresql() -> tuple[str, float, float]:
    """(label, reads/s under writes, reads/s without) on PostgreSQL."""
    with fresh_postgres_database() as url:
        asyncio.run(_fill(url, MODELS))
        with instance(url) as base:
            quiet, loaded = _read_rates(base, Writes())
    label = f"GET /api/models under {WRITES_PER_S} PATCH/s, PostgreSQL ({MODELS} models)"
    return label, loaded, quiet


def sqlite() -> tuple[str, float, float, float, float]:
    """(label, write p99 ms under reads, write p99 ms alone, reads/s under writes, without)."""
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/bench.db"
        asyncio.run(_fill(url, MODELS))
        with instance(url) as base:
            alone = _quiet_writes(base)
            loaded = Writes()
            quiet_reads, loaded_reads = _read_rates(base, loaded)
    label = f"PATCH p99 at {WRITES_PER_S}/s under reads, SQLite ({MODELS} models)"
    return label, loaded.p99(), alone.p99(), loaded_reads, quiet_reads


def report() -> None:
    name, loaded, quiet = postgresql()
    print(
        f"{name:<48} {loaded:>8.0f}/s  {quiet:>8.0f}/s  {loaded / quiet:5.2f}x  >= 0.70x "
        f"({'met' if loaded / quiet >= 0.7 else 'missed'}); anchor: reads with no writes"
    )
    name, p99, alone, loaded, quiet = sqlite()
    print(
        f"{name:<48} {p99:>7.1f}ms  {alone:>7.1f}ms  {p99 / alone:5.2f}x  <= 100 ms "
        f"({'met' if p99 <= 100 else 'missed'}); anchor: the writes alone; "
        f"reads {loaded:.0f}/s vs {quiet:.0f}/s ({loaded / quiet:.2f}x)"
    )


if __name__ == "__main__":
    report()

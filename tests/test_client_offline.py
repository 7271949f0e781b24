"""Offline for real (issue 13 §3): a circuit breaker that stops waiting on a dead server,
records that say where they came from, and the AZURE_OPENAI_* default kept until the server
is back."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import warnings
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from fake_openai import ModelDeckServer
from modeldeck import serialization
from modeldeck.client import (
    AsyncRegistry,
    ClientPool,
    Registry,
    RegistryFallbackWarning,
    RegistryUnavailable,
)
from modeldeck.client.registry import Breaker
from modeldeck.client.snapshot import catalog_records

ADMIN_TOKEN = "offline-tests-admin-token"
AZURE = {
    "AZURE_OPENAI_ENDPOINT": "https://contoso.openai.azure.com/",
    "AZURE_OPENAI_DEPLOYMENT_NAME": "contoso-chat",
    "AZURE_OPENAI_API_KEY": "test-key",
}


class BlackHole:
    """A listener that accepts connections and never answers; it counts them."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(64)
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"
        self.accepted: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            self.accepted.append(connection)

    def close(self) -> None:
        self.socket.close()
        for connection in self.accepted:
            connection.close()


@pytest.fixture
def black_hole() -> Iterator[BlackHole]:
    hole = BlackHole()
    try:
        yield hole
    finally:
        hole.close()


def _listing(records: list[dict[str, Any]], revision: int = 7) -> httpx.Response:
    document = {"data": records, "count": len(records), "revision": revision}
    return httpx.Response(
        200, content=serialization.dumps_bytes(document), headers={"etag": f'"{revision}"'}
    )


class Switch:
    """A mock server that is down (connection refused) or up (the catalog), counting calls."""

    def __init__(self) -> None:
        self.up = True
        self.calls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if not self.up:
            raise httpx.ConnectError("connection refused")
        records = list(catalog_records())
        if request.url.path == "/api/models":
            return _listing(records)
        ref = request.url.path.removeprefix("/api/models/")
        found = next(r for r in records if ref in (r["id"], r["name"]))
        return httpx.Response(200, content=serialization.dumps_bytes(found))


def test_after_a_timeout_reads_answer_from_the_snapshot_without_asking_again(
    black_hole: BlackHole, tmp_path: Path
) -> None:
    slow_retry = Breaker(base=60, cap=60)  # no background retry within the test
    with Registry(black_hole.url, cache_dir=tmp_path, timeout=0.3, breaker=slow_retry) as reg:
        with pytest.warns(RegistryFallbackWarning, match="timed out"):
            first = reg.models()
        assert first.source == "catalog" and first.stale
        assert not reg.online and reg.breaker.reason == "timed out"
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for _ in range(50):
                assert reg.get("gpt-4o").source == "catalog"
                assert reg.default().stale
                assert reg.models(provider="openai").source == "catalog"
                assert reg.cost("gpt-4o", {"prompt_tokens": 1000}).stale
        assert len(caught) == 200 and "retrying in the background" in str(caught[0].message)
        # One connection: the first read's. The 200 after it never touched the network.
        assert len(black_hole.accepted) == 1
        # Writes and the feed have no offline answer: they still ask (and fail).
        with pytest.raises(RegistryUnavailable):
            reg.changes(0)


def test_a_background_retry_puts_reads_back_online(tmp_path: Path) -> None:
    switch = Switch()
    switch.up = False
    transport = httpx.MockTransport(switch)
    breaker = Breaker(base=0.02, cap=0.05)
    with Registry(
        "http://modeldeck.test", cache_dir=tmp_path, transport=transport, breaker=breaker
    ) as reg:
        with pytest.warns(RegistryFallbackWarning):
            assert reg.models().source == "catalog"
        switch.up = True
        deadline = time.monotonic() + 10
        while not reg.online and time.monotonic() < deadline:
            time.sleep(0.01)
        assert reg.online  # the background retry, not a read, found the server
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            back = reg.models()
        assert back.source == "server" and not back.stale
        assert reg.get("gpt-4o").source == "server"


@pytest.mark.anyio
async def test_the_async_registry_breaks_and_recovers_too(tmp_path: Path) -> None:
    switch = Switch()
    switch.up = False

    async def handler(request: httpx.Request) -> httpx.Response:
        return switch(request)

    breaker = Breaker(base=0.02, cap=0.05)
    async with AsyncRegistry(
        "http://modeldeck.test",
        cache_dir=tmp_path,
        transport=httpx.MockTransport(handler),
        breaker=breaker,
    ) as reg:
        with pytest.warns(RegistryFallbackWarning):
            assert (await reg.models()).source == "catalog"
        calls = switch.calls
        breaker.base = breaker.cap = 60.0  # hold the retry back: reads must not ask
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RegistryFallbackWarning)
            for _ in range(20):
                assert (await reg.get("gpt-4o")).stale
        assert switch.calls <= calls + 1  # at most the retry already under way
        breaker.base = breaker.cap = 0.02
        switch.up = True
        await reg.models(fallback=False)  # any answer closes the breaker
        assert reg.online
        assert (await reg.default()).source == "server"


def test_every_offline_record_says_where_it_came_from(tmp_path: Path) -> None:
    switch = Switch()
    with Registry(
        "http://modeldeck.test", cache_dir=tmp_path, transport=httpx.MockTransport(switch)
    ) as reg:
        assert reg.models().source == "server"  # saved: the snapshot
        online = reg.get("gpt-4o")
        assert online.source == "server" and online.stale is False
        assert online.pricing is not None and online.pricing.served_from == "server"
        switch.up = False
        with pytest.warns(RegistryFallbackWarning):
            model = reg.get("gpt-4o")
        assert model.source == "snapshot" and model.stale is True
        assert model == online  # provenance is not part of the record
        assert "source" not in model.model_dump() and "stale" not in model.model_dump()
        with pytest.warns(RegistryFallbackWarning):
            pricing = reg.pricing("gpt-4o")
        assert pricing is not None and pricing.stale and pricing.served_from == "snapshot"
        assert pricing.input == online.pricing.input  # `source` stays the price's own
        with pytest.warns(RegistryFallbackWarning):
            default = reg.default()
        assert default.source == "snapshot" and default.stale
        with pytest.warns(RegistryFallbackWarning):
            models = reg.models()
        assert models.source == "snapshot" and all(m.source == "snapshot" for m in models)
        with pytest.warns(RegistryFallbackWarning):
            result = reg.cost("gpt-4o", {"prompt_tokens": 1000})
        assert result.source == "snapshot" and result.stale and result.total > Decimal(0)


def test_the_offline_default_is_the_environments_azure_deployment(tmp_path: Path) -> None:
    with Registry("http://127.0.0.1:9", cache_dir=tmp_path, environ=AZURE) as reg:
        with pytest.warns(RegistryFallbackWarning):
            default = reg.default()
        assert default.name == "contoso-chat" and default.provider == "azure_openai"
        assert default.source == "environment" and default.stale
        assert default.deployment.endpoint == "https://contoso.openai.azure.com"
        assert default.deployment.api_key_env == "AZURE_OPENAI_API_KEY"
        with pytest.warns(RegistryFallbackWarning):
            models = reg.models()
        assert [model.name for model in models if model.is_default] == ["contoso-chat"]
        assert models.find("gpt-4o") is not None  # the catalog is still there
        with pytest.warns(RegistryFallbackWarning):
            assert reg.get("contoso-chat").id == default.id
    # Without the variables, the catalog's own default.
    with (
        Registry("http://127.0.0.1:9", cache_dir=tmp_path / "other", environ={}) as reg,
        pytest.warns(RegistryFallbackWarning),
    ):
        assert reg.default().name == "gpt-4o-mini"


def test_the_bootstrap_knows_the_providers_azure_api_version() -> None:
    from modeldeck.client.bootstrap import DEFAULT_AZURE_API_VERSION
    from modeldeck.client.providers import DEFAULT_AZURE_API_VERSION as PROVIDERS_VERSION

    assert DEFAULT_AZURE_API_VERSION == PROVIDERS_VERSION


@pytest.mark.anyio
async def test_a_default_kept_in_memory_is_made_in_the_registry_once_the_server_is_back(
    tmp_path: Path,
) -> None:
    (tmp_path / "server").mkdir()
    live = ModelDeckServer(tmp_path / "server", ADMIN_TOKEN)
    try:
        async with AsyncRegistry(
            live.url,
            ADMIN_TOKEN,
            cache_dir=tmp_path / "cache",
            environ=AZURE,
            breaker=Breaker(base=0.05, cap=0.2),
        ) as reg:
            with pytest.warns(RegistryFallbackWarning):
                pool = await ClientPool(reg, environ=AZURE).start(bootstrap_default=True)
            try:
                assert pool.default_name == "contoso-chat"  # usable at once, from memory
                assert pool.model("contoso-chat").source == "environment"
                assert pool.sync_client("contoso-chat") is not None
                await asyncio.to_thread(live.start)
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline:
                    if pool.model("contoso-chat").source == "server":
                        break
                    await asyncio.sleep(0.05)
                made = pool.model("contoso-chat")
                assert made.source == "server" and made.is_default and not made.is_system
            finally:
                await pool.close()
            own = [model for model in await reg.models(fallback=False) if not model.is_system]
            assert [model.name for model in own] == ["contoso-chat"]
    finally:
        live.stop()

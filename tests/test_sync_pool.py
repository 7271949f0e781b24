"""A pool for sync apps (issue 13 §2): it follows the feed on its own thread, stops cleanly,
and never stops following silently."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import BACKENDS, seeded_database_url
from modeldeck.client import (
    AsyncRegistry,
    ChangeFeedWarning,
    ClientPool,
    Registry,
    RegistryFallbackWarning,
)
from modeldeck.client import pool as pool_module
from serving import serving

TOKEN = "mdk_sync-pool-test"
KEY = "test-key"


@pytest.fixture(scope="module", params=BACKENDS)
def server_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("sync-pool")
    for url in seeded_database_url(request.param, folder, TOKEN):
        env = {"MODELDECK_DATABASE_URL": url, "MODELDECK_ADMIN_TOKEN": TOKEN}
        with serving(folder, env) as (base, _):
            yield base


def _pool_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "modeldeck-client-pool"]


def test_a_sync_pool_follows_an_edit_on_its_own_thread_and_stops_cleanly(
    server_url: str, tmp_path: Path
) -> None:
    name = f"sync-pool-{uuid.uuid4().hex[:8]}"
    with Registry(server_url, TOKEN, cache_dir=tmp_path) as writer:
        registry = Registry(server_url, TOKEN, cache_dir=tmp_path / "pool")
        with ClientPool(registry, environ={"SYNC_POOL_KEY": KEY}).start_in_background() as pool:
            assert _pool_threads() and pool.healthy and pool.last_seen is not None
            writer.create(
                {
                    "name": name,
                    "provider": "openai_compatible",
                    "deployment": {
                        "endpoint": "http://127.0.0.1:9/v1",
                        "api_key_env": "SYNC_POOL_KEY",
                    },
                    "context_window": 8000,
                    "max_output_tokens": 1000,
                }
            )
            deadline = time.monotonic() + 10
            while name not in pool.names and time.monotonic() < deadline:
                time.sleep(0.01)
            assert name in pool.names
            client = pool.sync_client(name)
            assert str(client.base_url).startswith("http://127.0.0.1:9/v1")
            writer.update(name, {"deployment": {"endpoint": "http://127.0.0.1:10/v1"}})
            deadline = time.monotonic() + 10
            while (
                pool.model(name).deployment.endpoint != "http://127.0.0.1:10/v1"
                and time.monotonic() < deadline
            ):
                time.sleep(0.01)
            assert str(pool.sync_client(name).base_url).startswith("http://127.0.0.1:10/v1")
            assert pool.revision >= 2
        assert not _pool_threads()  # joined
        assert not pool.healthy
        writer.delete(name)


def test_asyncio_run_of_start_warns_that_the_pool_stops_following(tmp_path: Path) -> None:
    registry = AsyncRegistry("http://127.0.0.1:9", cache_dir=tmp_path)
    pool = ClientPool(registry, environ={})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RegistryFallbackWarning)
        with pytest.warns(ChangeFeedWarning, match="start_in_background"):
            asyncio.run(pool.start())
    assert not pool.healthy


def test_a_pool_that_keeps_failing_warns_once_and_says_it_is_unhealthy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pool_module, "RETRY_MIN_S", 0.01)
    monkeypatch.setattr(pool_module, "UNHEALTHY_AFTER", 3)
    registry = Registry("http://127.0.0.1:9", cache_dir=tmp_path, environ={})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with ClientPool(registry, environ={}).start_in_background() as pool:
            deadline = time.monotonic() + 10
            while pool.healthy and time.monotonic() < deadline:
                time.sleep(0.01)
            assert not pool.healthy and pool.last_seen is None
            assert pool.default_name == "gpt-4o-mini"  # still serving the catalog
            time.sleep(0.2)  # more failures: no more warnings
    feed = [warning for warning in caught if issubclass(warning.category, ChangeFeedWarning)]
    assert len(feed) == 1 and "failed 3 times in a row" in str(feed[0].message)

"""Issue 2 figures: the model list against a bare app, and cold start."""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.harness import BIN, free_port, process, requests_per_second, wait_ready
from modeldeck.bootstrap import prepare
from modeldeck.crypto import KeyVault
from modeldeck.db import Database
from modeldeck.models.schemas import ModelWrite
from modeldeck.models.service import WriteContext, create_model
from modeldeck.settings import Settings

MODELS = 1000


async def _fill(url: str, total: int) -> None:
    """A registry of `total` models: the built-in catalog plus priced ordinary ones."""
    database = Database(url)
    try:
        prepared = await prepare(Settings(database_url=url), database)
        async with database.write() as session:
            ctx = WriteContext(actor="bench", vault=KeyVault(None))
            for number in range(total - len(prepared.seeded)):
                payload = ModelWrite.model_validate(
                    {
                        "name": f"bench-model-{number:04d}",
                        "display_name": f"Bench model {number}",
                        "description": "A model made for the benchmark.",
                        "provider": "openai_compatible",
                        "parameters_b": 7 + number % 400,
                        "context_window": 128000,
                        "max_output_tokens": 8192,
                        "pricing": {"input": f"0.{number % 97 + 1}", "output": f"{number % 13}.5"},
                        "tags": ["bench", f"family:{number % 10}"],
                    }
                )
                await create_model(session, ctx, payload)
    finally:
        await database.dispose()


def list_throughput() -> tuple[str, float, float]:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/bench.db"
        asyncio.run(_fill(url, MODELS))
        port = free_port()
        path = f"/api/models?limit={MODELS}"
        serve = [str(BIN / "modeldeck"), "serve", "--port", str(port), "--database-url", url]
        with process(serve, env={"MODELDECK_LOG_LEVEL": "warning"}):
            wait_ready(f"http://127.0.0.1:{port}/readyz")
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}") as response:
                body = response.read()
            body_file = Path(folder) / "body.json"
            body_file.write_bytes(body)
            anchor_port = free_port()
            anchor = [sys.executable, "-m", "bench.bare_app", str(body_file), str(anchor_port)]
            with process(anchor):
                wait_ready(f"http://127.0.0.1:{anchor_port}/")
                # Alternate, best of two each, so a noisy neighbour hurts both alike.
                ours, bare = [], []
                for _ in range(2):
                    ours.append(requests_per_second(f"http://127.0.0.1:{port}{path}"))
                    bare.append(requests_per_second(f"http://127.0.0.1:{anchor_port}{path}"))
    return f"GET /api/models ({MODELS} models, {len(body) // 1024} KiB)", max(ours), max(bare)


def cold_start() -> tuple[str, float, float]:
    ours, bare = [], []
    for _ in range(3):
        with tempfile.TemporaryDirectory() as folder:
            port = free_port()
            url = f"sqlite+aiosqlite:///{folder}/cold.db"
            start = time.perf_counter()
            serve = [str(BIN / "modeldeck"), "serve", "--port", str(port), "--database-url", url]
            with process(serve):
                wait_ready(f"http://127.0.0.1:{port}/readyz")
                ours.append(time.perf_counter() - start)
            body = Path(folder) / "body"
            body.write_bytes(b"{}")
            anchor_port = free_port()
            start = time.perf_counter()
            with process([sys.executable, "-m", "bench.bare_app", str(body), str(anchor_port)]):
                wait_ready(f"http://127.0.0.1:{anchor_port}/")
                bare.append(time.perf_counter() - start)
    return "cold start to first 200 from /readyz", statistics.median(ours), statistics.median(bare)

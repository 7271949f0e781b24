"""Issue 2 figures: the model list against a bare app, and cold start."""

from __future__ import annotations

import asyncio
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bench.harness import BIN, compile_bytecode, free_port, process, requests_per_second, wait_ready
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


@dataclass(frozen=True)
class ColdStart:
    name: str
    ours: float  # seconds from spawn to the first 200 from /readyz, median
    bare: float  # the same for the bare Starlette app, measured alternately in the same run
    first_request: float  # seconds of the first GET /api/models after that, median
    bare_first_request: float  # the bare app's first GET, median


def _first_get(url: str) -> float:
    start = time.perf_counter()
    with urllib.request.urlopen(url) as response:
        response.read()
    return time.perf_counter() - start


def cold_start(runs: int = 5) -> list[ColdStart]:
    """A fresh `modeldeck serve` process until /readyz answers 200, on SQLite.

    Twice: the first start (an empty database: migrate, seed, make the first admin), and a
    restart on a database already migrated and seeded. Each run spawns a new process, and
    the anchor (a bare Starlette app served by uvicorn) is spawned right after it.
    """
    compile_bytecode()
    figures = []
    with tempfile.TemporaryDirectory() as folder:
        seeded = Path(folder) / "seeded.db"
        asyncio.run(_fill(f"sqlite+aiosqlite:///{seeded}", 0))
        body = Path(folder) / "body"
        body.write_bytes(b"{}")
        for name, template in (
            ("cold start to /readyz 200, first start", None),
            ("cold start to /readyz 200, restart (seeded db)", seeded),
        ):
            ours, bare, first, bare_first = [], [], [], []
            for run in range(runs):
                database = Path(folder) / f"cold-{run}.db"
                if template is not None:
                    shutil.copyfile(template, database)
                port = free_port()
                url = f"sqlite+aiosqlite:///{database}"
                serve = [
                    str(BIN / "modeldeck"),
                    "serve",
                    "--port",
                    str(port),
                    "--database-url",
                    url,
                ]
                start = time.perf_counter()
                with process(serve):
                    wait_ready(f"http://127.0.0.1:{port}/readyz")
                    ours.append(time.perf_counter() - start)
                    first.append(_first_get(f"http://127.0.0.1:{port}/api/models"))
                anchor_port = free_port()
                start = time.perf_counter()
                with process([sys.executable, "-m", "bench.bare_app", str(body), str(anchor_port)]):
                    wait_ready(f"http://127.0.0.1:{anchor_port}/")
                    bare.append(time.perf_counter() - start)
                    bare_first.append(_first_get(f"http://127.0.0.1:{anchor_port}/api/models"))
            figures.append(
                ColdStart(
                    name,
                    statistics.median(ours),
                    statistics.median(bare),
                    statistics.median(first),
                    statistics.median(bare_first),
                )
            )
    return figures

"""Issue 18 figure: the Simulator over 3,000+ priced models (the built-in catalog and the
vendored LiteLLM map, imported by the real importer), from pressing Simulate to the results
painted in Chromium.

Anchor, in the same run: the very same results page (its bytes, stylesheet and scripts) served
statically by a bare Starlette app, opened from the same form page by the same click. The
difference is what the server spends pricing and rendering.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.catalog import _import
from bench.console import CHROMIUM, CHROMIUM_ARGS
from bench.harness import BIN, free_port, process, wait_ready
from modeldeck.bootstrap import prepare
from modeldeck.console.render import STATIC_FILES, static_url
from modeldeck.db import Database
from modeldeck.settings import Settings

QUERY = "workload=tokens&input_tokens=3000&output_tokens=600&requests=10000&requires=tools"
RUNS = 7


async def _registry(url: str) -> None:
    """A seeded database with the LiteLLM map imported through the real importer."""
    database = Database(url)
    try:
        await prepare(Settings(database_url=url), database)
        await _import(database)
    finally:
        await database.dispose()


def submit_to_painted() -> tuple[str, float, float]:
    """Median seconds from Simulate to painted results, ours and the static anchor's."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/simulator.db"
        asyncio.run(_registry(url))
        port = free_port()
        serve = [str(BIN / "modeldeck"), "serve", "--port", str(port), "--database-url", url]
        with process(serve, env={"MODELDECK_LOG_LEVEL": "warning"}):
            base = f"http://127.0.0.1:{port}"
            wait_ready(f"{base}/readyz")
            with httpx.Client(base_url=base, timeout=60) as client:
                priced = client.get("/api/models?priced=true&limit=1").json()["count"]
                result = client.get(f"/simulate?{QUERY}")
                assert result.status_code == 200, result.text[:500]
                form = client.get("/simulate").content
                site = Path(folder) / "site"
                (site / "static").mkdir(parents=True)
                # The anchor's form sends to a static copy of the same results page.
                (site / "index.html").write_bytes(
                    form.replace(b'action="/simulate#results"', b'action="/results#results"')
                )
                (site / "results.html").write_bytes(result.content)
                for name in STATIC_FILES:
                    (site / "static" / name).write_bytes(client.get(static_url(name)).content)
            anchor_port = free_port()
            with process([sys.executable, "-m", "bench.simulator", str(site), str(anchor_port)]):
                wait_ready(f"http://127.0.0.1:{anchor_port}/")
                ours, anchor = [], []
                with sync_playwright() as playwright:
                    browser = playwright.chromium.launch(
                        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
                    )
                    try:
                        for _ in range(RUNS):
                            for target, times in (
                                (f"{base}/simulate", ours),
                                (f"http://127.0.0.1:{anchor_port}/", anchor),
                            ):
                                context = browser.new_context()
                                try:
                                    page = context.new_page()
                                    # The same workload typed: the defaults and these.
                                    page.goto(target)
                                    page.get_by_label("Input tokens per request").fill("3000")
                                    page.get_by_label("Output tokens per request").fill("600")
                                    page.get_by_label("Requests", exact=True).fill("10000")
                                    times.append(_submit_to_painted_filled(page))
                                finally:
                                    context.close()
                    finally:
                        browser.close()
    name = f"Simulator, {priced:,} priced models, Simulate to painted (median s)"
    return name, statistics.median(ours), statistics.median(anchor)


def _submit_to_painted_filled(page: Any) -> float:
    page.get_by_label("tools").check()
    start = time.perf_counter()
    page.get_by_role("button", name="Simulate").click()
    page.wait_for_selector("#ranking tbody tr", state="visible")
    page.evaluate(
        "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"
    )
    return time.perf_counter() - start


def _serve_static(site: str, port: int) -> None:
    """The anchor: the saved form and results pages and their static files, from Starlette."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    root = Path(site)
    files = {
        "/": (root / "index.html").read_bytes(),
        "/results": (root / "results.html").read_bytes(),
        **{f"/static/{path.name}": path.read_bytes() for path in (root / "static").iterdir()},
    }
    types = {".css": "text/css", ".js": "text/javascript"}

    async def handler(request: Request) -> Response:
        path = request.url.path
        if path not in files:
            return Response(status_code=404)
        return Response(files[path], media_type=types.get(Path(path).suffix, "text/html"))

    app = Starlette(routes=[Route("/{path:path}", handler)])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    _serve_static(sys.argv[1], int(sys.argv[2]))

"""Issue 4 figures: the Models page with 1,000 models, rendered and ready in Chromium; and
the Models page of a registry of 3,000+ imported models, filtered to a vendor, ready in
Chromium."""

from __future__ import annotations

import asyncio
import html
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from bench.catalog import LITELLM_FILE
from bench.harness import BIN, free_port, process, wait_ready
from bench.registry import _fill
from modeldeck.api.auth import SESSION_COOKIE
from modeldeck.app import create_app
from modeldeck.auth.sessions import csrf_token_for, start_session
from modeldeck.auth.tokens import create_token, find_token
from modeldeck.bootstrap import prepare
from modeldeck.catalog.importers import read_catalog
from modeldeck.catalog.plan import apply_plan, plan_import
from modeldeck.console.render import STATIC_FILES, static_url
from modeldeck.crypto import KeyVault
from modeldeck.db import Database
from modeldeck.models.service import WriteContext
from modeldeck.models.tables import ModelRow
from modeldeck.settings import Settings

MODELS = 1000
PAGE = f"/?limit={MODELS}"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _plain_rows(models: list[dict[str, Any]]) -> str:
    """The anchor: the same rows as a trivial escaped f-string join, no template engine."""
    cells = "<tr><th>{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>"
    return "".join(
        cells.format(
            html.escape(model["name"]),
            html.escape(model["provider"]),
            model["parameters_b"],
            model["context_window"],
            model["max_output_tokens"],
            model["complexity_factor"],
            "priced" if model["pricing"] else "unpriced",
        )
        for model in models
    )


async def _admin_session(url: str) -> str:
    """A console session of a new admin token: the id its cookie holds."""
    database = Database(url)
    try:
        async with database.write() as session:
            token = await find_token(
                session, await create_token(session, name="bench", role="admin")
            )
            assert token is not None
            return await start_session(session, token, timedelta(hours=1))
    finally:
        await database.dispose()


async def _render_times(runs: int) -> tuple[float, float, float, float, int]:
    """Medians of the page as an admin sees it (every row with its actions) and of the anchor;
    the very first render; and the first render after one model changed."""
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/console.db"
        await _fill(url, MODELS)
        token = await _admin_session(url)
        app = create_app(Settings(database_url=url))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench", cookies={SESSION_COOKIE: token}
        ) as client:
            await client.get("/api/models?limit=1")  # load the snapshot
            start = time.perf_counter()
            first = await client.get(PAGE)
            cold = time.perf_counter() - start
            assert first.status_code == 200, first.text[:500]
            assert first.text.count('data-action="edit"') == MODELS
            listed = (await client.get(f"/api/models?limit={MODELS}")).json()["data"]
            changed = await client.patch(
                "/api/models/bench-model-0007",
                json={"display_name": "Changed"},
                headers={"X-CSRF-Token": csrf_token_for(token)},
            )
            assert changed.status_code == 200, changed.text
            await client.get("/api/models?limit=1")  # reload the snapshot, which the API pays too
            start = time.perf_counter()
            await client.get(PAGE)
            after_change = time.perf_counter() - start
            ours, anchor = [], []
            for _ in range(runs):
                start = time.perf_counter()
                response = await client.get(PAGE)
                ours.append(time.perf_counter() - start)
                assert response.status_code == 200
                start = time.perf_counter()
                _plain_rows(listed)
                anchor.append(time.perf_counter() - start)
        return (
            statistics.median(ours),
            statistics.median(anchor),
            cold,
            after_change,
            len(first.content),
        )


def models_page_render() -> tuple[str, float, float]:
    """Median server time of the Models page showing all 1,000 models (ms), and the anchor's."""
    ours, anchor, cold, after_change, size = asyncio.run(_render_times(30))
    name = (
        f"Models page, {MODELS} rows ({size // 1024} KiB), render (median ms; very first "
        f"{cold * 1000:.0f} ms, after a change {after_change * 1000:.0f} ms)"
    )
    return name, ours * 1000, anchor * 1000


def _ready_time(page: Any, url: str) -> float:
    start = time.perf_counter()
    page.goto(url, wait_until="load")
    page.wait_for_selector("table tbody tr", state="visible")
    return time.perf_counter() - start


def models_page_ready() -> tuple[str, float, float]:
    """Median time (s) until Chromium has loaded the page with the table shown, and the anchor's:
    the very same bytes (page, stylesheet, script) as static files from a bare Starlette app."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/console.db"
        asyncio.run(_fill(url, MODELS))
        token = asyncio.run(_admin_session(url))
        port = free_port()
        serve = [str(BIN / "modeldeck"), "serve", "--port", str(port), "--database-url", url]
        with process(serve, env={"MODELDECK_LOG_LEVEL": "warning"}):
            wait_ready(f"http://127.0.0.1:{port}/readyz")
            site = Path(folder) / "site"
            (site / "static").mkdir(parents=True)
            with httpx.Client(
                base_url=f"http://127.0.0.1:{port}", cookies={SESSION_COOKIE: token}
            ) as client:
                body = client.get(PAGE).content
                (site / "index.html").write_bytes(body)
                for name in STATIC_FILES:
                    (site / "static" / name).write_bytes(client.get(static_url(name)).content)
            anchor_port = free_port()
            with process([sys.executable, "-m", "bench.console", str(site), str(anchor_port)]):
                wait_ready(f"http://127.0.0.1:{anchor_port}/")
                ours, anchor = [], []
                with sync_playwright() as playwright:
                    browser = playwright.chromium.launch(
                        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
                    )
                    try:
                        for _ in range(7):
                            # A fresh context each time: nothing cached, as on a first visit.
                            for target, times in (
                                (f"http://127.0.0.1:{port}{PAGE}", ours),
                                (f"http://127.0.0.1:{anchor_port}/", anchor),
                            ):
                                context = browser.new_context()
                                context.add_cookies(
                                    [{"name": SESSION_COOKIE, "value": token, "url": target}]
                                )
                                try:
                                    times.append(_ready_time(context.new_page(), target))
                                finally:
                                    context.close()
                    finally:
                        browser.close()
    name = f"Models page, {MODELS} rows, ready in Chromium (median s)"
    return name, statistics.median(ours), statistics.median(anchor)


CATALOG_VENDOR_PAGE = "/?vendor=anthropic"


def _static_copy(base: str, token: str, page: str, site: Path) -> None:
    """The page as the console serves it to an admin, and its static files, into `site`."""
    (site / "static").mkdir(parents=True)
    with httpx.Client(base_url=base, cookies={SESSION_COOKIE: token}) as client:
        (site / "index.html").write_bytes(client.get(page).content)
        for name in STATIC_FILES:
            (site / "static" / name).write_bytes(client.get(static_url(name)).content)


def catalog_vendor_page_ready() -> tuple[str, float, float]:
    """Median time (s) until Chromium shows the Models page of a registry holding the whole
    LiteLLM map (imported through the real importer), filtered to one vendor; the anchor is
    the very same bytes served statically by a bare Starlette app."""

    async def imported(url: str) -> int:
        database = Database(url)
        try:
            await prepare(Settings(database_url=url), database)
            async with database.write() as session:
                plan = await plan_import(session, read_catalog(LITELLM_FILE, "litellm"))
                await apply_plan(session, plan, ctx=WriteContext("bench", KeyVault(None)))
            async with database.read() as session:
                return int((await session.execute(select(func.count(ModelRow.id)))).scalar_one())
        finally:
            await database.dispose()

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/catalog.db"
        models = asyncio.run(imported(url))
        token = asyncio.run(_admin_session(url))
        port = free_port()
        serve = [str(BIN / "modeldeck"), "serve", "--port", str(port), "--database-url", url]
        with process(serve, env={"MODELDECK_LOG_LEVEL": "warning"}):
            wait_ready(f"http://127.0.0.1:{port}/readyz")
            site = Path(folder) / "site"
            _static_copy(f"http://127.0.0.1:{port}", token, CATALOG_VENDOR_PAGE, site)
            shown = (site / "index.html").read_text().count("<tr data-model-id=")
            anchor_port = free_port()
            with process([sys.executable, "-m", "bench.console", str(site), str(anchor_port)]):
                wait_ready(f"http://127.0.0.1:{anchor_port}/")
                ours, anchor = _ready_runs(
                    token,
                    f"http://127.0.0.1:{port}{CATALOG_VENDOR_PAGE}",
                    f"http://127.0.0.1:{anchor_port}/",
                )
    name = (
        f"Models page, {models:,} models, ?vendor=anthropic ({shown} rows), ready in Chromium "
        "(median s)"
    )
    return name, ours, anchor


def _ready_runs(token: str, target: str, anchor_target: str) -> tuple[float, float]:
    """Medians of 7 first visits (a fresh browser context each) to `target` and the anchor."""
    from playwright.sync_api import sync_playwright

    ours: list[float] = []
    anchor: list[float] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            for _ in range(7):
                for url, times in ((target, ours), (anchor_target, anchor)):
                    context = browser.new_context()
                    context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": url}])
                    try:
                        times.append(_ready_time(context.new_page(), url))
                    finally:
                        context.close()
        finally:
            browser.close()
    return statistics.median(ours), statistics.median(anchor)


def _serve_static(site: str, port: int) -> None:
    """The anchor server: a saved page and its static files from a bare Starlette app."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    root = Path(site)
    files = {
        "/": (root / "index.html").read_bytes(),
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

"""The OpenAPI document, /docs and /metrics: reads like any other, and /docs stays on this origin.

The browser test drives Debian's Chromium against a real `modeldeck serve` that requires a read
token, and records every request the page makes.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from bs4 import BeautifulSoup

from conftest import Api, settings_for
from modeldeck.app import create_app
from serving import chromium, serving

PROTECTED = ("/openapi.json", "/docs", "/metrics")


def client_for(api: Api, **settings: object) -> httpx.AsyncClient:
    app = create_app(settings_for(api.backend.url, **settings), database=api.database)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://docs")


@pytest.mark.anyio
async def test_docs_openapi_and_metrics_need_a_reader_token_when_reads_do(api: Api) -> None:
    async with client_for(api, read_token_required=True) as client:
        for path in PROTECTED:
            anonymous = await client.get(path)
            assert anonymous.status_code == 401, path
            assert anonymous.headers["content-type"] == "application/problem+json", path
            assert (await client.get(path, headers=api.reader)).status_code == 200, path
        document = (await client.get("/openapi.json", headers=api.reader)).json()
        assert "/api/auth/tokens" in document["paths"]
    async with client_for(api) as client:  # reads open: so are the docs
        for path in PROTECTED:
            assert (await client.get(path)).status_code == 200, path


@pytest.mark.anyio
async def test_the_docs_page_loads_only_its_own_files_under_a_strict_csp(api: Api) -> None:
    async with client_for(api) as client:
        page = await client.get("/docs")
        assert page.status_code == 200
        policy = page.headers["content-security-policy"]
        assert "script-src 'self';" in policy and "style-src 'self';" in policy
        assert "http" not in policy and "unsafe" not in policy
        soup = BeautifulSoup(page.text, "html.parser")
        assert soup.find("script", src=False) is None  # no inline script
        linked = [tag["src"] for tag in soup.find_all("script")]
        linked += [tag["href"] for tag in soup.find_all("link")]
        assert any(src.endswith("swagger-ui-bundle.js") for src in linked)
        for url in linked:
            assert url.startswith("/") and not url.startswith("//"), url
            assert (await client.get(url)).status_code == 200, url
        assert (await client.get("/docs/assets/..%2Fsettings.py")).status_code == 404
        assert (await client.get("/redoc")).status_code == 404  # ReDoc needs inline styles


@pytest.mark.anyio
async def test_api_docs_false_turns_the_docs_pages_off(api: Api) -> None:
    async with client_for(api, api_docs=False) as client:
        assert (await client.get("/docs")).status_code == 404
        assert (await client.get("/docs/assets/swagger-ui-bundle.js")).status_code == 404
        assert (await client.get("/openapi.json")).status_code == 200


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A real `modeldeck serve` whose reads need a token: (its URL, a reader token)."""
    folder = tmp_path_factory.mktemp("docs-server")
    token = "mdk_docs_" + secrets.token_urlsafe(24)
    env = {
        "MODELDECK_DATABASE_URL": f"sqlite:///{folder / 'docs.db'}",
        "MODELDECK_ADMIN_TOKEN": token,
        "MODELDECK_READ_TOKEN_REQUIRED": "true",
    }
    with serving(folder, env) as (url, _):
        yield url, token


def test_docs_in_chromium_render_every_operation_and_ask_nothing_of_another_origin(
    served: tuple[str, str],
) -> None:
    url, token = served
    operations = sum(
        len(methods)
        for methods in httpx.get(
            f"{url}/openapi.json", headers={"Authorization": f"Bearer {token}"}
        )
        .json()["paths"]
        .values()
    )
    requested: list[str] = []
    console: list[str] = []
    errors: list[str] = []
    with chromium() as browser:
        anonymous = browser.new_context()
        response = anonymous.new_page().goto(f"{url}/docs")
        assert response is not None and response.status == 401
        anonymous.close()

        context = browser.new_context(extra_http_headers={"Authorization": f"Bearer {token}"})
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.on("request", lambda request: requested.append(request.url))
        page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{url}/docs")
        page.locator(".opblock").first.wait_for()
        page.get_by_text("/api/auth/tokens/{token_id}/revoke").first.wait_for()
        rendered = page.locator(".opblock").count()
        context.close()
    assert rendered == operations
    origin = urlsplit(url).netloc
    assert requested and all(urlsplit(seen).netloc == origin for seen in requested), requested
    assert f"{url}/openapi.json" in requested
    assert errors == []
    assert [line for line in console if line.startswith("error")] == []

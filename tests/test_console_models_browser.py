"""The console with a real catalog (issue: parts 2-4): the Models table, errors in people's
words and the Audit page, in Chromium against `modeldeck serve` on a registry of 3,000+
models imported from the vendored LiteLLM map through the real importer (built once).

A browser test that cannot run fails; it never skips (DESIGN §11).
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from accessibility import serious_violations
from conftest import CATALOG_SOURCES, SECRET_KEY, days_ahead_z
from fake_openai import FakeOpenAI, fake_openai
from modeldeck.bootstrap import prepare
from modeldeck.catalog.importers import read_catalog
from modeldeck.catalog.plan import apply_plan, plan_import
from modeldeck.crypto import KeyVault
from modeldeck.db import Database
from modeldeck.models.service import WriteContext
from modeldeck.settings import Settings
from serving import chromium, serving
from test_console_browser import ARTIFACTS, Server, Watched, row_action, row_of, unique

LITELLM_MAP = CATALOG_SOURCES / "litellm-model-prices.json"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


async def _imported_registry(url: str) -> int:
    """A migrated, seeded database with the whole LiteLLM map imported: models added."""
    database = Database(url)
    try:
        await prepare(Settings(database_url=url), database)
        records = read_catalog(LITELLM_MAP, "litellm")
        async with database.write() as session:
            plan = await plan_import(session, records)
            result = await apply_plan(
                session, plan, ctx=WriteContext(actor="import", vault=KeyVault(None))
            )
        return result.added
    finally:
        await database.dispose()


@pytest.fixture(scope="session")
def big_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`modeldeck serve` on its own SQLite file holding the imported LiteLLM map; its `/test`
    may reach loopback (the fake provider) and read FAKE_API_KEY and WRONG_API_KEY."""
    folder = tmp_path_factory.mktemp("console-catalog")
    path = folder / "catalog.db"
    # On a thread of its own: Playwright's sync API may hold this thread's event loop.
    with ThreadPoolExecutor(1) as thread:
        added = thread.submit(asyncio.run, _imported_registry(f"sqlite+aiosqlite:///{path}"))
        assert added.result() >= 3000
    token = "mdk_catalog_" + secrets.token_urlsafe(24)
    env = {
        "MODELDECK_DATABASE_URL": f"sqlite:///{path}",
        "MODELDECK_ADMIN_TOKEN": token,
        "MODELDECK_SECRET_KEY": SECRET_KEY,
        "MODELDECK_TEST_ALLOW_NETWORKS": "127.0.0.1",
        "FAKE_API_KEY": "test-key",
        "WRONG_API_KEY": "not-the-key",
    }
    with (
        serving(folder, env) as (url, _),
        httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as api,
    ):
        yield Server(url, token, api, env["MODELDECK_DATABASE_URL"])


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    with fake_openai() as provider:
        yield provider


def _watched(browser: Browser, server: Server, **options: Any) -> Iterator[Watched]:
    options = {"viewport": DESKTOP, **options}
    context = browser.new_context(base_url=server.url, **options)
    context.set_default_timeout(15_000)
    watched = Watched(context.new_page())

    def on_dialog(dialog: Any) -> None:
        watched.dialogs.append(dialog.message)
        dialog.dismiss()

    watched.page.on("dialog", on_dialog)
    watched.page.on("pageerror", lambda error: watched.errors.append(str(error)))
    try:
        yield watched
    finally:
        context.close()
    watched.clean()


@pytest.fixture
def page(browser: Browser, big_server: Server) -> Iterator[Page]:
    for watched in _watched(browser, big_server):
        yield watched.page


def sign_in(page: Page, server: Server) -> None:
    page.goto("/login")
    page.get_by_label("API token").fill(server.token)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.locator("header.top")).to_contain_text("Signed in:")


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    assert width[0] <= width[1], f"{page.url} is {width[0]} px wide in a {width[1]} px window"


def every_model(server: Server) -> list[dict[str, Any]]:
    models: list[dict[str, Any]] = server.api.get("/api/models?limit=10000").json()["data"]
    return models


def shown_names(page: Page) -> list[str]:
    return page.locator("#models tbody tr[data-model-name]").evaluate_all(
        "rows => rows.map(row => row.dataset.modelName)"
    )


def count_shown(page: Page) -> int:
    found = re.search(r"of ([\d,]+) model", page.locator("#models-count").inner_text())
    assert found is not None
    return int(found.group(1).replace(",", ""))


# ---- every page fits the window -------------------------------------------------------------


def test_no_page_scrolls_sideways_at_phone_or_desktop_width(
    browser: Browser, big_server: Server
) -> None:
    model = big_server.create(
        name=unique("fit"), pricing={"input": "1", "cached_input": "0.1", "output": "2"}
    )
    pages = {
        "models": "/",
        "models-filtered": "/?vendor=bedrock&cap=vision&min_context=128000",
        "models-all": "/?limit=1000",
        "model": f"/models/{model['name']}",
        "model-imported": "/models/bedrock/invoke/anthropic.claude-3-5-sonnet-20240620-v1:0",
        "audit": "/audit",
        "audit-filtered": f"/audit?model={model['name']}",
        "simulate": "/simulate",
        "login": "/login",
    }
    for width, viewport, scheme in (("1280", DESKTOP, "light"), ("390", PHONE, "dark")):
        for watched in _watched(browser, big_server, viewport=viewport, color_scheme=scheme):
            page = watched.page
            for name, path in pages.items():
                if name == "login":
                    page.context.clear_cookies()
                page.goto(path)
                no_sideways_scroll(page)
                shot(page, f"catalog-{name}-{width}")
                if name == "models":
                    sign_in(page, big_server)
                    page.goto(path)
                    no_sideways_scroll(page)
                    shot(page, f"catalog-models-admin-{width}")
            page.goto("/")
            sign_in(page, big_server)
            page.get_by_role("button", name="Add model").click()
            no_sideways_scroll(page)
            shot(page, f"catalog-model-dialog-{width}")


def test_the_table_is_dense_and_its_header_sticks_at_1280_px(
    page: Page, big_server: Server
) -> None:
    sign_in(page, big_server)
    page.goto("/?limit=250")
    no_sideways_scroll(page)
    # Actions in a row menu, every row's in view: none is cut off at the right.
    assert page.locator("#models tbody summary").first.bounding_box()["x"] < 1280 - 20  # type: ignore[index]
    visible = page.evaluate(
        "[...document.querySelectorAll('#models tbody tr')]"
        ".filter(row => row.getBoundingClientRect().top < innerHeight).length"
    )
    assert visible >= 10, f"only {visible} rows on the first screen"
    page.evaluate("window.scrollTo(0, 3000)")
    assert page.evaluate("scrollY") > 2000
    top = page.eval_on_selector("#models thead th", "th => th.getBoundingClientRect().top")
    assert abs(top) <= 1, f"the header is at {top} px, not stuck at the top"
    shot(page, "catalog-models-scrolled-1280")


def test_imported_models_keep_their_vendor_and_host(page: Page, big_server: Server) -> None:
    page.goto("/?q=anthropic.claude-3-5-sonnet-20240620-v1&limit=1000")
    origin = page.locator(
        'tr[data-model-name="us.anthropic.claude-3-5-sonnet-20240620-v1:0"] td[data-col="origin"]'
    )
    expect(origin).to_have_text("anthropicbedrock")
    assert "other" not in page.locator('#models td[data-col="origin"]').all_inner_texts()


# ---- filters --------------------------------------------------------------------------------


def _hosts(model: dict[str, Any]) -> set[str]:
    prefixes = ("host:", "litellm_provider:", "modelsdev_provider:", "vendor:")
    return {tag.split(":", 1)[1] for tag in model["tags"] if tag.startswith(prefixes)}


def test_filters_narrow_the_table_to_what_the_records_say(page: Page, big_server: Server) -> None:
    models = every_model(big_server)
    assert len(models) >= 3000
    expected = sorted(
        (
            model["name"]
            for model in models
            if "bedrock" in _hosts(model)
            and model["capabilities"]["vision"]
            and model["capabilities"]["tools"]
            and model["context_window"] >= 128_000
            and model["pricing"] is not None
            and Decimal(str(model["pricing"]["input"])) <= 3
            and model["status"] == "active"
        ),
        key=str.lower,
    )
    assert 5 <= len(expected) < 200
    page.goto("/?limit=1000")
    page.get_by_label("Vendor or host").select_option("bedrock")
    expect(page).to_have_url(re.compile(r"vendor=bedrock"))
    page.get_by_label("vision").check()
    expect(page).to_have_url(re.compile(r"cap=vision"))
    page.get_by_label("tools").check()
    expect(page).to_have_url(re.compile(r"cap=tools"))
    page.get_by_label("Context at least").select_option("128000")
    expect(page).to_have_url(re.compile(r"min_context=128000"))
    page.locator("#filter-status").select_option("active")
    expect(page).to_have_url(re.compile(r"status=active"))
    page.get_by_label("Input ≤ / 1M").fill("3")
    page.get_by_label("Input ≤ / 1M").press("Enter")
    expect(page).to_have_url(re.compile(r"max_input=3"))
    query = parse_qs(urlsplit(page.url).query)
    assert sorted(query["cap"]) == ["tools", "vision"]
    assert count_shown(page) == len(expected)
    assert shown_names(page) == expected
    shot(page, "catalog-models-filtered-1280")

    # An output price limit and another vendor: the address alone makes the view.
    dear = [
        model["name"]
        for model in models
        if "anthropic" in _hosts(model) | {model["provider"]}
        and model["pricing"] is not None
        and Decimal(str(model["pricing"]["output"])) <= Decimal("4")
    ]
    page.goto("/?vendor=anthropic&provider=anthropic&max_output=4&limit=1000")
    assert set(shown_names(page)) == {
        name
        for name in dear
        if next(model for model in models if model["name"] == name)["provider"] == "anthropic"
    }


def test_columns_can_be_hidden_and_shown_and_are_remembered(page: Page, big_server: Server) -> None:
    page.goto("/?vendor=openai")
    context = page.locator('#models thead th[data-col="context"]')
    parameters = page.locator('#models thead th[data-col="parameters"]')
    expect(context).to_be_visible()
    expect(parameters).to_be_hidden()
    page.get_by_text("Columns", exact=True).click()
    page.locator("#column-chooser").get_by_label("Context").uncheck()
    page.locator("#column-chooser").get_by_label("Parameters").check()
    expect(context).to_be_hidden()
    expect(parameters).to_be_visible()
    page.reload()
    expect(page.locator('#models thead th[data-col="context"]')).to_be_hidden()
    expect(page.locator('#models tbody td[data-col="parameters"]').first).to_be_visible()
    page.evaluate("localStorage.clear()")


# ---- test connection ------------------------------------------------------------------------


def test_test_connection_shows_the_latency_or_the_plain_error(
    page: Page, big_server: Server, fake: FakeOpenAI
) -> None:
    reachable = big_server.create(
        name=unique("reachable"),
        deployment={"endpoint": f"{fake.url}/v1", "api_key_env": "FAKE_API_KEY"},
    )
    refused = big_server.create(
        name=unique("refused"),
        deployment={"endpoint": f"{fake.url}/v1", "api_key_env": "WRONG_API_KEY"},
    )
    sign_in(page, big_server)
    page.goto(f"/models/{reachable['name']}")
    page.locator(".model-head").get_by_role("button", name="Test connection").click()
    result = page.locator("#test-result")
    expect(result).to_have_text(
        re.compile(rf"^Connected: {reachable['name']} answered in \d+ ms\.$")
    )
    expect(result).to_have_attribute("role", "status")
    shot(page, "catalog-test-connection-ok")

    page.goto(f"/models/{refused['name']}")
    page.locator(".model-head").get_by_role("button", name="Test connection").click()
    expect(result).to_contain_text("Connection failed:")
    expect(result).to_contain_text("refused the key in WRONG_API_KEY (HTTP 401)")
    assert "not-the-key" not in result.inner_text()

    # In the edit dialog: the saved deployment is tested, and the dialog says so when the
    # typed one differs.
    page.locator(".model-head").get_by_role("button", name="Edit").click()
    dialog = page.locator("#model-dialog")
    dialog.get_by_label("API key environment variable").fill("FAKE_API_KEY")
    dialog.get_by_role("button", name="Test connection").click()
    in_dialog = dialog.locator("#dialog-test-result")
    expect(in_dialog).to_contain_text("Connection failed:")
    expect(in_dialog).to_contain_text("save first to test your changes")
    with page.expect_navigation():
        dialog.get_by_role("button", name="Save changes").click()
    page.locator(".model-head").get_by_role("button", name="Edit").click()
    dialog.get_by_role("button", name="Test connection").click()
    expect(in_dialog).to_have_text(re.compile(r"^Connected: .* answered in \d+ ms\.$"))
    shot(page, "catalog-test-connection-dialog")


# ---- the model dialog: errors, the discard guard, confirmations ----------------------------


def test_errors_use_the_fields_labels_and_what_was_typed(page: Page, big_server: Server) -> None:
    sign_in(page, big_server)
    page.get_by_role("button", name="Add model").click()
    dialog = page.locator("#model-dialog")
    dialog.get_by_label("Name", exact=True).fill(unique("friendly"))
    dialog.get_by_label("Context window (tokens)").fill("128000")
    dialog.get_by_label("Max output tokens", exact=True).fill("200000")
    dialog.get_by_label("Base timeout (s)").fill("300")
    dialog.get_by_label("Max timeout (s)").fill("100")
    dialog.get_by_role("button", name="Add model").click()
    expect(dialog.locator("#f-max_output_tokens-error")).to_have_text(
        "Max output tokens (200,000) must not exceed the context window (128,000)."
    )
    expect(dialog.locator("#f-limits-max_timeout_s-error")).to_have_text(
        "Max timeout (s) (100) must be at least the base timeout (300)."
    )
    dialog.get_by_label("Context window (tokens)").fill("12k")
    dialog.get_by_label("Max output tokens", exact=True).fill("1000")
    dialog.get_by_label("Max timeout (s)").fill("300")
    dialog.get_by_label("Input price", exact=True).fill("1")
    dialog.get_by_label("Output price", exact=True).fill("2")
    dialog.locator("#pricing-more summary").click()
    dialog.get_by_label("Currency").fill("usd")
    dialog.get_by_role("button", name="Add model").click()
    expect(dialog.locator("#f-context_window-error")).to_have_text(
        "Context window (tokens) must be a whole number, not “12k”."
    )
    expect(dialog.locator("#f-pricing-currency-error")).to_have_text(
        "Currency must be three capital letters, such as USD, not “usd”."
    )
    summary = dialog.locator("#model-form-summary")
    expect(summary).to_contain_text("Please correct the 2 fields marked below")
    text = summary.inner_text() + dialog.locator(".field-error:visible").all_inner_texts()[0]
    for jargon in ("context_window", "Input should be", "null", "pattern"):
        assert jargon not in text
    shot(page, "catalog-model-dialog-errors")


def test_closing_the_dialog_with_typed_changes_asks_first(page: Page, big_server: Server) -> None:
    model = big_server.create(name=unique("guarded"), display_name="Before")
    sign_in(page, big_server)
    page.goto(f"/models/{model['name']}")
    edit = page.locator(".model-head").get_by_role("button", name="Edit")
    dialog = page.locator("#model-dialog")
    guard = page.locator("#discard-dialog")

    # Untouched, Escape closes at once.
    edit.click()
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(guard).to_be_hidden()

    edit.click()
    field = dialog.get_by_label("Display name", exact=True)
    field.click()
    field.press("End")
    field.press_sequentially(" and after")
    page.keyboard.press("Escape")
    expect(guard).to_be_visible()
    expect(guard.locator("h2")).to_have_text("Discard your changes?")
    shot(page, "catalog-discard-guard")
    guard.get_by_role("button", name="Keep editing").click()
    expect(guard).to_be_hidden()
    expect(dialog).to_be_visible()
    expect(field).to_have_value("Before and after")

    dialog.get_by_role("button", name="Cancel").click()
    expect(guard).to_be_visible()
    page.keyboard.press("Escape")  # Escape in the question keeps editing too
    expect(guard).to_be_hidden()
    expect(dialog).to_be_visible()

    dialog.get_by_role("button", name="Close").click()
    expect(guard).to_be_visible()
    guard.get_by_role("button", name="Discard changes").click()
    expect(guard).to_be_hidden()
    expect(dialog).to_be_hidden()
    assert big_server.model(model["id"]).json()["display_name"] == "Before"


def test_saving_and_deleting_say_so_in_a_status_message(page: Page, big_server: Server) -> None:
    model = big_server.create(name=unique("confirmed"))
    sign_in(page, big_server)
    page.goto(f"/?q={model['name']}")
    row_action(page, model["name"], "Edit").click()
    page.locator("#model-dialog").get_by_label("Display name", exact=True).fill("Renamed")
    page.locator("#model-dialog").get_by_role("button", name="Save changes").click()
    status = page.locator("#status")
    expect(status).to_have_text(f"Saved the changes to {model['name']}.")
    expect(status).to_have_attribute("role", "status")
    expect(status).to_have_attribute("aria-live", "polite")
    expect(row_of(page, model["name"]).locator(".sub")).to_have_text("Renamed")
    shot(page, "catalog-saved-status")
    page.reload()
    expect(status).to_be_hidden()  # said once

    row_action(page, model["name"], "Delete").click()
    page.locator("#delete-dialog").get_by_role("button", name="Delete").click()
    expect(status).to_have_text(f"Deleted {model['name']}.")


def test_making_a_model_the_default_is_confirmed_first(page: Page, big_server: Server) -> None:
    previous = next(model for model in every_model(big_server) if model["is_default"])
    model = big_server.create(name=unique("next-default"))
    sign_in(page, big_server)
    try:
        page.goto(f"/models/{model['name']}")
        page.locator(".model-head").get_by_role("button", name="Make default").click()
        confirm = page.locator("#default-dialog")
        expect(confirm).to_contain_text(f"instead of {previous['name']}")
        confirm.get_by_role("button", name="Cancel").click()
        assert big_server.model(model["id"]).json()["is_default"] is False
        page.locator(".model-head").get_by_role("button", name="Make default").click()
        confirm.get_by_role("button", name="Make default").click()
        expect(page.locator("#status")).to_have_text(f"{model['name']} is now the default model.")
        assert big_server.model(model["id"]).json()["is_default"] is True
    finally:
        big_server.api.post(f"/api/models/{previous['id']}/default")


# ---- audit and the price chart --------------------------------------------------------------


def test_audit_filters_live_in_the_address_and_show_prices_as_prices(
    page: Page, big_server: Server
) -> None:
    model = big_server.create(name=unique("audited"), pricing={"input": "1", "output": "2"})
    future = days_ahead_z(400)
    added = big_server.api.post(
        f"/api/models/{model['id']}/prices",
        json={"input": "0.5", "output": "1.5", "effective_from": future},
    )
    assert added.status_code == 201, added.text
    big_server.api.patch(f"/api/models/{model['id']}", json={"display_name": "Audited"})
    page.goto("/audit")
    page.get_by_label("Model").fill(model["name"])
    page.get_by_label("Model").press("Enter")
    page.get_by_label("Action").select_option("price")
    expect(page).to_have_url(re.compile(r"action=price"))
    assert parse_qs(urlsplit(page.url).query)["model"] == [model["name"]]
    entries = page.locator("ol.audit > li")
    expect(entries).to_have_count(1)
    expect(entries.first.locator(".badge")).to_have_text("price")
    rows = entries.first.locator("table.changes tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("th")).to_have_text("Added price period")
    lines = rows.first.locator("td.after .line").all_inner_texts()
    assert lines[0] == "input 0.5, output 1.5 (USD per 1M tokens)"
    assert lines[1].startswith("from ")
    shot(page, "catalog-audit-filtered")

    # Updates list only what changed: no version or updated_at.
    page.get_by_label("Action").select_option("update")
    expect(page).to_have_url(re.compile(r"action=update"))
    fields = entries.first.locator("table.changes tbody tr").evaluate_all(
        "rows => rows.map(row => row.dataset.field)"
    )
    assert fields == ["display_name"]

    # Who and when: the day filter is inclusive, and a day with no change shows none.
    page.goto(f"/audit?model={model['name']}&actor=token:MODELDECK_ADMIN_TOKEN")
    expect(entries).to_have_count(3)
    page.goto(f"/audit?model={model['name']}&to=2000-01-01")
    expect(entries).to_have_count(0)
    expect(page.locator("main")).to_contain_text("No change matches these filters")


def test_the_price_chart_shows_every_period_and_which_is_in_effect_now(
    page: Page, big_server: Server
) -> None:
    model = big_server.create(name=unique("charted"), pricing={"input": "1", "output": "4"})
    for rates in ({"input": "2", "output": "5"}, {"input": "3", "output": "6"}):
        response = big_server.api.post(f"/api/models/{model['id']}/prices", json=rates)
        assert response.status_code == 201, response.text
    response = big_server.api.post(
        f"/api/models/{model['id']}/prices",
        json={"input": "0.5", "output": "2", "effective_from": days_ahead_z(200)},
    )
    assert response.status_code == 201, response.text
    page.goto(f"/models/{model['name']}")
    # Three periods on one day and a future one: four steps per rate.
    steps = page.locator("#price-chart path.series-input").get_attribute("d") or ""
    assert steps.count("M") == 4
    widths = [
        float(end) - float(begin) for begin, end in re.findall(r"M([\d.]+),[\d.]+H([\d.]+)", steps)
    ]
    assert min(widths) >= 20, widths
    expect(page.locator("#price-now")).to_have_text(
        re.compile(r"^In effect now: from .* UTC: input 3, output 6$")
    )
    expect(page.locator("#price-future")).to_contain_text("Future: from ")
    expect(page.locator("#price-chart text.tick.future")).to_have_count(1)
    expect(page.locator("#price-history tbody tr").first.locator(".badge")).to_have_text("future")
    page.locator("#price-chart").screenshot(path=str(ARTIFACTS / "catalog-price-chart.png"))


# ---- accessibility ----------------------------------------------------------------------------


def test_the_models_audit_and_aliases_pages_have_no_serious_accessibility_violations(
    page: Page, big_server: Server
) -> None:
    """axe-core (vendored, run in the page) on a real-sized registry, signed in as an admin:
    the Models table filtered and with its menus open, a model page after Test connection is
    offered, the edit dialog showing errors, Audit filtered, Aliases with its form, sign-in."""
    model = big_server.create(name=unique("axe"))
    alias = unique("axe-alias")
    made = big_server.api.post(
        "/api/aliases", json={"name": alias, "targets": [{"model": model["name"]}]}
    )
    assert made.status_code == 201, made.text
    found: dict[str, list[dict[str, Any]]] = {}

    page.goto("/login")
    found["/login"] = serious_violations(page)
    sign_in(page, big_server)
    for url in ("/", "/?vendor=anthropic&cap=vision", "/audit", "/audit?action=create"):
        page.goto(url)
        found[url] = serious_violations(page)
    page.goto("/?vendor=anthropic")
    page.get_by_text("Columns", exact=True).click()
    found["/ with the Columns menu open"] = serious_violations(page)
    page.goto("/?vendor=anthropic")
    page.locator("#models tbody summary").first.click()
    found["/ with a row's menu open"] = serious_violations(page)
    page.goto(f"/models/{model['name']}")
    found["model page"] = serious_violations(page)
    page.goto("/aliases")
    found["/aliases"] = serious_violations(page)
    page.get_by_label("Name", exact=True).fill(alias + "-2")
    page.get_by_label("Target 1: model").fill("no-such-model")
    page.get_by_role("button", name="Save alias").click()
    expect(page.locator("#alias-errors")).to_be_visible()
    found["/aliases with errors"] = serious_violations(page)
    big_server.api.delete(f"/api/aliases/{alias}")
    assert {url: issues for url, issues in found.items() if issues} == {}

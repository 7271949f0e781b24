"""The web console in a real browser (issue 4): Debian's Chromium driven by Playwright against a
`modeldeck serve` started once for the session on a temporary SQLite file.

A browser test that cannot run fails; it never skips (DESIGN §11).
"""

from __future__ import annotations

import asyncio
import csv
import re
import secrets
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from conftest import SECRET_KEY
from modeldeck.auth.sessions import create_login_code
from modeldeck.auth.tokens import find_token
from modeldeck.db import Database
from modeldeck.settings import normalise_database_url
from serving import chromium, free_port, serving

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts" / "console"
IMG_NAME = "<img src=x onerror=alert(1)>"
SCRIPT_NAME = '"><script>alert(1)</script>'
STALE = "Someone changed this model meanwhile — reload to see their change"


@dataclass
class Server:
    url: str
    token: str
    api: httpx.Client
    database_url: str

    def create(self, **fields: Any) -> dict[str, Any]:
        body = {
            "name": unique("browser"),
            "provider": "openai",
            "context_window": 128000,
            "max_output_tokens": 4096,
            "pricing": {"input": "1", "output": "2"},
            **fields,
        }
        response = self.api.post("/api/models", json=body)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def model(self, ref: str) -> httpx.Response:
        return self.api.get(f"/api/models/{ref}")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One real `modeldeck serve` for the whole session, on a fresh SQLite file."""
    folder = tmp_path_factory.mktemp("console-server")
    token = "mdk_browser_" + secrets.token_urlsafe(24)
    database_url = f"sqlite:///{folder / 'console.db'}"
    env = {
        "MODELDECK_DATABASE_URL": database_url,
        "MODELDECK_ADMIN_TOKEN": token,
        "MODELDECK_SECRET_KEY": SECRET_KEY,
        "MODELDECK_READ_TOKEN_REQUIRED": "false",
    }
    with (
        serving(folder, env) as (url, _),
        httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as api,
    ):
        yield Server(url, token, api, database_url)


# Module scope: one browser for all these tests, closed before other modules run, because
# Playwright's sync API keeps its event loop marked running on this thread while it is open.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with chromium() as launched:
        yield launched


@dataclass
class Watched:
    """A page, and anything it did that it never should: JS dialogs and script errors."""

    page: Page
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def clean(self) -> None:
        assert self.dialogs == [], f"a JavaScript dialog fired: {self.dialogs}"
        assert self.errors == [], f"JavaScript errors: {self.errors}"


def _watched(browser: Browser, server: Server, **options: Any) -> Iterator[Watched]:
    options = {"viewport": {"width": 1280, "height": 900}, **options}
    context = browser.new_context(base_url=server.url, **options)
    context.set_default_timeout(10_000)
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
def watched(browser: Browser, server: Server) -> Iterator[Watched]:
    yield from _watched(browser, server)


@pytest.fixture
def page(watched: Watched) -> Page:
    return watched.page


def sign_in(page: Page, server: Server) -> None:
    """The token pasted into the sign-in form."""
    page.goto("/login")
    page.get_by_label("API token").fill(server.token)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(f"{server.url}/")
    expect(page.locator("header.top")).to_contain_text("Signed in:")


def login_code(server: Server) -> str:
    """A one-time login code in the server's database, as the first `serve` makes one.

    On its own thread: Playwright's sync API keeps this thread's event loop busy.
    """

    async def make() -> str:
        database = Database(normalise_database_url(server.database_url))
        try:
            async with database.write() as session:
                token = await find_token(session, server.token)
                assert token is not None
                return await create_login_code(session, token)
        finally:
            await database.dispose()

    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, make()).result()


def session_cookies(page: Page) -> list[Any]:
    return [c for c in page.context.cookies() if c["name"] == "modeldeck_session"]


def shot(page: Page, name: str, *, full_page: bool = True) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


def row_of(page: Page, name: str) -> Any:
    return page.locator(f'tr[data-model-name="{name}"]')


def row_action(page: Page, name: str, action: str) -> Any:
    """A button of a row's actions menu, once the menu is open."""
    row = row_of(page, name)
    menu = row.locator("details.row-menu")
    if menu.get_attribute("open") is None:
        row.locator("summary").click()
    return row.get_by_role("button", name=action, exact=True)


# ---- signing in ----------------------------------------------------------------------------


def test_signing_in_with_a_token_lands_on_the_models_page(page: Page, server: Server) -> None:
    page.goto("/")
    page.get_by_role("link", name="Sign in", exact=True).click()
    expect(page).to_have_url(f"{server.url}/login?next=%2F")
    page.get_by_label("API token").fill(server.token)
    shot(page, "login")
    page.get_by_label("API token").press("Enter")
    expect(page).to_have_url(f"{server.url}/")
    expect(page.locator("header.top")).to_contain_text("Signed in: MODELDECK_ADMIN_TOKEN (admin)")
    [cookie] = session_cookies(page)
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    # Secure by default, and Chromium keeps it over http://127.0.0.1 (a secure context).
    assert cookie["secure"] is True
    assert server.token not in cookie["value"]  # a session id, not the token
    assert page.evaluate("document.cookie") == ""  # out of reach of scripts
    expect(page.locator("#models tbody tr")).not_to_have_count(0)
    shot(page, "models")
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("header.top")).to_contain_text("Sign in")
    assert session_cookies(page) == []
    # The old cookie put back is refused: signing out ended the session on the server.
    page.context.add_cookies([cookie])
    page.reload()
    expect(page.locator("header.top")).to_contain_text("Sign in")
    expect(page.locator("header.top")).not_to_contain_text("Signed in:")


def test_the_login_link_signs_in_once_by_its_button(page: Page, server: Server) -> None:
    link = f"/login?code={login_code(server)}"
    page.goto(link)
    expect(page.locator("header.top")).not_to_contain_text("Signed in:")  # the GET did nothing
    shot(page, "login-link")
    page.get_by_role("button", name="Sign in as MODELDECK_ADMIN_TOKEN").click()
    expect(page).to_have_url(f"{server.url}/")
    expect(page.locator("header.top")).to_contain_text("Signed in: MODELDECK_ADMIN_TOKEN (admin)")
    assert server.token not in page.url
    page.context.clear_cookies()
    page.goto(link)
    expect(page.get_by_role("alert")).to_contain_text("used already")
    expect(page.get_by_role("button", name="Sign in as MODELDECK_ADMIN_TOKEN")).to_have_count(0)


def test_another_site_cannot_sign_a_visitor_in(page: Page, server: Server) -> None:
    # A page of another origin (localhost is not 127.0.0.1 to a browser), served by the test.
    other = f"http://localhost:{free_port()}/trap"
    trap = (
        f'<a id="link" href="{server.url}/login?token={server.token}">prize</a>'
        f'<form id="form" method="post" action="{server.url}/login">'
        f'<input type="hidden" name="token" value="{server.token}">'
        '<button type="submit">win</button></form>'
    )
    page.route(other, lambda route: route.fulfill(body=trap, content_type="text/html"))
    page.goto(other)
    page.locator("#link").click()
    expect(page).to_have_url(f"{server.url}/login?token={server.token}")
    expect(page.get_by_label("API token")).to_be_visible()
    assert session_cookies(page) == []
    page.goto(other)
    page.get_by_role("button", name="win").click()
    expect(page.locator("main")).to_contain_text("another site sent it")
    assert session_cookies(page) == []
    page.goto("/")
    expect(page.locator("header.top")).not_to_contain_text("Signed in:")


# ---- adding and editing --------------------------------------------------------------------


def test_adding_a_model_with_pricing_shows_the_complexity_factor_as_parameters_are_typed(
    page: Page, server: Server
) -> None:
    sign_in(page, server)
    page.get_by_role("button", name="Add model").click()
    dialog = page.locator("#model-dialog")
    expect(dialog).to_be_visible()
    name = unique("added")
    dialog.get_by_label("Name", exact=True).fill(name)
    parameters = dialog.get_by_label("Parameters (billions)")
    factor = dialog.locator("#complexity-factor")
    expect(factor).to_have_text("—")
    parameters.press_sequentially("35")
    expect(factor).to_have_text("0.2")
    parameters.press_sequentially("0")
    expect(factor).to_have_text("2")
    dialog.get_by_label("Context window (tokens)").fill("200000")
    dialog.get_by_label("Max output tokens", exact=True).fill("8192")
    expect(dialog.get_by_label("Input weight", exact=True)).to_have_value("1")
    dialog.get_by_label("Input price", exact=True).fill("3")
    dialog.get_by_label("Cached input price").fill("0.3")
    dialog.get_by_label("Output price", exact=True).fill("15")
    dialog.locator("#pricing-more summary").click()
    dialog.get_by_label("Fee per request").fill("0.001")
    shot(page, "model-dialog")
    dialog.get_by_role("button", name="Add model").click()
    expect(page).to_have_url(f"{server.url}/models/{name}")
    expect(page.locator("h1")).to_have_text(name)
    created = server.model(name).json()
    assert created["complexity_factor"] == 2.0
    assert created["pricing"]["input"] == 3
    assert created["pricing"]["cached_input"] == 0.3
    assert created["pricing"]["per_request"] == 0.001
    assert created["token_weights"] == {
        "input": 1.0,
        "cached_input": 1.0,
        "output": 1.0,
        "reasoning": 1.0,
    }
    expect(page.locator("#price-chart path")).not_to_have_count(0)
    shot(page, "model")


def test_field_errors_from_the_server_appear_next_to_their_fields(
    page: Page, server: Server
) -> None:
    sign_in(page, server)
    page.get_by_role("button", name="Add model").click()
    dialog = page.locator("#model-dialog")
    name = unique("errors")
    dialog.get_by_label("Name", exact=True).fill(name)
    dialog.get_by_label("Context window (tokens)").fill("1000")
    dialog.get_by_label("Max output tokens", exact=True).fill("4000")
    dialog.get_by_label("Input price", exact=True).fill("-1")
    dialog.get_by_label("Output price", exact=True).fill("2")
    dialog.get_by_role("button", name="Add model").click()
    expect(dialog.locator("#f-max_output_tokens-error")).to_have_text(
        "Max output tokens (4,000) must not exceed the context window (1,000)."
    )
    expect(dialog.locator("#f-pricing-input-error")).to_have_text(
        "Input price (-1) must not be negative."
    )
    expect(dialog.get_by_label("Max output tokens", exact=True)).to_have_attribute(
        "aria-invalid", "true"
    )
    expect(dialog.locator("#model-form-summary")).to_contain_text(
        "Please correct the 2 fields marked below"
    )
    # Nothing typed is lost.
    expect(dialog.get_by_label("Name", exact=True)).to_have_value(name)
    expect(dialog.get_by_label("Input price", exact=True)).to_have_value("-1")
    shot(page, "model-dialog-errors")
    dialog.get_by_label("Max output tokens", exact=True).fill("500")
    dialog.get_by_label("Input price", exact=True).fill("1")
    dialog.get_by_role("button", name="Add model").click()
    expect(page).to_have_url(f"{server.url}/models/{name}")


def test_editing_a_model_saves_the_change(page: Page, server: Server) -> None:
    model = server.create(display_name="Before")
    sign_in(page, server)
    page.goto(f"/?q={model['name']}")
    row_action(page, model["name"], "Edit").click()
    dialog = page.locator("#model-dialog")
    expect(dialog.get_by_label("Name", exact=True)).to_have_value(model["name"])
    expect(dialog.get_by_label("Output price", exact=True)).to_have_value("2")
    dialog.get_by_label("Display name", exact=True).fill("After")
    dialog.get_by_label("Output price", exact=True).fill("2.5")
    dialog.get_by_label("Tags").fill("team:search, beta")
    dialog.get_by_role("button", name="Save changes").click()
    expect(row_of(page, model["name"]).locator(".sub")).to_have_text("After")
    saved = server.model(model["id"]).json()
    assert saved["version"] == 2
    assert saved["pricing"]["output"] == 2.5
    assert saved["tags"] == ["team:search", "beta"]


def test_an_unpriced_model_can_be_added_and_models_save_unchanged(
    page: Page, server: Server
) -> None:
    sign_in(page, server)
    page.get_by_role("button", name="Add model").click()
    dialog = page.locator("#model-dialog")
    name = unique("unpriced")
    dialog.get_by_label("Name", exact=True).fill(name)
    dialog.get_by_label("Context window (tokens)").fill("32000")
    dialog.get_by_label("Max output tokens", exact=True).fill("4000")
    dialog.get_by_role("button", name="Add model").click()
    expect(page).to_have_url(f"{server.url}/models/{name}")
    assert server.model(name).json()["pricing"] is None

    # Opening a model and saving it untouched changes nothing: no new version, no audit entry.
    priced = server.create()  # its price has no source
    varied = server.create(  # rates the dialog edits as JSON: saved untouched, they stay
        pricing={
            "input": "0.15",
            "output": "0.6",
            "cache_write_1h": "0.3",
            "windows": [
                {
                    "start": "22:00",
                    "end": "02:00",
                    "name": "off-peak",
                    "input": 0.075,
                    "output": 0.3,
                }
            ],
            "service_tiers": {"batch": {"input": "0.075", "output": "0.3", "cached_input": "0.01"}},
        }
    )
    for model in (server.model(name).json(), priced, varied):
        page.goto(f"/models/{model['name']}")
        page.locator(".model-head").get_by_role("button", name="Edit").click()
        expect(dialog).to_be_visible()
        # Saving reloads the page: wait for it, or the next goto races the reload.
        with page.expect_navigation():
            dialog.get_by_role("button", name="Save changes").click()
        expect(dialog).to_be_hidden()
        saved = server.model(model["id"]).json()
        assert saved["version"] == model["version"], saved
        assert saved["pricing"] == model["pricing"]

    # Changing the JSON of a window saves it as a new price.
    page.goto(f"/models/{varied['name']}")
    page.locator(".model-head").get_by_role("button", name="Edit").click()
    windows = dialog.get_by_label("Time-of-day windows (JSON)")
    expect(windows).to_have_value(re.compile('"start": "22:00"'))
    windows.fill('[{"start": "23:00", "end": "03:00", "input": 0.05, "output": 0.2}]')
    with page.expect_navigation():
        dialog.get_by_role("button", name="Save changes").click()
    saved = server.model(varied["id"]).json()["pricing"]
    assert [(w["start"], w["end"], w["input"]) for w in saved["windows"]] == [
        ("23:00", "03:00", 0.05)
    ]
    assert saved["service_tiers"] == varied["pricing"]["service_tiers"]


def test_a_stale_edit_says_so_instead_of_overwriting(page: Page, server: Server) -> None:
    model = server.create(display_name="Original")
    sign_in(page, server)
    page.goto(f"/models/{model['name']}")
    page.get_by_role("button", name="Edit").click()
    dialog = page.locator("#model-dialog")
    dialog.get_by_label("Display name", exact=True).fill("Mine")
    changed = server.api.patch(f"/api/models/{model['id']}", json={"display_name": "Theirs"})
    assert changed.status_code == 200
    dialog.get_by_role("button", name="Save changes").click()
    expect(dialog.locator("#model-form-summary")).to_contain_text(STALE)
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Display name", exact=True)).to_have_value("Mine")
    assert server.model(model["id"]).json()["display_name"] == "Theirs"


def test_a_system_model_is_read_only_and_can_be_cloned_to_customise(
    page: Page, server: Server
) -> None:
    sign_in(page, server)
    page.goto("/?system=true&q=gpt-4o-mini")
    row_action(page, "gpt-4o-mini", "Edit").click()
    dialog = page.locator("#model-dialog")
    expect(dialog.locator("#system-notice")).to_be_visible()
    expect(dialog.get_by_label("Name", exact=True)).to_have_attribute("readonly", "")
    expect(dialog.get_by_label("Input price", exact=True)).to_have_attribute("readonly", "")
    expect(dialog.get_by_label("Provider")).to_be_disabled()
    expect(dialog.get_by_label("Endpoint URL")).to_be_editable()
    expect(dialog.get_by_label("Tags")).to_be_editable()
    dialog.get_by_role("button", name="Clone to customise").click()
    clone = page.locator("#clone-dialog")
    expect(clone).to_be_visible()
    expect(clone.get_by_label("Name of the copy")).to_have_value("gpt-4o-mini-custom")
    name = unique("gpt-4o-mini-ours")
    clone.get_by_label("Name of the copy").fill(name)
    clone.get_by_role("button", name="Clone").click()
    expect(page).to_have_url(f"{server.url}/models/{name}")
    expect(page.locator(".model-head .badges")).not_to_contain_text("system")
    copied = server.model(name).json()
    assert copied["is_system"] is False
    assert copied["pricing"] == server.model("gpt-4o-mini").json()["pricing"]


def test_make_default_then_its_delete_button_is_disabled_with_the_reason(
    page: Page, server: Server
) -> None:
    previous = next(
        model
        for model in server.api.get("/api/models?limit=1000").json()["data"]
        if model["is_default"]
    )
    model = server.create()
    sign_in(page, server)
    try:
        page.goto(f"/?q={model['name']}")
        row = row_of(page, model["name"])
        row_action(page, model["name"], "Make default").click()
        confirm = page.locator("#default-dialog")
        expect(confirm).to_be_visible()
        expect(confirm.locator("h2")).to_have_text(f"Make {model['name']} the default model?")
        expect(confirm).to_contain_text(f"instead of {previous['name']}")
        confirm.get_by_role("button", name="Make default").click()
        expect(row.locator(".badge.default")).to_have_text("default")
        expect(page.locator("#status")).to_have_text(f"{model['name']} is now the default model.")
        delete = row_action(page, model["name"], "Delete")
        expect(delete).to_be_disabled()
        expect(row.locator(".reason")).to_have_text(
            "Default model: make another model default first"
        )
        assert server.model(model["id"]).json()["is_default"] is True
    finally:
        server.api.post(f"/api/models/{previous['id']}/default")


def test_deleting_asks_for_confirmation_naming_the_model(page: Page, server: Server) -> None:
    model = server.create()
    sign_in(page, server)
    page.goto(f"/?q={model['name']}")
    row_action(page, model["name"], "Delete").click()
    confirm = page.locator("#delete-dialog")
    expect(confirm).to_be_visible()
    expect(confirm.locator("h2")).to_have_text(f"Delete {model['name']}?")
    confirm.get_by_role("button", name="Cancel").click()
    expect(confirm).to_be_hidden()
    assert server.model(model["id"]).status_code == 200
    row_action(page, model["name"], "Delete").click()
    confirm.get_by_role("button", name="Delete").click()
    expect(row_of(page, model["name"])).to_have_count(0)
    expect(page.locator("#status")).to_have_text(f"Deleted {model['name']}.")
    assert server.model(model["id"]).status_code == 404


# ---- the simulator -------------------------------------------------------------------------


def test_a_simulation_ranks_the_models_and_downloads_as_csv(
    page: Page, server: Server, tmp_path: Path
) -> None:
    page.goto("/simulate")
    page.get_by_label("Input tokens per request").fill("3000")
    page.get_by_label("Output tokens per request").fill("600")
    page.get_by_label("Requests", exact=True).fill("10000")
    page.get_by_label("Cached share of input").fill("0.25")
    page.get_by_text("Custom prices").click()  # the what-if rows fold away until wanted
    cheap = '=cheap,"self-hosted"'
    # Free, as Gemma is on the Gemini API: a tie at 0 ranks by name, and "=" sorts first.
    page.locator("input[name=custom_name]").first.fill(cheap)
    page.locator("input[name=custom_input]").first.fill("0")
    page.locator("input[name=custom_output]").first.fill("0")
    page.get_by_role("button", name="Add a custom price").click()
    page.locator("input[name=custom_name]").nth(1).fill("tiny-window")
    page.locator("input[name=custom_input]").nth(1).fill("0.0001")
    page.locator("input[name=custom_output]").nth(1).fill("0.0001")
    page.locator("input[name=custom_context_window]").nth(1).fill("1000")
    page.get_by_role("button", name="Simulate").click()
    expect(page).to_have_url(re.compile(r"/simulate\?.*custom_name=tiny-window"))
    ranking = page.locator("#ranking tbody tr")
    expect(ranking.first.locator("th")).to_contain_text(cheap)
    expect(page.locator("#cost-chart li.bar")).to_have_count(20)
    # Cheap as it is, tiny-window does not fit: it is ranked after every model that fits.
    expect(page.locator("#cost-chart li.bar", has_text="tiny-window")).to_have_count(0)
    shot(page, "simulate")

    with page.expect_download() as pending:
        page.get_by_role("button", name="Download CSV").click()
    saved = tmp_path / pending.value.suggested_filename
    pending.value.save_as(saved)
    with saved.open(newline="") as handle:
        table = list(csv.DictReader(handle))
    total = page.locator("#ranking-title").inner_text()
    assert total.endswith(f"of {len(table):,})")
    assert table[0]["model"] == "'" + cheap
    fits = [row["fits"] for row in table]
    assert fits == sorted(fits, reverse=True)  # "true" rows, then the "false" ones
    [tiny] = [row for row in table if row["model"] == "tiny-window"]
    assert tiny["fits"] == "false"
    assert "exceeds the context window" in tiny["fit_problems"]
    assert {row["requests"] for row in table} == {"10000"}
    shown = [page.locator("#ranking tbody tr th").nth(index).inner_text() for index in (1, 2)]
    assert [row["model"] for row in table[1:3]] == [name.strip() for name in shown]


# ---- safety and keyboard -------------------------------------------------------------------


def test_markup_in_names_is_shown_as_text_and_runs_nothing(
    watched: Watched, server: Server
) -> None:
    page = watched.page
    model = server.create(display_name=IMG_NAME, description=SCRIPT_NAME)
    sign_in(page, server)
    page.goto(f"/?q={model['name']}")
    expect(row_of(page, model["name"]).locator(".sub")).to_have_text(IMG_NAME)
    assert page.locator("main img, main script").count() == 0
    row_action(page, model["name"], "Edit").click()
    expect(page.get_by_label("Display name", exact=True)).to_have_value(IMG_NAME)
    expect(page.get_by_label("Description")).to_have_value(SCRIPT_NAME)
    page.keyboard.press("Escape")
    page.goto(f"/models/{model['name']}")
    expect(page.locator("#model-display-name")).to_have_text(IMG_NAME)
    expect(page.locator(".description")).to_have_text(SCRIPT_NAME)
    page.goto("/simulate")
    page.get_by_text("Custom prices").click()
    page.locator("input[name=custom_name]").first.fill(SCRIPT_NAME)
    page.locator("input[name=custom_input]").first.fill("0")
    page.locator("input[name=custom_output]").first.fill("0")
    page.get_by_role("button", name="Simulate").click()
    expect(page.locator("#cost-chart .bar-name", has_text="script")).to_have_text(SCRIPT_NAME)
    expect(page.locator("#ranking th.name", has_text="script")).to_contain_text(SCRIPT_NAME)
    page.goto("/audit")
    assert page.locator("main img, main script").count() == 0
    shot(page, "audit")
    watched.clean()


def test_the_add_dialog_opens_from_the_keyboard_and_closes_with_escape(
    page: Page, server: Server
) -> None:
    sign_in(page, server)
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "add-model":
            break
    else:
        pytest.fail("Tab never reached the Add model button")
    page.keyboard.press("Enter")
    dialog = page.locator("#model-dialog")
    expect(dialog).to_be_visible()
    assert page.evaluate("document.activeElement.name") == "name"
    for _ in range(60):  # the modal dialog keeps focus inside it
        page.keyboard.press("Tab")
        assert page.evaluate(
            "document.getElementById('model-dialog').contains(document.activeElement)"
            " || document.activeElement === document.body"
        )
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert page.evaluate("document.activeElement.id") == "add-model"


def test_the_console_is_usable_on_a_phone_in_dark_mode(browser: Browser, server: Server) -> None:
    for watched in _watched(
        browser, server, color_scheme="dark", is_mobile=True, viewport={"width": 390, "height": 844}
    ):
        page = watched.page
        sign_in(page, server)
        # The page never scrolls sideways; only the wide table scrolls inside its frame.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(15, 18, 22)"
        shot(page, "models-phone-dark", full_page=False)
        page.get_by_role("button", name="Add model").click()
        expect(page.locator("#model-dialog")).to_be_visible()
        assert page.evaluate("document.getElementById('model-dialog').scrollWidth") <= 390
        shot(page, "model-dialog-phone-dark", full_page=False)


def test_the_models_table_fits_a_1280_pixel_window_for_an_admin(page: Page, server: Server) -> None:
    sign_in(page, server)
    width = page.eval_on_selector(".table-frame", "wrap => [wrap.scrollWidth, wrap.clientWidth]")
    assert width[0] <= width[1], f"the table needs {width[0]} px in a {width[1]} px frame"
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    expect(page.locator("#models summary").first).to_be_in_viewport()


# --- aliases --------------------------------------------------------------------------------


def test_an_admin_adds_edits_and_deletes_an_alias_with_errors_in_plain_words(
    watched: Watched, server: Server
) -> None:
    page = watched.page
    first, second, fallback = (server.create() for _ in range(3))
    name = unique("chat")
    sign_in(page, server)
    page.get_by_role("link", name="Aliases").click()
    expect(page.get_by_role("heading", name="Aliases", exact=True)).to_be_visible()

    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Target 1: model").fill(first["name"])
    page.get_by_label("Target 1: weight").fill("3")
    page.get_by_label("Target 1: requests per minute").fill("600")
    page.get_by_label("Target 2: model").fill("no-such-model")
    page.get_by_label("Fallback 1: model").fill(fallback["name"])
    page.get_by_role("button", name="Save alias").click()
    # The problem is shown with the field's label, and the field is marked.
    errors = page.locator("#alias-errors")
    expect(errors).to_contain_text("Target 2: model: no model named 'no-such-model'")
    expect(page.get_by_label("Target 2: model")).to_have_attribute("aria-invalid", "true")

    page.get_by_label("Target 2: model").fill(second["name"])
    with page.expect_navigation():
        page.get_by_role("button", name="Save alias").click()
    expect(page.get_by_role("status")).to_contain_text(f"Alias {name} saved.")
    saved = server.api.get(f"/api/aliases/{name}").json()
    assert [(t["model"], t["weight"], t["rpm"]) for t in saved["targets"]] == [
        (first["name"], 3, 600),
        (second["name"], 1, None),
    ]
    assert [f["model"] for f in saved["fallbacks"]] == [fallback["name"]]
    row = page.locator("tr[data-alias]", has_text=name)
    expect(row).to_contain_text("weight 3 · 600 requests/min")
    shot(page, "aliases-1280")

    # Edit: the form is filled from the row; the change is a PUT with the version read.
    row.get_by_role("button", name=f"Edit {name}").click()
    expect(page.get_by_label("Target 1: weight")).to_have_value("3")
    page.get_by_label("Target 1: weight").fill("5")
    with page.expect_navigation():
        page.get_by_role("button", name="Save alias").click()
    expect(page.get_by_role("status")).to_contain_text(f"Alias {name} saved.")
    assert server.api.get(f"/api/aliases/{name}").json()["version"] == 2

    # Delete asks first (Cancel keeps it); confirming removes the alias, not its models.
    delete = page.locator("tr[data-alias]", has_text=name).get_by_role(
        "button", name=f"Delete {name}"
    )
    delete.click()
    confirm = page.locator("#alias-delete-dialog")
    expect(confirm).to_contain_text(f"Delete alias {name}?")
    confirm.get_by_role("button", name="Cancel").click()
    expect(confirm).to_be_hidden()
    assert server.api.get(f"/api/aliases/{name}").status_code == 200
    delete.click()
    with page.expect_navigation():
        confirm.get_by_role("button", name="Delete alias").click()
    expect(page.get_by_role("status")).to_contain_text(f"Alias {name} deleted.")
    assert server.api.get(f"/api/aliases/{name}").status_code == 404
    assert server.model(first["id"]).status_code == 200


def test_a_reader_sees_aliases_without_the_form(watched: Watched, server: Server) -> None:
    page = watched.page
    model = server.create()
    name = unique("cheap")
    made = server.api.post(
        "/api/aliases", json={"name": name, "targets": [{"model": model["name"]}]}
    )
    assert made.status_code == 201, made.text
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/aliases")
    expect(page.locator("tr[data-alias]", has_text=name)).to_contain_text(model["name"])
    expect(page.locator("#alias-form")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    # A card per alias at phone width: nothing hidden sideways in the table's frame either.
    frame = page.eval_on_selector(".table-wrap", "wrap => [wrap.scrollWidth, wrap.clientWidth]")
    assert frame[0] <= frame[1], frame
    shot(page, "aliases-390")
    server.api.delete(f"/api/aliases/{name}")

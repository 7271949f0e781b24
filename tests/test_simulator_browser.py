"""The Simulator on a real-sized registry (issue 18 §1): Debian's Chromium driven by Playwright
against a `modeldeck serve` whose database holds the built-in catalog and every text model of
the vendored LiteLLM map (3,000+ priced models), imported once for the session through the
real importer (`modeldeck import`), on a database of its own.

A browser test that cannot run fails; it never skips (DESIGN §11).
"""

from __future__ import annotations

import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from accessibility import axe_is_the_vendored_one, serious_violations
from conftest import CATALOG_SOURCES, SECRET_KEY
from serving import chromium, serving

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts" / "console"
LITELLM = CATALOG_SOURCES / "litellm-model-prices.json"
WIDTHS = (390, 1280)


@dataclass
class Registry:
    url: str
    token: str
    models: list[dict[str, Any]]


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """A server over the built-in catalog plus the whole LiteLLM map, imported by the CLI."""
    folder = tmp_path_factory.mktemp("simulator-registry")
    token = "mdk_simulator_" + secrets.token_urlsafe(24)
    database = f"sqlite:///{folder / 'registry.db'}"
    env = {
        "MODELDECK_DATABASE_URL": database,
        "MODELDECK_ADMIN_TOKEN": token,
        "MODELDECK_SECRET_KEY": SECRET_KEY,
    }
    command = [sys.executable, "-m", "modeldeck"]
    for step in (
        ["db", "upgrade"],
        ["import", str(LITELLM), "--format", "litellm", "--json"],
    ):
        done = subprocess.run(
            [*command, *step, "--database-url", database],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    with serving(folder, env) as (url, _):
        models = httpx.get(f"{url}/api/models?limit=10000", timeout=60).json()["data"]
        yield Registry(url, token, models)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with chromium() as launched:
        yield launched


def new_page(browser: Browser, registry: Registry, width: int = 1280, **options: Any) -> Page:
    context = browser.new_context(
        base_url=registry.url, viewport={"width": width, "height": 900}, **options
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("dialog", lambda dialog: errors.append(f"dialog: {dialog.message}"))
    PAGE_ERRORS[id(page)] = errors
    return page


# Script errors and JavaScript dialogs of each open page: none should ever happen.
PAGE_ERRORS: dict[int, list[str]] = {}


def errors_of(page: Page) -> list[str]:
    return PAGE_ERRORS.get(id(page), [])


@pytest.fixture
def page(browser: Browser, registry: Registry) -> Iterator[Page]:
    opened = new_page(browser, registry)
    yield opened
    errors = errors_of(opened)
    opened.context.close()
    assert errors == [], errors


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    assert width[0] <= width[1], f"the page is {width[0]} px wide in a {width[1]} px window"


def address(page: Page) -> str:
    """The page's address without its fragment (the form jumps to #results)."""
    return page.url.split("#", 1)[0]


def bar_names(page: Page) -> list[str]:
    return page.locator("#cost-chart .bar-name").all_inner_texts()


def ranked_names(page: Page) -> list[str]:
    return [name.strip() for name in page.locator("#ranking tbody th").all_inner_texts()]


# ---- what the Simulator should rank first, worked out here from the records ----------------


def _rate(value: Any) -> Fraction:
    return Fraction(str(value))


def cheapest_fitting(
    models: list[dict[str, Any]], input_tokens: int, output_tokens: int, needs: tuple[str, ...]
) -> str:
    """The model the Simulator must rank first: priced, not retired, not free, whose window holds
    the request and whose output limit allows it, with what the workload needs; cheapest (ties by
    name, ignoring case). Priced at the plain rates: a long-context tier starts far above this
    workload, and time-of-day windows belong to dear models, so neither applies to the cheapest."""
    candidates = []
    for model in models:
        pricing = model["pricing"]
        if pricing is None or model["status"] == "retired":
            continue
        per_request = _rate(pricing.get("per_request") or 0)
        if pricing["input"] == 0 and pricing["output"] == 0 and per_request == 0:
            continue
        if input_tokens + output_tokens > model["context_window"]:
            continue
        if output_tokens > model["max_output_tokens"]:
            continue
        if not all(model["capabilities"].get(name) for name in needs):
            continue
        for tier in pricing.get("tiers") or []:
            assert tier["above_input_tokens"] >= input_tokens, model["name"]
        cost = (
            input_tokens * _rate(pricing["input"]) + output_tokens * _rate(pricing["output"])
        ) / 1_000_000 + per_request
        candidates.append((cost, model["name"].lower(), model["name"], model))
    cost, _, name, model = min(candidates, key=lambda item: item[:2])
    assert not model["pricing"].get("windows"), f"{name} has time-of-day windows: price them"
    return str(name)


# ---- the scenarios -----------------------------------------------------------------------------


def test_the_registry_holds_over_three_thousand_priced_models(registry: Registry) -> None:
    priced = [model for model in registry.models if model["pricing"] is not None]
    assert len(priced) >= 3000
    assert axe_is_the_vendored_one()


def test_the_chart_shows_at_most_n_bars_led_by_the_cheapest_model_that_fits(
    page: Page, registry: Registry
) -> None:
    page.goto("/simulate")
    page.get_by_label("Input tokens per request").fill("30000")
    page.get_by_label("Output tokens per request").fill("9000")
    page.get_by_label("Requests", exact=True).fill("2500")
    page.get_by_label("tools").check()
    page.get_by_role("button", name="Simulate").click()
    expect(page.locator("#results")).to_be_visible()
    expected = cheapest_fitting(registry.models, 30_000, 9_000, ("tools",))
    assert ranked_names(page)[0] == expected
    assert bar_names(page)[0] == expected
    expect(page.locator("#cheapest")).to_have_text(expected)
    expect(page.locator("#cost-chart li.bar")).to_have_count(20)
    # Models that do not fit are ranked last, each saying why.
    page.goto(address(page) + "&sort=rank&page=10000")
    last = page.locator("#ranking tbody tr").last
    expect(last).to_contain_text("does not fit")
    expect(last.locator("td.fit")).to_contain_text(re.compile("exceeds|lacks"))
    # Fewer bars when asked; never more than asked.
    page.go_back()
    page.get_by_label("Bars in the chart").fill("7")
    page.get_by_role("button", name="Simulate").click()
    expect(page.locator("#cost-chart li.bar")).to_have_count(7)
    assert bar_names(page) == ranked_names(page)[:7]
    assert page.url.endswith("#results")  # the results, not the form, in view
    shot(page, "simulate-large-1280")


def test_labels_are_never_cut_and_the_scale_can_be_logarithmic(
    page: Page, registry: Registry
) -> None:
    page.goto("/simulate?input_tokens=1500&output_tokens=400&requests=1000&top=30")
    for label in page.locator("#cost-chart .bar-label").all():
        fits = label.evaluate("label => label.scrollWidth <= label.clientWidth")
        assert fits, label.inner_text()
    names = bar_names(page)
    assert all(name in ranked_names(page) for name in names)
    page.get_by_role("link", name="logarithmic").click()
    expect(page.locator("#cost-chart-title")).to_contain_text("logarithmic")
    assert bar_names(page) == names  # the same bars, drawn to another scale
    widths = [
        float(width.rstrip("%"))
        for width in page.locator("#cost-chart rect").evaluate_all(
            "rects => rects.map((rect) => rect.getAttribute('width'))"
        )
    ]
    assert widths == sorted(widths) and widths[0] > 0


def test_the_address_holds_the_result_and_opens_the_same_in_a_new_page(
    browser: Browser, page: Page, registry: Registry
) -> None:
    page.goto("/simulate")
    page.get_by_label("Input tokens per request").fill("12000")
    page.get_by_label("Output tokens per request").fill("800")
    page.get_by_label("Provider").select_option("openai_compatible")
    page.get_by_label("Minimum context window").fill("128k")
    page.get_by_label("Maximum output price").fill("2")
    page.get_by_label("json mode").check()
    page.get_by_label("Bars in the chart").fill("12")
    page.get_by_role("button", name="Simulate").click()
    page.get_by_role("link", name="logarithmic").click()
    page.get_by_role("link", name="Context window").click()
    expect(page.locator("#ranking th[aria-sort]")).to_contain_text("Context window")
    shared = page.url
    assert "csrf" not in shared
    rows, bars = ranked_names(page), bar_names(page)
    assert len(bars) == 12 and rows
    other = new_page(browser, registry)
    try:
        other.goto(shared)
        assert ranked_names(other) == rows
        assert bar_names(other) == bars
        expect(other.get_by_label("Minimum context window")).to_have_value("128k")
        expect(other.get_by_label("json mode")).to_be_checked()
        expect(other.get_by_label("Provider")).to_have_value("openai_compatible")
        assert errors_of(other) == []
    finally:
        other.context.close()


def test_two_to_four_models_compare_side_by_side(page: Page, registry: Registry) -> None:
    page.goto("/simulate?input_tokens=2000&output_tokens=500&requests=100")
    picks = page.locator("#ranking input[name=compare]")
    for index in range(4):
        picks.nth(index).check()
    picks.nth(4).click()  # a fifth is refused, saying why
    expect(picks.nth(4)).not_to_be_checked()
    expect(page.locator("#status")).to_contain_text("up to 4")
    chosen = ranked_names(page)[:4]
    page.get_by_role("button", name="Compare ticked models").click()
    table = page.locator("#compare-table")
    expect(table.locator("thead th.name")).to_have_text(chosen)
    for label in ("Input / 1M", "Output / 1M", "Context window", "Capabilities", "Total"):
        expect(table.locator("tbody th", has_text=label)).to_have_count(1)
    record = next(model for model in registry.models if model["name"] == chosen[0])
    context = table.locator("tbody tr", has_text="Context window").locator("td").first
    expect(context).to_have_text(f"{record['context_window']:,}")


@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_scrolls_sideways_and_the_button_is_easy_to_tap(
    browser: Browser, registry: Registry, width: int
) -> None:
    scheme = "dark" if width == 390 else "light"
    page = new_page(browser, registry, width, color_scheme=scheme, is_mobile=width == 390)
    try:
        page.goto("/simulate")
        no_sideways_scroll(page)
        button = page.get_by_role("button", name="Simulate")
        box = button.bounding_box()
        assert box is not None and box["height"] >= 44 and box["width"] >= 44, box
        shot(page, f"simulate-form-{width}")
        # The Simulate button from the keyboard: Tab to it, Enter.
        for _ in range(80):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == "run-simulation":
                break
        else:
            pytest.fail("Tab never reached the Simulate button")
        page.keyboard.press("Enter")
        expect(page.locator("#results")).to_be_visible()
        no_sideways_scroll(page)
        page.locator("#cost-chart").scroll_into_view_if_needed()
        shot(page, f"simulate-results-{width}")
        page.goto(address(page) + "&compare=gpt-4o&compare=gpt-4o-mini&compare=claude-sonnet-4-6")
        expect(page.locator("#compare-table")).to_be_visible()
        no_sideways_scroll(page)
        page.locator("#compare").scroll_into_view_if_needed()
        shot(page, f"simulate-compare-{width}")
        assert errors_of(page) == []
    finally:
        page.context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_axe_finds_nothing_serious_on_the_simulator(
    browser: Browser, registry: Registry, width: int
) -> None:
    scheme = "dark" if width == 390 else "light"
    page = new_page(browser, registry, width, color_scheme=scheme)
    try:
        for address in (
            "/simulate",
            "/simulate?input_tokens=1500&output_tokens=400&requests=1000&requires=vision"
            "&compare=gpt-4o&compare=gpt-4o-mini&per=50",
            "/simulate?input_tokens=lots&custom_name=x&custom_input=-1&custom_output=1",
        ):
            page.goto(address)
            assert serious_violations(page) == [], address
    finally:
        page.context.close()

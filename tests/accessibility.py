"""Accessibility checks in the browser tests: axe-core (vendored, tests/vendor/axe-core) run in
the page, its serious and critical findings returned for the test to assert empty."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from playwright.sync_api import Page, Route

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
# Where the page seems to load axe from: its own origin, which `script-src 'self'` allows.
AXE_PATH = "/__tests__/axe.min.js"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
SERIOUS = ("serious", "critical")


def axe_is_the_vendored_one() -> bool:
    """Whether axe.min.js is the file tests/vendor/axe-core/README.md names."""
    return hashlib.sha256(AXE.read_bytes()).hexdigest() == AXE_SHA256


def serious_violations(page: Page, *, exclude: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now (WCAG 2.x A and AA
    and best practices), each reduced to its rule, impact, help and the offending elements.

    `exclude` lists CSS selectors of parts to leave out. The console's CSP (`script-src
    'self'`) refuses the inline script `add_script_tag(path=…)` makes, so the vendored file is
    added by URL from the page's own origin, answered by Playwright from the file: the page's
    CSP stays on and is checked as ever.
    """
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        url = urljoin(page.url, AXE_PATH)

        def answer(route: Route) -> None:
            route.fulfill(path=str(AXE), content_type="text/javascript")

        page.route(url, answer)
        try:
            page.add_script_tag(url=url)
        finally:
            page.unroute(url, answer)
    results: dict[str, Any] = page.evaluate(
        """async (exclude) => {
            const context = exclude.length ? { exclude: exclude.map((s) => [s]) } : document;
            return await axe.run(context, { resultTypes: ["violations"] });
        }""",
        list(exclude),
    )
    return [
        {
            "rule": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "nodes": [
                {"target": node["target"], "summary": node.get("failureSummary", "")}
                for node in violation["nodes"]
            ],
        }
        for violation in results["violations"]
        if violation["impact"] in SERIOUS
    ]

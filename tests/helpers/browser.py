"""Debian's headless Chromium driven by Playwright, and the analyst page's form (serving/ui/).

Playwright's pip wheel carries its driver; the browser is Debian's `chromium` package (never
`playwright install`, which downloads one). Tests skip with CHROMIUM_MISSING when it is absent.
The number formats below are the page's (serving/ui/app.js): the tests compare the page's
figures with the API's answers formatted this way.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CHROMIUM_MISSING = "chromium is not installed (Debian: apt-get install chromium)"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# A laptop screen.
VIEWPORT = {"width": 1440, "height": 900}
# Results states the page sets on #results once an answer is shown (or refused).
SETTLED = ("done", "invalid", "failed")


def chromium_path() -> str | None:
    """Debian's chromium (or the browser $CHROMIUM names), or None when it is not installed."""
    return shutil.which(os.environ.get("CHROMIUM") or "chromium")


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium (a Playwright Browser), closed on exit."""
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    if path is None:
        raise RuntimeError(CHROMIUM_MISSING)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


# -- the page's number formats -------------------------------------------------------------
def fixed(value: float, digits: int) -> str:
    """A number as the page's Intl.NumberFormat('en-US') writes it with `digits` decimals:
    it rounds the shortest decimal that reads back as the number (repr), halves away from zero
    (53.05 -> '53.1', where Python's own format gives '53.0', the float being 53.04999...)."""
    exact = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP)
    return f"{exact:,.{digits}f}"


def usd(value: float) -> str:
    """US dollars in millions: '$421.7M' ('$0.012M' under $100,000)."""
    return f"${fixed(value / 1e6, 3 if abs(value) < 1e5 else 1)}M"


def percent(probability: float) -> str:
    return f"{fixed(probability * 100, 1)}%"


def times(ratio: float) -> str:
    return f"{fixed(ratio, 2)}×"


def signed(value: float) -> str:
    return ("+" if value >= 0 else "") + fixed(value, 3)


# -- the form --------------------------------------------------------------------------------
def fill_form(page: Any, film: dict[str, Any]) -> None:
    """Type a film (as the API takes it) into the page's form, as a user would."""
    page.click("#clear")
    if "title" in film:
        page.fill("#title", film["title"])
    if "budget" in film:
        page.fill("#budget", f"{film['budget'] / 1e6:g}")
    if "runtime" in film:
        page.fill("#runtime", f"{film['runtime']:g}")
    for genre in film.get("genres", []):
        page.check(f"#genre-list input[value='{genre}']")
    if "release_date" in film:
        page.fill("#release_date", film["release_date"])
    if "original_language" in film:
        page.fill("#original_language", film["original_language"])
    for name in ("production_companies", "keywords"):
        if name in film:
            page.fill(f"#{name}", "\n".join(film[name]))
    if "production_countries" in film:
        page.fill("#production_countries", ", ".join(film["production_countries"]))
    signals = [n for n in ("popularity", "vote_average", "vote_count") if n in film]
    if signals and page.get_attribute("#post-release", "open") is None:
        page.click("#post-release summary")
    for name in signals:
        page.fill(f"#{name}", f"{film[name]:g}")
    if "hit_threshold" in film:
        if page.get_attribute("#verdict-options", "open") is None:
            page.click("#verdict-options summary")
        page.fill("#hit_threshold", f"{film['hit_threshold']:g}")


def submit(page: Any, timeout_ms: float = 30_000) -> str:
    """Press Forecast and wait until the page shows the answer (or the errors); its state."""
    page.evaluate("document.getElementById('results').dataset.state = 'submitted'")
    page.click("#submit")
    states = ", ".join(f"#results[data-state='{state}']" for state in SETTLED)
    page.wait_for_selector(states, state="attached", timeout=timeout_ms)
    return page.get_attribute("#results", "data-state")


def table_rows(page: Any, table_id: str) -> list[list[str]]:
    """The text of a table's body cells, row by row."""
    return page.eval_on_selector_all(
        f"#{table_id} tbody tr",
        "rows => rows.map(r => [...r.cells].map(c => c.textContent))",
    )

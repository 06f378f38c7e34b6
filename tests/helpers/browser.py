"""Debian's headless Chromium driven by Playwright, and the analyst page's form (serving/ui/).

Playwright's pip wheel carries its driver; the browser is Debian's `chromium` package (never
`playwright install`, which downloads one). Tests skip with CHROMIUM_MISSING when it is absent.
The number formats below are the page's (serving/ui/app.js): the tests compare the page's
figures with the API's answers formatted this way.
"""

from __future__ import annotations

import contextlib
import math
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
# A laptop screen, and a phone's.
VIEWPORT = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}
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
    """US dollars in millions: '$421.7M', '−$4.0M' below zero, '$0'; in thousands under
    $100,000 ('$34.2K'), in dollars under $1,000 ('$340'); in billions from $10B on: '$12.3B'."""
    if value == 0:
        return "$0"
    sign = "−" if value < 0 else ""
    n = abs(value)
    if n >= 1e10:
        return f"{sign}${fixed(n / 1e9, 1)}B"
    if n < 1e3:
        return f"{sign}${math.floor(n + 0.5)}"
    if n < 1e5:
        return f"{sign}${fixed(n / 1e3, 1)}K"
    return f"{sign}${fixed(n / 1e6, 1)}M"


def signed_usd(value: float) -> str:
    """A profit: '+$12.3M', '−$4.0M'."""
    return ("+" if value >= 0 else "") + usd(value)


def percent(probability: float) -> str:
    """'42.0%'; just under 50% where it would round to '50.0%': '<50.0%' (the page's rule)."""
    text = fixed(probability * 100, 1)
    return f"<{text}%" if probability < 0.5 and text == fixed(50, 1) else f"{text}%"


def times(ratio: float) -> str:
    return f"×{fixed(ratio, 2)}"


def points(delta: float) -> str:
    """A change of probability in percentage points: '+4.2 pts', '−0.8 pts'."""
    return ("+" if delta >= 0 else "−") + f"{fixed(abs(delta) * 100, 1)} pts"


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
        page.check(f"#genres-list input[value='{genre}']")
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
        page.fill("#hit_threshold", f"{film['hit_threshold'] * 100:g}")  # typed in percent
    if "studio_share" in film:
        page.fill("#studio_share", f"{film['studio_share'] * 100:g}")
    if "marketing_usd" in film:
        page.fill("#marketing_usd", f"{film['marketing_usd'] / 1e6:g}")


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


# Every element within the viewport's width, and no two tick labels of a chart's axis on top of
# each other (measured as Chart.js draws them: its label items, their font, the canvas' text
# metrics).
LAYOUT_PROBLEMS = """
() => {
  const problems = [];
  const width = document.documentElement.clientWidth;
  const page = document.documentElement.scrollWidth;
  if (page > width) problems.push(`the page is ${page} px wide in a ${width} px viewport`);
  for (const element of document.querySelectorAll("body *")) {
    const box = element.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    if (box.right > width + 0.5 || box.left < -0.5) {
      const name = element.tagName.toLowerCase() + (element.id ? "#" + element.id : "");
      problems.push(`${name} spans ${Math.round(box.left)}-${Math.round(box.right)} px`);
    }
  }
  const canvas = document.createElement("canvas").getContext("2d");
  for (const chart of Object.values(Chart.instances)) {
    for (const scale of Object.values(chart.scales)) {
      const boxes = [];
      for (const item of scale.getLabelItems(chart.chartArea)) {
        const lines = [].concat(item.label).filter((text) => String(text) !== "");
        if (!lines.length) continue;
        canvas.font = item.font.string;
        const wide = Math.max(...lines.map((text) => canvas.measureText(String(text)).width));
        const tall = item.font.lineHeight * lines.length;
        const [x, y] = item.options.translation;
        if (scale.isHorizontal()) {
          const align = item.options.textAlign;
          const left = align === "left" ? x : align === "right" ? x - wide : x - wide / 2;
          boxes.push([left, left + wide, lines.join(" ")]);
        } else {
          boxes.push([y - tall / 2, y + tall / 2, lines.join(" ")]);
        }
      }
      // A log axis read by one label (or none) cannot be read at all ("$100M" alone on an axis
      // of $120M to $821M).
      if (scale.type === "logarithmic" && boxes.length < 2) {
        problems.push(`${chart.canvas.id} ${scale.id}: ${boxes.length} label(s) on a log axis`);
      }
      boxes.sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < boxes.length; i++) {
        if (boxes[i][0] < boxes[i - 1][1] - 0.5) {
          const pair = `'${boxes[i - 1][2]}' and '${boxes[i][2]}'`;
          problems.push(`${chart.canvas.id} ${scale.id}: ${pair} overlap`);
        }
      }
    }
  }
  return problems;
}
"""


def layout_problems(page: Any) -> list[str]:
    """What does not fit the page's width, overlaps on a chart's axis, or leaves a log axis
    with fewer than two labels (empty when all is well); every <details> is opened first, as a
    reader would."""
    page.eval_on_selector_all("details", "all => all.forEach(d => { d.open = true; })")
    page.evaluate("Object.values(Chart.instances).forEach(c => c.resize())")
    return page.evaluate(LAYOUT_PROBLEMS)

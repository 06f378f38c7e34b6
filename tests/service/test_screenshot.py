"""`make screenshot` (skipped otherwise): the analyst pages with their examples, as PNGs.

It serves the models of $BENTOML_HOME (default ~/bentoml) when that store holds a complete
training run, or of a quick training into a temporary store otherwise, opens /ui and
/ui/slate in Debian's headless Chromium at a laptop's and at a phone's width, asks for the
example film (the page's "Example film" button: serving.schema.EXAMPLE_PRE_RELEASE_FILM) and the
example slate, waits for every chart and writes reports/screenshot.png (the film, laptop) and
reports/screenshots/{film,slate}-{laptop,phone}.png (gitignored: they show forecasts of models
trained on the data).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.browser import (
    CHROMIUM_MISSING,
    PHONE,
    VIEWPORT,
    chromium,
    chromium_path,
    submit,
)
from tests.helpers.servers import served
from training import config

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        os.environ.get("BOXOFFICE_SCREENSHOT") != "1",
        reason="writes reports/screenshot.png: `make screenshot`",
    ),
]

# Read before any fixture points BENTOML_HOME at a temporary store.
GIVEN_BENTOML_HOME = os.environ.get("BENTOML_HOME") or str(Path.home() / "bentoml")
SCREENSHOT_PATH = config.REPORTS_DIR / "screenshot.png"
SCREENSHOTS_DIR = config.REPORTS_DIR / "screenshots"


def has_training_run(bentoml_home: str) -> bool:
    """Whether the store holds a complete training run (`python -m training models --quiet`)."""
    done = subprocess.run(
        [sys.executable, "-m", "training", "models", "--quiet"],
        cwd=config.PROJECT_ROOT,
        env={**os.environ, "BENTOML_HOME": bentoml_home},
        capture_output=True,
        timeout=120,
        check=False,
    )
    return done.returncode == 0


@pytest.fixture(scope="module")
def page_url(request: pytest.FixtureRequest):
    if has_training_run(GIVEN_BENTOML_HOME):
        home = GIVEN_BENTOML_HOME
    else:
        home = request.getfixturevalue("quick_training")["bentoml_home"]
    with served({"BENTOML_HOME": str(home)}) as url:
        yield f"{url}/ui/"


def test_screenshots_of_the_pages_with_their_examples(
    page_url: str, capsys: pytest.CaptureFixture
) -> None:
    if chromium_path() is None:
        pytest.fail(CHROMIUM_MISSING, pytrace=False)
    SCREENSHOTS_DIR.mkdir(parents=True, exist_ok=True)
    written = []
    with chromium() as browser:
        for width, viewport in (("laptop", VIEWPORT), ("phone", PHONE)):
            page = browser.new_page(viewport=viewport)
            page.goto(page_url)
            page.wait_for_selector("body[data-ready]")
            page.click("#example")
            assert submit(page) == "done", page.inner_text("#results")
            for chart in ("sweep-chart", "months-chart", "contributions-chart"):
                assert page.evaluate(f"Chart.getChart('{chart}') !== undefined"), chart
            path = SCREENSHOTS_DIR / f"film-{width}.png"
            page.screenshot(path=str(path), full_page=True)
            written.append(path)
            if width == "laptop":
                page.screenshot(path=str(SCREENSHOT_PATH), full_page=True)
            page.goto(page_url + "slate")
            page.wait_for_selector("body[data-ready]")
            page.click("#example")
            page.evaluate("document.getElementById('results').dataset.state = 'submitted'")
            page.click("#submit")
            page.wait_for_selector("#results[data-state='done']", state="attached")
            path = SCREENSHOTS_DIR / f"slate-{width}.png"
            page.screenshot(path=str(path), full_page=True)
            written.append(path)
            page.close()
    with capsys.disabled():
        names = ", ".join(str(p.relative_to(config.PROJECT_ROOT)) for p in written)
        print(f"\nscreenshots: {SCREENSHOT_PATH.relative_to(config.PROJECT_ROOT)}, {names}")

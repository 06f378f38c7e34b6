"""The analyst page at /ui in a real browser (Debian's headless Chromium, through Playwright)
against the real service: the figures it shows are the API's answers for the film typed into
it, a bad field shows the API's error beside it, a link to a forecast reproduces it, and the
page loads within a second without asking anything of another host.

Skipped when chromium is not installed (`make test` still runs); `.ci/run` installs it and sets
BOXOFFICE_BROWSER=required, which turns the skip into a failure.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from boxoffice.features import TMDB_GENRES
from tests.helpers.browser import (
    CHROMIUM_MISSING,
    VIEWPORT,
    chromium,
    chromium_path,
    fill_form,
    fixed,
    percent,
    signed,
    submit,
    table_rows,
    times,
    usd,
)

BROWSER_REQUIRED = os.environ.get("BOXOFFICE_BROWSER") == "required"
pytestmark = [
    pytest.mark.slow,
    # Before any fixture: no quick training and no server for tests that cannot run.
    pytest.mark.skipif(chromium_path() is None and not BROWSER_REQUIRED, reason=CHROMIUM_MISSING),
]

LOAD_BUDGET_MS = 1000
FILM = {
    "title": "A wedding in two cities",
    "budget": 35_000_000,
    "runtime": 112,
    "genres": ["Comedy", "Romance"],
    "release_date": "2015-02-13",
    "original_language": "en",
    # One per line: a company's name may hold a comma.
    "production_companies": ["Working Title Films", "Screen Gems, Inc."],
    "production_countries": ["GB", "US"],
    "keywords": ["wedding", "london", "new york city"],
}
# What the page asks for beside the film (serving/ui/app.js).
EXPLAIN_TOP = 10
SWEEP_POINTS = 21
COMPARABLES_K = 8


@dataclass
class Visit:
    """A page of the browser on /ui, with every request it made and every problem it logged."""

    page: Any
    requests: list[Any] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def posted(self) -> dict[str, list[Any]]:
        """The JSON bodies the page POSTed, by API path, in order."""
        bodies: dict[str, list[Any]] = {}
        for request in self.requests:
            if request.method == "POST":
                bodies.setdefault(urlsplit(request.url).path, []).append(request.post_data_json)
        return bodies


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if chromium_path() is None:  # and BOXOFFICE_BROWSER=required: CI must run these tests
        pytest.fail(CHROMIUM_MISSING, pytrace=False)
    with chromium() as browser:
        yield browser


@contextlib.contextmanager
def open_page(browser: Any, url: str) -> Iterator[Visit]:
    context = browser.new_context(viewport=VIEWPORT)  # a fresh profile: nothing cached
    visit = Visit(context.new_page())
    visit.page.on("request", lambda request: visit.requests.append(request))
    visit.page.on("pageerror", lambda error: visit.problems.append(f"page error: {error}"))

    def console(message: Any) -> None:
        # The browser logs every 4xx answer to fetch(); the page shows those itself.
        if message.type == "error" and "status of 400" not in message.text:
            visit.problems.append(f"console: {message.text}")

    visit.page.on("console", console)
    try:
        visit.page.goto(url)
        visit.page.wait_for_selector("body[data-ready]")
        yield visit
    finally:
        context.close()


@pytest.fixture
def visit(browser: Any, server_url: str) -> Iterator[Visit]:
    with open_page(browser, f"{server_url}/ui/") as opened:
        yield opened


def replay(http: httpx.Client, path: str, body: Any) -> dict[str, Any]:
    response = http.post(path, json=body)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_page_loads_within_a_second_from_the_service_alone(
    visit: Visit, server_url: str, capsys: pytest.CaptureFixture
) -> None:
    page = visit.page
    navigation = page.evaluate("performance.getEntriesByType('navigation')[0].toJSON()")
    ready = page.evaluate("performance.getEntriesByName('ui-ready')[0].startTime")
    with capsys.disabled():
        print(
            f"\n/ui: first byte {navigation['responseStart']:.0f} ms, DOMContentLoaded "
            f"{navigation['domContentLoadedEventEnd']:.0f} ms, load "
            f"{navigation['loadEventEnd']:.0f} ms, form ready {ready:.0f} ms "
            f"({len(visit.requests)} requests)"
        )
    assert navigation["loadEventEnd"] <= LOAD_BUDGET_MS and ready <= LOAD_BUDGET_MS
    boxes = page.eval_on_selector_all("#genre-list input", "boxes => boxes.map(b => b.value)")
    assert boxes == list(TMDB_GENRES)
    for label, element in (
        ("Budget US$ millions", "budget"),
        ("Runtime minutes", "runtime"),
        ("Release date", "release_date"),
        ("Keywords one per line", "keywords"),
        ("Action", "genre-Action"),
    ):  # every input has an accessible name
        assert page.get_by_label(label, exact=True).get_attribute("id") == element, label
    assert {urlsplit(r.url).netloc for r in visit.requests} == {urlsplit(server_url).netloc}
    assert visit.problems == []


def test_the_figures_are_the_apis_answers_for_the_film(
    visit: Visit, http: httpx.Client, server_url: str
) -> None:
    page = visit.page
    fill_form(page, FILM)
    assert submit(page) == "done", page.inner_text("#results")
    posted = visit.posted()
    # The form sent the film as typed, with its explanations, and the page's other questions.
    assert posted["/predict_revenue"] == [{**FILM, "explain": True, "explain_top": EXPLAIN_TOP}]
    assert posted["/predict_hit"] == posted["/predict_revenue"]
    assert posted["/comparable_films"] == [{**FILM, "k": COMPARABLES_K}]
    sweep_body, months_body = posted["/predict_scenarios"]
    assert sweep_body["film"] == months_body["film"] == FILM
    budgets = [s["budget"] for s in sweep_body["scenarios"]]
    assert len(budgets) == SWEEP_POINTS and budgets == sorted(budgets)
    assert budgets[SWEEP_POINTS // 2] == FILM["budget"]
    assert budgets[0] == pytest.approx(FILM["budget"] / 4, rel=1e-3)
    assert budgets[-1] == pytest.approx(FILM["budget"] * 4, rel=1e-3)
    dates = [s["release_date"] for s in months_body["scenarios"]]
    assert dates == [f"2015-{m:02d}-13" for m in range(1, 13)]

    revenue = replay(http, "/predict_revenue", posted["/predict_revenue"][0])
    hit = replay(http, "/predict_hit", posted["/predict_hit"][0])
    sweep = replay(http, "/predict_scenarios", sweep_body)
    months = replay(http, "/predict_scenarios", months_body)
    comps = replay(http, "/comparable_films", posted["/comparable_films"][0])

    # The headline figures: text as formatted, and the exact number behind it.
    for element, value in (
        ("revenue", revenue["revenue_usd"]),
        ("revenue-p10", revenue["revenue_p10_usd"]),
        ("revenue-p90", revenue["revenue_p90_usd"]),
        ("probability", hit["probability"]),
        ("threshold", hit["threshold"]),
        ("comps-median", comps["median_revenue_usd"]),
    ):
        shown = percent(value) if element in ("probability", "threshold") else usd(value)
        assert page.inner_text(f"#{element}") == shown, element
        assert float(page.get_attribute(f"#{element}", "data-value")) == value, element
    assert page.inner_text("#verdict") == ("Hit" if hit["is_hit"] else "Not a hit")
    assert page.inner_text("#revenue-multiple") == (
        f"{times(revenue['revenue_usd'] / FILM['budget'])} the budget"
    )
    when = page.inner_text("#revenue-when")
    assert when.startswith(f"In {revenue['dollars_year']} dollars.")
    newest = revenue["dollars_year"] - revenue["horizon_years"]
    assert f"({newest})" in when or f"newest film: {newest})" in when
    assert revenue["model_version"] in page.inner_text("#model-line")
    shown_warnings = page.eval_on_selector_all(
        "#warnings li", "items => items.map(i => i.textContent)"
    )
    assert shown_warnings == list(dict.fromkeys(revenue["warnings"] + hit["warnings"]))

    # The charts' data, row by row.
    contributions = revenue["explanation"]["contributions"]
    assert table_rows(page, "contributions-table") == [
        [c["feature"], signed(c["contribution"]), times(math.exp(c["contribution"]))]
        for c in contributions
    ]
    page.check("input[name='explained'][value='hit']")
    assert table_rows(page, "contributions-table") == [
        [c["feature"], signed(c["contribution"])] for c in hit["explanation"]["contributions"]
    ]
    verdict = lambda p: "Hit" if p["is_hit"] else "Not a hit"  # noqa: E731
    assert table_rows(page, "sweep-table") == [
        [
            usd(budget),
            usd(p["revenue_usd"]),
            usd(p["revenue_p10_usd"]),
            usd(p["revenue_p90_usd"]),
            percent(p["probability"]),
            verdict(p),
            str(len(p["warnings"])),
        ]
        for budget, p in zip(budgets, sweep["scenarios"], strict=True)
    ]
    assert table_rows(page, "months-table") == [
        [
            date,
            usd(p["revenue_usd"]),
            usd(p["revenue_p10_usd"]),
            usd(p["revenue_p90_usd"]),
            percent(p["probability"]),
            verdict(p),
        ]
        for date, p in zip(dates, months["scenarios"], strict=True)
    ]
    points = page.evaluate(
        "['sweep-chart', 'months-chart']"
        ".map(id => Chart.getChart(id).data.datasets.map(d => d.data.length))"
    )
    assert points == [[SWEEP_POINTS] * 4 + [2], [12] * 4]

    # The comps, most similar first, in their own years' dollars and then in constant dollars.
    assert len(comps["films"]) == COMPARABLES_K
    assert table_rows(page, "comps-table") == [
        [
            f["title"],
            str(f["release_year"]),
            ", ".join(f["genres"]),
            usd(f["budget_usd"]),
            usd(f["revenue_usd"]),
            times(f["revenue_to_budget"]),
            "Hit" if f["is_hit"] else "No",
            fixed(f["similarity"], 3),
        ]
        for f in comps["films"]
    ]
    page.check("#constant-dollars")
    assert [row[3:5] for row in table_rows(page, "comps-table")] == [
        [usd(f["budget_usd_constant"]), usd(f["revenue_usd_constant"])] for f in comps["films"]
    ]
    assert {urlsplit(r.url).netloc for r in visit.requests} == {urlsplit(server_url).netloc}
    assert visit.problems == []


def test_a_bad_field_shows_the_apis_error_beside_it(visit: Visit, http: httpx.Client) -> None:
    page = visit.page
    bad = {**FILM, "budget": -5_000_000, "keywords": [f"keyword {i}" for i in range(201)]}
    fill_form(page, bad)
    assert submit(page) == "invalid"
    (body,) = visit.posted()["/predict_revenue"]
    assert body["budget"] == -5_000_000 and len(body["keywords"]) == 201
    answer = http.post("/predict_revenue", json=body)
    assert answer.status_code == 400
    errors = {tuple(e["loc"]): e["msg"] for e in answer.json()["detail"]}
    assert set(errors) == {("budget",), ("keywords",)}
    for name in ("budget", "keywords"):
        assert page.inner_text(f"#{name}-error") == errors[(name,)], name
        assert page.get_attribute(f"#{name}", "aria-invalid") == "true", name
    assert page.is_hidden("#runtime-error") and page.is_hidden("#answer")
    assert page.evaluate("document.activeElement.id") == "budget"

    # A rule across fields (loc []) is shown beside the field it names.
    fill_form(page, {k: v for k, v in FILM.items() if k != "budget"})
    assert submit(page) == "invalid"
    assert "give the budget" in page.inner_text("#budget-error")

    # Fixed, the film is answered and no error is left on the page.
    fill_form(page, FILM)
    assert submit(page) == "done"
    assert page.locator(".field-error:visible").count() == 0
    assert page.locator("[aria-invalid]").count() == 0
    assert visit.problems == []


def test_a_link_to_a_forecast_reproduces_it(visit: Visit, browser: Any) -> None:
    page = visit.page
    fill_form(page, {**FILM, "popularity": 25.5, "vote_average": 6.9, "hit_threshold": 0.6})
    assert submit(page) == "done"
    assert "post-release" in page.inner_text("#model-line")
    shown = {name: page.inner_text(f"#{name}") for name in ("revenue", "probability", "threshold")}
    assert shown["threshold"] == "60.0%"
    # Another browser profile (no shared state with this one, maybe another worker).
    with open_page(browser, page.url) as again:
        again.page.wait_for_selector("#results[data-state='done']")
        assert {name: again.page.inner_text(f"#{name}") for name in shown} == shown
        companies = again.page.input_value("#production_companies")
        assert companies == "\n".join(FILM["production_companies"])
        assert again.page.get_attribute("#post-release", "open") is not None
        assert again.problems == []

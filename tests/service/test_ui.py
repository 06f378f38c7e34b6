"""The analyst page at /ui in a real browser (Debian's headless Chromium, through Playwright)
against the real service: the figures it shows are the API's answers for the film typed into
it, a bad field shows the API's error beside it, a link to a forecast reproduces it, and the
page loads within a second without asking anything of another host.

Skipped when chromium is not installed (`make test` still runs); `.ci/run` installs it and sets
BOXOFFICE_BROWSER=required, which turns the skip into a failure.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from boxoffice.csvtext import LONGER_ROW_HINT, RAGGED_HINT
from boxoffice.fields import MIN_STUDIO_SHARE, TMDB_GENRES
from serving.cells import AMOUNT_EXAMPLES, budgets_in_thousands
from serving.client import read_films_csv, rows_to_films, slate_rows
from serving.schema import SlateFilm
from tests.helpers.browser import (
    CHROMIUM_MISSING,
    PHONE,
    VIEWPORT,
    chromium,
    chromium_path,
    fill_form,
    fixed,
    layout_problems,
    percent,
    points,
    signed_usd,
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
BLOCKBUSTER = {
    "title": "A summer tent-pole",
    "budget": 150_000_000,
    "runtime": 135,
    "genres": ["Action", "Adventure", "Science Fiction"],
    "release_date": "2027-07-02",
    "production_companies": ["Warner Bros.", "Legendary Pictures"],
    "keywords": ["alien invasion", "spaceship"],
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
def open_page(browser: Any, url: str, viewport: dict = VIEWPORT) -> Iterator[Visit]:
    context = browser.new_context(viewport=viewport, accept_downloads=True)  # nothing cached
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
    boxes = page.eval_on_selector_all("#genres-list input", "boxes => boxes.map(b => b.value)")
    assert boxes == list(TMDB_GENRES)
    for label, element in (
        ("Budget US$ millions", "budget"),
        ("Runtime minutes", "runtime"),
        ("Release date", "release_date"),
        ("Keywords one per line", "keywords"),
        ("Studio share % of the box office", "studio_share"),
        ("Marketing US$ millions", "marketing_usd"),
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
    # each month's Friday (2015-02-13's weekday) nearest the 13th
    fridays = [
        min(
            (d for d in range(1, 29) if dt.date(2015, m, d).weekday() == 4),
            key=lambda d: abs(d - 13),
        )
        for m in range(1, 13)
    ]
    assert dates == [f"2015-{m:02d}-{d:02d}" for m, d in zip(range(1, 13), fridays, strict=True)]

    revenue = replay(http, "/predict_revenue", posted["/predict_revenue"][0])
    hit = replay(http, "/predict_hit", posted["/predict_hit"][0])
    sweep = replay(http, "/predict_scenarios", sweep_body)
    months = replay(http, "/predict_scenarios", months_body)
    comps = replay(http, "/comparable_films", posted["/comparable_films"][0])

    # The headline figures: text as formatted, and the exact number behind it.
    for element, value, shown in (
        ("revenue", revenue["revenue_usd"], usd),
        ("revenue-p10", revenue["revenue_p10_usd"], usd),
        ("revenue-p90", revenue["revenue_p90_usd"], usd),
        ("probability", hit["probability"], percent),
        ("profit", revenue["profit_usd"], signed_usd),
        ("profit-p10", revenue["profit_p10_usd"], signed_usd),
        ("profit-p90", revenue["profit_p90_usd"], signed_usd),
        ("p-profit", revenue["p_profit"], percent),
        ("comps-median", comps["median_revenue_usd_in_dollars_year"], usd),
    ):
        assert page.inner_text(f"#{element}") == shown(value), element
        assert float(page.get_attribute(f"#{element}", "data-value")) == value, element
    # One forecast: the verdict, the hit line and the profit agree with the revenue.
    assert page.inner_text("#verdict") == ("Hit" if hit["is_hit"] else "Not a hit")
    assert hit["is_hit"] == (revenue["revenue_usd"] >= hit["hit_revenue_usd"])
    assert page.inner_text("#hit-line") == hit_line_text(revenue, hit)
    assert f"Hit when P(hit) ≥ {percent(hit['threshold'])}" in page.inner_text("#hit-note")
    assert revenue["p_profit"] == hit["probability"]  # the default assumptions
    assert f"breaks even at a revenue of {usd(revenue['break_even_revenue_usd'])}" in (
        page.inner_text("#profit-note")
    )
    assert page.inner_text("#revenue-multiple") == multiple_text(revenue, hit, FILM["budget"])
    when = page.inner_text("#revenue-when")
    assert when.startswith(f"In {revenue['dollars_year']} dollars, as every figure on this page.")
    newest = revenue["dollars_year"] - revenue["horizon_years"]
    assert f"({newest})" in when or f"newest film: {newest})" in when
    assert revenue["model_version"] in page.inner_text("#model-line")
    shown_warnings = page.eval_on_selector_all(
        "#warnings li", "items => items.map(i => i.textContent)"
    )
    assert shown_warnings == list(dict.fromkeys(revenue["warnings"] + hit["warnings"]))

    # The drivers: revenue as factors, P(hit) in points, as an analyst reads them.
    contributions = revenue["explanation"]["contributions"]
    assert table_rows(page, "contributions-table") == [
        [c["feature"], times(c["factor"])] for c in contributions
    ]
    assert "TreeSHAP" not in page.inner_text("#contributions-figure")
    page.check("input[name='explained'][value='hit']")
    assert table_rows(page, "contributions-table") == [
        [c["feature"], points(c["contribution"])] for c in hit["explanation"]["contributions"]
    ]
    verdict = lambda p: "Hit" if p["is_hit"] else "Not a hit"  # noqa: E731
    assert table_rows(page, "sweep-table") == [
        [
            usd(budget),
            usd(p["revenue_usd"]),
            f"{usd(p['revenue_p10_usd'])} to {usd(p['revenue_p90_usd'])}",
            percent(p["probability"]),
            verdict(p),
            percent(p["p_profit"]),
        ]
        for budget, p in zip(budgets, sweep["scenarios"], strict=True)
    ]
    assert table_rows(page, "months-table") == [
        [
            date,
            usd(p["revenue_usd"]),
            f"{usd(p['revenue_p10_usd'])} to {usd(p['revenue_p90_usd'])}",
            percent(p["probability"]),
            verdict(p),
            percent(p["p_profit"]),
        ]
        for date, p in zip(dates, months["scenarios"], strict=True)
    ]
    # The budget chart draws the hit and break-even lines beside the forecast.
    charts = page.evaluate(
        "['sweep-chart', 'months-chart'].map(id => Chart.getChart(id).data.datasets"
        ".map(d => [d.label, d.data.length]))"
    )
    assert charts[0] == [
        ["P90", SWEEP_POINTS],
        ["P10", SWEEP_POINTS],
        ["Revenue forecast", SWEEP_POINTS],
        ["Hit line (2× budget)", 2],
        ["Break-even revenue", 2],
        ["P(hit)", SWEEP_POINTS],
    ]
    assert [length for _, length in charts[1]] == [12] * 4

    # The comps, most similar first, in the forecast's dollars and then as reported.
    assert len(comps["films"]) == COMPARABLES_K
    assert comps["dollars_year"] == revenue["dollars_year"]
    assert table_rows(page, "comps-table") == [
        [
            f["title"],
            str(f["release_year"]),
            ", ".join(f["genres"]),
            usd(f["budget_usd_in_dollars_year"]),
            usd(f["revenue_usd_in_dollars_year"]),
            times(f["revenue_to_budget"]),
            "Hit" if f["is_hit"] else "No",
            fixed(f["similarity"], 3),
        ]
        for f in comps["films"]
    ]
    page.check("#as-reported")
    assert [row[3:5] for row in table_rows(page, "comps-table")] == [
        [usd(f["budget_usd"]), usd(f["revenue_usd"])] for f in comps["films"]
    ]
    assert {urlsplit(r.url).netloc for r in visit.requests} == {urlsplit(server_url).netloc}
    assert visit.problems == []


def hit_line_text(revenue: dict[str, Any], hit: dict[str, Any]) -> str:
    """The hit line as the page says it: with the gap in dollars when the forecast rounds to it."""
    text = f"A hit: revenue above {hit['hit_ratio']:g}× the budget, {usd(hit['hit_revenue_usd'])}"
    gap = revenue["revenue_usd"] - hit["hit_revenue_usd"]
    if gap and usd(revenue["revenue_usd"]) == usd(hit["hit_revenue_usd"]):
        text += f"; the forecast is ${round(abs(gap)):,} {'under' if gap < 0 else 'over'} it"
    return text


def multiple_text(revenue: dict[str, Any], hit: dict[str, Any], budget: float) -> str:
    """The forecast as a multiple of the budget, as the page says it."""
    multiple = revenue["revenue_usd"] / budget
    under = multiple < hit["hit_ratio"] and times(multiple) == times(hit["hit_ratio"])
    return f"{'just under ' if under else ''}{times(multiple)} the budget"


def test_a_forecast_that_rounds_to_the_hit_line_is_said_against_it(
    visit: Visit, http: httpx.Client
) -> None:
    """ "$184.8M" as the forecast and as the hit line, beside "Not a hit", reads as a
    contradiction: the page says the gap in dollars. The budget is found by bisection, typed in
    millions as a user would."""

    def gap(millions: float) -> tuple[float, dict[str, Any]]:
        answer = replay(http, "/predict_revenue", {**FILM, "budget": millions * 1e6})
        return answer["revenue_usd"] - 2 * millions * 1e6, answer

    low, high = 1.0, 2000.0  # the forecast is over twice the budget at $1M, under it at $2B
    assert gap(low)[0] > 0 > gap(high)[0]
    for _ in range(60):
        middle = float(f"{(low + high) / 2:g}")  # as fill_form types it
        if middle in (low, high):
            break
        difference, answer = gap(middle)
        if difference and usd(answer["revenue_usd"]) == usd(2 * middle * 1e6):
            break
        low, high = (middle, high) if difference > 0 else (low, middle)
    else:
        pytest.fail("no budget whose forecast rounds to its hit line")
    page = visit.page
    fill_form(page, {**FILM, "budget": middle * 1e6})
    assert submit(page) == "done"
    posted = visit.posted()
    revenue = replay(http, "/predict_revenue", posted["/predict_revenue"][0])
    hit = replay(http, "/predict_hit", posted["/predict_hit"][0])
    said = page.inner_text("#hit-line")
    assert said == hit_line_text(revenue, hit) and "; the forecast is $" in said, said
    budget = posted["/predict_revenue"][0]["budget"]
    assert page.inner_text("#revenue-multiple") == multiple_text(revenue, hit, budget)
    assert page.inner_text("#verdict") == ("Hit" if hit["is_hit"] else "Not a hit")


def test_the_assumptions_move_the_profit_and_only_the_profit(
    visit: Visit, http: httpx.Client
) -> None:
    page = visit.page
    fill_form(page, {**FILM, "studio_share": 0.45, "marketing_usd": 20_000_000})
    assert submit(page) == "done"
    (body,) = visit.posted()["/predict_revenue"]
    assert body["studio_share"] == 0.45 and body["marketing_usd"] == 20_000_000
    revenue = replay(http, "/predict_revenue", body)
    assert page.inner_text("#profit") == signed_usd(revenue["profit_usd"])
    assert page.inner_text("#p-profit") == percent(revenue["p_profit"])
    assert revenue["break_even_revenue_usd"] == pytest.approx((35e6 + 20e6) / 0.45)
    plain = replay(http, "/predict_revenue", {**FILM, "explain": True, "explain_top": 10})
    assert (
        revenue["revenue_usd"] == plain["revenue_usd"] and revenue["p_profit"] < plain["p_profit"]
    )
    # A hit beside a likely loss: the note says what the hit line leaves out, and only then.
    parted = []
    for budget, marketing in ((35_000_000, 15e6), (5_000_000, 30e6)):
        assumed = {"studio_share": 0.45, "marketing_usd": marketing}
        fill_form(page, {**FILM, "budget": budget, **assumed})
        assert submit(page) == "done"
        revenue = replay(http, "/predict_revenue", visit.posted()["/predict_revenue"][-1])
        hit = replay(http, "/predict_hit", visit.posted()["/predict_hit"][-1])
        parted.append(hit["is_hit"] != (revenue["p_profit"] >= 0.5))
        note = page.inner_text("#profit-note")
        assert ("the hit line (2×) leaves out the share and the marketing" in note) == parted[-1]
    assert parted == [False, True]  # the $5M film: a hit that likely loses money
    assert visit.problems == []


def test_a_verdict_at_another_threshold_is_said_to_be_the_thresholds(
    visit: Visit, http: httpx.Client
) -> None:
    """At a threshold of 30%, a film of P(hit) 37% is called a hit while its forecast is under
    the hit line: the card says the threshold did it, and the profit note, at the default share
    and marketing, does not blame them."""
    page = visit.page
    fill_form(page, FILM)
    assert submit(page) == "done"
    hit = replay(http, "/predict_hit", visit.posted()["/predict_hit"][-1])
    p = hit["probability"]
    assert page.inner_text("#threshold-note") == ""  # at 50% the verdict is the forecast's side
    # A threshold on the other side of P(hit) from 50%: the verdict leaves the forecast's side.
    threshold = round(p - 0.05, 2) if p < 0.5 else round(p + 0.05, 2)
    fill_form(page, {**FILM, "hit_threshold": threshold})
    assert submit(page) == "done"
    hit = replay(http, "/predict_hit", visit.posted()["/predict_hit"][-1])
    revenue = replay(http, "/predict_revenue", visit.posted()["/predict_revenue"][-1])
    assert hit["is_hit"] != (hit["probability"] >= 0.5)
    side = "under" if hit["is_hit"] else "over"
    assert f"though its forecast is {side} the hit line" in page.inner_text("#threshold-note")
    assert revenue["p_profit"] == pytest.approx(hit["probability"])  # the defaults
    assert "leaves out the share" not in page.inner_text("#profit-note")
    assert visit.problems == []


def test_a_bad_field_shows_the_apis_error_beside_it(visit: Visit, http: httpx.Client) -> None:
    page = visit.page
    bad = {**FILM, "original_language": "English", "keywords": [f"keyword {i}" for i in range(201)]}
    fill_form(page, bad)
    assert submit(page) == "invalid"
    (body,) = visit.posted()["/predict_revenue"]
    assert body["original_language"] == "English" and len(body["keywords"]) == 201
    # Refused by the revenue, the film is not sent to the other four (each would refuse it).
    assert set(visit.posted()) == {"/predict_revenue"}
    answer = http.post("/predict_revenue", json=body)
    assert answer.status_code == 400
    errors = {tuple(e["loc"]): e["msg"] for e in answer.json()["detail"]}
    assert set(errors) == {("original_language",), ("keywords",)}
    for name in ("original_language", "keywords"):
        assert page.inner_text(f"#{name}-error") == errors[(name,)], name
        assert page.get_attribute(f"#{name}", "aria-invalid") == "true", name
    assert page.is_hidden("#budget-error") and page.is_hidden("#answer")
    assert page.evaluate("document.activeElement.id") == "original_language"

    # A rule across fields, refused at the field it names (loc ["budget"]), in the form's words.
    fill_form(page, {k: v for k, v in FILM.items() if k != "budget"})
    assert submit(page) == "invalid"
    assert page.inner_text("#budget-error") == "Give the budget, in US$ millions."

    # A budget typed in dollars into the millions field, a share above 100%: the page says so in
    # its own units before asking the API.
    fill_form(page, {**FILM, "studio_share": 1.5})
    page.fill("#budget", "35000000")
    assert submit(page) == "invalid"
    assert "the budget is in US$ millions (150 means $150M)" in page.inner_text("#budget-error")
    assert "percentage from 1 to 100" in page.inner_text("#studio_share-error")
    # A budget under $10,000, a share typed as a fraction, negative marketing, the runtime left
    # out, and one post-release field without the other two (which the post-release model
    # would read as the training median): said by the page too.
    fill_form(page, {**FILM, "studio_share": 0.0045, "marketing_usd": -5e6, "vote_average": 7.2})
    page.fill("#budget", "0.005")
    page.fill("#runtime", "")
    page.fill("#production_countries", "United States, GB")  # a name where codes go
    assert submit(page) == "invalid"
    assert page.inner_text("#production_countries-error") == (
        "'United States' is a name: write codes (ISO 3166-1 codes, e.g. US, GB)."
    )
    assert "at least 0.01 ($10,000; no film" in page.inner_text("#budget-error")
    assert "(0.45 would be 0.45%; 45% is 45)" in page.inner_text("#studio_share-error")
    assert "at least 0" in page.inner_text("#marketing_usd-error")
    assert page.inner_text("#runtime-error") == "Give the runtime, in minutes."
    # The reason once, beside the first field left empty, in the form's words.
    assert page.inner_text("#popularity-error") == (
        "Enter it too, or clear Vote average: the post-release model reads TMDB popularity, Vote "
        "average and Vote count together, and would read an empty one as the training films' "
        "median."
    )
    assert page.inner_text("#vote_count-error") == "Enter it too, or clear Vote average."
    assert page.is_hidden("#vote_average-error")
    # A budget typed in thousands ($90 billion, more than any film has cost), a runtime in hours,
    # then in seconds (which the models would read as the longest film they learned from).
    fill_form(page, FILM)
    page.fill("#budget", "90000")
    page.fill("#runtime", "1.8")
    assert submit(page) == "invalid"
    assert page.inner_text("#budget-error") == (
        "That is $90.0 billion, more than any film has cost: the budget is in US$ millions (90 "
        "means $90M)."
    )
    assert page.inner_text("#runtime-error").startswith("1.8 minutes? The runtime is in minutes")
    page.fill("#runtime", "8100")
    assert submit(page) == "invalid"
    assert page.inner_text("#runtime-error").startswith(
        "8100 minutes is 135.0 hours, longer than any film in cinemas"
    )
    assert len(visit.posted()["/predict_revenue"]) == 1  # nothing sent for these

    # Fixed, the film is answered and no error is left on the page.
    fill_form(page, FILM)
    assert submit(page) == "done"
    assert page.locator(".field-error:visible").count() == 0
    assert page.locator("[aria-invalid]").count() == 0

    # Edited, the answer shown is said to be out of date; refused by the page, it goes.
    page.fill("#budget", "150000000")
    assert page.get_attribute("#results", "data-state") == "stale"
    assert "press Forecast to update" in page.inner_text("#status")
    assert submit(page) == "invalid" and page.is_hidden("#answer")
    assert visit.problems == []


def test_a_link_to_a_forecast_reproduces_it(visit: Visit, browser: Any) -> None:
    page = visit.page
    signals = {"popularity": 25.5, "vote_average": 6.9, "vote_count": 1500}
    fill_form(page, {**FILM, **signals, "hit_threshold": 0.6})
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
    # Another film's link opened in the same tab (only the fragment changes: no page load).
    page.goto(
        page.url.split("#")[0] + "#budget=40&runtime=240&genres=Drama&release_date=2027-10-01"
    )
    page.wait_for_function(
        "([old]) => document.querySelector('#results').dataset.state === 'done' && "
        "document.querySelector('#revenue').textContent !== old",
        arg=[shown["revenue"]],
    )
    assert page.input_value("#budget") == "40" and page.input_value("#runtime") == "240"
    assert "post-release" not in page.inner_text("#model-line")


PASTE = """([selector, text]) => {
    const data = new DataTransfer();
    data.setData("text/plain", text);
    const init = { clipboardData: data, bubbles: true, cancelable: true };
    const event = new ClipboardEvent("paste", init);
    return document.querySelector(selector).dispatchEvent(event);
}"""


def test_a_paste_that_is_not_a_plain_number_is_refused_beside_the_field(visit: Visit) -> None:
    """Chromium keeps only the digits of text pasted into a number field: 15,5 became 155."""
    page = visit.page
    page.fill("#budget", "40")
    assert page.evaluate(PASTE, ["#budget", "15.5"]) is True  # a plain number: pasted
    assert not page.is_visible("#budget-error")
    for text in ("15,5", "1:45"):
        assert page.evaluate(PASTE, ["#budget", text]) is False  # refused
        said = page.inner_text("#budget-error")
        assert said.startswith(f"'{text}' is not a plain number, so it was not pasted"), said
        assert page.input_value("#budget") == "40"
    page.fill("#budget", "41")  # an edit clears the error
    assert not page.is_visible("#budget-error")


def test_a_verdict_wavering_along_the_budgets_is_said_to(visit: Visit) -> None:
    """Near the hit line, the trees' steps move the verdict back and forth along the budget
    sweep: the note names where, and the P(hit) it wavers within; once is no wavering."""
    flips = """(hits) => BO.verdictFlips(
        hits.map((is_hit, i) => ({ is_hit, probability: 0.49 + 0.005 * i })),
        hits.map((_, i) => (i + 1) * 1e7))"""
    wavering = [True, True, False, True, True, False, False]
    assert visit.page.evaluate(flips, wavering) == (
        "From $20.0M to $60.0M the verdict changes 3 times, P(hit) staying within 49.5% to "
        "51.5%: a coin toss there, not a budget limit. "
    )
    assert visit.page.evaluate(flips, [True, True, False, False]) == ""


@pytest.mark.parametrize("viewport", [VIEWPORT, PHONE], ids=["laptop", "phone"])
def test_the_page_fits_the_screen(browser: Any, server_url: str, viewport: dict) -> None:
    """At a laptop's and at a phone's width: nothing wider than the screen, every data table
    opened, and no two labels of a chart's axis on top of each other."""
    with open_page(browser, f"{server_url}/ui/", viewport) as visit:
        page = visit.page
        page.click("#example")
        page.fill("#marketing_usd", "40")
        assert submit(page) == "done"
        for explained in ("revenue", "hit"):
            page.check(f"input[name='explained'][value='{explained}']")
            assert layout_problems(page) == [], explained
        # Open the data tables: beside another chart, or on a phone, a table keeps its columns
        # in its box (P(profit), the last, was scrolled off a phone's).
        clipped = page.eval_on_selector_all(
            ".chart details .table-box",
            "boxes => boxes.filter(b => b.scrollWidth > b.clientWidth + 1)"
            ".map(b => b.querySelector('table').id)",
        )
        assert clipped == []
        # A film that leaves its lists out: its drivers' labels run to three lines ("keywords'
        # track record, mean (not given)"), and the chart makes room for them.
        bare = {"budget": 9e7, "runtime": 110, "genres": ["Action", "Comedy"]}
        fill_form(page, {**bare, "release_date": "2027-07-16"})
        assert submit(page) == "done"
        page.check("input[name='explained'][value='revenue']")
        assert layout_problems(page) == []
        # A summer tent-pole: its months span $120M to $820M, where the revenue axis was left
        # one label ("$100M") by Chart.js's own skipping.
        fill_form(page, BLOCKBUSTER)
        assert submit(page) == "done"
        assert layout_problems(page) == []
        fill_form(page, FILM)
        assert submit(page) == "done"
        if viewport is PHONE:  # the comps keep their revenue and verdict in view
            visible = page.eval_on_selector_all(
                "#comps-table th", "cells => cells.filter(c => c.offsetWidth).map(c => c.innerText)"
            )
            assert visible[:2] == ["Title", "Year"] and "Hit" in visible
            assert any(name.startswith("Revenue (") for name in visible)
        assert visit.problems == []


# -- the slate view ----------------------------------------------------------------------------
SLATE_CSV = """id,title,budget,runtime,genres,release_date,marketing_usd,overview
s-1,A sequel,150000000,130,Action|Adventure,2015-07-03,60000000,ignored
s-2,A small horror,8000000,92,"[{""id"": 27, ""name"": ""Horror""}]",2015-10-16,,ignored
 ,  , ,,, , ,
s-3,Bad runtime,20000000,-4,Comedy,2015-02-13,,ignored
s-4,Not a number,abc,100,Drama,2015-03-13,,ignored
007,A family film,75000000,95,Animation|Family,2016-11-25,40000000,ignored
"""


def _slate_films() -> list[dict[str, Any]]:
    """The valid rows of SLATE_CSV as the API takes them."""
    return [
        {
            "title": "A sequel",
            "budget": 150e6,
            "runtime": 130.0,
            "genres": ["Action", "Adventure"],
            "release_date": "2015-07-03",
            "marketing_usd": 60e6,
        },
        {
            "title": "A small horror",
            "budget": 8e6,
            "runtime": 92.0,
            "genres": ["Horror"],
            "release_date": "2015-10-16",
        },
        {
            "title": "A family film",
            "budget": 75e6,
            "runtime": 95.0,
            "genres": ["Animation", "Family"],
            "release_date": "2016-11-25",
            "marketing_usd": 40e6,
        },
    ]


def _forecast_slate(page: Any, studio_share: str = "55", marketing: str = "10") -> str:
    page.fill("#csv", SLATE_CSV)
    page.fill("#studio_share", studio_share)
    page.fill("#marketing_usd", marketing)
    page.evaluate("document.getElementById('results').dataset.state = 'submitted'")
    page.click("#submit")
    page.wait_for_selector(
        "#results[data-state='done'], #results[data-state='invalid'], "
        "#results[data-state='failed']",
        state="attached",
    )
    return page.get_attribute("#results", "data-state")


def test_the_slate_is_the_apis_answer_and_names_its_bad_rows(
    browser: Any, server_url: str, http: httpx.Client, tmp_path: Any
) -> None:
    with open_page(browser, f"{server_url}/ui/slate") as visit:
        page = visit.page
        assert _forecast_slate(page) == "done", page.inner_text("#results")
        posted = visit.posted()["/predict_slate"]
        # The API refused the film with a bad runtime; the page named it and asked again.
        assert len(posted) == 2 and len(posted[0]["films"]) == 4
        body = posted[-1]
        assert body == {"films": _slate_films(), "studio_share": 0.55, "marketing_usd": 10e6}
        answer = replay(http, "/predict_slate", body)
        rows = table_rows(page, "films-table")
        assert [row[:2] for row in rows] == [
            [str(i), title]
            for i, title in enumerate(
                ["A sequel", "A small horror", "Bad runtime", "Not a number", "A family film"], 1
            )
        ]
        assert rows[2][2] == "runtime: Input should be greater than 0"
        assert rows[3][2] == f"budget: 'abc' is not an amount ({AMOUNT_EXAMPLES})"
        # a warning every film carries is said once, above the table; each row keeps its own
        forecasts = answer["films"]
        common = [w for w in forecasts[0]["warnings"] if all(w in f["warnings"] for f in forecasts)]
        assert common  # none of these films gives its companies, countries or keywords
        assert page.inner_text("#films-common") == f"Every film forecast: {' | '.join(common)}"
        for row, film in zip([rows[0], rows[1], rows[4]], answer["films"], strict=True):
            assert row[3:] == [
                usd(film["revenue_usd"]),
                f"{usd(film['revenue_p10_usd'])} to {usd(film['revenue_p90_usd'])}",
                percent(film["probability"]),
                f"{signed_usd(film['profit_p10_usd'])} to {signed_usd(film['profit_p90_usd'])}",
                percent(film["p_profit"]),
                " | ".join(w for w in film["warnings"] if w not in common) or "–",
            ]
        total, hits = answer["total"], answer["hits"]
        for element, value, shown in (
            ("total-revenue", total["revenue_usd"], usd),
            ("total-profit", total["profit_usd"], signed_usd),
            ("total-p-profit", total["p_profit"], percent),
        ):
            assert page.inner_text(f"#{element}") == shown(value), element
        summed = sum(film["profit_usd"] for film in answer["films"])
        side = (
            ""
            if signed_usd(total["profit_usd"]) == signed_usd(summed)
            else "higher"
            if total["profit_usd"] > summed
            else "lower"
        )
        note = page.inner_text("#total-profit-note")
        assert (
            note == ""
            if not side
            else note.startswith(
                f"The films' median profits add up to {signed_usd(summed)}; the total's median is "
                + side
            )
        )
        assert page.inner_text("#hits-expected") == fixed(hits["expected"], 1)
        charted = page.evaluate("Chart.getChart('hits-chart').data.datasets[0].data")
        assert charted == hits["at_least"][1 : len(charted) + 1]
        assert table_rows(page, "profit-table")[0] == [
            signed_usd(total["profit_quantiles"][0]["usd"]),
            percent(1 - total["profit_quantiles"][0]["level"]),
        ]
        assert "left out: named in the table" in page.inner_text("#films-left-out")
        assert page.inner_text("#films-note").endswith("not film fields, ignored: overview.")

        # The download holds every row of the CSV, the bad ones with their reason.
        with page.expect_download() as download:
            page.click("#download")
        path = tmp_path / "slate.csv"
        download.value.save_as(path)
        with path.open(newline="") as handle:
            saved = list(csv.DictReader(handle))
        assert list(saved[0])[:3] == ["row", "id", "title"]  # the rows' own key, as written
        assert [r["id"] for r in saved] == ["s-1", "s-2", "s-3", "s-4", "007"]
        assert [r["title"] for r in saved] == [
            "A sequel",
            "A small horror",
            "Bad runtime",
            "Not a number",
            "A family film",
        ]
        assert saved[2]["error"].startswith("runtime") and saved[2]["revenue_usd"] == ""
        assert float(saved[4]["p_profit"]) == answer["films"][2]["p_profit"]
        assert saved[0]["warnings"] == " | ".join(answer["films"][0]["warnings"])
        first = answer["films"][0]
        assert int(saved[0]["dollars_year"]) == first["dollars_year"]
        # each film's own assumptions, else the slate's (55%, $10M)
        sent = _slate_films()
        assert float(saved[0]["marketing_usd"]) == sent[0].get("marketing_usd", 10e6)
        assert float(saved[4]["studio_share"]) == sent[2].get("studio_share", 0.55)
        assert saved[0]["is_hit"] == str(first["is_hit"])  # True/False, as pandas writes them
        assert float(saved[0]["hit_threshold"]) == first["threshold"]
        # the columns of the client's `slate --out`, in its order
        frame = read_films_csv(io.StringIO(SLATE_CSV))
        films, errors = rows_to_films(frame)
        valid = [i for i in range(len(films)) if i not in errors]
        written = slate_rows(frame, films, errors, answer, valid)
        assert list(saved[0]) == list(written[0])
        # rows numbered alike: a row of spaces only is skipped by both, as a blank line is
        assert [r["row"] for r in saved] == [str(r["row"]) for r in written] == list("12345")

        # Edited after the forecast, the figures shown are said to be out of date.
        page.fill("#marketing_usd", "20")
        assert page.get_attribute("#results", "data-state") == "stale"
        assert "press Forecast the slate to update" in page.inner_text("#status")
        assert page.is_disabled("#download")  # not the old figures, as if they were the table's
        assert visit.problems == []


def test_a_slate_of_bad_rows_names_each_and_a_budget_in_millions_is_refused(
    browser: Any, server_url: str
) -> None:
    with open_page(browser, f"{server_url}/ui/slate") as visit:
        page = visit.page
        # The assumptions' bounds and placeholders are the service's settings, as on /ui.
        page.wait_for_function("document.querySelector('#studio_share').min !== ''")
        assert page.get_attribute("#studio_share", "min") == str(round(MIN_STUDIO_SHARE * 100))
        assert page.get_attribute("#studio_share", "placeholder") == "50"
        assert page.get_attribute("#marketing_usd", "placeholder") == "0"
        page.fill("#csv", "title,budget,runtime\nA,,130\nB,xx,98\n")
        page.click("#submit")
        page.wait_for_selector("#results[data-state='invalid']", state="attached")
        rows = table_rows(page, "films-table")
        assert [row[:2] for row in rows] == [["1", "A"], ["2", "B"]]
        assert rows[0][2].startswith("budget: required: give")
        assert rows[1][2] == f"budget: 'xx' is not an amount ({AMOUNT_EXAMPLES})"
        assert page.is_visible("#films-panel") and not page.is_visible("#answer")
        # A budget typed in millions (150), one of a billion dollars or more (typed in
        # thousands, or cents) and a runtime in hours or seconds are refused as unit slips, in
        # the client's words, as the one-film page refuses them; the other films are scored.
        # An amount as a spreadsheet writes it is read as the client and /predict_table read it.
        slate = (
            "title,budget,runtime,genres,release_date\nA,150,130,Action,2027-07-02\n"
            "B,5e9,130,Action,2027-07-02\n"
            'C,"$120,000,000",130,Action,2027-07-02\nD,$1.5B,130,Action,2027-07-02\n'
            "E,9e7,9000,Action,2027-07-02\nF,9e7,1.8,Action,2027-07-02\n"
        )
        page.fill("#csv", slate)
        page.click("#submit")
        page.wait_for_selector("#results[data-state='done']", state="attached")
        rows = table_rows(page, "films-table")
        _, said = rows_to_films(read_films_csv(io.StringIO(slate)), SlateFilm)
        assert sorted(said) == [0, 1, 3, 4, 5]
        assert {i: rows[i][2] for i in said} == said
        assert said[0].startswith("budget: 150 is $150, under $10,000"), said
        assert said[1].startswith("budget: 5e9 is $5.0 billion, more than any film has cost")
        assert said[4].startswith("runtime: 9000 minutes is 150.0 hours"), said
        assert said[5].startswith("runtime: 1.8 minutes?"), said
        sent = visit.posted()["/predict_slate"][-1]["films"]
        assert [film["budget"] for film in sent] == [120e6]
        # Every problem of a row at once, the page's own and the API's; a share as a percentage.
        page.fill(
            "#csv",
            "title,budget,runtime,genres,studio_share,release_date\nA,9e7,-3,Horrer,0.5,\n"
            "B,9e7,90,Action,45,2027-07-02\nC,9e7,90,Action,,2027-07-02\n",
        )
        page.click("#submit")
        page.wait_for_selector("#results[data-state='done']", state="attached")
        rows = table_rows(page, "films-table")
        assert "runtime" in rows[0][2] and "Horrer" in rows[0][2], rows[0]
        # Undated, a film would be added to the others in another year's dollars.
        assert "release_date: required in a slate" in rows[0][2], rows[0]
        assert rows[1][2].startswith("studio_share: 45 is a fraction of the box office"), rows[1]
        # An amount's commas left unquoted: the row is longer than the header, and the CSV is
        # refused as the client and /predict_table refuse it (their words).
        page.fill("#csv", "title,budget,runtime\nA,9e7,90\nB,$40,000,000,95\n")
        page.click("#submit")
        page.wait_for_selector("#results[data-state='invalid']", state="attached")
        expected = (
            "line 3 has more fields than the header's 3 (a value past the last column): "
            + RAGGED_HINT
        )
        assert expected in page.inner_text("#csv-error")
        assert visit.problems == []


def forecast_slate(page: Any, csv_text: str) -> None:
    """The slate page, once it has its settings, forecasting ``csv_text`` to the end."""
    page.wait_for_function("document.querySelector('#studio_share').min !== ''")
    page.fill("#csv", csv_text)
    page.click("#submit")
    page.wait_for_selector("#results[data-state='done']", state="attached")


def test_a_slate_in_thousands_of_dollars_is_told_so_as_the_client_tells_it(
    browser: Any, server_url: str
) -> None:
    slate = "title,budget,runtime,release_date\n" + "".join(
        f"F{i},{budget},100,2027-0{i + 1}-01\n"
        for i, budget in enumerate((15000, 200000, 90000, 45000, 120000))
    )
    films, _ = rows_to_films(read_films_csv(io.StringIO(slate)), SlateFilm)
    told = budgets_in_thousands(films)
    assert told is not None and "median of $90,000" in told
    with open_page(browser, f"{server_url}/ui/slate") as visit:
        page = visit.page
        forecast_slate(page, slate)
        assert page.is_visible("#slate-warning-panel")
        assert page.inner_text("#slate-warning") == told
        page.fill("#csv", slate.replace("000,100", "000000,100"))  # in dollars: $15M, $200M...
        page.click("#submit")
        page.wait_for_function(
            "() => document.querySelector('#results').dataset.state === 'done' && "
            "document.querySelector('#slate-warning-panel').hidden"
        )
        assert visit.problems == []


# Cells the slate page (serving/ui/slate.js) and the client (serving/cells.py) must read alike.
CELLS_CSV = """title,budget,runtime,release_year,genres,explain,vote_count,studio_share
Commas,"$150,000,000",130,2015.0,"[""Action"", "" Drama ""]",TRUE,,45%
Short,150M, 95 ,2e3,Action| |Drama,false,1e3,0.3
Underscores,"150_000_000",1_000,,,,
Other digits,1.5e8,١٠٠,,,,
Infinite,1.5e8,Infinity,,,,
Too large,1.5e8,1e400,,,,
Yes,1.5e8,100,,,yes,
Decimal comma,"1,5",100,,,,
Unit slip,150,100,,,,
Hex,1.5e8,0x10,,,,
Dots,1.5e8,1.2.3,,,,
Half,$.5B,.5,+2016,,0,,5 %
Pandas,1.5e8,100,,"['Action', 'Drama']",,
Percent,1.5e8,100,,,,,x%
Unquoted,$40,000,000,100,,,,,,
"""


def test_the_slate_page_reads_cells_as_the_client_does(browser: Any, server_url: str) -> None:
    films, errors = rows_to_films(read_films_csv(io.StringIO(CELLS_CSV)))
    # the CSV is what it says (Half's runtime, .5, is a unit slip)
    assert sorted(errors) == [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]
    # an amount's commas unquoted, the row's extra fields empty: said beside its problems
    assert errors[14].endswith(f"; {LONGER_ROW_HINT}") and "$40" in errors[14]
    assert [film.get("studio_share") for film in films[:2]] == [0.45, 0.3]  # 45% is 0.45
    with open_page(browser, f"{server_url}/ui/slate") as visit:
        page = visit.page
        forecast_slate(page, CELLS_CSV)
        rows = table_rows(page, "films-table")
        assert {i: rows[i][2] for i in errors} == errors
        sent = visit.posted()["/predict_slate"][0]["films"]
        assert sent == [film for i, film in enumerate(films) if i not in errors]
        assert visit.problems == []


@pytest.mark.parametrize("viewport", [VIEWPORT, PHONE], ids=["laptop", "phone"])
def test_the_slate_fits_the_screen(browser: Any, server_url: str, viewport: dict) -> None:
    with open_page(browser, f"{server_url}/ui/slate", viewport) as visit:
        page = visit.page
        page.click("#example")
        page.evaluate("document.getElementById('results').dataset.state = 'submitted'")
        page.click("#submit")
        page.wait_for_selector("#results[data-state='done']", state="attached")
        assert layout_problems(page) == []
        assert visit.problems == []


def test_a_bad_assumption_is_named_beside_it(browser: Any, server_url: str) -> None:
    with open_page(browser, f"{server_url}/ui/slate") as visit:
        page = visit.page
        assert _forecast_slate(page, studio_share="0") != "done"
        assert "percentage from 1 to 100" in page.inner_text("#studio_share-error")
        # A share typed as a fraction is told how the page reads it, as on /ui.
        assert _forecast_slate(page, studio_share="0.5") != "done"
        assert "(0.5 would be 0.5%; 45% is 45)" in page.inner_text("#studio_share-error")
        assert "/predict_slate" not in visit.posted()
        # One film: its totals are its own forecast, and no note compares them with a sum.
        page.fill("#studio_share", "50")
        page.fill("#csv", "title,budget,runtime,genres,release_date\nA,9e7,100,Drama,2027-07-02\n")
        page.click("#submit")
        page.wait_for_selector("#results[data-state='done']", state="attached")
        assert "One film: the totals are its own forecast" in page.inner_text("#total-budget")
        assert page.inner_text("#total-profit-note") == ""
        # An empty CSV says what to give, not a parser's complaint.
        page.fill("#csv", "")
        page.fill("#studio_share", "50")
        page.click("#submit")
        page.wait_for_selector("#results[data-state='invalid']", state="attached")
        assert page.inner_text("#csv-error").startswith("no films: paste the slate's CSV")
        # A column that misspells a field by a letter is refused, as the client and
        # /predict_table refuse it: read as another column, the films would lose the field.
        page.fill("#csv", "title,budget,runtime,genre\nA,150000000,100,Drama\n")
        page.click("#submit")
        page.wait_for_selector("#results[data-state='invalid']", state="attached")
        assert page.inner_text("#csv-error").startswith(
            "'genre' is not a film field: did you mean 'genres'?"
        )

"""The analyst's page at /ui: static files and the form's settings, mounted in the service.

service.py mounts ``app`` with ``@bentoml.asgi_app(app, path=UI_PATH)``: every worker (and every
pod) serves its own copy, so it keeps no state: the page is static (serving/ui/), its one
JSON document (settings.json: genres, limits, defaults, the fields' kinds, the examples) is built
from serving.schema at import, and the pages call the service's public APIs (/predict_revenue,
/predict_hit, /predict_scenarios, /comparable_films; /predict_slate for the slate view at
/ui/slate, also served as /ui/slate.html) from the browser like any client. Nothing is loaded from
elsewhere: the chart library is vendored (serving/ui/vendor/), and the Content-Security-Policy
says so to the browser.
"""

from __future__ import annotations

import re
from html import escape
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from boxoffice.config import (
    CAST_TOP_BILLED,
    COMPARABLES_K,
    DEFAULT_HIT_THRESHOLD,
    DEFAULT_MARKETING_USD,
    DEFAULT_STUDIO_SHARE,
    MAX_PLAUSIBLE_BUDGET_USD,
    MAX_PLAUSIBLE_RUNTIME,
    MIN_MEDIAN_FILMS,
    MIN_PLAUSIBLE_RUNTIME,
    MIN_PLAUSIBLE_USD,
    SCORED_MEDIAN_USD,
)
from boxoffice.csvtext import LONGER_ROW_HINT, PYTHON_LIST, PYTHON_LIST_HINT, RAGGED_HINT
from boxoffice.fields import (
    AMOUNT_FIELDS,
    FILM_FIELDS,
    MAX_USD,
    MAX_YEAR,
    MIN_STUDIO_SHARE,
    MIN_YEAR,
    SHARE_FIELDS,
    TMDB_GENRES,
    TMDB_LIST_KEYS,
    FilmField,
)
from boxoffice.messages import SEVERAL
from serving.cells import AMOUNT_EXAMPLES
from serving.schema import (
    EXAMPLE_PRE_RELEASE_FILM,
    EXAMPLE_SLATE_CSV,
    FIELD_KINDS,
    MAX_SCENARIOS,
    MAX_SLATE,
)

UI_PATH = "/ui"
# The loader changes the working directory to the Bento's source folder: build from this file.
STATIC_DIR = Path(__file__).parent / "ui"

SETTINGS = {
    "genres": list(TMDB_GENRES),
    "max_budget_usd": MAX_USD,
    "max_scenarios": MAX_SCENARIOS,
    "max_slate": MAX_SLATE,
    "min_plausible_usd": MIN_PLAUSIBLE_USD,
    "min_studio_share": MIN_STUDIO_SHARE,
    # An amount typed into a field in US$ millions at or above this was surely typed in dollars.
    "millions_ceiling": 1e5,
    # A budget typed on the page at or above this was surely typed in another unit (90000 meant
    # as $90M in thousands): no film has cost $1 billion (the published table's most: $380M).
    "max_plausible_budget_usd": MAX_PLAUSIBLE_BUDGET_USD,
    # A slate whose budgets' median is under this is told it may be in thousands of dollars
    # (serving.cells.budgets_in_thousands), when it has at least min_median_films budgets.
    "scored_median_usd": SCORED_MEDIAN_USD,
    "min_median_films": MIN_MEDIAN_FILMS,
    # A runtime typed under this many minutes was surely typed in hours; at or above this many,
    # in seconds (boxoffice.config).
    "min_plausible_runtime": MIN_PLAUSIBLE_RUNTIME,
    "max_plausible_runtime": MAX_PLAUSIBLE_RUNTIME,
    # The API's advice for a list cell holding several names, and the form's.
    "several_names": {"api": SEVERAL, "form": "put each on its own line"},
    "comparables_k": COMPARABLES_K,
    "cast_top_billed": CAST_TOP_BILLED,
    "defaults": {
        "studio_share": DEFAULT_STUDIO_SHARE,
        "marketing_usd": DEFAULT_MARKETING_USD,
        "hit_threshold": DEFAULT_HIT_THRESHOLD,
    },
    # How the slate view reads a CSV cell into each field (as the client's `score` does).
    "fields": FIELD_KINDS,
    # The fields in US$, whose cells read as amounts ($150,000,000, 150M: serving.cells.amount).
    "amounts": AMOUNT_FIELDS,
    # The shares of 1, whose cells may be written as percentages ("45%": serving.cells.cell).
    "shares": SHARE_FIELDS,
    "amount_examples": AMOUNT_EXAMPLES,
    # How the one-film form reads each of its fields (boxoffice.fields).
    "form": [
        {
            "name": f.name,
            "label": f.form.label,
            "kind": f.kind,
            "scale": f.form.scale,
            "lines": f.form.lines,
            "group": f.form.group,
        }
        for f in FILM_FIELDS
        if f.form is not None
    ],
    "tmdb_keys": TMDB_LIST_KEYS,
    # A list cell written as a Python literal, named with how to write it (boxoffice.csvtext).
    "python_list": {"pattern": PYTHON_LIST, "hint": PYTHON_LIST_HINT},
    # A row longer than the header, as boxoffice.csvtext says it; one longer by empty fields
    # only, beside the row's problems.
    "ragged_hint": RAGGED_HINT,
    "longer_row_hint": LONGER_ROW_HINT,
    "example": EXAMPLE_PRE_RELEASE_FILM,
    "example_slate": EXAMPLE_SLATE_CSV,
}

HEADERS = [
    # Everything from this origin, nothing from anywhere else (no CDN, no web fonts).
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
        b"form-action 'self'; frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    # Revalidate every time (a 304 when unchanged): after a new image is rolled out, a browser
    # never mixes the old app.js with the new index.html.
    (b"cache-control", b"no-cache"),
]


class PageHeaders:
    """Adds HEADERS to every answer of the page."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name for name, _ in HEADERS}
                message["headers"] = [
                    *(h for h in message.get("headers", []) if h[0].lower() not in names),
                    *HEADERS,
                ]
            await send(message)

        await self.app(scope, receive, with_headers)


async def settings(_: Request) -> JSONResponse:
    return JSONResponse(SETTINGS)


# -- the form, from the field table ---------------------------------------------------------
def _number(value: float | None, scale: float) -> str:
    return f"{value / scale:g}" if value is not None else ""


def field_html(field: FilmField) -> str:
    """One field of the page's form (boxoffice.fields says how it is asked for)."""
    form = field.form
    assert form is not None
    name = escape(field.name)
    unit = f' <span class="unit">{escape(form.unit)}</span>' if form.unit else ""
    described = " ".join([*([f"{name}-hint"] if form.hint else []), f"{name}-error"])
    hint = f'\n  <p class="hint" id="{name}-hint">{escape(form.hint)}</p>' if form.hint else ""
    error = f'\n  <p class="field-error" id="{name}-error" hidden></p>'
    if field.is_list and field.choices:  # checkboxes, built from settings.genres
        return (
            f'<fieldset class="field {name}" id="{name}" aria-describedby="{described}">\n'
            f"  <legend>{escape(form.label)}{unit.replace('unit', 'opt')}</legend>\n"
            f'  <div class="genre-list" id="{name}-list"></div>{hint}{error}\n</fieldset>'
        )
    attributes = [f'id="{name}"', f'name="{name}"']
    if form.lines:
        tag = "textarea"
        attributes.append('rows="2"')
    else:
        tag = "input"
        if field.kind == "number":
            low = field.ge if field.ge is not None else field.gt
            high = field.le if field.le is not None else field.lt
            attributes += ['type="number"', 'step="any"', 'inputmode="decimal"']
            if low is not None:
                attributes.append(f'min="{_number(low, form.scale)}"')
            if high is not None and high / form.scale < 1e6:
                attributes.append(f'max="{_number(high, form.scale)}"')
        elif field.kind == "date":
            attributes += ['type="date"', f'min="{MIN_YEAR}-01-01"', f'max="{MAX_YEAR}-12-31"']
        else:
            attributes += ['type="text"', 'autocomplete="off"']
            if field.kind == "code":
                attributes.append('maxlength="20"')
        if form.placeholder:
            attributes.append(f'placeholder="{escape(form.placeholder)}"')
        if form.datalist:
            attributes.append(f'list="{escape(form.datalist)}"')
    if form.required:
        attributes.append("required")
    attributes.append(f'aria-describedby="{described}"')
    control = (
        f"<textarea {' '.join(attributes)}></textarea>"
        if tag == "textarea"
        else f"<input {' '.join(attributes)}>"
    )
    return (
        f'<div class="field">\n  <label for="{name}">{escape(form.label)}{unit}</label>\n'
        f"  {control}{hint}{error}\n</div>"
    )


def form_html(fields: tuple[FilmField, ...], group: str) -> str:
    """The fields of one group of the form, in order, those of a row side by side."""
    parts: list[str] = []
    rows: dict[str, list[str]] = {}
    for field in fields:
        if field.form is None or field.form.group != group:
            continue
        html = field_html(field)
        row = field.form.row
        if not row:
            parts.append(html)
        elif row in rows:
            rows[row].append(html)
        else:
            rows[row] = [html]
            parts.append(f"\0{row}")
    out = []
    for part in parts:
        if part.startswith("\0"):
            cells = rows[part[1:]]
            kind = "row three" if len(cells) == 3 else "row"
            inner = "\n".join(_indent(cell, 2) for cell in cells)
            out.append(f'<div class="{kind}">\n{inner}\n</div>')
        else:
            out.append(part)
    return "\n".join(out)


def _indent(text: str, spaces: int) -> str:
    return "\n".join(" " * spaces + line for line in text.splitlines())


def render_index(template: str, fields: tuple[FilmField, ...] = FILM_FIELDS) -> str:
    """index.html with its form's fields made from the field table (``<!-- fields:GROUP -->``)."""

    def fill(match: re.Match[str]) -> str:
        return _indent(form_html(fields, match.group(2)), len(match.group(1)))

    return re.sub(r"^( *)<!-- fields:(\w+) -->", fill, template, flags=re.M)


INDEX_HTML = render_index((STATIC_DIR / "index.html").read_text(encoding="utf-8"))


async def index(_: Request) -> HTMLResponse:
    return HTMLResponse(INDEX_HTML)


SLATE_HTML = (STATIC_DIR / "slate.html").read_text(encoding="utf-8")


async def slate(_: Request) -> HTMLResponse:
    return HTMLResponse(SLATE_HTML)


async def slate_slash(_: Request) -> RedirectResponse:
    """/ui/slate/ to /ui/slate, by a relative address (right behind any proxy's prefix): the
    page's own addresses are relative to /ui/."""
    return RedirectResponse("../slate", status_code=308)


def create_app() -> Starlette:
    """The page's ASGI app: settings.json, then the static files (index.html at /, slate.html
    at /slate)."""
    app = Starlette(
        routes=[
            Route("/settings.json", settings, methods=["GET", "HEAD"]),
            Route("/", index, methods=["GET", "HEAD"]),
            Route("/index.html", index, methods=["GET", "HEAD"]),
            Route("/slate", slate, methods=["GET", "HEAD"]),
            Route("/slate/", slate_slash, methods=["GET", "HEAD"]),
            Mount("/", StaticFiles(directory=STATIC_DIR, html=True), name="static"),
        ]
    )
    app.add_middleware(PageHeaders)
    return app


app = create_app()

"""The analyst's page at /ui: static files and the form's settings, mounted in the service.

service.py mounts ``app`` with ``@bentoml.asgi_app(app, path=UI_PATH)``: every worker (and every
pod) serves its own copy, so it keeps no state: the page is static (serving/ui/), its one
JSON document (settings.json: genres, limits, defaults, the fields' kinds, the examples) is built
from serving.schema at import, and the pages call the service's public APIs (/predict_revenue,
/predict_hit, /predict_scenarios, /comparable_films; /predict_slate for the slate view at
/ui/slate.html) from the browser like any client. Nothing is loaded from
elsewhere: the chart library is vendored (serving/ui/vendor/), and the Content-Security-Policy
says so to the browser.
"""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from boxoffice.config import (
    CAST_TOP_BILLED,
    COMPARABLES_K,
    DEFAULT_HIT_THRESHOLD,
    DEFAULT_MARKETING_USD,
    DEFAULT_STUDIO_SHARE,
)
from boxoffice.features import TMDB_GENRES, TMDB_LIST_KEYS
from serving.schema import (
    EXAMPLE_PRE_RELEASE_FILM,
    EXAMPLE_SLATE_CSV,
    FIELD_KINDS,
    MAX_SCENARIOS,
    MAX_SLATE,
    MAX_USD,
    MIN_STUDIO_SHARE,
)

UI_PATH = "/ui"
# The loader changes the working directory to the Bento's source folder: build from this file.
STATIC_DIR = Path(__file__).parent / "ui"

SETTINGS = {
    "genres": list(TMDB_GENRES),
    "max_budget_usd": MAX_USD,
    "max_scenarios": MAX_SCENARIOS,
    "max_slate": MAX_SLATE,
    "min_studio_share": MIN_STUDIO_SHARE,
    "comparables_k": COMPARABLES_K,
    "cast_top_billed": CAST_TOP_BILLED,
    "defaults": {
        "studio_share": DEFAULT_STUDIO_SHARE,
        "marketing_usd": DEFAULT_MARKETING_USD,
        "hit_threshold": DEFAULT_HIT_THRESHOLD,
    },
    # How the slate view reads a CSV cell into each field (as the client's `score` does).
    "fields": FIELD_KINDS,
    "tmdb_keys": TMDB_LIST_KEYS,
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


def create_app() -> Starlette:
    """The page's ASGI app: settings.json, then the static files (index.html at /)."""
    app = Starlette(
        routes=[
            Route("/settings.json", settings, methods=["GET", "HEAD"]),
            Mount("/", StaticFiles(directory=STATIC_DIR, html=True), name="static"),
        ]
    )
    app.add_middleware(PageHeaders)
    return app


app = create_app()

"""serving/ui.py and serving/ui/ without a server: the page's files and settings, its headers,
nothing loaded from another host, and the vendored chart library as its README describes it.
(tests/service/test_ui.py drives the page in a browser against the real service.)"""

from __future__ import annotations

import asyncio
import hashlib
import re

import httpx
import pytest

from boxoffice.fields import MAX_USD, TMDB_GENRES
from serving.schema import (
    EXAMPLE_PRE_RELEASE_FILM,
    EXAMPLE_SLATE_CSV,
    FIELD_KINDS,
    MAX_SCENARIOS,
    MAX_SLATE,
)
from serving.ui import STATIC_DIR, UI_PATH, app

VENDOR_DIR = STATIC_DIR / "vendor" / "chart.js"
PAPA_DIR = STATIC_DIR / "vendor" / "papaparse"


class Client:
    """GET from the page's ASGI app in-process."""

    def get(self, path: str) -> httpx.Response:
        async def get() -> httpx.Response:
            transport = httpx.ASGITransport(app)
            async with httpx.AsyncClient(transport=transport, base_url="http://ui") as client:
                return await client.get(path)

        return asyncio.run(get())


@pytest.fixture(scope="module")
def client() -> Client:
    return Client()


@pytest.mark.parametrize(
    ("path", "files"),
    [
        ("/", ("common.js", "app.js", "app.css", "vendor/chart.js/chart.umd.js", "slate")),
        *(
            (
                path,
                ("common.js", "slate.js", "app.css", "vendor/papaparse/papaparse.min.js", "./"),
            )
            for path in ("/slate", "/slate.html")
        ),
    ],
)
def test_the_pages_and_their_files_are_served(client: Client, path: str, files: tuple) -> None:
    page = client.get(path)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for name in files:
        assert f'"{name}"' in page.text, name
        assert client.get(f"/{name}".replace("/./", "/")).status_code == 200, name
    assert client.get("/missing.js").status_code == 404
    assert UI_PATH == "/ui"


def test_the_slate_page_with_a_slash_goes_to_the_page(client: Client) -> None:
    """/ui/slate/ is sent to /ui/slate by a relative address (its files are relative to /ui/)."""
    moved = client.get("/slate/")
    assert moved.status_code == 308 and moved.headers["location"] == "../slate"


def test_settings_come_from_the_request_contract(client: Client) -> None:
    settings = client.get("/settings.json").json()
    assert settings["genres"] == list(TMDB_GENRES)
    assert settings["example"] == EXAMPLE_PRE_RELEASE_FILM
    assert settings["max_budget_usd"] == MAX_USD and settings["max_scenarios"] == MAX_SCENARIOS
    assert settings["max_slate"] == MAX_SLATE and settings["example_slate"] == EXAMPLE_SLATE_CSV
    assert settings["fields"] == FIELD_KINDS and settings["fields"]["genres"] == "list"
    assert settings["defaults"] == {"studio_share": 0.5, "marketing_usd": 0.0, "hit_threshold": 0.5}
    assert 1 <= settings["comparables_k"] <= 50


@pytest.mark.parametrize("path", ["/", "/app.js", "/settings.json"])
def test_every_answer_forbids_other_hosts_and_is_revalidated(client: Client, path: str) -> None:
    headers = client.get(path).headers
    policy = dict(
        part.strip().split(" ", 1) for part in headers["content-security-policy"].split(";")
    )
    assert policy["default-src"] == "'self'" and "connect-src" not in policy
    assert headers["cache-control"] == "no-cache" and headers["x-content-type-options"] == "nosniff"


def test_the_page_names_no_other_host() -> None:
    for path in STATIC_DIR.glob("*.*"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text), path.name
        assert not re.search(r"""fetch\(\s*["'`](https?:)?//""", text), path.name
        assert "@import" not in text and "url(http" not in text, path.name


def test_the_pages_call_the_apis_the_service_has() -> None:
    called = set()
    for name in ("app.js", "slate.js"):
        source = (STATIC_DIR / name).read_text(encoding="utf-8")
        called |= set(re.findall(r'"\.\./(\w+)"', source))
    assert called == {
        "predict_revenue",
        "predict_hit",
        "predict_scenarios",
        "comparable_films",
        "predict_slate",
    }
    service = (STATIC_DIR.parent.parent / "service.py").read_text(encoding="utf-8")
    for name in called:
        assert re.search(rf"(async )?def {name}\(", service), name


def test_the_vendored_library_is_what_its_readme_says() -> None:
    readme = (VENDOR_DIR / "README.md").read_text(encoding="utf-8")
    library = (VENDOR_DIR / "chart.umd.js").read_bytes()
    version = re.search(r"\| version \| ([\d.]+) \|", readme).group(1)
    assert library.startswith(f"/*!\n * Chart.js v{version}\n".encode())
    assert hashlib.sha256(library).hexdigest() in readme
    for licence in ("LICENSE.md", "LICENSE-kurkle-color.md"):
        assert (VENDOR_DIR / licence).read_text(encoding="utf-8").startswith("The MIT License")
    assert b"@kurkle/color v0.3.2" in library and "kurkle/color) 0.3.2" in readme


def test_the_vendored_csv_reader_is_what_its_readme_says() -> None:
    readme = (PAPA_DIR / "README.md").read_text(encoding="utf-8")
    library = (PAPA_DIR / "papaparse.min.js").read_bytes()
    version = re.search(r"\| version \| ([\d.]+) \|", readme).group(1)
    assert library.startswith(f"/* @license\nPapa Parse\nv{version}\n".encode())
    assert hashlib.sha256(library).hexdigest() in readme
    assert (PAPA_DIR / "LICENSE.md").read_text(encoding="utf-8").startswith("The MIT License")

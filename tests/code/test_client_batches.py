"""`serving.client score` when the service fails some chunks: the others still count."""

from __future__ import annotations

import gzip
import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pandas as pd
import pytest
from typer.testing import CliRunner

from serving.client import app


class FlakyService(BaseHTTPRequestHandler):
    """Answers /predict_table like the service (a gzip-encoded CSV in, JSON rows out), except
    its second call (503) and its third (200 with a body that is not the service's)."""

    calls = 0

    def do_POST(self) -> None:
        assert self.path == "/predict_table" and self.headers["Content-Encoding"] == "gzip"
        body = gzip.decompress(self.rfile.read(int(self.headers["Content-Length"])))
        films = pd.read_csv(io.BytesIO(body)).to_dict(orient="records")
        type(self).calls += 1
        if type(self).calls == 2:
            self._answer(503, b'{"error": "overloaded"}')
            return
        if type(self).calls == 3:
            self._answer(200, b"<html>a proxy's page</html>")
            return
        rows = [{"revenue_usd": film["budget"] * 2, "probability": 0.5} for film in films]
        self._answer(200, json.dumps(rows).encode())

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def flaky_url() -> Iterator[str]:
    FlakyService.calls = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), FlakyService)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def films_csv(path: Path, n: int) -> Path:
    pd.DataFrame({"budget": [1e6 * (i + 1) for i in range(n)], "runtime": [100] * n}).to_csv(
        path, index=False
    )
    return path


def test_a_failed_batch_marks_its_rows_and_the_rest_are_written(
    flaky_url: str, tmp_path: Path
) -> None:
    source, out = films_csv(tmp_path / "films.csv", 8), tmp_path / "out.csv"
    args = ["score", str(source), "--out", str(out), "--url", flaky_url, "--chunk-size", "2"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    assert "4 rows were not scored; the first reason: /predict_table answered 503" in result.output
    scored = pd.read_csv(out)
    assert list(scored["revenue_usd"].notna()) == [True] * 2 + [False] * 4 + [True] * 2
    assert scored.loc[7, "revenue_usd"] == 16e6
    assert scored.loc[2, "error"].startswith("not scored: /predict_table answered 503")
    assert scored.loc[4, "error"].startswith("not scored: /predict_table answered 200 but not")


def test_an_unreachable_service_stops_at_once_and_still_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts = []
    real_post = httpx.Client.post

    def counted(self: httpx.Client, *args: object, **kwargs: object) -> httpx.Response:
        attempts.append(1)
        return real_post(self, *args, **kwargs)

    monkeypatch.setattr(httpx.Client, "post", counted)
    source, out = films_csv(tmp_path / "films.csv", 4), tmp_path / "out.csv"
    args = ["score", str(source), "--out", str(out), "--url", "http://127.0.0.1:9"]
    result = CliRunner().invoke(app, [*args, "--chunk-size", "1"])
    assert result.exit_code == 1 and "4 rows were not scored; the first reason: cannot reach" in (
        result.output
    )
    assert len(attempts) == 1  # not one connection attempt per remaining batch
    assert pd.read_csv(out)["error"].str.startswith("not scored: cannot reach").all()


def test_an_unreadable_csv_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = films_csv(tmp_path / "films.csv", 1)

    def denied(*args: object, **kwargs: object) -> None:  # what a file without read permission does
        raise PermissionError(13, "Permission denied", str(source))

    monkeypatch.setattr(pd, "read_csv", denied)
    result = CliRunner().invoke(app, ["score", str(source), "--url", "http://127.0.0.1:9"])
    assert result.exit_code == 1
    assert "films.csv: cannot be read (Permission denied)" in result.output


def score_text(text: str, url: str, tmp_path: Path) -> tuple[object, pd.DataFrame]:
    """`score` of a CSV written from ``text``: its result (exit code 0) and its output table."""
    source, out = tmp_path / "films.csv", tmp_path / "out.csv"
    source.write_text(text)
    result = CliRunner().invoke(app, ["score", str(source), "--out", str(out), "--url", url])
    assert result.exit_code == 0, result.output
    return result, pd.read_csv(out)


def test_a_budget_under_the_plausible_floor_is_refused_as_in_slate(
    flaky_url: str, tmp_path: Path
) -> None:
    """150 meant as $150M: the service answers it (with a warning), the client refuses it, as
    `slate` and the README say."""
    result, scored = score_text("budget,runtime\n150,100\n5e7,100\n", flaky_url, tmp_path)
    assert "1 films scored, 1 skipped as invalid" in result.output
    assert scored.loc[0, "error"].startswith("budget: 150 is $150, under $10,000")
    assert pd.isna(scored.loc[0, "revenue_usd"]) and scored.loc[1, "revenue_usd"] == 1e8


def test_a_row_of_no_film_field_is_said_and_not_sent(flaky_url: str, tmp_path: Path) -> None:
    """A row with only its id and a note (no film field) is no film: named, and the rows sent
    are answered in their places (the service skips a row of empty fields); a row of empty
    fields only is skipped, as a blank line is."""
    text = "id,note,budget,runtime\n1,,5e7,100\n2,later,,\n,,,\n3,,6e7,90\n"
    result, scored = score_text(text, flaky_url, tmp_path)
    assert "2 films scored, 1 skipped as invalid" in result.output
    assert list(scored["id"]) == [1, 2, 3]
    assert list(scored["revenue_usd"].fillna(0)) == [1e8, 0, 1.2e8]
    assert scored.loc[1, "error"] == "no film field given"


class PageServer(BaseHTTPRequestHandler):
    """A server whose POSTs all answer 404 or 405, as the service's page (/ui) and docs do."""

    def do_POST(self) -> None:
        body = b'{"detail": "Not Found"}' if "docs" in self.path else b"Method Not Allowed"
        self.send_response(404 if "docs" in self.path else 405)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.parametrize("path", ["/ui", "/docs/"])
def test_a_url_with_the_pages_path_is_said_to_be_no_base_url(path: str, tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), PageServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    root = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        source, out = films_csv(tmp_path / "films.csv", 2), tmp_path / "out.csv"
        args = ["score", str(source), "--out", str(out), "--url", root + path]
        result = CliRunner().invoke(app, args)
    finally:
        server.shutdown()
        server.server_close()
    assert result.exit_code == 1
    said = " ".join(result.output.split())
    assert f"is that the service's base URL? The APIs answer at its root, e.g. {root}/" in said

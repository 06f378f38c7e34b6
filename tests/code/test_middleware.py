"""serving/middleware.py on a small Starlette app: 415 for non-JSON bodies, gzip bodies decoded
(a bomb refused at once), other encodings refused, 400s that name no internal class,
/docs.json rewritten. (tests/service/test_contract.py and test_http.py check the same against
the real service.)"""

from __future__ import annotations

import asyncio
import gzip
import tracemalloc

import httpx
import pytest
from openapi_spec_validator import validate
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from serving.middleware import MAX_BODY, ContractMiddleware, media_type
from tests.helpers.openapi import post_operations, response_schema, schema_errors

DOCUMENT = {
    "openapi": "3.0.2",
    "info": {"title": "t", "version": "1"},
    "paths": {
        "/api": {
            "post": {
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {"type": "number", "exclusiveMinimum": 0, "title": "X"}
                        }
                    }
                },
                "responses": {"200": {"description": "ok"}},
            }
        }
    },
    "components": {"schemas": {}},
}


async def api(request: Request) -> JSONResponse:
    body = (await request.body()).decode()
    if body == "refuse":  # as BentoML answers a pydantic ValidationError
        return JSONResponse(
            {"error": "1 validation error for FilmIODescriptor", "detail": [{"loc": ["x"]}]},
            status_code=400,
        )
    return JSONResponse({"received": body, "encoding": request.headers.get("content-encoding")})


async def docs(request: Request) -> JSONResponse:
    return JSONResponse(DOCUMENT)


class Client:
    """Requests to the wrapped app in process (httpx's ASGI transport), synchronously."""

    def __init__(self) -> None:
        app = Starlette(
            routes=[
                Route("/api", api, methods=["POST"]),
                Route("/other", api, methods=["POST"]),
                Route("/docs.json", docs),
            ]
        )
        self.transport = httpx.ASGITransport(ContractMiddleware(app, api_paths=["/api"]))

    def request(self, method: str, path: str, **kwargs) -> httpx.Response:
        async def send() -> httpx.Response:
            async with httpx.AsyncClient(transport=self.transport, base_url="http://t") as c:
                return await c.request(method, path, **kwargs)

        return asyncio.run(send())

    def post(self, path: str, **kwargs) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def get(self, path: str) -> httpx.Response:
        return self.request("GET", path)


@pytest.fixture(scope="module")
def client() -> Client:
    return Client()


@pytest.mark.parametrize(
    "content_type",
    [
        "multipart/form-data",
        "multipart/form-data; boundary=xyz",
        "application/x-www-form-urlencoded",
        "application/octet-stream",
        "text/plain",
        "application/vnd.bentoml+pickle",
        "application/jsonx",
    ],
)
def test_non_json_bodies_get_415_naming_json(client: Client, content_type: str) -> None:
    response = client.post("/api", content=b'{"x": 1}', headers={"content-type": content_type})
    assert response.status_code == 415
    body = response.json()
    assert "application/json" in body["error"]
    (detail,) = body["detail"]
    assert detail["loc"] == ["header", "content-type"]
    assert content_type in detail["msg"] and "application/json" in detail["msg"]


@pytest.mark.parametrize(
    "headers",
    [
        {"content-type": "application/json"},
        {"content-type": "application/json; charset=utf-8"},
        {"content-type": "Application/JSON ; charset=UTF-8"},
        {},  # no Content-Type: read as JSON, as BentoML does
    ],
)
def test_json_bodies_pass(client: Client, headers: dict) -> None:
    response = client.post("/api", content=b'{"x": 1}', headers=headers)
    assert response.status_code == 200
    assert response.json() == {"received": '{"x": 1}', "encoding": None}


def test_only_the_api_paths_are_guarded(client: Client) -> None:
    response = client.post("/other", content=b"a=1", headers={"content-type": "text/plain"})
    assert response.status_code == 200


def test_a_long_content_type_is_cut_short(client: Client) -> None:
    response = client.post("/api", content=b"", headers={"content-type": "text/" + "x" * 5000})
    assert response.status_code == 415 and len(response.content) < 1000


def test_docs_json_is_rewritten_as_valid_openapi30(client: Client) -> None:
    response = client.get("/docs.json")
    assert response.status_code == 200
    assert int(response.headers["content-length"]) == len(response.content)
    document = response.json()
    validate(document)
    operations = dict(post_operations(document))
    assert "/predict_table" in operations  # the middleware's own route is documented
    ((path, operation),) = [(p, o) for p, o in operations.items() if p != "/predict_table"]
    assert operation["requestBody"]["required"] is True
    # the 415 answer is the documented one
    refused = client.post(path, content=b"x", headers={"content-type": "text/plain"})
    assert schema_errors(document, response_schema(operation, 415), refused.json()) == []
    head = client.request("HEAD", "/docs.json")
    assert head.headers["content-length"] == response.headers["content-length"]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("application/json", "application/json"),
        ("Application/JSON; charset=utf-8", "application/json"),
        (" text/plain ", "text/plain"),
        ("", ""),
    ],
)
def test_media_type(header: str, expected: str) -> None:
    assert media_type(header) == expected


def test_a_gzip_body_is_decoded_for_the_api(client: Client) -> None:
    body = b'{"films": []}' * 1000
    response = client.post(
        "/api",
        content=gzip.compress(body),
        headers={"content-type": "application/json", "content-encoding": "gzip"},
    )
    assert response.status_code == 200
    assert response.json() == {"received": body.decode(), "encoding": None}


def test_a_gzip_body_of_several_members_is_decoded_whole(client: Client) -> None:
    """RFC 1952: one gzip body may hold several members (`cat a.gz b.gz`); gunzip reads them
    all, and so does the service. What follows a member and is not one is refused."""
    first, second = b'{"films": [' + b"1," * 5000, b"2]}"
    headers = {"content-type": "application/json", "content-encoding": "gzip"}
    response = client.post(
        "/api", content=gzip.compress(first) + gzip.compress(second), headers=headers
    )
    assert response.status_code == 200
    assert response.json()["received"] == (first + second).decode()
    response = client.post("/api", content=gzip.compress(first) + b"garbage", headers=headers)
    assert response.status_code == 400 and "gzip" in response.json()["error"]
    # Zero bytes padding the members, as gunzip and Python's gzip skip them.
    padded = gzip.compress(first) + b"\0" * 8 + gzip.compress(second) + b"\0" * 5
    assert gzip.decompress(padded) == first + second
    response = client.post("/api", content=padded, headers=headers)
    assert response.json()["received"] == (first + second).decode()


def test_a_gzip_bomb_is_refused_at_once_without_decoding_it(client: Client) -> None:
    """1 GiB of zeros, 1 MiB compressed: 413 once the bound is passed, the rest never read."""
    bomb = gzip.compress(b"0" * (1 << 30), compresslevel=9)
    tracemalloc.start()
    response = client.post(
        "/api",
        content=bomb,
        headers={"content-type": "application/json", "content-encoding": "gzip"},
    )
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert response.status_code == 413
    assert response.json()["detail"][0]["type"] == "body_too_large"
    assert peak < 3 * MAX_BODY["json"]  # the bound, not the gigabyte


@pytest.mark.parametrize("encoding", ["br", "deflate", "compress"])
def test_another_encoding_gets_415_naming_gzip(client: Client, encoding: str) -> None:
    response = client.post(
        "/api",
        content=b"{}",
        headers={"content-type": "application/json", "content-encoding": encoding},
    )
    assert response.status_code == 415
    assert "gzip" in response.json()["detail"][0]["msg"]


def test_a_body_that_is_not_gzip_is_a_400(client: Client) -> None:
    response = client.post(
        "/api",
        content=b"plain",
        headers={"content-type": "application/json", "content-encoding": "gzip"},
    )
    assert response.status_code == 400 and "gzip" in response.json()["error"]


def test_a_400_names_the_request_body_not_an_internal_class(client: Client) -> None:
    response = client.post("/api", content=b"refuse", headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json() == {
        "error": "1 validation error in the request body",
        "detail": [{"loc": ["x"]}],
    }
    assert int(response.headers["content-length"]) == len(response.content)


class SingleFilms:
    """The app behind the middleware, with a micro-batcher registered for /predict_revenue
    whose predict echoes the validated films."""

    def __init__(self) -> None:
        from serving.batching import MicroBatcher
        from serving.worker import register

        self.calls: list[list] = []

        def predict(films: list) -> list[dict]:
            self.calls.append(films)
            return [{"budget": film.budget_usd, "runtime": film.runtime} for film in films]

        app = Starlette(routes=[Route("/predict_revenue", api, methods=["POST"])])
        register(None, {"predict_revenue": MicroBatcher("test", predict)})
        middleware = ContractMiddleware(app, api_paths=["/predict_revenue"], server="S/1")
        self.client = Client()
        self.client.transport = httpx.ASGITransport(middleware)

    def post(self, body: bytes, **headers: str) -> httpx.Response:
        headers = {"content-type": "application/json", **headers}
        return self.client.post("/predict_revenue", content=body, headers=headers)


@pytest.fixture
def single() -> SingleFilms:
    from serving.worker import register

    yield SingleFilms()
    register(None)


def test_a_valid_single_film_is_answered_through_its_queue(single: SingleFilms) -> None:
    response = single.post(b'{"budget": 5000000, "runtime": 100}')
    assert response.status_code == 200
    assert response.json() == {"budget": 5000000.0, "runtime": 100.0}
    assert response.headers["server"] == "S/1"
    assert len(single.calls) == 1 and single.calls[0][0].budget == 5_000_000


def test_a_gzip_body_sent_without_saying_so_is_named(single: SingleFilms) -> None:
    response = single.post(gzip.compress(b'{"budget": 5000000, "runtime": 100}'))
    assert response.status_code == 400
    assert "send it with Content-Encoding: gzip" in response.json()["error"]
    assert not single.calls


def test_a_gzip_single_film_is_decoded_first(single: SingleFilms) -> None:
    body = gzip.compress(b'{"runtime": 90, "log_budget": 15.0}')
    response = single.post(body, **{"content-encoding": "gzip"})
    assert response.status_code == 200 and response.json()["runtime"] == 90


@pytest.mark.parametrize("body", [b'{"runtime": 100}', b'{"budget": -1}', b"[1]", b"{", b""])
def test_a_single_film_that_fails_goes_on_to_the_api(single: SingleFilms, body: bytes) -> None:
    # BentoML's route validates it again and answers its 400 (here: the app echoes the body)
    response = single.post(body)
    assert response.json()["received"] == body.decode()
    assert single.calls == []
    assert response.headers["server"] == "S/1"


def test_a_table_the_service_fails_on_is_a_json_500_with_its_traceback_logged(
    client: Client, monkeypatch, caplog
) -> None:
    """Not a bare 500 ("ASGI callable returned without starting response"): a 5xx logs its
    traceback and answers in the shape of every other error."""
    from serving import tables
    from serving.middleware import TABLE_ROUTE
    from serving.worker import register

    async def fails(*_: object) -> tuple[bytes, str]:
        raise RuntimeError("the models broke")

    monkeypatch.setattr(tables, "answer", fails)
    register(object())
    try:
        with caplog.at_level("ERROR", logger="boxoffice.http"):
            response = client.post(
                TABLE_ROUTE,
                content=b"budget,runtime\n1e8,100\n",
                headers={"content-type": "text/csv"},
            )
    finally:
        register(None)
    assert response.status_code == 500
    assert response.json()["detail"][0]["type"] == "internal_error"
    assert "RuntimeError: the models broke" in caplog.text


def test_a_refusal_is_logged_on_one_line_whatever_its_body_holds(caplog) -> None:
    """A key with a newline (or any control character) would have forged a second log line."""
    from serving.middleware import _log_refusal

    body = {
        "error": "Bad Request",
        "detail": [{"loc": ["films", 0, "x\n2026-12-07 ERROR forged"], "msg": "Extra inputs"}],
    }
    with caplog.at_level("INFO", logger="boxoffice.http"):
        _log_refusal("POST", "/predict_batch", 400, body)
        _log_refusal("POST", "/predict_batch", 400, {"detail": [{"loc": ["films", "y" * 500]}]})
    first, second = caplog.messages
    assert first == "POST /predict_batch 400: films.0.x\\n2026-12-07 ERROR forged"
    assert len(second) < 240 and second.endswith("…")

"""serving/middleware.py on a small Starlette app: 415 for non-JSON bodies, /docs.json rewritten.
(tests/service/test_contract.py checks the same against the real service.)"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from openapi_spec_validator import validate
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from serving.middleware import ContractMiddleware, media_type
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
    return JSONResponse({"received": (await request.body()).decode()})


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
    assert response.json() == {"received": '{"x": 1}'}


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
    ((path, operation),) = post_operations(document)
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

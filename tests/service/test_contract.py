"""The published contract of the real service: /docs.json is valid OpenAPI 3.0 and says what the
service answers; a body that is not JSON gets 415 naming application/json, never 500."""

from __future__ import annotations

import json

import httpx
import pytest
from openapi_spec_validator import validate

from serving.schema import EXAMPLE_FILM, EXAMPLE_PRE_RELEASE_FILM
from tests.helpers.openapi import post_operations, response_schema, schema_errors

TABLE = "/predict_table"


def json_operations(document: dict) -> list:
    """The APIs that take JSON (all but the table route, which takes CSV or Parquet)."""
    return [(p, o) for p, o in post_operations(document) if p != TABLE]


pytestmark = pytest.mark.slow

FILM_BODY = json.dumps(EXAMPLE_PRE_RELEASE_FILM).encode()
VALID_BODIES = {
    "/predict_revenue": EXAMPLE_FILM,
    "/predict_hit": EXAMPLE_FILM,
    "/predict_batch": {"films": [EXAMPLE_FILM, EXAMPLE_PRE_RELEASE_FILM]},
}


@pytest.fixture(scope="module")
def document(server_url: str) -> dict:
    response = httpx.get(f"{server_url}/docs.json", timeout=30)
    assert response.status_code == 200
    return response.json()


@pytest.fixture(scope="module")
def api_paths(document: dict) -> list[str]:
    return [path for path, _ in json_operations(document)]


def test_docs_json_is_valid_openapi30(document: dict) -> None:
    validate(document)  # raises with the first problem
    assert document["openapi"].startswith("3.0")


def test_every_api_is_documented_with_a_required_json_body(
    document: dict, api_paths: list[str]
) -> None:
    assert set(VALID_BODIES) <= set(api_paths)
    for path, operation in post_operations(document):
        body = operation["requestBody"]
        assert body["required"] is True
        expected = (
            ["text/csv", "application/vnd.apache.parquet"]
            if path == TABLE
            else ["application/json"]
        )
        assert list(body["content"]) == expected


@pytest.mark.parametrize(
    "raw",
    ["[]", '{"runtime": ', '{"films": "x", "runtime": "x", "unexpected": 1}', ""],
    ids=["array", "truncated", "wrong-fields", "empty"],
)
def test_a_real_400_body_is_the_documented_one(
    http: httpx.Client, document: dict, api_paths: list[str], raw: str
) -> None:
    for path, operation in json_operations(document):
        response = http.post(path, content=raw, headers={"content-type": "application/json"})
        assert response.status_code == 400, (path, response.text)
        errors = schema_errors(document, response_schema(operation, 400), response.json())
        assert errors == [], (path, response.text)


def test_an_answer_is_the_documented_one(http: httpx.Client, document: dict) -> None:
    operations = dict(json_operations(document))
    for path, body in VALID_BODIES.items():
        response = http.post(path, json=body)
        assert response.status_code == 200
        assert (
            schema_errors(document, response_schema(operations[path], 200), response.json()) == []
        )


NOT_JSON = {
    "json-as-multipart": {"content": FILM_BODY, "headers": {"content-type": "multipart/form-data"}},
    "json-as-multipart-boundary": {
        "content": FILM_BODY,
        "headers": {"content-type": "multipart/form-data; boundary=x"},
    },
    "real-multipart": {"files": {"film": ("film.json", FILM_BODY, "application/json")}},
    "form": {"data": {"runtime": "100", "budget": "1000000"}},
    "octet-stream": {
        "content": FILM_BODY,
        "headers": {"content-type": "application/octet-stream"},
    },
    "text": {"content": FILM_BODY, "headers": {"content-type": "text/plain"}},
    "pickle": {
        "content": b"\x80\x05N.",
        "headers": {"content-type": "application/vnd.bentoml+pickle"},
    },
}


@pytest.mark.parametrize("kind", list(NOT_JSON))
def test_a_body_that_is_not_json_gets_415_naming_json(
    http: httpx.Client, document: dict, kind: str
) -> None:
    for path, operation in json_operations(document):
        response = http.post(path, **NOT_JSON[kind])
        assert response.status_code == 415, (path, response.text)
        body = response.json()
        assert "application/json" in body["error"]
        assert "application/json" in body["detail"][0]["msg"]
        assert schema_errors(document, response_schema(operation, 415), body) == []


@pytest.mark.parametrize(
    "content_type", ["application/json; charset=utf-8", "Application/JSON", None]
)
def test_json_with_a_charset_or_without_a_content_type_is_read(
    http: httpx.Client, content_type: str | None
) -> None:
    for path, body in VALID_BODIES.items():
        headers = {"content-type": content_type} if content_type else {}
        response = http.post(path, content=json.dumps(body).encode(), headers=headers)
        assert response.status_code == 200, (path, response.text)

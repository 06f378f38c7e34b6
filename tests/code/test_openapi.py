"""serving/openapi.py: JSON Schema 2020-12 (pydantic) -> OpenAPI 3.0, and the whole document."""

from __future__ import annotations

import copy
import datetime as dt
import enum
import json
from typing import Literal

import bentoml
import pytest
from openapi_spec_validator import validate
from pydantic import BaseModel, Field, ValidationError

from serving.openapi import NULL_ONLY, openapi30_document, to_openapi30
from serving.schema import BatchRequest, BatchResult, Film, HitResult, RevenueResult
from tests.helpers.openapi import post_operations, response_schema, schema_errors

REF = {"$ref": "#/components/schemas/Thing"}

CONVERSIONS = [
    # numeric exclusive bounds -> minimum/maximum + boolean
    (
        {"type": "number", "exclusiveMinimum": 0},
        {"type": "number", "minimum": 0, "exclusiveMinimum": True},
    ),
    (
        {"type": "integer", "exclusiveMaximum": 50},
        {"type": "integer", "maximum": 50, "exclusiveMaximum": True},
    ),
    # an inclusive bound that is stricter wins; a looser one gives way
    ({"exclusiveMinimum": 0, "minimum": 5}, {"minimum": 5}),
    ({"exclusiveMinimum": 5, "minimum": 0}, {"minimum": 5, "exclusiveMinimum": True}),
    # X | None
    (
        {
            "anyOf": [{"type": "string", "maxLength": 3}, {"type": "null"}],
            "default": None,
            "title": "T",
        },
        {"type": "string", "maxLength": 3, "nullable": True, "default": None, "title": "T"},
    ),
    (
        {"anyOf": [REF, {"type": "null"}], "default": None},
        {"anyOf": [REF, NULL_ONLY], "default": None},
    ),
    (
        {"anyOf": [{"type": "integer"}, {"type": "string"}, {"type": "null"}]},
        {"anyOf": [{"type": "integer"}, {"type": "string"}, NULL_ONLY]},
    ),
    (
        {"anyOf": [{"enum": ["a", "b"], "type": "string"}, {"type": "null"}]},
        {"enum": ["a", "b", None], "type": "string", "nullable": True},
    ),
    ({"type": ["string", "null"]}, {"type": "string", "nullable": True}),
    ({"type": ["string", "integer"]}, {"anyOf": [{"type": "string"}, {"type": "integer"}]}),
    ({"type": "null"}, NULL_ONLY),
    # const, examples
    ({"const": "scenario", "type": "string"}, {"enum": ["scenario"], "type": "string"}),
    ({"const": None}, NULL_ONLY),
    ({"type": "integer", "examples": [3, 4]}, {"type": "integer", "example": 3}),
    # dict[Literal["a", "b"], X]: exactly those keys
    (
        {"type": "object", "additionalProperties": REF, "propertyNames": {"enum": ["a", "b"]}},
        {"type": "object", "properties": {"a": REF, "b": REF}, "additionalProperties": False},
    ),
    # other propertyNames (a pattern, a $ref) cannot be said: dropped, the schema gets wider
    (
        {"type": "object", "additionalProperties": {"type": "number"}, "propertyNames": REF},
        {"type": "object", "additionalProperties": {"type": "number"}},
    ),
    # tuples
    (
        {
            "type": "array",
            "prefixItems": [{"type": "integer"}, {"type": "string"}],
            "minItems": 2,
            "maxItems": 2,
        },
        {
            "type": "array",
            "items": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
            "minItems": 2,
            "maxItems": 2,
        },
    ),
    (
        {"type": "array", "prefixItems": [{"type": "number"}, {"type": "number"}], "items": False},
        {"type": "array", "items": {"type": "number"}},
    ),
    ({"type": "array", "items": True}, {"type": "array", "items": {}}),
    # $ref with siblings: OpenAPI 3.0 ignores them, so the $ref moves into allOf
    ({"$ref": REF["$ref"], "description": "d"}, {"allOf": [REF], "description": "d"}),
    # keywords OpenAPI 3.0 lacks are dropped; extensions stay; empty `required` goes
    (
        {
            "type": "object",
            "$schema": "x",
            "patternProperties": {"^a": {}},
            "x-kind": 1,
            "required": [],
        },
        {"type": "object", "x-kind": 1},
    ),
    (True, {}),
    (False, {"not": {}}),
]


@pytest.mark.parametrize(("schema", "expected"), CONVERSIONS)
def test_to_openapi30(schema: object, expected: object) -> None:
    assert to_openapi30(schema) == expected


def test_subschemas_are_converted_but_property_names_are_names() -> None:
    schema = {
        "type": "object",
        "properties": {
            # properties called like keywords are fields, not keywords
            "const": {"type": "number", "exclusiveMinimum": 0},
            "type": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        },
        "additionalProperties": {"type": "array", "items": {"const": 1}},
    }
    assert to_openapi30(schema) == {
        "type": "object",
        "properties": {
            "const": {"type": "number", "minimum": 0, "exclusiveMinimum": True},
            "type": {"type": "string", "nullable": True},
        },
        "additionalProperties": {"type": "array", "items": {"enum": [1]}},
    }


def test_conversion_does_not_modify_its_input() -> None:
    schema = {"anyOf": [{"type": "number", "exclusiveMinimum": 0}, {"type": "null"}]}
    before = copy.deepcopy(schema)
    to_openapi30(schema)
    assert schema == before


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Scenario(BaseModel):
    """Constructs later response or request models may add."""

    horizon_years: int = Field(1, gt=0, lt=50)
    dollars_year: int | None = Field(None, ge=1900)
    pair: tuple[int, str] = (1, "a")
    by_set: dict[Literal["post_release", "pre_release"], float] = {}
    by_colour: dict[Colour, float] = {}
    kind: Literal["scenario"] = "scenario"
    when: dt.datetime | None = None
    tags: set[str] = set()
    revenue: RevenueResult | None = None
    mixed: int | str | None = None


@pytest.fixture(scope="module")
def bentoml_document() -> dict:
    """/docs.json as BentoML 1.4 generates it, for a service with this project's models."""

    @bentoml.service
    class Probe:
        @bentoml.api(input_spec=Film)
        def revenue(self, **film: object) -> RevenueResult: ...

        @bentoml.api(input_spec=Film)
        def hit(self, **film: object) -> HitResult: ...

        @bentoml.api(input_spec=BatchRequest)
        def batch(self, films: list[Film]) -> BatchResult: ...

        @bentoml.api
        def scenarios(self, scenarios: list[Scenario], horizon: int | None = None) -> Scenario: ...

    return json.loads(json.dumps(Probe.openapi_spec.asdict()))


def test_bentoml_document_is_invalid_and_converted_one_is_valid(bentoml_document: dict) -> None:
    with pytest.raises(Exception, match="is not valid"):
        validate(bentoml_document)
    document = openapi30_document(bentoml_document)
    validate(document)
    assert document["openapi"].startswith("3.0")
    assert json.loads(json.dumps(bentoml_document)) == bentoml_document  # input untouched


def test_every_body_is_required_and_its_errors_documented(bentoml_document: dict) -> None:
    document = openapi30_document(bentoml_document)
    operations = dict(post_operations(document))
    assert set(operations) == {"/revenue", "/hit", "/batch", "/scenarios"}
    for operation in operations.values():
        assert operation["requestBody"]["required"] is True
        for status in (400, 413, 415):
            assert response_schema(operation, status) == {
                "$ref": "#/components/schemas/RequestError"
            }
    # BentoML's 400 schema (`detail` a string) is no longer published
    assert "InvalidArgument" not in document["components"]["schemas"]


def test_no_schema_is_named_after_bentomls_classes(bentoml_document: dict) -> None:
    assert any("IODescriptor" in name for name in bentoml_document["components"]["schemas"])
    document = openapi30_document(bentoml_document, max_body_mib=32)
    validate(document)
    assert "IODescriptor" not in json.dumps(document)
    info = document["info"]
    assert info["version"] == "dev" and "contact" not in info
    assert "BentoML" not in info["description"]
    revenue = dict(post_operations(document))["/revenue"]
    assert "32 MiB" in revenue["responses"]["413"]["description"]


def test_operations_refer_to_the_whole_model_with_its_nulls(bentoml_document: dict) -> None:
    document = openapi30_document(bentoml_document)
    operations = dict(post_operations(document))
    body = operations["/revenue"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/Film"}
    film = document["components"]["schemas"]["Film"]
    # BentoML's inline copy said `budget` could not be null; the model accepts null
    assert film["properties"]["budget"]["nullable"] is True
    assert schema_errors(document, body, {"runtime": 100, "budget": None, "log_budget": 16}) == []
    scenarios = operations["/scenarios"]["requestBody"]["content"]["application/json"]["schema"]
    assert scenarios == {"$ref": "#/components/schemas/scenarios__Input"}
    assert schema_errors(document, scenarios, {"scenarios": [], "horizon": None}) == []
    by_set = document["components"]["schemas"]["Scenario"]["properties"]["by_set"]
    assert set(by_set["properties"]) == {"post_release", "pre_release"}


def _bentoml_400_body(error: ValidationError) -> dict:
    """What BentoML 1.4's api_endpoint_wrapper answers for a pydantic ValidationError."""
    return {
        "error": f"{error.error_count()} validation error for {error.title}",
        "detail": error.errors(include_context=False, include_input=False),
    }


@pytest.mark.parametrize(
    "body",
    [
        {"runtime": "long", "budget": -1, "genres": "Action"},  # field errors
        {"runtime": 100},  # a rule across fields: loc []
        {"films": [{"runtime": 1, "budget": 1}]},  # extra field
    ],
)
def test_the_documented_error_body_is_the_real_one(bentoml_document: dict, body: dict) -> None:
    document = openapi30_document(bentoml_document)
    schema = response_schema(dict(post_operations(document))["/revenue"], 400)
    with pytest.raises(ValidationError) as caught:
        Film.model_validate_json(json.dumps(body))
    real = json.loads(json.dumps(_bentoml_400_body(caught.value)))
    assert schema_errors(document, schema, real) == []
    assert schema_errors(document, schema, {"error": "x", "detail": "a string"}) != []


def test_a_model_named_like_the_error_body_is_refused() -> None:
    document = {
        "openapi": "3.0.2",
        "paths": {},
        "components": {"schemas": {"RequestError": {"type": "string"}}},
    }
    with pytest.raises(ValueError, match="clashes"):
        openapi30_document(document)

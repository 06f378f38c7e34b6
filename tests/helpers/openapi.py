"""Helpers to check bodies against an OpenAPI 3.0 document (tests/code and tests/service)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from openapi_schema_validator import OAS30Validator

REF_PREFIX = "#/components/schemas/"


def resolve(document: Mapping[str, Any], schema: Any, depth: int = 0) -> Any:
    """The schema with every $ref to a component replaced by the component itself."""
    assert depth < 50, "recursive schema"
    if isinstance(schema, list):
        return [resolve(document, item, depth) for item in schema]
    if not isinstance(schema, Mapping):
        return schema
    if "$ref" in schema:
        name = schema["$ref"].removeprefix(REF_PREFIX)
        return resolve(document, document["components"]["schemas"][name], depth + 1)
    return {key: resolve(document, value, depth) for key, value in schema.items()}


def schema_errors(document: Mapping[str, Any], schema: Any, instance: Any) -> list[str]:
    """Where `instance` breaks `schema` (refs resolved in `document`), OpenAPI 3.0 semantics."""
    validator = OAS30Validator(resolve(document, schema))
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(instance)]


def post_operations(document: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        if "post" in item:
            yield path, item["post"]


def response_schema(operation: Mapping[str, Any], status: int | str) -> Any:
    return operation["responses"][str(status)]["content"]["application/json"]["schema"]

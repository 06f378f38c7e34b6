"""The OpenAPI document the service publishes at /docs.json, made valid OpenAPI 3.0.

BentoML 1.4 writes ``"openapi": "3.0.2"`` but fills it with the JSON Schema 2020-12 pydantic
emits (numeric ``exclusiveMinimum``, ``anyOf`` with ``{"type": "null"}``, ``propertyNames``,
``const``, ...), which OpenAPI 3.0 does not have: validators and client generators reject it.
It also documents a 400 body whose ``detail`` is a string (it is a list), leaves request bodies
optional, and flattens each operation's inline copy of its schemas to the first ``anyOf``
branch, which drops ``null`` from every optional field.

``to_openapi30`` converts one schema; ``openapi30_document`` applies it to the whole document
and fixes the rest. Both are pure (their input is not modified) and know nothing of this
service's models, so fields and APIs added later are converted the same way. Where OpenAPI 3.0
cannot say what JSON Schema said, the converted schema is wider (accepts more), never narrower.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field

JSON = "application/json"
REF_PREFIX = "#/components/schemas/"
# The document's own description (BentoML's is its generic README, and names its team).
DESCRIPTION = (
    "Forecasts a film's worldwide box-office revenue, whether it will be a hit and its profit "
    "under the analyst's assumptions, every answer read from one predictive distribution of "
    "the film's revenue.\n\n"
    "- Pages: [/ui](ui) (one film) and [/ui/slate](ui/slate) (a slate of films).\n"
    "- One film: `/predict_revenue`, `/predict_hit`; its variants: `/predict_scenarios`; "
    "films like it: `/comparable_films`.\n"
    "- Many films: `/predict_batch` (JSON), `/predict_table` (CSV or Parquet); a slate's "
    "totals: `/predict_slate`.\n"
    "- Probes: `/livez`, `/readyz` (also `/health`, as the original project's manifests ask), "
    "`/metrics`.\n\n"
    "Bodies may be sent gzip-encoded (`Content-Encoding: gzip`)."
)
# BentoML names each API's body and answer schema after its internal IO class.
INTERNAL_SUFFIX = "IODescriptor"
OPERATION_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# The fields of an OpenAPI 3.0 Schema Object; anything else but `x-` extensions is invalid there.
OPENAPI30_SCHEMA_KEYS = frozenset(
    {
        "title",
        "multipleOf",
        "maximum",
        "exclusiveMaximum",
        "minimum",
        "exclusiveMinimum",
        "maxLength",
        "minLength",
        "pattern",
        "maxItems",
        "minItems",
        "uniqueItems",
        "maxProperties",
        "minProperties",
        "required",
        "enum",
        "type",
        "allOf",
        "oneOf",
        "anyOf",
        "not",
        "items",
        "properties",
        "additionalProperties",
        "description",
        "format",
        "default",
        "nullable",
        "discriminator",
        "readOnly",
        "writeOnly",
        "xml",
        "externalDocs",
        "example",
        "deprecated",
        "$ref",
    }
)
# Accepts null and nothing else (OpenAPI 3.0 has no "null" type).
NULL_ONLY = {"nullable": True, "enum": [None]}
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SCHEMA_VALUES = ("not", "additionalProperties", "propertyNames", "contains")


class ErrorDetail(BaseModel):
    """One problem with a request, as pydantic reports it."""

    type: str = Field(description="Kind of error, e.g. 'missing', 'greater_than', 'value_error'.")
    loc: list[str | int] = Field(
        description="Where: field names and list indices, e.g. ['films', 3, 'runtime']; "
        "[] for the body as a whole or a rule across several fields."
    )
    msg: str = Field(description="What is wrong, in words.")
    url: str | None = Field(None, description="Pydantic's page about this kind of error.")


class RequestError(BaseModel):
    """The body of a 400 (and 415) answer."""

    error: str = Field(description="Summary, e.g. '2 validation errors in the request body'.")
    detail: list[ErrorDetail] = Field(description="Each problem, naming its field.")


def to_openapi30(schema: Any) -> Any:
    """One JSON Schema (2020-12, as pydantic writes it) as an OpenAPI 3.0 Schema Object."""
    if schema is True:
        return {}
    if schema is False:
        return {"not": {}}
    if not isinstance(schema, Mapping):
        return copy.deepcopy(schema)
    out = {key: _convert_children(key, value) for key, value in schema.items()}

    if "const" in out:
        out.setdefault("enum", [out["const"]])
    if isinstance(out.get("enum"), list) and None in out["enum"]:
        out["nullable"] = True  # OpenAPI 3.0 has no null type: an enum listing null says so
    if "examples" in out and isinstance(out["examples"], list) and out["examples"]:
        out.setdefault("example", out["examples"][0])
    for bound, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        _boolean_exclusive_bound(out, bound, exclusive)
    _tuple_items(out)
    _property_names(out)
    _null_type(out)
    for key in ("anyOf", "oneOf"):
        _nullable_union(out, key)
    if out.get("required") == []:
        del out["required"]  # OpenAPI 3.0: at least one name
    out = {k: v for k, v in out.items() if k in OPENAPI30_SCHEMA_KEYS or k.startswith("x-")}
    if "$ref" in out and len(out) > 1:
        # OpenAPI 3.0 ignores the siblings of a $ref: keep them on a wrapper around it.
        out = {"allOf": [{"$ref": out.pop("$ref")}], **out}
    return out


def _convert_children(key: str, value: Any) -> Any:
    if key in ("properties", "patternProperties", "$defs", "dependentSchemas"):
        return {name: to_openapi30(child) for name, child in value.items()}
    if key in _SCHEMA_LISTS:
        return [to_openapi30(child) for child in value]
    if key == "items":
        if isinstance(value, list):  # the older spelling of prefixItems
            return [to_openapi30(child) for child in value]
        return value if value is False else to_openapi30(value)
    if key in _SCHEMA_VALUES:
        return value if isinstance(value, bool) else to_openapi30(value)
    return copy.deepcopy(value)


def _boolean_exclusive_bound(out: dict[str, Any], bound: str, exclusive: str) -> None:
    """JSON Schema's numeric exclusiveMinimum: 0 is OpenAPI 3.0's minimum: 0 + true."""
    value = out.get(exclusive)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return
    inclusive = out.get(bound)
    stricter_inclusive = inclusive is not None and (
        inclusive > value if bound == "minimum" else inclusive < value
    )
    if stricter_inclusive:
        del out[exclusive]
    else:
        out[bound], out[exclusive] = value, True


def _tuple_items(out: dict[str, Any]) -> None:
    """A tuple (prefixItems) becomes an array of any of its item schemas (minItems/maxItems,
    which pydantic writes beside it, keep the length)."""
    prefix = out.pop("prefixItems", None)
    if prefix is None and isinstance(out.get("items"), list):
        prefix = out.pop("items")
    if prefix is None:
        if out.get("items") is False:
            del out["items"]
        return
    rest = out.pop("items", False)
    members = [*prefix, *([rest] if rest is not False else [])]
    unique = [m for i, m in enumerate(members) if m not in members[:i]]
    if unique:
        out["items"] = unique[0] if len(unique) == 1 else {"anyOf": unique}
    else:
        out["items"] = {}
        out["maxItems"] = 0


def _property_names(out: dict[str, Any]) -> None:
    """dict[Literal[...], X] (propertyNames with an enum) becomes an object with those
    properties, each X, and no others; other propertyNames have no 3.0 spelling (dropped)."""
    names = out.pop("propertyNames", None)
    if not isinstance(names, Mapping):
        return
    allowed = names.get("enum", [names["const"]] if "const" in names else None)
    if not isinstance(allowed, list) or not all(isinstance(n, str) for n in allowed):
        return
    value_schema = out.get("additionalProperties", {})
    if value_schema is False:
        return
    value_schema = {} if value_schema is True else value_schema
    properties = out.setdefault("properties", {})
    for name in allowed:
        properties.setdefault(name, copy.deepcopy(value_schema))
    out["additionalProperties"] = False


def _null_type(out: dict[str, Any]) -> None:
    """type: "null" -> the null-only schema; ["X", "null"] -> X, nullable; several -> anyOf."""
    kind = out.get("type")
    if kind == "null":
        del out["type"]
        out.update(NULL_ONLY)
        return
    if not isinstance(kind, list):
        return
    kinds = [k for k in kind if k != "null"]
    nullable = len(kinds) < len(kind)
    if len(kinds) == 1:
        out["type"] = kinds[0]
        if nullable:
            out["nullable"] = True
        return
    del out["type"]
    members = [{"type": k} for k in kinds] + ([dict(NULL_ONLY)] if nullable or not kinds else [])
    out.setdefault("anyOf", members)


def _is_null(schema: Any) -> bool:
    return isinstance(schema, Mapping) and schema.get("enum") == [None]


def _nullable_union(out: dict[str, Any], key: str) -> None:
    """anyOf [X, {type: null}] (pydantic's `X | None`) -> X with nullable: true when X has a
    type; otherwise (a $ref, several members) the union keeps a null-only member. OpenAPI 3.0.3:
    nullable only adds null to the type given beside it."""
    members = out.get(key)
    if not isinstance(members, list) or not any(_is_null(m) for m in members):
        return
    rest = [m for m in members if not _is_null(m)]
    if len(rest) != 1 or "type" not in rest[0] or "$ref" in rest[0]:
        out[key] = [*rest, dict(NULL_ONLY)]
        return
    del out[key]
    for name, value in rest[0].items():
        out.setdefault(name, value)  # the outer title/description/default win
    out["nullable"] = True
    if isinstance(out.get("enum"), list) and None not in out["enum"]:
        out["enum"] = [*out["enum"], None]  # an enum without null forbids null


def _component_schemas(model: type[BaseModel]) -> dict[str, dict[str, Any]]:
    schema = model.model_json_schema(ref_template=REF_PREFIX + "{model}")
    defs = schema.pop("$defs", {})
    return {name: to_openapi30(s) for name, s in {model.__name__: schema, **defs}.items()}


def _operations(document: Mapping[str, Any]):
    for path_item in document.get("paths", {}).values():
        for method in OPERATION_METHODS:
            if isinstance(path_item.get(method), dict):
                yield path_item[method]


def _media_types(operation: Mapping[str, Any]):
    """Every media type object of an operation's request body and responses."""
    bodies = [operation.get("requestBody", {}), *operation.get("responses", {}).values()]
    for body in bodies:
        yield from body.get("content", {}).values()


def _as_reference(schema: Any, components: Mapping[str, Any], api_name: str | None) -> Any:
    """BentoML inlines a flattened copy of each API's input and output model (its first anyOf
    branch only, so no null); the component of the same title (``<api>__Input`` for the model
    BentoML makes of an API's parameters) is the whole model: refer to it."""
    title = schema.get("title") if isinstance(schema, Mapping) else None
    for name in (title, f"{api_name}__{title}") if title else ():
        component = components.get(name)
        if component is not None and set(component.get("properties", {})) == set(
            schema.get("properties", {})
        ):
            return {"$ref": REF_PREFIX + name}
    return to_openapi30(schema)


def _references(node: Any) -> set[str]:
    """The component schemas a part of the document refers to by $ref."""
    if isinstance(node, Mapping):
        found = set().union(*(_references(v) for v in node.values())) if node else set()
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(REF_PREFIX):
            found.add(ref[len(REF_PREFIX) :])
        return found
    if isinstance(node, list):
        return set().union(*(_references(v) for v in node)) if node else set()
    return set()


def openapi30_document(spec: Mapping[str, Any], max_body_mib: int | None = None) -> dict[str, Any]:
    """BentoML's /docs.json as a valid OpenAPI 3.0 document that says what the service does.

    Every schema is converted with ``to_openapi30``; each operation's request and response
    schemas refer to their complete component; request bodies are required; operations with a
    body document their 400, 413 (over ``max_body_mib`` decoded) and 415 answers as the body
    they really carry (``RequestError``); no schema is named after BentoML's internal IO
    classes; the document describes the service, not BentoML.
    """
    document = copy.deepcopy(dict(spec))
    version = str(document.get("info", {}).get("version", "None"))
    document["info"] = {
        "title": document.get("info", {}).get("title", "boxoffice"),
        "version": "dev" if version == "None" else version,  # a Bento's own version when built
        "description": DESCRIPTION,
    }
    components = document.setdefault("components", {})
    raw_schemas = components.get("schemas", {})
    schemas = {name: to_openapi30(schema) for name, schema in raw_schemas.items()}
    for name, schema in _component_schemas(RequestError).items():
        if name in schemas and schemas[name] != schema:
            raise ValueError(f"a model named {name!r} clashes with the error body's schema")
        schemas[name] = schema
    components["schemas"] = schemas

    replaced: set[str] = set()
    for operation in _operations(document):
        for media_type in _media_types(operation):
            if "schema" in media_type:
                media_type["schema"] = _as_reference(
                    media_type["schema"], raw_schemas, operation.get("x-bentoml-name")
                )
        for parameter in operation.get("parameters", []):
            if "schema" in parameter:
                parameter["schema"] = to_openapi30(parameter["schema"])
        if "requestBody" not in operation:
            continue
        operation["requestBody"]["required"] = True
        responses = {str(code): answer for code, answer in operation.get("responses", {}).items()}
        operation["responses"] = responses
        replaced |= _references(responses.get("400", {}))
        error_body = {"content": {JSON: {"schema": {"$ref": REF_PREFIX + RequestError.__name__}}}}
        responses["400"] = {
            "description": "Bad Request: the body is not JSON, or breaks the request schema "
            "or a rule across fields; `detail` names each problem and where it is.",
            **error_body,
        }
        limit = f" {max_body_mib} MiB" if max_body_mib else " the limit"
        responses["413"] = {
            "description": f"Payload Too Large: the body, decoded, is over{limit}.",
            **error_body,
        }
        responses["415"] = {
            "description": f"Unsupported Media Type: the body must be sent as {JSON}, as it is "
            "or with Content-Encoding: gzip.",
            **error_body,
        }
    # The schema BentoML documented for 400 (`detail` a string) is gone unless still used.
    still_used = _references({k: v for k, v in document.items() if k != "components"})
    for schema in schemas.values():
        still_used |= _references(schema)
    for name in replaced - still_used:
        schemas.pop(name, None)
    return _plain_names(document)


def _plain_names(document: dict[str, Any]) -> dict[str, Any]:
    """The document with each schema named ``<Name>IODescriptor`` (BentoML's internal class)
    named ``<Name>``, or referring to the schema ``<Name>`` where that is the same model (the
    same schema but for its title and description)."""
    schemas = document["components"]["schemas"]

    def plain(schema: Mapping[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in schema.items() if k not in ("title", "description")}

    renamed: dict[str, str] = {}
    for name in [n for n in schemas if n.endswith(INTERNAL_SUFFIX)]:
        base = name.removesuffix(INTERNAL_SUFFIX)
        if base in schemas and plain(schemas[base]) != plain(schemas[name]):
            raise ValueError(f"a model named {base!r} clashes with BentoML's {name!r}")
        schema = schemas.pop(name)
        if base not in schemas:
            schemas[base] = {**schema, "title": base} if "title" in schema else schema
        renamed[REF_PREFIX + name] = REF_PREFIX + base

    def rewrite(node: Any) -> Any:
        if isinstance(node, dict):
            return {
                key: renamed.get(value, value) if key == "$ref" else rewrite(value)
                for key, value in node.items()
            }
        if isinstance(node, list):
            return [rewrite(value) for value in node]
        return node

    return rewrite(document) if renamed else document

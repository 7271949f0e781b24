"""The OpenAPI document and the docs pages, all protected like any other read.

`/docs` (Swagger UI) loads its files from the `fastapi-offline` package, served here under the
console's CSP: opening it makes no request to any other origin. There is no `/redoc`: ReDoc
injects inline styles, which that CSP refuses.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts
from markupsafe import escape
from pydantic import BaseModel
from starlette.responses import HTMLResponse, JSONResponse, Response

from modeldeck.api import answers
from modeldeck.api.auth import Caller, require_admin, require_reader
from modeldeck.api.chatconfig.mapping import ModelConfigModel
from modeldeck.api.models import READ_OPERATIONS
from modeldeck.api.web import SECURITY_HEADERS, add_routes, json_body
from modeldeck.models.aliases import AliasWrite
from modeldeck.models.schemas import CloneRequest, ModelWrite, PricingWrite
from modeldeck.pricing.schemas import CostRequest, SimulateRequest, TokensRequest
from modeldeck.pricing.usage import USAGE_PROPERTY, USAGE_SCHEMAS
from modeldeck.problems import not_found
from modeldeck.records.fields import SERVER_FIELDS

DOCUMENTED_BODIES: tuple[type[BaseModel], ...] = (
    ModelWrite,
    AliasWrite,
    CloneRequest,
    PricingWrite,
    CostRequest,
    SimulateRequest,
    TokensRequest,
    ModelConfigModel,
)
# Answers named by the hand-written hot reads (`READ_OPERATIONS`) and by every error.
DOCUMENTED_ANSWERS: tuple[type[BaseModel], ...] = (answers.ModelList, answers.Problem)

PROBLEM = {"$ref": "#/components/schemas/Problem"}
BEARER = {"type": "http", "scheme": "bearer", "description": "An API token: `mdk_…`"}
ADMIN_SECURITY: list[dict[str, list[str]]] = [{"bearerAuth": []}]
# Reads are open unless MODELDECK_READ_TOKEN_REQUIRED=true; a token may always be sent.
READER_SECURITY: list[dict[str, list[str]]] = [{}, {"bearerAuth": []}]
STATUS_TEXT = {
    400: "The body is not JSON, or a header (If-Match) is malformed",
    401: "No valid token (a write, or a read when MODELDECK_READ_TOKEN_REQUIRED=true)",
    403: "The token may not do this (a reader token on a write)",
    404: "No such model (or alias, or token)",
    409: "The change conflicts with the registry's rules or with a concurrent change",
    412: "If-Match names a version that is no longer current",
    413: "The body is larger than MODELDECK_MAX_BODY_BYTES",
    415: "The body is not sent as JSON",
    422: "A field is invalid; `errors` names each one",
    429: "Too many failed authentications from this address; see Retry-After",
    503: "The database cannot serve now; retry after Retry-After seconds",
}
# FastAPI's own text for a 422, which describes its body, not ours.
FASTAPI_422 = "Validation Error"
_MODEL_RULES = (
    "; also for the registry's rules across fields: max_output_tokens ≤ context_window, "
    "limits.max_timeout_s ≥ base_timeout_s, prices at most 10000 per million tokens with at "
    "most 12 decimal places, tier thresholds distinct, time-of-day windows apart, an endpoint "
    "without credentials or a key in its query string"
)
# Rules JSON Schema cannot say (across fields, against the URL or the stored data): a body
# the schema accepts may still get a 422 for one of these.
_ALIAS_RULES = (
    "; also: every target and fallback must name an existing model (by name or id), each "
    "model at most once in the alias"
)
BUSINESS_RULES = {
    "createAlias": _ALIAS_RULES,
    "replaceAlias": _ALIAS_RULES,
    "createModel": _MODEL_RULES,
    "replaceModel": _MODEL_RULES,
    "updateModel": _MODEL_RULES + " (checked on the merged model, which must still have every "
    "required value: `pricing` merged onto an unpriced model needs `input` and `output`)",
    "addPricePeriod": "; also: prices at most 10000 per million tokens with at most 12 decimal "
    "places, tier thresholds distinct, time-of-day windows that overlap or end where they "
    "start, `standard` named as a service tier",
    "priceUsage": "; also: `at` before the model's first price period, and for `usage`: keys "
    "of two formats without `usage_format`, a usage without the fields of the `usage_format` it "
    "names, cached or cache-write tokens above the input (reasoning above the output), counts "
    "that in all exceed 10^12, a total less than the counts it totals, Anthropic's "
    "cache_creation not adding up to cache_creation_input_tokens, Gemini's two spellings of "
    "one count disagreeing, a `service_tier` the price period does not offer",
    "simulate": "; also: a name in `models` that no model has, reasoning_tokens above "
    "output_tokens, custom prices at most 10000 per million tokens with at most 12 decimal "
    "places, tier thresholds distinct, max_output_tokens ≤ context_window, both time_of_day "
    "and daily_mix given, a daily_mix span that ends where it starts or a mix of no share",
    "createModelConfig": "; also: `name` differs from the URL's model_id, "
    "max_timeout < base_timeout",
    "replaceModelConfig": "; also: `name` differs from the URL's model_id, "
    "max_timeout < base_timeout",
}


Reader = Annotated[Caller | None, Depends(require_reader)]

HERE = Path(__file__).parent / "apidocs"
VENDORED = Path(str(files("fastapi_offline"))) / "static"


@dataclass(frozen=True)
class Asset:
    path: Path
    media_type: str


ASSETS = {
    "swagger-ui-bundle.js": Asset(VENDORED / "swagger-ui-bundle.js", "text/javascript"),
    "swagger-ui.css": Asset(VENDORED / "swagger-ui.css", "text/css"),
    "favicon.png": Asset(VENDORED / "favicon.png", "image/png"),
    "swagger-init.js": Asset(HERE / "swagger-init.js", "text/javascript"),
}
ASSET_HEADERS = {**SECURITY_HEADERS, "Cache-Control": "public, max-age=3600"}


@cache
def _read(path: Path) -> bytes:
    return path.read_bytes()


# No inline script or style: the page's CSP allows only files from this origin.
SWAGGER_PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    "<title>{title}</title>"
    '<link rel="icon" href="/docs/assets/favicon.png">'
    '<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>'
    '<body><div id="swagger-ui"></div>'
    '<script src="/docs/assets/swagger-ui-bundle.js"></script>'
    '<script src="/docs/assets/swagger-init.js"></script></body></html>'
)


def docs_router(app: FastAPI, *, pages: bool) -> APIRouter:
    """`/openapi.json` for readers; `/docs` and its files unless `pages` is off."""
    router = APIRouter(include_in_schema=False)

    @router.get("/openapi.json")
    async def openapi_document(_: Reader) -> Response:
        return JSONResponse(app.openapi())

    if not pages:
        return router

    @router.get("/docs")
    async def swagger_ui(_: Reader) -> Response:
        html = SWAGGER_PAGE.format(title=escape(f"{app.title} API"))
        return HTMLResponse(html, headers=SECURITY_HEADERS)

    @router.get("/docs/assets/{name}")
    async def asset(name: str) -> Response:
        found = ASSETS.get(name)
        if found is None:
            raise not_found(f"File {name!r}")
        return Response(_read(found.path), media_type=found.media_type, headers=ASSET_HEADERS)

    return router


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            yield dependency.call
        yield from _calls(dependency)


def _operation_calls(app: FastAPI) -> dict[str, set[Callable[..., Any]]]:
    """operationId → the dependencies the operation runs (who may call, whether it reads JSON)."""
    calls: dict[str, set[Callable[..., Any]]] = {}
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and route.operation_id is not None:
            calls[route.operation_id] = set(_calls(route.dependant))
    return calls


def _schemas_of(models: tuple[type[BaseModel], ...], mode: Any) -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    for model in models:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}", mode=mode)
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    return schemas


# Pydantic writes a strict type's bounds under its own names; JSON Schema has these.
BOUND_KEYWORDS = {
    "gt": "exclusiveMinimum",
    "ge": "minimum",
    "lt": "exclusiveMaximum",
    "le": "maximum",
}


def _json_schema_bounds(schema: Any) -> None:
    """Rename pydantic's `gt`/`ge`/`lt`/`le` to JSON Schema's keywords, in place, everywhere."""
    if isinstance(schema, list):
        for item in schema:
            _json_schema_bounds(item)
    elif isinstance(schema, dict):
        if "type" in schema or "anyOf" in schema:
            for short, keyword in BOUND_KEYWORDS.items():
                if short in schema and not isinstance(schema[short], dict):
                    schema[keyword] = schema.pop(short)
        for key, value in schema.items():
            if key != "properties":
                _json_schema_bounds(value)
            else:
                for field_schema in value.values():
                    _json_schema_bounds(field_schema)


def _patch_name(name: str) -> str:
    return name.removesuffix("Write") + "Patch"


def _patched(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    """A property of a merge patch: objects merge (so are partial), and null removes the key."""
    reference = schema.get("$ref")
    if reference is None:
        members = schema.get("anyOf", [])
        references = [member["$ref"] for member in members if "$ref" in member]
        reference = references[0] if len(references) == 1 else None
    if reference is not None:
        name = reference.rsplit("/", 1)[1]
        _add_patch_schema(name, schemas)
        schema = {"$ref": f"#/components/schemas/{_patch_name(name)}"}
    if schema.get("anyOf") and {"type": "null"} in schema["anyOf"]:
        return schema
    extra: dict[str, Any] = {
        key: schema.pop(key) for key in ("default", "description") if key in schema
    }
    return {"anyOf": [schema, {"type": "null"}], **extra}


def _add_patch_schema(name: str, schemas: dict[str, Any]) -> None:
    """`<name>Patch`: the object as a JSON merge patch (RFC 7396) of it."""
    if _patch_name(name) in schemas:
        return
    patch = copy.deepcopy(schemas[name])
    required = set(patch.pop("required", []))
    schemas[_patch_name(name)] = patch
    patch["title"] = _patch_name(name)
    patch["description"] = (
        f"A JSON merge patch of a {name.removesuffix('Write')}: the fields to change; "
        "objects are merged, null resets a field to its default."
    )
    properties = patch.get("properties", {})
    for field, schema in list(properties.items()):
        if field in required:  # a required field cannot be reset, only changed
            properties[field] = schema
        else:
            properties[field] = _patched(schema, schemas)


def _server_fields(schema: dict[str, Any]) -> None:
    """The server's fields may be sent back as read (GET → edit → PUT); they are ignored."""
    read = answers.ModelPublic.model_json_schema(mode="serialization")["properties"]
    for field in SERVER_FIELDS:
        shown = {key: value for key, value in read[field].items() if key != "title"}
        schema["properties"].setdefault(
            field, shown | {"readOnly": True, "description": "Set by the server; ignored"}
        )


def _document_operation(
    operation: dict[str, Any], path: str, calls: set[Callable[..., Any]] | None
) -> None:
    """Security and every error status of one operation, each a problem+json `Problem`."""
    responses: dict[str, Any] = operation.setdefault("responses", {})
    statuses = {int(status) for status in responses if int(status) >= 400}
    if calls is None:  # a hand-written hot read (`READ_OPERATIONS`)
        calls = {require_reader}
    if require_admin in calls:
        operation["security"] = ADMIN_SECURITY
        statuses |= {401, 403, 429}
    elif require_reader in calls:
        operation["security"] = READER_SECURITY
        statuses |= {401, 429}
    else:
        operation["security"] = []
    if json_body in calls:
        statuses |= {400, 413, 415, 422}
    if operation.get("parameters"):
        statuses.add(422)
    if "{" in path:
        statuses.add(404)
    if path != "/healthz":
        statuses.add(503)
    for status in sorted(statuses):
        described = responses.get(str(status), {}).get("description")
        if not described or described == FASTAPI_422:
            described = STATUS_TEXT[status]
        if status == 422:
            described += BUSINESS_RULES.get(operation["operationId"], "")
        responses[str(status)] = {
            "description": described,
            "content": {"application/problem+json": {"schema": PROBLEM}},
        }
    operation["responses"] = dict(sorted(responses.items()))


def install(app: FastAPI, *, pages: bool = True) -> None:
    """Build the OpenAPI document on first use and serve it (and the docs pages)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        for path, operations in READ_OPERATIONS.items():
            document["paths"].setdefault(path, {}).update(copy.deepcopy(operations))
        components = document.setdefault("components", {})
        schemas = components.setdefault("schemas", {})
        # FastAPI's own 422 body is never sent: every error is a `Problem`.
        for unused in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unused, None)
        schemas.update(_schemas_of(DOCUMENTED_BODIES, "validation"))
        schemas.update(copy.deepcopy(USAGE_SCHEMAS))
        # pydantic cannot emit references to schemas it does not know: set them here.
        schemas["CostRequest"]["properties"]["usage"] = copy.deepcopy(USAGE_PROPERTY)
        for name, schema in _schemas_of(DOCUMENTED_ANSWERS, "serialization").items():
            schemas.setdefault(name, schema)
        _json_schema_bounds(schemas)
        _server_fields(schemas["ModelWrite"])
        schemas["DeploymentWrite"]["properties"]["has_api_key"] = {
            "type": "boolean",
            "readOnly": True,
            "description": "Set by the server; ignored",
        }
        _add_patch_schema("ModelWrite", schemas)
        components["securitySchemes"] = {"bearerAuth": BEARER}
        calls = _operation_calls(app)
        for path, operations in document["paths"].items():
            for operation in operations.values():
                _document_operation(operation, path, calls.get(operation["operationId"]))
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
    add_routes(app, docs_router(app, pages=pages))

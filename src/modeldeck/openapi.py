"""The OpenAPI document, with the schemas of bodies that handlers validate themselves."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from modeldeck.models.endpoints import READ_OPERATIONS
from modeldeck.models.schemas import CloneRequest, ModelWrite, PricingWrite
from modeldeck.pricing.schemas import CostRequest, SimulateRequest, TokensRequest

DOCUMENTED_BODIES: tuple[type[BaseModel], ...] = (
    ModelWrite,
    CloneRequest,
    PricingWrite,
    CostRequest,
    SimulateRequest,
    TokensRequest,
)


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        for path, operations in READ_OPERATIONS.items():
            document["paths"].setdefault(path, {}).update(operations)
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        for model in DOCUMENTED_BODIES:
            schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            schemas.update(schema.pop("$defs", {}))
            schemas[model.__name__] = schema
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]

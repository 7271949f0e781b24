"""The OpenAPI document and the docs pages, all protected like any other read.

`/docs` (Swagger UI) loads its files from the `fastapi-offline` package, served here under the
console's CSP: opening it makes no request to any other origin. There is no `/redoc`: ReDoc
injects inline styles, which that CSP refuses.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.openapi.utils import get_openapi
from markupsafe import escape
from pydantic import BaseModel
from starlette.responses import HTMLResponse, JSONResponse, Response

from modeldeck.auth.dependencies import Caller, require_reader
from modeldeck.console.render import SECURITY_HEADERS
from modeldeck.errors import not_found
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


def install(app: FastAPI, *, pages: bool = True) -> None:
    """Build the OpenAPI document on first use and serve it (and the docs pages)."""

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
    app.include_router(docs_router(app, pages=pages))

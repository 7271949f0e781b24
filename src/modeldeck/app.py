"""The ASGI application: API, health, and the state every request shares."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from modeldeck import cors
from modeldeck.api import errors, openapi
from modeldeck.api.aliases import router as aliases_router
from modeldeck.api.auth import Caller, TokenCache
from modeldeck.api.changes import router as changes_router
from modeldeck.api.chatconfig.endpoints import router as config_router
from modeldeck.api.deployments import router as deployments_router
from modeldeck.api.health import router as health_router
from modeldeck.api.metrics import Metrics, MetricsMiddleware
from modeldeck.api.models import get_model, list_models
from modeldeck.api.models import router as models_router
from modeldeck.api.pricing import router as pricing_router
from modeldeck.api.tokens import router as tokens_router
from modeldeck.api.web import add_routes
from modeldeck.auth.failures import FailedAuthentications
from modeldeck.auth.usage import TokenUsage, recording_token_use
from modeldeck.body_limit import BodyLimitMiddleware
from modeldeck.changes.feed import ChangeFeed
from modeldeck.changes.listener import following_changes
from modeldeck.changes.revision import RevisionWatcher
from modeldeck.console.endpoints import router as console_router
from modeldeck.crypto import KeyVault
from modeldeck.db import Database
from modeldeck.models.snapshot import RegistryCache
from modeldeck.settings import Settings, get_settings

log = logging.getLogger("modeldeck")

__version__ = "0.1.0"


def create_app(
    settings: Settings | None = None,
    database: Database | None = None,
    *,
    local_caller: Caller | None = None,
) -> FastAPI:
    """Build the app; pass a `database` to share one (tests), else it is made from settings.

    `local_caller` is who a request without credentials is (the CLI working on a database
    in-process); a served app never has one.
    """
    settings = settings or get_settings()
    owns_database = database is None
    database = database or Database(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            async with (
                following_changes(
                    database, app.state.revisions, settings.revision_check_interval_s
                ),
                recording_token_use(app.state.token_usage, database),
            ):
                yield
        finally:
            if owns_database:
                await database.dispose()

    app = FastAPI(
        title="Model Deck",
        version=__version__,
        description="The LLM models your apps may call: what they are, how to reach them, "
        "what they cost.",
        lifespan=lifespan,
        # Served by `openapi.install`, behind the read token like every other read.
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.database = database
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    cors.install(app, settings)  # outside the body limit: a 413 carries CORS headers too
    app.state.vault = KeyVault(
        settings.secret_key.get_secret_value() if settings.secret_key else None
    )
    app.state.revisions = RevisionWatcher()
    app.state.registry_cache = RegistryCache(database, app.state.revisions)
    app.state.change_feed = ChangeFeed(database, app.state.revisions)
    app.state.token_cache = TokenCache()
    app.state.token_usage = TokenUsage()
    app.state.auth_failures = FailedAuthentications(
        settings.auth_failure_limit, settings.auth_failure_window_s
    )
    app.state.local_caller = local_caller
    app.state.metrics = Metrics(database, app.state.revisions)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics, routes=app.router.routes)
    errors.install(app)
    openapi.install(app, pages=settings.api_docs)
    app.add_route("/api/models", list_models, methods=["GET"], include_in_schema=False)
    for router in (
        models_router,
        aliases_router,
        deployments_router,
        pricing_router,
        changes_router,
        config_router,
        tokens_router,
        health_router,
        console_router,
    ):
        add_routes(app, router)
    # Last: a model's own URL takes any ref, names with "/" included.
    app.add_route("/api/models/{ref:path}", get_model, methods=["GET"], include_in_schema=False)
    return app

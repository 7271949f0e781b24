"""First start: the built-in catalog becomes system models. Running it again changes nothing."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from modeldeck.catalog.builtin import Catalog, load_builtin
from modeldeck.models import repository
from modeldeck.models.service import WriteContext, create_model
from modeldeck.models.tables import ModelRow

SEED_ACTOR = "catalog"


async def seed_catalog(
    session: AsyncSession, ctx: WriteContext, catalog: Catalog | None = None
) -> list[str]:
    """Add the catalog's models that are missing; never touches a model that exists."""
    catalog = catalog or load_builtin()
    existing = set((await session.execute(select(ModelRow.name_key))).scalars())
    missing = [model for model in catalog.models if model.name.lower() not in existing]
    if not missing:
        return []
    needs_default = await repository.current_default(session) is None
    default_key = catalog.default_model.lower()
    # The catalog's default goes first, so it is the one that becomes the default.
    missing.sort(key=lambda model: model.name.lower() != default_key)
    for model in missing:
        is_default = needs_default and model.name.lower() == default_key
        payload = model.model_copy(update={"is_default": is_default})
        await create_model(session, ctx, payload, is_system=True, action="seed")
    return [model.name for model in missing]

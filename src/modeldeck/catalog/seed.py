"""First start: the built-in catalog becomes system models. Running it again changes nothing.

Seeding is a catalog plan applied in bulk (catalog/plan.py): the missing models with their
whole price history, one revision, one "seed" audit entry per model.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from modeldeck.changes.revision import current_revision
from modeldeck.models import repository
from modeldeck.models.service import WriteContext

if TYPE_CHECKING:
    from modeldeck.catalog.builtin import Catalog

SEED_ACTOR = "catalog"
SEED_ACTION = "seed"


def builtin_name_keys() -> frozenset[str]:
    """The lower-cased names of the built-in catalog's models (the file `load_builtin` reads).

    Read from the JSON alone: no `ModelWrite` per model, and neither the catalog's parser nor
    its importers loaded, which is all a restart needs to see every built-in model is there.
    """
    text = resources.files("modeldeck.catalog").joinpath("builtin.json").read_text("utf-8")
    return frozenset(str(raw.get("name")).lower() for raw in json.loads(text)["models"])


async def seed_catalog(
    session: AsyncSession, ctx: WriteContext, catalog: Catalog | None = None
) -> list[str]:
    """Add the catalog's models that are missing; never touches a model that exists."""
    existing = await repository.name_keys(session)
    if catalog is None:
        # A restart finds every built-in name there: nothing to parse (validating the whole
        # catalog, and loading what plans an import, was a tenth of the start).
        if builtin_name_keys() <= existing:
            return []
        from modeldeck.catalog.builtin import load_builtin

        catalog = load_builtin()
    from modeldeck.catalog.plan import CATALOG_OWNED, ImportPlan, apply_plan, fill_plan

    missing = [
        record
        for record in catalog.import_records(CATALOG_OWNED)
        if record.name.lower() not in existing
    ]
    if not missing:
        return []
    plan = ImportPlan(
        action=SEED_ACTION,
        as_system=True,
        now=ctx.now,
        based_on_revision=await current_revision(session),
    )
    # Only missing names are planned, so every record is an addition; the catalog's default
    # becomes the default when the registry has none.
    await fill_plan(session, plan, missing, preferred_default=catalog.default_model)
    await apply_plan(session, plan, ctx=ctx)
    return [planned.name for planned in plan.added]

"""`modeldeck catalog sync`: a newer built-in catalog applied to the system models.

Catalog-owned fields change in place (audited as "sync"), the catalog's dated price periods
the registry lacks are added, new catalog models are added as system models (with their whole
price history), and system models the catalog no longer lists are marked retired, never
deleted. A past period that differs from the catalog's (or that the catalog no longer holds)
is a catalog correction: the plan lists it with the history before and after, and applying
it rewrites the system model's periods, audited with both histories. Ordinary models are never
touched, and an admin's deployment, enabled flag, tags and default choice are kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from modeldeck import clock
from modeldeck.catalog.builtin import Catalog, load_builtin
from modeldeck.catalog.plan import (
    CATALOG_OWNED,
    ImportPlan,
    ImportResult,
    PlannedModel,
    Progress,
    RowUpdate,
    apply_plan,
    fill_plan,
)
from modeldeck.changes.revision import current_revision
from modeldeck.models.service import WriteContext

SYNC_ACTION = "sync"


@dataclass
class SyncPlan(ImportPlan):
    catalog_version: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"catalog_version": self.catalog_version, **super().as_json()}


async def plan_sync(
    session: AsyncSession, catalog: Catalog | None = None, *, now: datetime | None = None
) -> SyncPlan:
    """Compare the catalog (default: the one shipped in the package) with the system models."""
    catalog = catalog or load_builtin()
    plan = SyncPlan(
        action=SYNC_ACTION,
        as_system=True,
        now=now or clock.now(),
        based_on_revision=await current_revision(session),
        corrects_history=True,
        catalog_version=catalog.version,
    )
    records = catalog.import_records(CATALOG_OWNED)
    rows = await fill_plan(session, plan, records, preferred_default=catalog.default_model)
    listed = {model.name.lower() for model in catalog.models}
    for key, row in sorted(rows.items()):
        if not row.is_system or key in listed or row.status == "retired":
            continue
        plan.retired.append(
            PlannedModel(
                "retire",
                row.name,
                changes=[{"field": "status", "before": row.status, "after": "retired"}],
                reason=f"no longer in catalog {catalog.version}",
                model_id=row.id,
                row=row,
                update=RowUpdate(values={"status": "retired"}),
            )
        )
        if row.is_default:
            plan.notes.append(
                f"{row.name} is the default model and is now retired; it stays the default "
                "until you make another model the default"
            )
    return plan


async def apply_sync(
    session: AsyncSession,
    plan: SyncPlan,
    *,
    ctx: WriteContext,
    progress: Progress | None = None,
) -> ImportResult:
    """Write the sync plan in the session's transaction (the caller commits)."""
    return await apply_plan(session, plan, ctx=ctx, progress=progress)

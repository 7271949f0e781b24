"""Price history of one model: adding a period, and periods in their public shape."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from modeldeck.errors import FieldError, conflict
from modeldeck.models import service as model_service
from modeldeck.models.public import history_public, model_public, period_public
from modeldeck.models.schemas import PricingWrite


async def add_period(
    session: AsyncSession,
    ctx: model_service.WriteContext,
    ref: str,
    pricing: PricingWrite,
    *,
    if_match: int | None,
) -> dict[str, Any]:
    """Add a price period (backdated or future-dated); no two periods share a start."""
    revision = await ctx.claim(session)
    row = await model_service.load_model(session, ref)
    model_service.check_version(row, if_match)
    if row.is_system:
        raise conflict(
            f"The prices of system model {row.name!r} are owned by the built-in catalog. "
            "Clone the model to customise it.",
            errors=[FieldError("pricing", "is read-only on a system model; clone it to customise")],
        )
    starts = pricing.effective_from or ctx.now
    if model_service.starts_taken(row, starts):
        raise conflict(
            "Another price period of this model starts at that moment.",
            errors=[FieldError("effective_from", "another price period starts then")],
        )
    before = model_public(row, ctx.now)
    period = model_service.new_period(pricing, starts, ctx.now)
    row.price_periods.append(period)
    row.version += 1
    row.updated_at = ctx.now
    await session.flush()
    after = model_public(row, ctx.now)
    model_service.audit(
        session,
        ctx,
        revision,
        row,
        "price",
        before,
        after | {"added_price_period": period_public(period)},
    )
    return {
        "model": after,
        "period": history_public(row.price_periods, ctx.now)[
            sorted(row.price_periods, key=lambda p: p.effective_from).index(period)
        ],
    }

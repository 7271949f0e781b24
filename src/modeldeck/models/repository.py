"""All SQL about models and their price periods."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from modeldeck.models.tables import ModelRow
from modeldeck.records.fields import possible_ref


def _is_uuid(text: str) -> bool:
    try:
        UUID(text)
    except ValueError:
        return False
    return True


async def name_keys(session: AsyncSession) -> set[str]:
    """Every model's name, lower-cased."""
    return set((await session.execute(select(ModelRow.name_key))).scalars())


async def get_by_ref(session: AsyncSession, ref: str) -> ModelRow | None:
    """A model by id or by name (ignoring case), with its price periods."""
    if not possible_ref(ref):
        return None
    column = ModelRow.id if _is_uuid(ref) else ModelRow.name_key
    key = ref.lower()
    statement = select(ModelRow).options(selectinload(ModelRow.price_periods)).where(column == key)
    row = (await session.execute(statement)).scalar_one_or_none()
    if row is None and column is ModelRow.id:
        # A model may be *named* like a UUID.
        statement = (
            select(ModelRow)
            .options(selectinload(ModelRow.price_periods))
            .where(ModelRow.name_key == key)
        )
        row = (await session.execute(statement)).scalar_one_or_none()
    return row


async def name_taken(session: AsyncSession, name: str, *, except_id: str | None = None) -> bool:
    statement = select(ModelRow.id).where(ModelRow.name_key == name.lower())
    if except_id is not None:
        statement = statement.where(ModelRow.id != except_id)
    return (await session.execute(statement)).first() is not None


async def current_default(session: AsyncSession) -> ModelRow | None:
    statement = (
        select(ModelRow)
        .options(selectinload(ModelRow.price_periods))
        .where(ModelRow.is_default.is_(True))
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def all_models(session: AsyncSession) -> Sequence[ModelRow]:
    statement = (
        select(ModelRow).options(selectinload(ModelRow.price_periods)).order_by(ModelRow.name_key)
    )
    return (await session.execute(statement)).scalars().all()


async def models_with_ids(session: AsyncSession, ids: Collection[str]) -> Sequence[ModelRow]:
    """The models among `ids` that exist, with their price periods (in no particular order).

    One statement (a join), not two: this runs on every write, for a handful of models.
    """
    statement = (
        select(ModelRow).options(joinedload(ModelRow.price_periods)).where(ModelRow.id.in_(ids))
    )
    return (await session.execute(statement)).unique().scalars().all()


async def clear_default(session: AsyncSession) -> None:
    await session.execute(
        update(ModelRow).where(ModelRow.is_default.is_(True)).values(is_default=False)
    )


async def with_stored_keys(session: AsyncSession) -> Sequence[ModelRow]:
    statement = select(ModelRow).where(ModelRow.api_key_ciphertext.is_not(None))
    return (await session.execute(statement)).scalars().all()

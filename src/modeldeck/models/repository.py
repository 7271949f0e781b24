"""All SQL about models, their price periods, and the aliases that name them."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from uuid import UUID

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from modeldeck.models.tables import AliasRow, ModelRow
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


async def alias_named(session: AsyncSession, name: str) -> AliasRow | None:
    """The alias of that name (ignoring case), if any: a model may not take its name."""
    statement = select(AliasRow).where(AliasRow.name_key == name.lower())
    return (await session.execute(statement)).scalar_one_or_none()


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


# --- aliases ----------------------------------------------------------------------------------


async def all_aliases(session: AsyncSession) -> Sequence[AliasRow]:
    statement = select(AliasRow).order_by(AliasRow.name_key)
    return (await session.execute(statement)).scalars().all()


async def alias_by_ref(session: AsyncSession, ref: str) -> AliasRow | None:
    """An alias by id or by name (ignoring case)."""
    if not possible_ref(ref):
        return None
    statement = select(AliasRow).where(or_(AliasRow.id == ref, AliasRow.name_key == ref.lower()))
    return (await session.execute(statement)).scalars().first()


def alias_model_ids(rows: Iterable[AliasRow]) -> set[str]:
    """Every model id the aliases name, as a target or a fallback."""
    ids: set[str] = set()
    for row in rows:
        ids.update(target["model_id"] for target in row.targets)
        ids.update(row.fallbacks)
    return ids


async def aliases_naming(session: AsyncSession, model_id: str) -> list[str]:
    """The names of the aliases that name this model (aliases are few: read them all)."""
    return [row.name for row in await all_aliases(session) if model_id in alias_model_ids([row])]


async def model_names(session: AsyncSession, ids: Collection[str]) -> dict[str, str]:
    """id → name of the models among `ids` that exist."""
    if not ids:
        return {}
    statement = select(ModelRow.id, ModelRow.name).where(ModelRow.id.in_(ids))
    return {row.id: row.name for row in (await session.execute(statement)).all()}


async def model_refs(session: AsyncSession, refs: Collection[str]) -> dict[str, tuple[str, str]]:
    """Each of `refs` that names a model (by id, or name ignoring case) → (id, name)."""
    wanted = [ref for ref in refs if possible_ref(ref)]
    if not wanted:
        return {}
    keys = {ref.lower() for ref in wanted}
    statement = select(ModelRow.id, ModelRow.name, ModelRow.name_key).where(
        or_(ModelRow.id.in_(wanted), ModelRow.name_key.in_(keys))
    )
    rows = (await session.execute(statement)).all()
    by_id = {row.id: (row.id, row.name) for row in rows}
    by_key = {row.name_key: (row.id, row.name) for row in rows}
    found: dict[str, tuple[str, str]] = {}
    for ref in wanted:
        match = by_id.get(ref) or by_key.get(ref.lower())
        if match is not None:
            found[ref] = match
    return found

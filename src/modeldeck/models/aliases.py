"""Aliases (DESIGN §7): the rules of every write to one, and its public record.

An alias is registry data like a model: each write claims a revision, leaves an audit entry
(actions `alias_created`, `alias_updated`, `alias_deleted`, the alias's id and name in the
entry's model columns) and so reaches every instance and client through the change feed.
Names are shared with models: no alias may take a model's name, nor a model an alias's.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StrictStr, ValidationError, model_validator
from sqlalchemy.ext.asyncio import AsyncSession

from modeldeck.models import repository
from modeldeck.models.service import WriteContext, audit, check_version
from modeldeck.models.tables import AliasRow
from modeldeck.problems import FieldError, Problem, conflict, field_errors, invalid, not_found
from modeldeck.records.alias import (
    ALIAS_NAME_PATTERN,
    MAX_FALLBACKS,
    MAX_TARGETS,
    MAX_WEIGHT,
)
from modeldeck.records.fields import NAME_PATTERN
from modeldeck.serialization import isoformat_z
from modeldeck.validation import MultilineText, Strict, WholeNumber

ALIAS_ACTIONS = ("alias_created", "alias_updated", "alias_deleted")
# Fields the server owns in an alias: accepted as read (GET → edit → PUT), never trusted.
ALIAS_SERVER_FIELDS = ("id", "version", "created_at", "updated_at")
MAX_RPM = 10**9
MAX_TPM = 10**12


def is_alias_action(action: str) -> bool:
    return action.startswith("alias_")


def _alias_name(value: str) -> str:
    if not ALIAS_NAME_PATTERN.fullmatch(value):
        raise ValueError(
            "must be 1-64 characters: letters, digits and . _ - : @, starting with a letter or "
            "digit (no '/' or spaces)"
        )
    return value


def _model_ref(value: str) -> str:
    if not NAME_PATTERN.fullmatch(value):
        raise ValueError("must be a model's name or id")
    return value


AliasName = Annotated[
    StrictStr,
    AfterValidator(_alias_name),
    Field(json_schema_extra={"pattern": ALIAS_NAME_PATTERN.pattern}),
]
ModelRef = Annotated[
    StrictStr,
    AfterValidator(_model_ref),
    Field(
        description="The model's name (ignoring case) or id",
        json_schema_extra={"pattern": NAME_PATTERN.pattern},
    ),
]
READ_BACK = Field(default=None, description="As read; the server uses `model`")


class AliasTargetWrite(Strict):
    model: ModelRef
    model_id: StrictStr | None = READ_BACK
    weight: Annotated[
        WholeNumber,
        Field(ge=1, le=MAX_WEIGHT, description="Share of traffic among the targets"),
    ] = 1
    rpm: (
        Annotated[WholeNumber, Field(ge=1, le=MAX_RPM, description="Requests per minute")] | None
    ) = None
    tpm: Annotated[WholeNumber, Field(ge=1, le=MAX_TPM, description="Tokens per minute")] | None = (
        None
    )


class AliasFallbackWrite(Strict):
    model: ModelRef
    model_id: StrictStr | None = READ_BACK


class AliasWrite(Strict):
    """An alias as a client writes it (POST and PUT)."""

    name: AliasName
    description: Annotated[MultilineText | None, Field(max_length=1000)] = ""
    targets: Annotated[
        list[AliasTargetWrite],
        Field(
            min_length=1,
            max_length=MAX_TARGETS,
            description="The models the alias stands for, each with its weight and limits",
        ),
    ]
    fallbacks: Annotated[
        list[AliasFallbackWrite],
        Field(max_length=MAX_FALLBACKS, description="Tried in this order after the targets"),
    ] = []

    @model_validator(mode="before")
    @classmethod
    def _drop_server_fields(cls, value: Any) -> Any:
        if isinstance(value, dict):
            value = {key: item for key, item in value.items() if key not in ALIAS_SERVER_FIELDS}
            if "description" in value and value["description"] is None:
                value["description"] = ""
        return value


def parse_alias(body: Any) -> AliasWrite:
    if not isinstance(body, dict):
        raise invalid([FieldError("body", "must be a JSON object")])
    try:
        return AliasWrite.model_validate(body)
    except ValidationError as error:
        raise invalid(field_errors(error.errors())) from None


# --- reading ------------------------------------------------------------------------------------


def alias_public(row: AliasRow, names: dict[str, str]) -> dict[str, Any]:
    """The record the API answers (`AliasPublic`); `names`: model id → name now."""
    return {
        "id": row.id,
        "name": row.name,
        "description": row.description,
        "targets": [
            {
                "model": names.get(target["model_id"], target["model_id"]),
                "model_id": target["model_id"],
                "weight": target.get("weight", 1),
                "rpm": target.get("rpm"),
                "tpm": target.get("tpm"),
            }
            for target in row.targets
        ],
        "fallbacks": [
            {"model": names.get(model_id, model_id), "model_id": model_id}
            for model_id in row.fallbacks
        ],
        "version": row.version,
        "created_at": isoformat_z(row.created_at),
        "updated_at": isoformat_z(row.updated_at),
    }


async def public_aliases(session: AsyncSession, rows: Sequence[AliasRow]) -> list[dict[str, Any]]:
    names = await repository.model_names(session, repository.alias_model_ids(rows))
    return [alias_public(row, names) for row in rows]


async def list_aliases(session: AsyncSession) -> list[dict[str, Any]]:
    return await public_aliases(session, await repository.all_aliases(session))


async def get_alias(session: AsyncSession, ref: str) -> dict[str, Any]:
    row = await load_alias(session, ref)
    return (await public_aliases(session, [row]))[0]


async def load_alias(session: AsyncSession, ref: str) -> AliasRow:
    row = await repository.alias_by_ref(session, ref)
    if row is None:
        raise not_found(f"Alias {ref!r}")
    return row


# --- writing ------------------------------------------------------------------------------------


async def _resolve(session: AsyncSession, payload: AliasWrite) -> tuple[list[Any], list[str]]:
    """The write's targets and fallbacks by model id: 422 naming each unknown or repeated one."""
    items: list[tuple[str, AliasTargetWrite | AliasFallbackWrite]] = [
        (f"targets[{index}]", target) for index, target in enumerate(payload.targets)
    ] + [(f"fallbacks[{index}]", fallback) for index, fallback in enumerate(payload.fallbacks)]
    refs = {item.model for _, item in items} | {item.model_id for _, item in items if item.model_id}
    found = await repository.model_refs(session, refs)
    errors: list[FieldError] = []
    seen: dict[str, str] = {}
    ids: list[str] = []
    for where, item in items:
        # A record read back names its model by id too: that wins, so a rename in between
        # does not break the round trip.
        match = (found.get(item.model_id) if item.model_id else None) or found.get(item.model)
        if match is None:
            errors.append(FieldError(f"{where}.model", f"no model named {item.model!r}"))
            ids.append("")
            continue
        model_id, model_name = match
        if model_id in seen:
            errors.append(
                FieldError(
                    f"{where}.model",
                    f"{model_name!r} is already named at {seen[model_id]} (name each model once)",
                )
            )
        seen.setdefault(model_id, where)
        ids.append(model_id)
    if errors:
        raise invalid(errors)
    targets = [
        {"model_id": model_id, "weight": target.weight, "rpm": target.rpm, "tpm": target.tpm}
        for model_id, target in zip(ids, payload.targets, strict=False)
    ]
    return targets, ids[len(payload.targets) :]


async def _ensure_name_free(session: AsyncSession, name: str, *, except_id: str | None) -> None:
    taken = await repository.alias_named(session, name)
    if taken is not None and taken.id != except_id:
        raise conflict(
            f"An alias named {name!r} already exists (names are unique ignoring case).",
            errors=[FieldError("name", "is already taken")],
        )
    if await repository.name_taken(session, name):
        raise conflict(
            f"A model is named {name!r}: an alias may not take a model's name (ignoring case), "
            "or apps could not tell which one they call.",
            errors=[FieldError("name", "is a model's name")],
        )


def _stored(row: AliasRow) -> dict[str, Any]:
    """What the audit trail keeps of an alias: its own fields, models by id."""
    return {
        "name": row.name,
        "description": row.description,
        "targets": [dict(target) for target in row.targets],
        "fallbacks": list(row.fallbacks),
    }


async def create_alias(
    session: AsyncSession, ctx: WriteContext, payload: AliasWrite
) -> dict[str, Any]:
    revision = await ctx.claim(session)
    await _ensure_name_free(session, payload.name, except_id=None)
    targets, fallbacks = await _resolve(session, payload)
    row = AliasRow(
        id=str(uuid.uuid4()),
        name=payload.name,
        name_key=payload.name.lower(),
        description=payload.description or "",
        targets=targets,
        fallbacks=fallbacks,
        version=1,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    session.add(row)
    await session.flush()
    audit(session, ctx, revision, row, "alias_created", None, _stored(row))
    return (await public_aliases(session, [row]))[0]


async def replace_alias(
    session: AsyncSession,
    ctx: WriteContext,
    ref: str,
    payload: AliasWrite,
    *,
    if_match: int | None,
) -> dict[str, Any]:
    revision = await ctx.claim(session)
    row = await load_alias(session, ref)
    check_version(row, if_match)
    if payload.name.lower() != row.name_key:
        await _ensure_name_free(session, payload.name, except_id=row.id)
    targets, fallbacks = await _resolve(session, payload)
    before = _stored(row)
    description = payload.description or ""
    after: dict[str, Any] = {
        "name": payload.name,
        "description": description,
        "targets": targets,
        "fallbacks": fallbacks,
    }
    if after != before:
        row.name = payload.name
        row.name_key = payload.name.lower()
        row.description = description
        row.targets = targets
        row.fallbacks = fallbacks
        row.version += 1
        row.updated_at = ctx.now
        await session.flush()
        audit(session, ctx, revision, row, "alias_updated", before, after)
    return (await public_aliases(session, [row]))[0]


async def delete_alias(
    session: AsyncSession, ctx: WriteContext, ref: str, *, if_match: int | None
) -> None:
    revision = await ctx.claim(session)
    row = await load_alias(session, ref)
    check_version(row, if_match)
    audit(session, ctx, revision, row, "alias_deleted", _stored(row), None)
    await session.delete(row)
    await session.flush()


async def import_aliases(
    session: AsyncSession, ctx: WriteContext, records: Sequence[Any]
) -> tuple[int, int, list[str]]:
    """Aliases from an export (`{"name", "targets", "fallbacks"}`, models by name): each made,
    or replaced when it differs. Returns (added, changed, why each other one was skipped)."""
    added = changed = 0
    skipped: list[str] = []
    for position, record in enumerate(records):
        label = record.get("name") if isinstance(record, dict) else None
        where = f"aliases[{position}]" + (f" ({label!r})" if isinstance(label, str) else "")
        try:
            payload = parse_alias(record)
            existing = await repository.alias_by_ref(session, payload.name)
            if existing is None:
                await create_alias(session, ctx, payload)
                added += 1
            else:
                version = existing.version
                saved = await replace_alias(session, ctx, existing.id, payload, if_match=None)
                changed += saved["version"] != version
        except Problem as problem:
            skipped.append(f"{where}: {problem.detail}")
    return added, changed, skipped

"""The rules of the registry (DESIGN §2): every write to a model goes through here.

Services never commit: the request's session commits when `mark_changed` was called,
and rolls back otherwise, so a refused or empty write leaves no trace.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from modeldeck import clock
from modeldeck.audit import repository as audit_repository
from modeldeck.changes.revision import claim_revision, mark_changed
from modeldeck.crypto import KeyVault, KeyVaultError
from modeldeck.errors import FieldError, Problem, conflict, field_errors, invalid, not_found
from modeldeck.models import repository
from modeldeck.models.merge_patch import merge_patch
from modeldeck.models.public import current_period, model_public, period_public, writable
from modeldeck.models.schemas import SYSTEM_WRITABLE, ModelWrite, PricingWrite
from modeldeck.models.tables import ModelRow
from modeldeck.pricing.tables import PricePeriodRow

_MISSING: Any = object()
RequestT = TypeVar("RequestT", bound=BaseModel)


@dataclass
class WriteContext:
    """Who is writing, and what they need: the key vault for stored API keys, one clock."""

    actor: str
    vault: KeyVault
    now: datetime = field(default_factory=clock.now)

    async def claim(self, session: AsyncSession) -> int:
        """Claim the transaction's revision, then read the clock.

        Writers queue on that claim, so audit times follow revision order.
        """
        revision = await claim_revision(session)
        self.now = clock.now()
        return revision


def parse_model(body: Any) -> ModelWrite:
    if not isinstance(body, dict):
        raise invalid([FieldError("body", "must be a JSON object")])
    try:
        return ModelWrite.model_validate(body)
    except ValidationError as error:
        raise invalid(field_errors(error.errors())) from None


def _api_key_change(body: Mapping[str, Any]) -> Any:
    """From the raw body: _MISSING (keep the stored key), None (remove it) or the new key."""
    deployment = body.get("deployment")
    if not isinstance(deployment, dict) or "api_key" not in deployment:
        return _MISSING
    return deployment["api_key"]


async def load_model(session: AsyncSession, ref: str) -> ModelRow:
    row = await repository.get_by_ref(session, ref)
    if row is None:
        raise not_found(f"Model {ref!r}")
    return row


async def ensure_name_free(
    session: AsyncSession, name: str, *, except_id: str | None = None
) -> None:
    """Names are unique ignoring case: 409 naming the field otherwise."""
    if await repository.name_taken(session, name, except_id=except_id):
        raise conflict(
            f"A model named {name!r} already exists (names are unique ignoring case).",
            errors=[FieldError("name", "is already taken")],
        )


def check_version(row: ModelRow, if_match: int | None) -> None:
    if if_match is not None and if_match != row.version:
        raise Problem(
            412,
            "Precondition failed",
            f"Model {row.name!r} is at version {row.version}, not {if_match}: someone changed "
            "it meanwhile. Reload it and apply your change again.",
            slug="stale-version",
            headers={"ETag": f'"{row.version}"'},
        )


def audit(
    session: AsyncSession,
    ctx: WriteContext,
    revision: int,
    row: ModelRow,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    audit_repository.add_entry(
        session,
        revision=revision,
        model_id=row.id,
        model_name=row.name,
        action=action,
        actor=ctx.actor,
        at=ctx.now,
        before=before,
        after=after,
    )
    mark_changed(session)


def new_period(
    pricing: PricingWrite | None, effective_from: datetime, now: datetime
) -> PricePeriodRow:
    if pricing is None:
        return PricePeriodRow(effective_from=effective_from, tiers=[], created_at=now)
    rates = pricing.model_dump(exclude={"effective_from"})
    return PricePeriodRow(**rates, effective_from=effective_from, created_at=now)


def _period_rates(period: PricePeriodRow | None) -> dict[str, Any] | None:
    if period is None or not period.is_priced:
        return None
    return PricingWrite.model_validate(period_public(period)).rates()


def _encrypt_key(ctx: WriteContext, api_key: str) -> str:
    try:
        return ctx.vault.encrypt(api_key)
    except KeyVaultError as error:
        raise invalid([FieldError("deployment.api_key", str(error))]) from None


def _apply_fields(row: ModelRow, payload: ModelWrite) -> None:
    row.name = payload.name
    row.name_key = payload.name.lower()
    row.display_name = payload.display_name
    row.description = payload.description or ""
    row.provider = payload.provider
    row.deployment = payload.deployment.model_dump(exclude={"api_key"})
    row.parameters_b = payload.parameters_b
    row.context_window = payload.context_window
    row.max_output_tokens = payload.max_output_tokens
    row.capabilities = payload.capabilities.model_dump()
    row.limits = payload.limits.model_dump()
    row.token_weights = payload.token_weights.model_dump()
    row.status = payload.status
    row.deprecation_date = payload.deprecation_date
    row.tags = list(payload.tags)
    row.enabled = payload.enabled


def _may_be_default(row: ModelRow) -> bool:
    """Whether applications may be sent to this model when they name none."""
    return row.enabled and row.status != "retired"


async def _take_default(
    session: AsyncSession, ctx: WriteContext, revision: int, row: ModelRow
) -> None:
    """Make `row` the default, clearing the old default in the same transaction."""
    if not row.enabled:
        raise conflict(
            f"Model {row.name!r} is disabled and cannot be the default; enable it first.",
            errors=[FieldError("is_default", "a disabled model cannot be the default")],
        )
    if row.status == "retired":
        raise conflict(
            f"Model {row.name!r} is retired and cannot be the default.",
            errors=[FieldError("is_default", "a retired model cannot be the default")],
        )
    previous = await repository.current_default(session)
    if previous is not None and previous.id != row.id:
        before = model_public(previous, ctx.now)
        await repository.clear_default(session)
        await session.refresh(previous, ["is_default"])
        previous.version += 1
        previous.updated_at = ctx.now
        audit(session, ctx, revision, previous, "update", before, model_public(previous, ctx.now))
        await session.flush()
    row.is_default = True


async def create_model(
    session: AsyncSession,
    ctx: WriteContext,
    payload: ModelWrite,
    *,
    body: Mapping[str, Any] | None = None,
    is_system: bool = False,
    action: str = "create",
) -> dict[str, Any]:
    """Add a model; the first model, or one created with `is_default`, becomes the default."""
    revision = await ctx.claim(session)
    await ensure_name_free(session, payload.name)
    row = ModelRow(
        id=str(uuid.uuid4()),
        is_system=is_system,
        is_default=False,
        version=1,
        created_at=ctx.now,
        updated_at=ctx.now,
        price_periods=[],
    )
    _apply_fields(row, payload)
    api_key = _api_key_change(body or {})
    if isinstance(api_key, str):
        row.api_key_ciphertext = _encrypt_key(ctx, api_key)
    if payload.pricing is not None:
        row.price_periods.append(
            new_period(payload.pricing, payload.pricing.effective_from or ctx.now, ctx.now)
        )
    wants_default = payload.is_default
    if not wants_default and _may_be_default(row):
        wants_default = await repository.current_default(session) is None
    if wants_default:
        await _take_default(session, ctx, revision, row)
    session.add(row)
    await session.flush()
    after = model_public(row, ctx.now)
    audit(session, ctx, revision, row, action, None, after)
    return after


def _read_only_changes(
    row_public: dict[str, Any], current: ModelWrite, payload: ModelWrite
) -> list[str]:
    """Catalog-owned fields of a system model that the payload would change."""
    changed = []
    for name in ModelWrite.model_fields:
        if name in SYSTEM_WRITABLE:
            continue
        if name == "pricing":
            old = current.pricing.rates() if current.pricing else None
            new = payload.pricing.rates() if payload.pricing else None
            if old != new:
                changed.append(name)
        elif getattr(current, name) != getattr(payload, name):
            changed.append(name)
    return changed


async def update_model(
    session: AsyncSession,
    ctx: WriteContext,
    ref: str,
    body: Any,
    *,
    merge: bool,
    if_match: int | None,
) -> dict[str, Any]:
    """Replace (PUT) or merge-patch (PATCH) a model, keeping every rule of DESIGN §2."""
    revision = await ctx.claim(session)
    row = await load_model(session, ref)
    check_version(row, if_match)
    before = model_public(row, ctx.now)
    if not isinstance(body, dict):
        raise invalid([FieldError("body", "must be a JSON object")])
    payload = parse_model(merge_patch(writable(before), body) if merge else body)
    current = parse_model(writable(before))

    if row.is_system:
        locked = _read_only_changes(before, current, payload)
        if locked:
            raise conflict(
                f"{', '.join(locked)} of system model {row.name!r} "
                f"{'is' if len(locked) == 1 else 'are'} owned by the built-in catalog. "
                "Clone the model to customise it.",
                errors=[
                    FieldError(name, "is read-only on a system model; clone it to customise")
                    for name in locked
                ],
            )
    if payload.name.lower() != row.name_key:
        await ensure_name_free(session, payload.name, except_id=row.id)
    if row.is_default and not payload.is_default:
        raise conflict(
            f"Model {row.name!r} is the default; make another model the default instead.",
            errors=[FieldError("is_default", "the default moves by making another model default")],
        )
    if row.is_default and not payload.enabled:
        raise conflict(
            f"Model {row.name!r} is the default and cannot be disabled; "
            "make another model the default first.",
            errors=[FieldError("enabled", "the default model cannot be disabled")],
        )
    if row.is_default and payload.status == "retired" and row.status != "retired":
        raise conflict(
            f"Model {row.name!r} is the default and cannot be retired; "
            "make another model the default first.",
            errors=[FieldError("status", "the default model cannot be retired")],
        )

    api_key = _api_key_change(body)
    if (
        row.api_key_ciphertext is not None
        and api_key is _MISSING
        and payload.deployment.endpoint != row.deployment.get("endpoint")
    ):
        # A stored key is sent to the endpoint: moving it must not carry the key along unseen.
        raise invalid(
            [
                FieldError(
                    "deployment.api_key",
                    "a stored key goes to its endpoint: send the key again (or null to drop it) "
                    "when you change deployment.endpoint",
                )
            ]
        )
    _apply_fields(row, payload)
    if api_key is None:
        row.api_key_ciphertext = None
    elif isinstance(api_key, str):
        row.api_key_ciphertext = _encrypt_key(ctx, api_key)
    added = _apply_pricing(row, payload.pricing, ctx.now)
    if payload.is_default and not row.is_default:
        await _take_default(session, ctx, revision, row)

    after = model_public(row, ctx.now)
    if after == before and added is None and not isinstance(api_key, str):
        return before  # nothing changed: no version, no audit, no revision
    row.version += 1
    row.updated_at = ctx.now
    await session.flush()
    after = model_public(row, ctx.now)
    recorded = after
    if added is not None and added is not current_period(row.price_periods, ctx.now):
        # A scheduled or backdated period is not in `pricing`: the trail names it.
        recorded = after | {"added_price_period": period_public(added)}
    audit(session, ctx, revision, row, "update", before, recorded)
    return after


def _apply_pricing(
    row: ModelRow, pricing: PricingWrite | None, now: datetime
) -> PricePeriodRow | None:
    """A change of prices adds a period (returned); it never overwrites one (DESIGN §3)."""
    period = current_period(row.price_periods, now)
    old_rates = _period_rates(period)
    new_rates = pricing.rates() if pricing is not None else None
    if old_rates == new_rates:
        if period is not None and pricing is not None and pricing.source != period.source:
            period.source = pricing.source  # where a price was read is not a price
        return None
    starts = pricing.effective_from if pricing is not None else None
    if starts is None or (period is not None and starts == period.effective_from):
        starts = now
    if any(existing.effective_from == starts for existing in row.price_periods):
        raise conflict(
            "Another price period of this model starts at that moment.",
            errors=[FieldError("pricing.effective_from", "another price period starts then")],
        )
    added = new_period(pricing, starts, now)
    row.price_periods.append(added)
    return added


async def delete_model(
    session: AsyncSession, ctx: WriteContext, ref: str, *, if_match: int | None
) -> None:
    revision = await ctx.claim(session)
    row = await load_model(session, ref)
    check_version(row, if_match)
    if row.is_system:
        raise conflict(
            f"Model {row.name!r} comes from the built-in catalog and cannot be deleted; "
            "disable it instead."
        )
    if row.is_default:
        raise conflict(
            f"Model {row.name!r} is the default and cannot be deleted; "
            "make another model the default first."
        )
    audit(session, ctx, revision, row, "delete", model_public(row, ctx.now), None)
    await session.delete(row)
    await session.flush()


async def clone_model(
    session: AsyncSession,
    ctx: WriteContext,
    ref: str,
    name: str,
    display_name: str | None,
) -> dict[str, Any]:
    """Copy a model (system or not) into a new ordinary model, price history included."""
    revision = await ctx.claim(session)
    source = await load_model(session, ref)
    await ensure_name_free(session, name)
    body = writable(model_public(source, ctx.now))
    body.update(name=name, is_default=False, pricing=None)
    if display_name is not None:
        body["display_name"] = display_name
    elif source.display_name:
        body["display_name"] = f"{source.display_name} (copy)"
    row = ModelRow(
        id=str(uuid.uuid4()),
        is_system=False,
        is_default=False,
        version=1,
        created_at=ctx.now,
        updated_at=ctx.now,
        api_key_ciphertext=source.api_key_ciphertext,
        price_periods=[
            PricePeriodRow(
                effective_from=period.effective_from,
                currency=period.currency,
                unit=period.unit,
                input=period.input,
                cached_input=period.cached_input,
                cache_write=period.cache_write,
                output=period.output,
                reasoning=period.reasoning,
                per_request=period.per_request,
                tiers=list(period.tiers or []),
                source=period.source,
                created_at=ctx.now,
            )
            for period in source.price_periods
        ],
    )
    _apply_fields(row, parse_model(body))
    session.add(row)
    await session.flush()
    after = model_public(row, ctx.now)
    audit(session, ctx, revision, row, "clone", None, after | {"cloned_from": source.name})
    return after


async def make_default(session: AsyncSession, ctx: WriteContext, ref: str) -> dict[str, Any]:
    revision = await ctx.claim(session)
    row = await load_model(session, ref)
    if row.is_default:
        return model_public(row, ctx.now)
    before = model_public(row, ctx.now)
    await _take_default(session, ctx, revision, row)
    row.version += 1
    row.updated_at = ctx.now
    await session.flush()
    after = model_public(row, ctx.now)
    audit(session, ctx, revision, row, "update", before, after)
    return after


def parse_request(schema: type[RequestT], body: Any) -> RequestT:
    """Validate a small request body against `schema`, with field-level errors."""
    if not isinstance(body, dict):
        raise invalid([FieldError("body", "must be a JSON object")])
    try:
        return schema.model_validate(body)
    except ValidationError as error:
        raise invalid(field_errors(error.errors())) from None


async def rotate_api_keys(session: AsyncSession, vault: KeyVault) -> int:
    """Re-encrypt every stored provider key with the newest secret key; how many were."""
    rows = await repository.with_stored_keys(session)
    for row in rows:
        assert row.api_key_ciphertext is not None
        try:
            row.api_key_ciphertext = vault.rotate(row.api_key_ciphertext)
        except KeyVaultError as error:
            raise invalid(
                [FieldError(f"models[{row.name}].deployment.api_key", str(error))]
            ) from None
    await session.flush()
    return len(rows)

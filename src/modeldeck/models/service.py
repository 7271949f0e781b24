"""The rules of the registry (DESIGN §2): every write to a model goes through here.

Services never commit: the request's session commits when `mark_changed` was called,
and rolls back otherwise, so a refused or empty write leaves no trace.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from modeldeck import clock
from modeldeck.audit import repository as audit_repository
from modeldeck.changes.revision import claim_revision, mark_changed
from modeldeck.crypto import KeyVault, KeyVaultError
from modeldeck.models import repository
from modeldeck.models.merge_patch import merge_patch
from modeldeck.models.public import history_public, model_public, period_public, writable
from modeldeck.models.schemas import SYSTEM_WRITABLE, ModelWrite, PricingWrite
from modeldeck.models.tables import AliasRow, ModelRow, PricePeriodRow
from modeldeck.pricing.engine import period_at
from modeldeck.problems import FieldError, Problem, conflict, field_errors, invalid, not_found
from modeldeck.records.fields import PERIOD_FIELDS, RATE_FIELDS
from modeldeck.records.status import derived_status, stored_status

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

    def entry(
        self,
        revision: int,
        action: str,
        model_id: str,
        model_name: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> dict[str, Any]:
        """One audit entry (AuditEntryRow's columns) written by this writer, now."""
        return {
            "revision": revision,
            "model_id": model_id,
            "model_name": model_name,
            "action": action,
            "actor": self.actor,
            "at": self.now,
            "before": before,
            "after": after,
        }


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
    if await repository.alias_named(session, name) is not None:
        raise conflict(
            f"An alias is named {name!r}: a model may not take an alias's name (ignoring case), "
            "or apps could not tell which one they call.",
            errors=[FieldError("name", "is an alias's name")],
        )


def check_version(row: ModelRow | AliasRow, if_match: int | None) -> None:
    if if_match is not None and if_match != row.version:
        kind = "Alias" if isinstance(row, AliasRow) else "Model"
        raise Problem(
            412,
            "Precondition failed",
            f"{kind} {row.name!r} is at version {row.version}, not {if_match}: someone changed "
            "it meanwhile. Reload it and apply your change again.",
            slug="stale-version",
            headers={"ETag": f'"{row.version}"'},
        )


def audit(
    session: AsyncSession,
    ctx: WriteContext,
    revision: int,
    row: ModelRow | AliasRow,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    """One audit entry for a model's or an alias's write, and the write marked as a change."""
    audit_repository.add_entry(
        session, ctx.entry(revision, action, row.id, row.name, before, after)
    )
    mark_changed(session)


# --- the one description of what a write stores ----------------------------------------------

# What a model write stores on its row, besides its prices and the default flag.
STORED_FIELDS = tuple(
    name for name in ModelWrite.model_fields if name not in ("pricing", "is_default")
)


def stored_value(model: ModelWrite, name: str, today: date) -> Any:
    """A field of a write in the shape the row stores it (and `writable()` shows it).

    `status` is stored only as far as the write's own dates do not say it on `today`
    (records/status.py), so a status read and written back stays derived.
    """
    value = getattr(model, name)
    if name == "status":
        return stored_status(value, model.deprecation_date, model.retires_on, today)
    if name == "deployment":
        return model.deployment.model_dump(exclude={"api_key"})
    if isinstance(value, BaseModel):
        return value.model_dump()
    if isinstance(value, list):
        return list(value)
    return value


def columns(values: Mapping[str, Any]) -> dict[str, Any]:
    """Stored fields (all or some) as the row's columns, derived ones included."""
    result = dict(values)
    if "name" in result:
        result["name_key"] = result["name"].lower()
    if "description" in result:
        result["description"] = result["description"] or ""
    return result


def set_columns(row: ModelRow, values: Mapping[str, Any]) -> None:
    for column, value in columns(values).items():
        setattr(row, column, value)


def period_columns(
    pricing: PricingWrite | None, effective_from: datetime, source: str | None, now: datetime
) -> dict[str, Any]:
    """The columns of a new price period; `pricing` None marks the model unpriced from then."""
    rates = pricing.model_dump(exclude={"effective_from", "source"}) if pricing else {}
    return {
        "effective_from": effective_from,
        "currency": rates.get("currency", "USD"),
        "unit": rates.get("unit", "per_1m_tokens"),
        **{rate: rates.get(rate) for rate in RATE_FIELDS},
        "tiers": list(rates.get("tiers", [])),
        "windows": list(rates.get("windows", [])),
        "service_tiers": dict(rates.get("service_tiers", {})),
        "source": source,
        "created_at": now,
    }


def new_period(
    pricing: PricingWrite | None, effective_from: datetime, now: datetime
) -> PricePeriodRow:
    """A price period row written through the API, with the write's own source."""
    source = pricing.source if pricing is not None else None
    return PricePeriodRow(**period_columns(pricing, effective_from, source, now))


def copied_period(period: PricePeriodRow, now: datetime) -> PricePeriodRow:
    """The same prices, from the same moment, for another model (a clone)."""
    copied = {column: getattr(period, column) for column in PERIOD_FIELDS}
    nested = {
        "tiers": list(period.tiers or []),
        "windows": list(period.windows or []),
        "service_tiers": dict(period.service_tiers or {}),
    }
    return PricePeriodRow(**copied | nested, created_at=now)


def starts_taken(row: ModelRow, moment: datetime) -> bool:
    """No two price periods of a model start at the same moment (DESIGN §3)."""
    return any(period.effective_from == moment for period in row.price_periods)


def served_status(row: ModelRow, today: date) -> str:
    """The status a row shows on `today` (records/status.py)."""
    return derived_status(row.status, row.deprecation_date, row.retires_on, today)


# --- the rules an existing model's change must keep, for every writer -------------------------


@dataclass(frozen=True)
class Refusal:
    """A change a rule refuses: the field, a message about it, and the whole story."""

    code: str
    field: str
    message: str
    detail: str


def default_refusal(
    row: ModelRow, *, enabled: bool, status: str, by_catalog: bool, today: date
) -> Refusal | None:
    """The default model stays usable: never disabled, and never retired except by its catalog.

    `status` is the status the change would serve on `today` (a `retires_on` that has come
    retires the model as surely as `status`). A catalog sync may retire a system default (the
    catalog no longer offers it); it stays the default until an admin chooses another, and
    the sync says so. A default whose scheduled `retires_on` comes stays the default too.
    """
    if not row.is_default:
        return None
    if not enabled:
        return Refusal(
            "default_model",
            "enabled",
            "the default model cannot be disabled",
            f"Model {row.name!r} is the default and cannot be disabled; "
            "make another model the default first.",
        )
    if status == "retired" and served_status(row, today) != "retired" and not by_catalog:
        return Refusal(
            "default_model",
            "status",
            "the default model cannot be retired",
            f"Model {row.name!r} is the default and cannot be retired; "
            "make another model the default first.",
        )
    return None


def key_move_refusal(row: ModelRow, endpoint: Any, *, key_sent: bool) -> Refusal | None:
    """A stored key is sent to its endpoint: moving the endpoint must not carry it along unseen."""
    if row.api_key_ciphertext is None or key_sent or endpoint == row.deployment.get("endpoint"):
        return None
    return Refusal(
        "stored_api_key",
        "deployment.api_key",
        "a stored key goes to its endpoint: send the key again (or null to drop it) "
        "when you change deployment.endpoint",
        f"Model {row.name!r} has a stored API key, which goes to its endpoint; send the key "
        "again (or null to drop it) when you change deployment.endpoint.",
    )


def _period_rates(period: PricePeriodRow | None) -> dict[str, Any] | None:
    if period is None or not period.is_priced:
        return None
    return PricingWrite.model_validate(period_public(period)).rates()


def _encrypt_key(ctx: WriteContext, api_key: str) -> str:
    try:
        return ctx.vault.encrypt(api_key)
    except KeyVaultError as error:
        raise invalid([FieldError("deployment.api_key", str(error))]) from None


def _apply_fields(
    row: ModelRow, payload: ModelWrite, today: date, *, keep_status: bool = False
) -> None:
    """Store a write; `keep_status`: its status is the one served before, so no change."""
    names = [name for name in STORED_FIELDS if not (keep_status and name == "status")]
    set_columns(row, {name: stored_value(payload, name, today) for name in names})


def _may_be_default(row: ModelRow, today: date) -> bool:
    """Whether applications may be sent to this model when they name none."""
    return row.enabled and served_status(row, today) != "retired"


async def _take_default(
    session: AsyncSession, ctx: WriteContext, revision: int, row: ModelRow
) -> None:
    """Make `row` the default, clearing the old default in the same transaction."""
    if not row.enabled:
        raise conflict(
            f"Model {row.name!r} is disabled and cannot be the default; enable it first.",
            errors=[FieldError("is_default", "a disabled model cannot be the default")],
        )
    if served_status(row, ctx.now.date()) == "retired":
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
    _apply_fields(row, payload, ctx.now.date())
    api_key = _api_key_change(body or {})
    if isinstance(api_key, str):
        row.api_key_ciphertext = _encrypt_key(ctx, api_key)
    if payload.pricing is not None:
        row.price_periods.append(
            new_period(payload.pricing, payload.pricing.effective_from or ctx.now, ctx.now)
        )
    wants_default = payload.is_default
    if not wants_default and _may_be_default(row, ctx.now.date()):
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
    today = ctx.now.date()
    # A status sent back as it was served is no change: the stored one stays (and the dates
    # keep deciding); any other status is what the writer says.
    keep_status = payload.status == before["status"]
    stored = row.status if keep_status else stored_value(payload, "status", today)
    serves = derived_status(stored, payload.deprecation_date, payload.retires_on, today)
    refused = default_refusal(
        row, enabled=payload.enabled, status=serves, by_catalog=False, today=today
    )
    if refused is not None:
        raise conflict(refused.detail, errors=[FieldError(refused.field, refused.message)])
    api_key = _api_key_change(body)
    refused = key_move_refusal(row, payload.deployment.endpoint, key_sent=api_key is not _MISSING)
    if refused is not None:
        raise invalid([FieldError(refused.field, refused.message)])
    _apply_fields(row, payload, today, keep_status=keep_status)
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
    if added is not None and added is not period_at(row.price_periods, ctx.now):
        # A scheduled or backdated period is not in `pricing`: the trail names it.
        recorded = after | {"added_price_period": period_public(added)}
    audit(session, ctx, revision, row, "update", before, recorded)
    return after


def _apply_pricing(
    row: ModelRow, pricing: PricingWrite | None, now: datetime
) -> PricePeriodRow | None:
    """A change of prices adds a period (returned); it never overwrites one (DESIGN §3)."""
    period = period_at(row.price_periods, now)
    old_rates = _period_rates(period)
    new_rates = pricing.rates() if pricing is not None else None
    if old_rates == new_rates:
        if period is not None and pricing is not None and pricing.source != period.source:
            period.source = pricing.source  # where a price was read is not a price
        return None
    starts = pricing.effective_from if pricing is not None else None
    if starts is None or (period is not None and starts == period.effective_from):
        starts = now
    if starts_taken(row, starts):
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
    naming = await repository.aliases_naming(session, row.id)
    if naming:
        listed = ", ".join(repr(name) for name in naming)
        raise conflict(
            f"Model {row.name!r} is named by the alias(es) {listed}; take it out of them first."
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
        price_periods=[copied_period(period, ctx.now) for period in source.price_periods],
    )
    _apply_fields(row, parse_model(body), ctx.now.date())
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


async def add_price_period(
    session: AsyncSession,
    ctx: WriteContext,
    ref: str,
    pricing: PricingWrite,
    *,
    if_match: int | None,
) -> dict[str, Any]:
    """Add a price period (backdated or future-dated); no two periods share a start."""
    revision = await ctx.claim(session)
    row = await load_model(session, ref)
    check_version(row, if_match)
    if row.is_system:
        raise conflict(
            f"The prices of system model {row.name!r} are owned by the built-in catalog. "
            "Clone the model to customise it.",
            errors=[FieldError("pricing", "is read-only on a system model; clone it to customise")],
        )
    starts = pricing.effective_from or ctx.now
    if starts_taken(row, starts):
        raise conflict(
            "Another price period of this model starts at that moment.",
            errors=[FieldError("effective_from", "another price period starts then")],
        )
    before = model_public(row, ctx.now)
    period = new_period(pricing, starts, ctx.now)
    row.price_periods.append(period)
    row.version += 1
    row.updated_at = ctx.now
    await session.flush()
    after = model_public(row, ctx.now)
    audit(
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

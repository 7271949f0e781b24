"""Importing records into the registry: first a plan (the diff), then applying it at once.

`plan_import` compares records with the registry without writing anything; the plan says
what would be added, changed (field by field, before → after), left unchanged or skipped,
and why. `apply_plan` writes it in the caller's transaction (the caller commits): one
revision, bulk inserts, one audit entry per model. Plan and apply in the same session.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, Literal, cast

from sqlalchemy.ext.asyncio import AsyncSession

from modeldeck import clock, serialization
from modeldeck.audit.diff import diff
from modeldeck.catalog import repository as catalog_repository
from modeldeck.catalog.importers import ImportRecord, PricePeriodImport, Skip
from modeldeck.changes.revision import current_revision, mark_changed
from modeldeck.models import repository
from modeldeck.models.public import history_public, model_public, period_public, writable
from modeldeck.models.schemas import SYSTEM_WRITABLE, ModelWrite, PricingWrite
from modeldeck.models.service import (
    STORED_FIELDS,
    WriteContext,
    columns,
    default_refusal,
    key_move_refusal,
    period_columns,
    set_columns,
    starts_taken,
    stored_value,
)
from modeldeck.models.tables import ModelRow, PricePeriodRow
from modeldeck.problems import conflict
from modeldeck.records.fields import PERIOD_FIELDS
from modeldeck.records.status import derived_status

Action = Literal["add", "change", "unchanged", "skip", "retire"]
Progress = Callable[[int, int], None]

SKIP_SYSTEM_MODEL = "system_model"
SKIP_ORDINARY_MODEL = "ordinary_model"
SKIP_DUPLICATE = "duplicate_name"
SKIP_ALIAS_NAME = "alias_name"
SKIP_PRICE_HISTORY = "price_history_conflict"
HISTORY_CORRECTION = "price_history_correction"
SKIP_FUTURE_PRICE = "future_price_period"
SKIP_DEFAULT_MODEL = "default_model"
SKIP_STORED_KEY = "stored_api_key"
_SKIP_REASONS = {
    SKIP_DEFAULT_MODEL: "it is the default model, which cannot be disabled or retired",
    SKIP_STORED_KEY: "its stored API key goes to its endpoint; change deployment.endpoint "
    "through the API or the console, sending the key again",
}

INSERT_CHUNK = 1000  # models per flush: few statements, and a progress step per chunk

# Catalog-owned fields: what a catalog sync (or --as-system import) may change on a system model.
CATALOG_OWNED = frozenset(ModelWrite.model_fields) - SYSTEM_WRITABLE


@dataclass
class RowUpdate:
    """What applying a change does to one existing row."""

    values: dict[str, Any] = field(default_factory=dict)
    # (starts, pricing, source); starts None = the moment the plan is applied.
    new_periods: list[tuple[datetime | None, PricingWrite | None, str | None]] = field(
        default_factory=list
    )
    sources: list[tuple[PricePeriodRow, str | None]] = field(default_factory=list)
    # A catalog correction of past periods (sync of a system model): periods rewritten in
    # place (same start, other rates or source) and periods the catalog no longer holds.
    corrected: list[tuple[PricePeriodRow, PricingWrite | None, str | None]] = field(
        default_factory=list
    )
    removed: list[PricePeriodRow] = field(default_factory=list)

    @property
    def corrects_history(self) -> bool:
        return bool(self.corrected or self.removed)


@dataclass
class PlannedModel:
    """One line of a plan: a model to add, change, leave, skip or retire, and why."""

    action: Action
    name: str
    position: str | None = None
    changes: list[dict[str, Any]] = field(default_factory=list)
    reason: str | None = None
    code: str | None = None
    record: ImportRecord | None = field(default=None, repr=False)
    model_id: str | None = None
    row: ModelRow | None = field(default=None, repr=False, compare=False)
    update: RowUpdate | None = field(default=None, repr=False, compare=False)

    @property
    def corrects_history(self) -> bool:
        """A catalog correction of past price periods (not only new ones)."""
        return self.update is not None and self.update.corrects_history

    def as_json(self) -> dict[str, Any]:
        shown: dict[str, Any] = {"action": self.action, "name": self.name}
        if self.position is not None:
            shown["position"] = self.position
        if self.corrects_history:
            shown["correction"] = HISTORY_CORRECTION
        if self.changes:
            shown["changes"] = self.changes
        if self.reason is not None:
            shown["reason"] = self.reason
            shown["code"] = self.code
        return shown


@dataclass
class ImportPlan:
    """The diff between some records and the registry, ready to apply."""

    action: str  # the audit action: "import" or "sync"
    as_system: bool
    now: datetime
    based_on_revision: int
    added: list[PlannedModel] = field(default_factory=list)
    changed: list[PlannedModel] = field(default_factory=list)
    unchanged: list[PlannedModel] = field(default_factory=list)
    skipped: list[PlannedModel] = field(default_factory=list)
    retired: list[PlannedModel] = field(default_factory=list)
    new_default: str | None = None  # the added model that becomes the default, when none is
    notes: list[str] = field(default_factory=list)
    # Catalog sync only: a system model's past periods that differ from the catalog's are
    # corrected (shown as such); an import never rewrites price history.
    corrects_history: bool = False

    @property
    def corrections(self) -> list[PlannedModel]:
        """The changes that correct past price periods (shown and audited as corrections)."""
        return [planned for planned in self.changed if planned.corrects_history]

    @property
    def counts(self) -> dict[str, int]:
        return {
            "added": len(self.added),
            "changed": len(self.changed),
            "unchanged": len(self.unchanged),
            "skipped": len(self.skipped),
            "retired": len(self.retired),
        }

    @property
    def has_changes(self) -> bool:
        return bool(self.added or self.changed or self.retired)

    def skip_reasons(self) -> dict[str, int]:
        """How many records were skipped for each reason code."""
        reasons: dict[str, int] = {}
        for planned in self.skipped:
            reasons[planned.code or "?"] = reasons.get(planned.code or "?", 0) + 1
        return reasons

    def as_json(self) -> dict[str, Any]:
        """Every line of the plan (dump with modeldeck.serialization for exact decimals)."""
        return {
            "action": self.action,
            "counts": self.counts,
            "corrections": [planned.name for planned in self.corrections],
            "new_default": self.new_default,
            "notes": self.notes,
            **{
                group: [planned.as_json() for planned in getattr(self, group)]
                for group in ("added", "changed", "unchanged", "skipped", "retired")
            },
        }


@dataclass(frozen=True)
class ImportResult:
    added: int
    changed: int
    retired: int
    unchanged: int
    skipped: int
    revision: int | None  # None when nothing was written
    default: str | None = None  # the model that became the default, if one did


async def plan_import(
    session: AsyncSession,
    records: Iterable[ImportRecord],
    *,
    as_system: bool = False,
    now: datetime | None = None,
) -> ImportPlan:
    """Compare records with the registry; nothing is written.

    Ordinary imports never change a system model, and `as_system` imports never change an
    ordinary one. An existing model keeps what the record does not set; its tags gain the
    record's (an admin's tags stay); a system model also keeps its admin-owned fields.
    """
    plan = ImportPlan(
        action="import",
        as_system=as_system,
        now=now or clock.now(),
        based_on_revision=await current_revision(session),
    )
    await fill_plan(session, plan, records)
    return plan


async def fill_plan(
    session: AsyncSession,
    plan: ImportPlan,
    records: Iterable[ImportRecord],
    *,
    preferred_default: str | None = None,
) -> dict[str, ModelRow]:
    """Sort records into the plan's groups; returns the registry's rows by lower-cased name."""
    rows = {row.name_key: row for row in await repository.all_models(session)}
    aliases = {row.name_key for row in await repository.all_aliases(session)}
    seen: dict[str, str] = {}
    for record in records:
        if record.model is None:
            skip = record.skip or Skip("invalid", "no model")
            plan.skipped.append(
                PlannedModel(
                    "skip", record.name, record.position, reason=skip.reason, code=skip.code
                )
            )
            continue
        key = record.model.name.lower()
        if key in seen:
            plan.skipped.append(
                PlannedModel(
                    "skip",
                    record.name,
                    record.position,
                    reason=f"the name was already used (ignoring case) by {seen[key]}",
                    code=SKIP_DUPLICATE,
                )
            )
            continue
        seen[key] = record.position
        row = rows.get(key)
        if row is None and key in aliases:
            plan.skipped.append(
                PlannedModel(
                    "skip",
                    record.name,
                    record.position,
                    reason="an alias has this name (ignoring case); a model may not take it",
                    code=SKIP_ALIAS_NAME,
                )
            )
        elif row is None:
            plan.added.append(
                PlannedModel("add", record.model.name, record.position, record=record)
            )
        elif row.is_system and not plan.as_system:
            plan.skipped.append(_skip(record, row, SKIP_SYSTEM_MODEL, _SYSTEM_REASON))
        elif not row.is_system and plan.as_system:
            plan.skipped.append(_skip(record, row, SKIP_ORDINARY_MODEL, _ORDINARY_REASON))
        else:
            planned = compare(
                row, record, plan.now, correct_history=plan.corrects_history and row.is_system
            )
            if planned.action == "change":
                plan.changed.append(planned)
            elif planned.action == "unchanged":
                plan.unchanged.append(planned)
            else:
                plan.skipped.append(planned)
    if not any(row.is_default for row in rows.values()):
        plan.new_default = _first_default(plan.added, preferred_default, plan.now.date())
    return rows


_SYSTEM_REASON = (
    "a system model (built-in catalog) of this name exists; an ordinary import never changes "
    "it (clone it, or import --as-system)"
)
_ORDINARY_REASON = (
    "an ordinary model of this name exists; the built-in catalog and --as-system imports "
    "never change it"
)


def _skip(record: ImportRecord, row: ModelRow, code: str, reason: str) -> PlannedModel:
    return PlannedModel(
        "skip", record.name, record.position, reason=reason, code=code, model_id=row.id
    )


def _serves(model: ModelWrite, today: date) -> str:
    """The status a written model would show on `today`."""
    stored = stored_value(model, "status", today)
    return derived_status(stored, model.deprecation_date, model.retires_on, today)


def _first_default(added: Sequence[PlannedModel], preferred: str | None, today: date) -> str | None:
    """With no default in the registry: the preferred, else marked, else first usable model."""
    usable = [
        planned.record.model
        for planned in added
        if planned.record is not None
        and planned.record.model is not None
        and planned.record.model.enabled
        and _serves(planned.record.model, today) != "retired"
    ]
    ranked = sorted(
        usable,
        key=lambda model: (
            preferred is None or model.name.lower() != preferred.lower(),
            not model.is_default,
        ),
    )  # a stable sort: otherwise the file's order
    return ranked[0].name if ranked else None


# --- comparing one record with one row ------------------------------------------------------


def _plain(value: Any) -> Any:
    """Decimals without trailing zeros, so a diff shows 2.5, not 2.500000."""
    if isinstance(value, Decimal):
        return serialization.plain_decimal(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def period_shape(period: PricePeriodRow | None) -> dict[str, Any] | None:
    """A stored period's prices and source (not its start), or None when unpriced."""
    if period is None or not period.is_priced:
        return None
    shape = period_public(period)
    del shape["effective_from"]
    return shape


def pricing_shape(pricing: PricingWrite | None, source: str | None = None) -> dict[str, Any] | None:
    if pricing is None:
        return None
    shape = pricing.model_dump(exclude={"effective_from"})
    if source is not None:
        shape["source"] = source
    return shape


def _rates(shape: dict[str, Any] | None) -> dict[str, Any] | None:
    return (
        None if shape is None else {key: value for key, value in shape.items() if key != "source"}
    )


def compare(
    row: ModelRow, record: ImportRecord, now: datetime, *, correct_history: bool = False
) -> PlannedModel:
    """What importing `record` would change on `row`: a change, unchanged, or a skip.

    Only the fields the record sets are compared; on a system row never the admin-owned
    ones; and `is_default` is never imported onto an existing model. `correct_history`
    (catalog sync of a system model) lets the record's price history correct past periods.
    """
    model = record.model
    assert model is not None
    fields = set(record.fields) - {"is_default"}
    if row.is_system:
        fields -= SYSTEM_WRITABLE
    today = now.date()
    current = writable(model_public(row, now))
    current["status"] = row.status  # what was said, compared with what the record says
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    update = RowUpdate()
    for name in ModelWrite.model_fields:
        if name not in fields or name == "pricing":
            continue
        old, new = current[name], stored_value(model, name, today)
        if name == "tags":
            new = list(dict.fromkeys([*old, *new]))  # an import adds tags, never removes one
        if old != new:
            before[name], after[name] = old, new
            update.values[name] = new
    # The rules every writer keeps (models.service); here a refusal skips the record.
    values = {
        name: update.values.get(name, getattr(row, name))
        for name in ("status", "deprecation_date", "retires_on")
    }
    refused = default_refusal(
        row,
        enabled=update.values.get("enabled", row.enabled),
        status=derived_status(
            values["status"], values["deprecation_date"], values["retires_on"], today
        ),
        by_catalog=row.is_system,
        today=today,
    ) or key_move_refusal(
        row,
        update.values.get("deployment", row.deployment).get("endpoint"),
        key_sent=False,  # an import never carries a key
    )
    if refused is not None:
        return PlannedModel(
            "skip",
            row.name,
            record.position,
            reason=_SKIP_REASONS[refused.code],
            code=refused.code,
            model_id=row.id,
        )
    changes = diff(_plain(before), _plain(after))
    if "pricing" in fields:
        if record.price_history is not None:
            problem = _compare_history(
                row, record.price_history, changes, update, correct=correct_history
            )
        else:
            problem = _compare_pricing(row, model.pricing, now, changes, update)
        if problem is not None:
            code, reason = problem
            return PlannedModel(
                "skip", row.name, record.position, reason=reason, code=code, model_id=row.id
            )
    action: Action = "change" if changes else "unchanged"
    return PlannedModel(
        action,
        row.name,
        record.position,
        changes=changes,
        record=record,
        model_id=row.id,
        row=row,
        update=update if changes else None,
    )


def _latest(periods: Iterable[PricePeriodRow]) -> PricePeriodRow | None:
    return max(periods, key=lambda period: period.effective_from, default=None)


def _compare_pricing(
    row: ModelRow,
    pricing: PricingWrite | None,
    now: datetime,
    changes: list[dict[str, Any]],
    update: RowUpdate,
) -> tuple[str, str] | None:
    """Against the latest period (a scheduled one too): a new period, or a corrected source."""
    latest = _latest(row.price_periods)
    old, new = period_shape(latest), pricing_shape(pricing)
    if old is not None and new is not None and new["source"] is None:
        new["source"] = old["source"]  # a source the record does not name is unknown, not gone
    if old == new:
        return None
    changes.extend(diff({"pricing": _plain(old)}, {"pricing": _plain(new)}))
    if _rates(old) == _rates(new) and latest is not None and pricing is not None:
        update.sources.append((latest, pricing.source))  # where a price was read is no price
        return None
    starts = pricing.effective_from if pricing is not None else None
    latest_start = latest.effective_from if latest is not None else None
    if starts is None or (latest_start is not None and starts <= latest_start):
        if latest_start is not None and latest_start >= now:
            return (
                SKIP_FUTURE_PRICE,
                f"a price period starting {serialization.isoformat_z(latest_start)} is "
                "scheduled; add the new prices after it by hand",
            )
        starts = None  # when the plan is applied
    update.new_periods.append((starts, pricing, pricing.source if pricing else None))
    return None


def _history_shape(
    periods: Iterable[tuple[datetime, dict[str, Any] | None]],
) -> list[dict[str, Any]]:
    """Periods as a diff shows them: oldest first, each with its start ("unpriced" if so)."""
    return [
        {"effective_from": serialization.isoformat_z(starts), **(_plain(shape) or {})}
        if shape is not None
        else {"effective_from": serialization.isoformat_z(starts), "priced": False}
        for starts, shape in sorted(periods, key=lambda item: item[0])
    ]


def _correct_history(
    row: ModelRow,
    history: Sequence[PricePeriodImport],
    changes: list[dict[str, Any]],
    update: RowUpdate,
) -> bool:
    """The catalog's history replaces a system model's when a past period differs or is gone.

    Periods starting at the same moment are rewritten in place, others removed or added. One
    change line shows the whole history before and after. False: no correction is needed.
    """
    existing = {period.effective_from: period for period in row.price_periods}
    wanted = {period.effective_from: period for period in history}
    differs = [
        moment
        for moment, period in wanted.items()
        if moment in existing
        and _rates(period_shape(existing[moment])) != _rates(pricing_shape(period.pricing))
    ]
    gone = [period for moment, period in existing.items() if moment not in wanted]
    if not differs and not gone:
        return False
    for moment, period in sorted(wanted.items(), key=lambda item: item[0]):
        stored = existing.get(moment)
        if stored is None:
            update.new_periods.append((moment, period.pricing, period.source))
        elif moment in differs or stored.source != period.source:
            update.corrected.append((stored, period.pricing, period.source))
    update.removed.extend(sorted(gone, key=lambda period: period.effective_from))
    changes.append(
        {
            "field": "price_history",
            "correction": HISTORY_CORRECTION,
            "before": _history_shape(
                (period.effective_from, period_shape(period)) for period in row.price_periods
            ),
            "after": _history_shape(
                (period.effective_from, pricing_shape(period.pricing, period.source))
                for period in history
            ),
        }
    )
    return True


def _compare_history(
    row: ModelRow,
    history: Sequence[PricePeriodImport],
    changes: list[dict[str, Any]],
    update: RowUpdate,
    *,
    correct: bool = False,
) -> tuple[str, str] | None:
    """Periods the registry lacks are added; one that starts at the same moment must agree.

    With `correct` (catalog sync of a system model) a disagreeing or vanished past period is
    a catalog correction instead of a skip.
    """
    if correct and _correct_history(row, history, changes, update):
        return None
    existing = {period.effective_from: period for period in row.price_periods}
    for period in history:
        key = f"price_history.{serialization.isoformat_z(period.effective_from)}"
        new = pricing_shape(period.pricing, period.source)
        stored = existing.get(period.effective_from)
        if stored is None:
            changes.append({"field": key, "before": None, "after": _plain(new) or "unpriced"})
            update.new_periods.append((period.effective_from, period.pricing, period.source))
        elif _rates(period_shape(stored)) != _rates(new):
            return (
                SKIP_PRICE_HISTORY,
                f"its price period starting {serialization.isoformat_z(period.effective_from)} "
                "differs from the registry's; price history is never rewritten",
            )
        elif stored.source != period.source:
            changes.append(
                {"field": f"{key}.source", "before": stored.source, "after": period.source}
            )
            update.sources.append((stored, period.source))
    return None


# --- applying -------------------------------------------------------------------------------


def _apply_update(row: ModelRow, update: RowUpdate, now: datetime) -> None:
    set_columns(row, update.values)
    for period, source in update.sources:
        period.source = source
    for period in update.removed:  # a catalog correction (delete-orphan deletes the row)
        row.price_periods.remove(period)
    for period, pricing, source in update.corrected:  # in place: (model, start) is unique
        corrected = period_columns(pricing, period.effective_from, source, now)
        for column in PERIOD_FIELDS:
            setattr(period, column, corrected[column])
    for starts, pricing, source in update.new_periods:
        moment = now if starts is None else starts
        if starts_taken(row, moment):
            raise conflict(
                f"Another price period of {row.name!r} starts at "
                f"{serialization.isoformat_z(moment)}; plan the import again."
            )
        row.price_periods.append(PricePeriodRow(**period_columns(pricing, moment, source, now)))
    row.version += 1
    row.updated_at = now


def _new_values(
    planned: PlannedModel, plan: ImportPlan, now: datetime
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The columns of a new model and of its price periods, for bulk inserts."""
    record = planned.record
    assert record is not None and record.model is not None
    model = record.model
    model_id = str(uuid.uuid4())
    if record.price_history is not None:
        starts = [
            (period.pricing, period.effective_from, period.source)
            for period in record.price_history
        ]
    elif model.pricing is not None:
        starts = [(model.pricing, model.pricing.effective_from or now, model.pricing.source)]
    else:
        starts = []
    periods = [
        {"model_id": model_id, **period_columns(pricing, moment, source, now)}
        for pricing, moment, source in starts
    ]
    values = {
        "id": model_id,
        **columns({name: stored_value(model, name, now.date()) for name in STORED_FIELDS}),
        "api_key_ciphertext": None,
        "is_system": plan.as_system,
        "is_default": model.name == plan.new_default,
        "enabled": model.enabled,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }
    return values, periods


def _new_public(values: dict[str, Any], periods: list[dict[str, Any]], now: datetime) -> Any:
    """The public record of a model being bulk-inserted, by the one function that makes it."""
    row = SimpleNamespace(
        **values,
        price_periods=[
            SimpleNamespace(
                **{key: period[key] for key in PERIOD_FIELDS},
                is_priced=period["input"] is not None and period["output"] is not None,
            )
            for period in periods
        ],
    )
    return model_public(cast(ModelRow, row), now)


async def apply_plan(
    session: AsyncSession,
    plan: ImportPlan,
    *,
    ctx: WriteContext,
    progress: Progress | None = None,
) -> ImportResult:
    """Write the plan in the session's transaction (the caller commits): one revision.

    Raises a 409 Problem when the registry changed since the plan was made.
    `progress(done, total)` is called as models are written.
    """
    result = ImportResult(
        added=len(plan.added),
        changed=len(plan.changed),
        retired=len(plan.retired),
        unchanged=len(plan.unchanged),
        skipped=len(plan.skipped),
        revision=None,
        default=plan.new_default if plan.added else None,
    )
    total = result.added + result.changed + result.retired
    if total == 0:
        return result
    revision = await ctx.claim(session)  # also reads the clock: ctx.now follows the claim
    if plan.based_on_revision < revision - 1:
        raise conflict(
            f"The registry changed since this {plan.action} was planned (revision "
            f"{plan.based_on_revision}, now {revision - 1}); plan it again."
        )
    now = ctx.now
    entries: list[dict[str, Any]] = []
    done = 0
    for planned in (*plan.changed, *plan.retired):
        row, update = planned.row, planned.update
        if row is None or update is None or row not in session:
            raise ValueError("apply a plan in the session that made it")
        before = model_public(row, now)
        if planned.corrects_history:  # the audit trail keeps the corrected history
            before["price_history"] = history_public(row.price_periods, now)
        _apply_update(row, update, now)
        after = model_public(row, now)
        if planned.corrects_history:
            after["price_history"] = history_public(row.price_periods, now)
        entries.append(ctx.entry(revision, plan.action, row.id, row.name, before, after))
        done += 1
        if progress is not None and (done % 100 == 0 or done == total):
            progress(done, total)
    await session.flush()
    for start in range(0, len(plan.added), INSERT_CHUNK):
        chunk = [
            _new_values(planned, plan, now) for planned in plan.added[start : start + INSERT_CHUNK]
        ]
        await catalog_repository.insert_models(
            session,
            [values for values, _ in chunk],
            [period for _, periods in chunk for period in periods],
        )
        entries.extend(
            ctx.entry(
                revision,
                plan.action,
                values["id"],
                values["name"],
                None,
                _new_public(values, periods, now),
            )
            for values, periods in chunk
        )
        done += len(chunk)
        if progress is not None:
            progress(done, total)
    await catalog_repository.add_audit_entries(session, entries)
    mark_changed(session)
    return replace(result, revision=revision)

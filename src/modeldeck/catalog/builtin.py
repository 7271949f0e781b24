"""The built-in catalog shipped inside the package (built by scripts/build_catalog.py).

Each model of the file carries its `price_history` (oldest first, each period with its
`effective_from` and `source`); a model's `pricing` is the period in effect on the catalog's
day (`catalog_version`), derived here. A record with only `pricing` is a one-period history.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any

from modeldeck.catalog.importers.records import ImportRecord, PricePeriodImport
from modeldeck.models.schemas import ModelWrite, PricingWrite


@dataclass(frozen=True)
class Catalog:
    version: str
    default_model: str
    models: tuple[ModelWrite, ...]
    # Every model's price periods, oldest first, by lower-cased name.
    price_histories: Mapping[str, tuple[PricePeriodImport, ...]] = field(default_factory=dict)

    def price_history(self, name: str) -> tuple[PricePeriodImport, ...]:
        """A model's price periods, oldest first (empty when it is unpriced)."""
        return self.price_histories.get(name.lower(), ())

    def import_records(self, fields: frozenset[str]) -> list[ImportRecord]:
        """The models as import records with their whole price history (seed and sync).

        A model without a history here (a catalog built in code) is compared by `pricing`.
        """
        return [
            ImportRecord(
                f"models[{index}]",
                model.name,
                model=model,
                fields=fields,
                price_history=self.price_histories.get(model.name.lower()),
            )
            for index, model in enumerate(self.models)
        ]


def _catalog_day_end(version: str) -> datetime:
    """The end of the catalog's day: a period that starts then or earlier is in effect."""
    day = date.fromisoformat(version)
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)


def _history(record: dict[str, Any], name: str, version: str) -> tuple[PricePeriodImport, ...]:
    raw = record.pop("price_history", None)
    if raw is None:
        pricing = record.get("pricing")
        if pricing is None:
            return ()
        period = PricingWrite.model_validate(pricing)
        starts = period.effective_from or _catalog_day_end(version) - timedelta(days=1)
        return (PricePeriodImport(starts, period, period.source),)
    periods = []
    for item in raw:
        period = PricingWrite.model_validate(item)
        if period.effective_from is None:
            raise ValueError(f"{name}: every period of a price history needs effective_from")
        periods.append(PricePeriodImport(period.effective_from, period, period.source))
    moments = [period.effective_from for period in periods]
    if moments != sorted(set(moments)):
        raise ValueError(f"{name}: price_history must be oldest first, one period per moment")
    return tuple(periods)


def _in_effect(history: tuple[PricePeriodImport, ...], version: str) -> PricingWrite | None:
    """The period in effect on the catalog's day (the first one, if all start later)."""
    if not history:
        return None
    end = _catalog_day_end(version)
    started = [period for period in history if period.effective_from < end]
    return (started[-1] if started else history[0]).pricing


def parse_catalog(text: str) -> Catalog:
    document = json.loads(text)
    version = document["catalog_version"]
    models = []
    histories: dict[str, tuple[PricePeriodImport, ...]] = {}
    for raw in document["models"]:
        record = dict(raw)
        name = str(record.get("name"))
        history = _history(record, name, version)
        current = _in_effect(history, version)
        record["pricing"] = None if current is None else current.model_dump()
        model = ModelWrite.model_validate(record)
        models.append(model)
        histories[model.name.lower()] = history
    names = {model.name.lower() for model in models}
    if len(names) != len(models):
        raise ValueError("two models of the catalog share a name (ignoring case)")
    if document["default_model"].lower() not in names:
        raise ValueError(f"default_model {document['default_model']!r} is not in the catalog")
    return Catalog(version, document["default_model"], tuple(models), histories)


@cache
def load_builtin() -> Catalog:
    text = resources.files("modeldeck.catalog").joinpath("builtin.json").read_text("utf-8")
    return parse_catalog(text)

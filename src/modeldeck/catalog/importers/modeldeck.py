"""Our own export (catalog/export.py): writable model records with their price history."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import partial
from typing import Any

from pydantic import ValidationError

from modeldeck.catalog.importers.records import (
    MOMENT,
    Converted,
    Entry,
    ImportFormatError,
    Malformed,
    PricePeriodImport,
    RecordError,
)
from modeldeck.models.schemas import PricingWrite

MODELDECK_FORMAT = "modeldeck"
MODELDECK_VERSION = 1
FIELD_NAMES: dict[str, str] = {}


def entries(document: Any, source: str) -> Iterator[Entry]:
    if not isinstance(document, dict) or document.get("format") != MODELDECK_FORMAT:
        raise ImportFormatError(
            source,
            [RecordError("top level", "format", 'must be an object with "format": "modeldeck"')],
        )
    if document.get("version") != MODELDECK_VERSION:
        raise ImportFormatError(
            source,
            [
                RecordError(
                    "top level",
                    "version",
                    f"must be {MODELDECK_VERSION}, got {document.get('version')!r}",
                )
            ],
        )
    models = document.get("models")
    if not isinstance(models, list):
        raise ImportFormatError(source, [RecordError("top level", "models", "must be a list")])
    for index, record in enumerate(models):
        name = record.get("name") if isinstance(record, dict) else None
        label = f"models[{index}]" + (f" ({json.dumps(name)})" if isinstance(name, str) else "")
        yield label, name if isinstance(name, str) else "", partial(convert, record)


def convert(record: Any) -> Converted:
    if not isinstance(record, dict):
        raise Malformed(None, f"must be an object, got {type(record).__name__}")
    body = dict(record)
    deployment = body.get("deployment")
    if isinstance(deployment, dict) and "api_key" in deployment:
        raise Malformed(
            "deployment.api_key",
            "an import file never carries API keys; use api_key_env, or set the key afterwards",
        )
    history = body.pop("price_history", None)
    periods = None if history is None else _history(history)
    return Converted(body, price_history=periods)


def _history(history: Any) -> tuple[PricePeriodImport, ...]:
    if not isinstance(history, list):
        raise Malformed("price_history", "must be a list of price periods")
    periods = []
    for index, raw in enumerate(history):
        shown = f"price_history[{index}]"
        if not isinstance(raw, dict):
            raise Malformed(shown, "must be an object")
        if raw.get("effective_from") is None:
            raise Malformed(f"{shown}.effective_from", "is required in a price history")
        try:
            if raw.get("input") is None and raw.get("output") is None:
                # A period that marks the model unpriced from then on.
                moment = MOMENT.validate_python(raw["effective_from"])
                source = raw.get("source")
                if source is not None and not isinstance(source, str):
                    raise Malformed(f"{shown}.source", "must be text")
                periods.append(PricePeriodImport(moment, None, source))
                continue
            pricing = PricingWrite.model_validate(raw)
        except ValidationError as error:
            problem = error.errors()[0]
            field = ".".join(str(part) for part in (*problem["loc"],))
            raise Malformed(
                f"{shown}.{field}" if field else f"{shown}.effective_from", problem["msg"]
            ) from None
        assert pricing.effective_from is not None
        periods.append(PricePeriodImport(pricing.effective_from, pricing, pricing.source))
    starts = [period.effective_from for period in periods]
    if len(set(starts)) != len(starts):
        raise Malformed("price_history", "two periods start at the same moment")
    return tuple(sorted(periods, key=lambda period: period.effective_from))

"""Reading public model catalogs (and our own export) into validated model records.

Pure functions: `parse_import` turns a file's text into `ImportRecord`s without touching the
database; `read_catalog` only adds reading the file. Each record is either a validated
`ModelWrite` or a skip with its reason, and knows its position in the file, so a malformed
record is reported as `<file>: <position>: <field>: <message>`. One module per format;
the unit conversions they share are in `records`.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import ValidationError

from modeldeck import serialization
from modeldeck.catalog.importers import litellm, modeldeck, modelsdev, openrouter
from modeldeck.catalog.importers.modeldeck import MODELDECK_FORMAT, MODELDECK_VERSION
from modeldeck.catalog.importers.records import (
    SKIP_BAD_NAME,
    SKIP_DUPLICATE,
    Converted,
    Entry,
    ImportFormatError,
    ImportRecord,
    Malformed,
    PricePeriodImport,
    RecordError,
    Skip,
)
from modeldeck.models.schemas import NAME_PATTERN, ModelWrite

Format = Literal["litellm", "modelsdev", "openrouter", "modeldeck"]
FORMATS: tuple[str, ...] = get_args(Format)
NAME_DISALLOWED = re.compile(r"[^A-Za-z0-9._\-:/@]+")

_ENTRIES: dict[str, Callable[[Any, str], Iterator[Entry]]] = {
    "litellm": litellm.entries,
    "modelsdev": modelsdev.entries,
    "openrouter": openrouter.entries,
    "modeldeck": modeldeck.entries,
}
_FIELD_NAMES: dict[str, Mapping[str, str]] = {
    "litellm": litellm.FIELD_NAMES,
    "modelsdev": modelsdev.FIELD_NAMES,
    "openrouter": openrouter.FIELD_NAMES,
    "modeldeck": modeldeck.FIELD_NAMES,
}

__all__ = [
    "FORMATS",
    "MODELDECK_FORMAT",
    "MODELDECK_VERSION",
    "Format",
    "ImportFormatError",
    "ImportRecord",
    "PricePeriodImport",
    "RecordError",
    "Skip",
    "parse_import",
    "read_catalog",
    "select_records",
]

# --- entry points ---------------------------------------------------------------------------


def read_catalog(
    source: Path | str,
    format: str,
    *,
    provider: str | None = None,
    match: str | None = None,
) -> list[ImportRecord]:
    """Read a catalog file (a Path) or its text (a str) into import records."""
    if isinstance(source, Path):
        try:
            text = source.read_text("utf-8")
        except UnicodeDecodeError as error:
            raise ImportFormatError(
                source.name, [RecordError(f"byte {error.start}", None, "is not UTF-8 text")]
            ) from None
        return parse_import(text, format, source=source.name, provider=provider, match=match)
    return parse_import(source, format, provider=provider, match=match)


def parse_import(
    text: str,
    format: str,
    *,
    source: str = "<input>",
    provider: str | None = None,
    match: str | None = None,
) -> list[ImportRecord]:
    """Parse a catalog's text: every record validated or skipped, in file order.

    `provider` keeps records whose Model Deck provider or source provider (LiteLLM's
    `litellm_provider`, the models.dev provider id, the OpenRouter vendor) is that one;
    `match` keeps names matching a glob (both ignore case). Duplicate names (ignoring case)
    keep the first and skip the rest. Raises ImportFormatError naming each malformed record.
    """
    if format not in FORMATS:
        raise ValueError(f"unknown format {format!r}; one of {', '.join(FORMATS)}")
    document = _load_json(text, source, exact=format == MODELDECK_FORMAT)
    entries = _ENTRIES[format](document, source)
    records: list[ImportRecord] = []
    errors: list[RecordError] = []
    field_names = _FIELD_NAMES[format]
    for position, raw_name, convert in entries:
        record = _record(position, raw_name, convert, field_names, errors)
        if record is not None:
            records.append(record)
    if errors:
        raise ImportFormatError(source, errors)
    return select_records(_without_duplicates(records), provider, match)


# --- shared steps ---------------------------------------------------------------------------


def _load_json(text: str, source: str, *, exact: bool) -> Any:
    try:
        return serialization.loads(text) if exact else json.loads(text)
    except json.JSONDecodeError as error:  # simplejson's error is a subclass
        position = f"line {error.lineno}, column {error.colno}"
        raise ImportFormatError(source, [RecordError(position, None, error.msg)]) from None


def _record(
    position: str,
    raw_name: str,
    convert: Callable[[], Converted | Skip],
    field_names: Mapping[str, str],
    errors: list[RecordError],
) -> ImportRecord | None:
    try:
        converted = convert()
    except Malformed as bad:
        errors.append(RecordError(position, bad.field, bad.message))
        return None
    if isinstance(converted, Skip):
        return ImportRecord(position, raw_name, skip=converted)
    body = converted.body
    name, skip = _usable_name(raw_name)
    if skip is not None:
        return ImportRecord(
            position, raw_name, skip=skip, source_provider=converted.source_provider
        )
    body["name"] = name
    try:
        model = ModelWrite.model_validate(body)
    except ValidationError as error:
        for problem in error.errors():
            field = ".".join(str(part) for part in problem["loc"])
            shown = field_names.get(field)
            errors.append(
                RecordError(position, f"{shown} ({field})" if shown else field, problem["msg"])
            )
        return None
    return ImportRecord(
        position,
        name,
        model=model,
        fields=frozenset(model.model_fields_set),
        price_history=converted.price_history,
        source_provider=converted.source_provider,
        renamed_from=raw_name if name != raw_name else None,
    )


def _usable_name(raw: str) -> tuple[str, Skip | None]:
    """The name as our rule allows it: disallowed characters removed (`~openai/gpt-latest`)."""
    if NAME_PATTERN.fullmatch(raw):
        return raw, None
    cleaned = re.sub(r"/{2,}", "/", NAME_DISALLOWED.sub("", raw.strip())).strip("/")
    if NAME_PATTERN.fullmatch(cleaned):
        return cleaned, None
    return raw, Skip(
        SKIP_BAD_NAME,
        f"name {raw!r} cannot be made a valid name (1-128 letters, digits or . _ - : / @)",
    )


def _without_duplicates(records: list[ImportRecord]) -> list[ImportRecord]:
    first: dict[str, str] = {}
    result = []
    for record in records:
        if record.model is not None:
            key = record.name.lower()
            if key in first:
                skip = Skip(
                    SKIP_DUPLICATE,
                    f"the name {record.name!r} was already used (ignoring case) by {first[key]}",
                )
                record = ImportRecord(
                    record.position, record.name, skip=skip, source_provider=record.source_provider
                )
            else:
                first[key] = record.position
        result.append(record)
    return result


def select_records(
    records: list[ImportRecord], provider: str | None = None, match: str | None = None
) -> list[ImportRecord]:
    """Records of one provider (ours or the source's) and/or whose name matches a glob."""
    if provider is not None:
        wanted = provider.lower()
        records = [
            record
            for record in records
            if (record.source_provider or "").lower() == wanted
            or (record.model is not None and record.model.provider == wanted)
        ]
    if match is not None:
        pattern = match.lower()
        records = [
            record for record in records if fnmatch.fnmatchcase(record.name.lower(), pattern)
        ]
    return records

"""The simulator page's form: read it, price it with the same `simulate` as the API, export CSV."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from modeldeck import serialization
from modeldeck.models import service as model_service
from modeldeck.models.snapshot import Snapshot
from modeldeck.pricing.engine import CostError
from modeldeck.pricing.schemas import SimulateRequest
from modeldeck.pricing.simulator import simulate
from modeldeck.problems import FieldError, Problem
from modeldeck.tokenizer.counting import TextTooLarge, count_tokens, tokenizer_for

WORKLOAD_FIELDS = (
    "workload",
    "input_tokens",
    "text",
    "output_tokens",
    "reasoning_tokens",
    "requests",
    "cached_share",
    "at",
    "service_tier",
    "time_of_day",
    "include_retired",
)
CUSTOM_COLUMNS = ("name", "input", "cached_input", "output", "context_window", "max_output_tokens")
DEFAULTS = {
    "workload": "tokens",
    "input_tokens": "1500",
    "text": "",
    "output_tokens": "400",
    "reasoning_tokens": "0",
    "requests": "1000",
    "cached_share": "0",
    "at": "",
    "service_tier": "standard",
    "time_of_day": "",
    "include_retired": "",
}
_INTEGER = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CUSTOM_FIELD = re.compile(r"^custom_prices\[(\d+)\](?:\.(?:pricing\.)?(\w+))?")


def _number(text: str) -> Any:
    """A JSON number when the text reads as one; else the text, for the rules to refuse by name."""
    cleaned = text.strip().replace(",", "").replace("_", "")
    if _INTEGER.match(cleaned):
        return int(cleaned)
    if _FLOAT.match(cleaned):
        return float(cleaned)
    return text


@dataclass
class SimulationForm:
    """The workload and custom price rows as typed, kept to show them again with any errors."""

    values: dict[str, str] = field(default_factory=lambda: dict(DEFAULTS))
    custom_rows: list[dict[str, str]] = field(default_factory=list)

    @classmethod
    def parse(cls, form: Mapping[str, Any], lists: Mapping[str, Sequence[str]]) -> SimulationForm:
        values = {name: str(form.get(name) or "") for name in WORKLOAD_FIELDS}
        if values["workload"] not in ("tokens", "text"):
            values["workload"] = "tokens"
        columns = {name: list(lists.get(f"custom_{name}", [])) for name in CUSTOM_COLUMNS}
        count = max((len(column) for column in columns.values()), default=0)
        rows = [
            {
                name: (column[index] if index < len(column) else "")
                for name, column in columns.items()
            }
            for index in range(count)
        ]
        return cls(values, [row for row in rows if any(value.strip() for value in row.values())])

    def request_body(self) -> tuple[dict[str, Any], list[FieldError]]:
        """The `POST /api/simulate` body, and what the form alone can tell is missing."""
        body: dict[str, Any] = {}
        missing: list[FieldError] = []
        if self.values["workload"] == "text":
            if not self.values["text"].strip():
                missing.append(FieldError("text", "paste a sample text, or give token counts"))
            body["text"] = self.values["text"]
        elif self.values["input_tokens"].strip():
            body["input_tokens"] = _number(self.values["input_tokens"])
        else:
            missing.append(FieldError("input_tokens", "give the input tokens of one request"))
        for name in ("output_tokens", "reasoning_tokens", "requests", "cached_share"):
            if self.values[name].strip():
                body[name] = _number(self.values[name])
        at = self.values["at"].strip()
        if at:
            # A date means the prices in effect during that day, up to its end (UTC).
            body["at"] = f"{at}T23:59:59Z" if _DATE.match(at) else at
        tier = self.values["service_tier"].strip()
        if tier and tier != "standard":
            body["service_tier"] = tier
        if self.values["time_of_day"].strip():
            body["time_of_day"] = self.values["time_of_day"].strip()
        if self.values["include_retired"]:
            body["include_retired"] = True  # a checked box: retired models are priced too
        body["custom_prices"] = [self._custom_price(row) for row in self.custom_rows]
        return body, missing

    @staticmethod
    def _custom_price(row: Mapping[str, str]) -> dict[str, Any]:
        pricing = {
            name: row[name].strip()
            for name in ("input", "cached_input", "output")
            if row[name].strip()
        }
        custom: dict[str, Any] = {"name": row["name"].strip(), "pricing": pricing}
        for name in ("context_window", "max_output_tokens"):
            if row[name].strip():
                custom[name] = _number(row[name])
        return custom


@dataclass
class Outcome:
    """Rows cheapest first, or the errors to show next to their fields."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    not_offered: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    row_errors: dict[tuple[int, str], str] = field(default_factory=dict)
    detail: str | None = None

    @property
    def failed(self) -> bool:
        return bool(self.errors or self.row_errors or self.detail)

    @classmethod
    def refused(cls, errors: Sequence[Mapping[str, str]], detail: str | None = None) -> Outcome:
        outcome = cls(detail=detail)
        for error in errors:
            found = _CUSTOM_FIELD.match(error["field"])
            if found:
                key = (int(found.group(1)), found.group(2) or "name")
                outcome.row_errors.setdefault(key, error["message"])
            else:
                outcome.errors.setdefault(error["field"].split(".")[0], error["message"])
        if not outcome.failed:
            outcome.detail = "The simulation could not be run."
        return outcome


def run(form: SimulationForm, snapshot: Snapshot) -> Outcome:
    """Price the workload on every priced model and the custom rows, as `POST /api/simulate`."""
    body, missing = form.request_body()
    try:
        asked = model_service.parse_request(SimulateRequest, body)
    except Problem as problem:
        return Outcome.refused([*missing, *problem.errors])
    if missing:
        return Outcome.refused(missing)
    counted: dict[str, tuple[int, str, bool]] = {}

    def count(model: Mapping[str, Any] | None) -> tuple[int, str, bool]:
        assert asked.text is not None
        key = tokenizer_for(dict(model) if model is not None else None)
        if key not in counted:
            result = count_tokens(asked.text, model)
            counted[key] = (result.tokens, result.tokenizer, result.exact)
        return counted[key]

    try:
        rows, not_offered = simulate(snapshot.models, snapshot.price_history, asked, count)
    except TextTooLarge as error:
        return Outcome.refused([FieldError("text", str(error))])
    except CostError as error:
        return Outcome.refused([FieldError(error.field, error.message)])
    except ValueError as error:
        return Outcome.refused([], detail=str(error))
    return Outcome(rows=rows, not_offered=not_offered)


CSV_COLUMNS = (
    "rank",
    "model",
    "display_name",
    "provider",
    "custom",
    "currency",
    "cost_per_request",
    "total_cost",
    "input_tokens",
    "cached_input_tokens",
    "output_tokens",
    "reasoning_tokens",
    "tokenizer",
    "weighted_tokens",
    "compute_units",
    "service_tier",
    "fits",
    "fit_problems",
    "price_effective_from",
)
# A cell starting with one of these is a formula to a spreadsheet (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return f"{serialization.plain_decimal(value):f}"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, datetime):
        return serialization.isoformat_z(value)
    if isinstance(value, list | tuple):
        value = "; ".join(str(item) for item in value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_csv(rows: Sequence[Mapping[str, Any]]) -> str:
    """The results table as CSV, every text cell safe to open in a spreadsheet."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for rank, row in enumerate(rows, start=1):
        record = {**row, "rank": rank}
        writer.writerow([csv_cell(record.get(column)) for column in CSV_COLUMNS])
    return buffer.getvalue()

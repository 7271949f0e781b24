"""The Simulator page: read its query, price it with the same `simulate` as the API, and shape
the answer for the page (ranking, chart, table page, comparison) and for CSV."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from modeldeck import serialization
from modeldeck.console import charts
from modeldeck.models import service as model_service
from modeldeck.models.snapshot import Snapshot
from modeldeck.pricing.engine import CostError
from modeldeck.pricing.schemas import SimulateRequest
from modeldeck.pricing.simulator import simulate, status_on, vendors_of
from modeldeck.problems import FieldError, Problem
from modeldeck.records.fields import CAPABILITIES, PROVIDERS, STATUSES
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
)
FILTER_FIELDS = (
    "provider",
    "vendor",
    "status",
    "tags",
    "min_context",
    "max_input_price",
    "max_output_price",
    "mine",
    "include_retired",
    "include_free",
)
VIEW_FIELDS = ("top", "scale", "sort", "page", "per")
FIELDS = (*WORKLOAD_FIELDS, *FILTER_FIELDS, *VIEW_FIELDS)
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
    "provider": "",
    "vendor": "",
    "status": "",
    "tags": "",
    "min_context": "",
    "max_input_price": "",
    "max_output_price": "",
    "mine": "",
    "include_retired": "",
    "include_free": "",
    "top": "20",
    "scale": "linear",
    "sort": "rank",
    "page": "1",
    "per": "100",
}
TOP_LIMIT = 100
PAGE_SIZES = ("50", "100", "500", "all")
COMPARE_LIMIT = 4
# (sort key, header, row field): the table's sortable columns.
SORTS = (
    ("rank", "Rank", None),
    ("model", "Model", "model"),
    ("provider", "Provider", "provider"),
    ("context_window", "Context window", "context_window"),
    ("input_price", "Input / 1M", "input_price"),
    ("output_price", "Output / 1M", "output_price"),
    ("cost_per_request", "Per request", "cost_per_request"),
    ("total_cost", "Total", "total_cost"),
)
SORT_FIELDS = {key: row_field for key, _, row_field in SORTS}
_INTEGER = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*([kKmM])$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CUSTOM_FIELD = re.compile(r"^custom_prices\[(\d+)\](?:\.(?:pricing\.)?(\w+))?")
# The API's names of the fields the form names otherwise, so its errors land on the input.
_FORM_NAMES = {
    "min_context_window": "min_context",
    "providers": "provider",
    "vendors": "vendor",
    "statuses": "status",
    "required_capabilities": "requires",
}


def _number(text: str) -> Any:
    """A JSON number when the text reads as one; else the text, for the rules to refuse by name."""
    cleaned = text.strip().replace(",", "").replace("_", "")
    if _INTEGER.match(cleaned):
        return int(cleaned)
    if _FLOAT.match(cleaned):
        return float(cleaned)
    return text


def _token_count(text: str) -> Any:
    """A count as typed, where "128k" and "1M" read as 128,000 and 1,000,000."""
    found = _SIZE.match(text.strip().replace(",", ""))
    if found:
        scale = 1_000 if found.group(2) in "kK" else 1_000_000
        return round(Decimal(found.group(1)) * scale)
    return _number(text)


def _choice(value: str, choices: Sequence[str], default: str) -> str:
    return value if value in choices else default


def _whole(value: str, default: int, low: int, high: int) -> int:
    try:
        return min(max(int(value), low), high)
    except ValueError:
        return default


@dataclass
class SimulationForm:
    """The workload, filters, view and custom price rows as typed, kept to show them again."""

    values: dict[str, str] = field(default_factory=lambda: dict(DEFAULTS))
    requires: list[str] = field(default_factory=list)
    compare: list[str] = field(default_factory=list)
    custom_rows: list[dict[str, str]] = field(default_factory=list)

    @classmethod
    def parse(cls, lists: Mapping[str, Sequence[str]]) -> SimulationForm:
        """From a query string or a posted form: every key with all its values."""
        values = {
            name: (lists[name][0] if lists.get(name) else "")
            for name in FIELDS
            if name not in VIEW_FIELDS
        }
        for name in VIEW_FIELDS:
            given = lists.get(name)
            values[name] = given[0] if given else DEFAULTS[name]
        values["workload"] = _choice(values["workload"], ("tokens", "text"), "tokens")
        values["scale"] = _choice(values["scale"], ("linear", "log"), "linear")
        values["per"] = _choice(values["per"], PAGE_SIZES, DEFAULTS["per"])
        if values["sort"].lstrip("-") not in SORT_FIELDS:
            values["sort"] = "rank"
        values["top"] = str(_whole(values["top"], 20, 1, TOP_LIMIT))
        values["page"] = str(_whole(values["page"], 1, 1, 1_000_000))
        columns = {name: list(lists.get(f"custom_{name}", [])) for name in CUSTOM_COLUMNS}
        count = max((len(column) for column in columns.values()), default=0)
        rows = [
            {
                name: (column[index] if index < len(column) else "")
                for name, column in columns.items()
            }
            for index in range(count)
        ]
        requires = [name for name in CAPABILITIES if name in lists.get("requires", [])]
        compare = list(dict.fromkeys(name for name in lists.get("compare", []) if name))
        return cls(
            values,
            requires,
            compare,
            [row for row in rows if any(value.strip() for value in row.values())],
        )

    @property
    def tags(self) -> list[str]:
        return [tag for tag in re.split(r"[\s,]+", self.values["tags"]) if tag]

    @property
    def filtered(self) -> bool:
        """Whether any filter narrows the registry models (the filters fieldset opens then)."""
        return bool(
            any(self.values[name] for name in FILTER_FIELDS if name != "include_retired")
            or self.values["include_retired"]
            or self.requires
        )

    def request_body(self) -> tuple[dict[str, Any], list[FieldError]]:
        """The `POST /api/simulate` body, and what the form alone can tell is missing."""
        body: dict[str, Any] = {"fitting_first": True, "include_free": False}
        missing: list[FieldError] = []
        values = self.values
        if values["workload"] == "text":
            if not values["text"].strip():
                missing.append(FieldError("text", "paste a sample text, or give token counts"))
            body["text"] = values["text"]
        elif values["input_tokens"].strip():
            body["input_tokens"] = _token_count(values["input_tokens"])
        else:
            missing.append(FieldError("input_tokens", "give the input tokens of one request"))
        for name in ("output_tokens", "reasoning_tokens"):
            if values[name].strip():
                body[name] = _token_count(values[name])
        for name in ("requests", "cached_share"):
            if values[name].strip():
                body[name] = _number(values[name])
        at = values["at"].strip()
        if at:
            # A date means the prices in effect during that day, up to its end (UTC).
            body["at"] = f"{at}T23:59:59Z" if _DATE.match(at) else at
        tier = values["service_tier"].strip()
        if tier and tier != "standard":
            body["service_tier"] = tier
        if values["time_of_day"].strip():
            body["time_of_day"] = values["time_of_day"].strip()
        if values["include_retired"]:
            body["include_retired"] = True  # a checked box: retired models are priced too
        if values["include_free"]:
            body["include_free"] = True
        for name, key in (("provider", "providers"), ("vendor", "vendors"), ("status", "statuses")):
            if values[name]:
                body[key] = [values[name]]
        if values["mine"]:
            body["system"] = False
        if self.tags:
            body["tags"] = self.tags
        if values["min_context"].strip():
            body["min_context_window"] = _token_count(values["min_context"])
        for name in ("max_input_price", "max_output_price"):
            if values[name].strip():
                body[name] = values[name].strip()
        if self.requires:
            body["required_capabilities"] = list(self.requires)
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
                custom[name] = _token_count(row[name])
        return custom

    def query(self, **changes: str | None) -> list[tuple[str, str]]:
        """The form as query pairs (what a shared link holds), defaults and blanks left out."""
        values = {**self.values, **{key: value or "" for key, value in changes.items()}}
        skipped = "input_tokens" if values["workload"] == "text" else "text"
        # The workload stays whole (a link means the same when defaults change); the rest
        # only when it differs from the default.
        pairs = [
            (name, values[name])
            for name in FIELDS
            if name != skipped
            and values[name].strip()
            and (name in WORKLOAD_FIELDS or values[name] != DEFAULTS[name])
        ]
        pairs.extend(("requires", name) for name in self.requires)
        pairs.extend(("compare", name) for name in self.compare)
        for row in self.custom_rows:
            pairs.extend((f"custom_{name}", row[name]) for name in CUSTOM_COLUMNS)
        return pairs

    def url(self, path: str = "/simulate", **changes: str | None) -> str:
        return path + "?" + urlencode(self.query(**changes))


@dataclass
class Outcome:
    """Rows in ranking order (fitting models first, cheapest first), or the errors to show."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    not_offered: list[str] = field(default_factory=list)
    asked: SimulateRequest | None = None
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
                name = error["field"].split(".")[0].split("[")[0]
                outcome.errors.setdefault(_FORM_NAMES.get(name, name), error["message"])
        if not outcome.failed:
            outcome.detail = "The simulation could not be run."
        return outcome


def run(form: SimulationForm, snapshot: Snapshot) -> Outcome:
    """Price the workload on the models the filters keep and the custom rows, as the API does."""
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
    return Outcome(rows=rows, not_offered=not_offered, asked=asked)


# ---- the page's view of an outcome ----------------------------------------------------------


@dataclass(frozen=True)
class Choices:
    """What the filter selects offer: every provider, status and capability, the vendors seen."""

    providers: tuple[str, ...]
    vendors: tuple[str, ...]
    statuses: tuple[str, ...]
    capabilities: tuple[str, ...]


def choices(snapshot: Snapshot) -> Choices:
    vendors = sorted({vendor for model in snapshot.models for vendor in vendors_of(model)})
    return Choices(PROVIDERS, tuple(vendors), STATUSES, CAPABILITIES)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    url: str
    sorted: str | None  # "ascending", "descending" or None


@dataclass(frozen=True)
class Compared:
    """One model of the side-by-side comparison: its result row and, for a registry model, its
    record (capabilities, limits, status)."""

    row: dict[str, Any]
    rank: int
    record: dict[str, Any] | None
    status: str | None
    capabilities: tuple[tuple[str, bool], ...]
    vendors: tuple[str, ...]


@dataclass
class Results:
    """What the page shows of an outcome."""

    total: int
    fitting: int
    chart: charts.CostChart | None
    page_rows: list[tuple[int, dict[str, Any]]]
    columns: list[Column]
    page: int
    pages: int
    first: int
    last: int
    previous_url: str | None
    next_url: str | None
    compare: list[Compared]
    compare_missing: list[str]
    compare_selected: set[str]
    hidden_compare: list[str]
    csv_url: str
    share_url: str


def _sort_value(row: Mapping[str, Any], key: str) -> tuple[bool, Any]:
    """A sort key that puts missing values last in either direction."""
    value = row.get(SORT_FIELDS[key] or "")
    if isinstance(value, str):
        value = value.lower()
    return value is None, value


def _sorted(
    ranked: list[tuple[int, dict[str, Any]]], sort: str
) -> list[tuple[int, dict[str, Any]]]:
    key = sort.lstrip("-")
    if key == "rank":
        return ranked if not sort.startswith("-") else list(reversed(ranked))
    present = [item for item in ranked if item[1].get(SORT_FIELDS[key] or "") is not None]
    absent = [item for item in ranked if item[1].get(SORT_FIELDS[key] or "") is None]
    present.sort(key=lambda item: _sort_value(item[1], key), reverse=sort.startswith("-"))
    return present + absent


def results(form: SimulationForm, outcome: Outcome, snapshot: Snapshot) -> Results:
    values = form.values
    ranked = list(enumerate(outcome.rows, start=1))
    ordered = _sorted(ranked, values["sort"])
    per = (len(ordered) or 1) if values["per"] == "all" else int(values["per"])
    pages = max(1, -(-len(ordered) // per))
    page = min(int(values["page"]), pages)
    start = (page - 1) * per
    page_rows = ordered[start : start + per]
    sort = values["sort"]
    columns = []
    for key, label, _ in SORTS:
        state = "ascending" if sort == key else "descending" if sort == f"-{key}" else None
        following = f"-{key}" if sort == key else key
        columns.append(Column(key, label, form.url(sort=following, page=None), state))
    on_page = {row["model"] for _, row in page_rows}
    compare, missing = _compared(form, outcome, snapshot)
    return Results(
        total=len(outcome.rows),
        fitting=sum(1 for row in outcome.rows if row["fits"]),
        chart=charts.cost_chart(
            outcome.rows[: int(values["top"])], values["scale"], len(outcome.rows)
        )
        if outcome.rows
        else None,
        page_rows=page_rows,
        columns=columns,
        page=page,
        pages=pages,
        first=start + 1 if page_rows else 0,
        last=start + len(page_rows),
        previous_url=form.url(page=str(page - 1)) if page > 1 else None,
        next_url=form.url(page=str(page + 1)) if page < pages else None,
        compare=compare,
        compare_missing=missing,
        compare_selected=set(form.compare),
        hidden_compare=[name for name in form.compare if name not in on_page],
        csv_url=form.url("/simulate.csv", page=None, sort=None),
        share_url=form.url(),
    )


def _compared(
    form: SimulationForm, outcome: Outcome, snapshot: Snapshot
) -> tuple[list[Compared], list[str]]:
    if len(form.compare) < 2:
        return [], []
    by_name = {row["model"]: (rank, row) for rank, row in enumerate(outcome.rows, start=1)}
    at = outcome.asked.at if outcome.asked else None
    compared, missing = [], []
    for name in form.compare[:COMPARE_LIMIT]:
        found = by_name.get(name)
        if found is None:
            missing.append(name)
            continue
        rank, row = found
        record = snapshot.find(row["model_id"]) if row["model_id"] else None
        held = record["capabilities"] if record else {}
        compared.append(
            Compared(
                row=row,
                rank=rank,
                record=record,
                status=status_on(record, at) if record else None,
                capabilities=tuple((name, bool(held.get(name))) for name in CAPABILITIES),
                vendors=tuple(vendors_of(record)) if record else (),
            )
        )
    return compared, missing


# ---- CSV --------------------------------------------------------------------------------------

CSV_COLUMNS = (
    "rank",
    "model",
    "display_name",
    "provider",
    "custom",
    "currency",
    "cost_per_request",
    "total_cost",
    "requests",
    "input_tokens",
    "cached_input_tokens",
    "output_tokens",
    "reasoning_tokens",
    "tokenizer",
    "input_price",
    "output_price",
    "context_window",
    "max_output_tokens",
    "weighted_tokens",
    "compute_units",
    "service_tier",
    "prices_at",
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


def to_csv(rows: Sequence[Mapping[str, Any]], asked: SimulateRequest | None = None) -> str:
    """The ranking as CSV with the workload on every row, each text cell safe in a spreadsheet."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    workload = {
        "requests": asked.requests if asked else None,
        "prices_at": asked.at if asked else None,
    }
    for rank, row in enumerate(rows, start=1):
        record = {**row, **workload, "rank": rank}
        writer.writerow([csv_cell(record.get(column)) for column in CSV_COLUMNS])
    return buffer.getvalue()

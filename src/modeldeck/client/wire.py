"""How each registry method maps to HTTP and back, shared by `Registry` and `AsyncRegistry`.

A method is described by a `Call` (request and how to read its answer, plus how to answer it
offline); the two classes only differ in how they send it.
"""

from __future__ import annotations

import os
import random
import sys
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import httpx

from modeldeck import clock, serialization
from modeldeck.client.bootstrap import plan_default
from modeldeck.client.errors import (
    ModelDeckError,
    NotFound,
    RegistryFallbackWarning,
    RegistryUnavailable,
    ValidationFailed,
)
from modeldeck.client.schemas import (
    Alias,
    AliasList,
    ChangeBatch,
    CostResult,
    HistoryEntry,
    Model,
    ModelList,
    PricePeriod,
    SimulationRow,
    Source,
)
from modeldeck.client.snapshot import SavedList, SnapshotFile, catalog_records, default_cache_dir
from modeldeck.pricing.engine import CostError, Usage, cost
from modeldeck.pricing.usage import usage_of
from modeldeck.problems import Problem
from modeldeck.records import query as model_query
from modeldeck.records.fields import RATE_FIELDS, complexity_factor
from modeldeck.records.status import restatus

T = TypeVar("T")

MAX_LIST = model_query.MAX_LIMIT  # the server's largest page
_PACKAGE_DIR = str(Path(__file__).resolve().parent)
_USER_AGENT = "modeldeck-python"
# The circuit breaker's first retry delay and its cap, in seconds (see `Breaker`).
BREAKER_BASE_S = 0.5
BREAKER_CAP_S = 30.0
# Ids of default models made offline from AZURE_OPENAI_*: the same name, the same id.
ENVIRONMENT_NAMESPACE = uuid.UUID("0d3f5a7e-2b1c-4e8a-9f6d-656e7669726f")


@dataclass(frozen=True)
class OfflineData:
    """The records a client answers from offline, parsed once and marked with their source."""

    records: list[dict[str, Any]]
    source: Source
    revision: int
    saved_at: datetime | None
    models: tuple[Model, ...]
    by_id: dict[str, Model]
    by_name: dict[str, Model]

    @classmethod
    def of(
        cls,
        records: list[dict[str, Any]],
        source: Source,
        revision: int,
        saved_at: datetime | None,
        environ: Mapping[str, str],
    ) -> OfflineData:
        models = [Model.model_validate(record) for record in records]
        for model in models:
            _mark(model, source)
        made = environment_default(models, environ)
        if made is not None:
            records, models = _with_default(records, models, made)
        by_name: dict[str, Model] = {}
        for model in reversed(models):  # the first of a name wins, as on the server
            by_name[model.name.lower()] = model
        return cls(
            records,
            source,
            revision,
            saved_at,
            tuple(models),
            {model.id: model for model in models},
            by_name,
        )


def _mark(model: Model, source: str) -> None:
    model.served(source, stale=True)
    if model.pricing is not None:
        model.pricing.served(source, stale=True)


def environment_default(models: list[Model], environ: Mapping[str, str]) -> Model | None:
    """The default model `AZURE_OPENAI_*` names, as the pool's bootstrap would write it, when
    the records have no model of the organisation's own (in memory, source "environment")."""
    plan = plan_default(models, environ)
    if plan is None:
        return None
    if plan.ref is not None:
        existing = next(model for model in models if model.id == plan.ref)
        body = existing.model_dump(mode="python") | {"is_default": True}
        body["deployment"] = dict(body["deployment"]) | plan.body["deployment"]
    else:
        name = plan.body["name"]
        body = dict(plan.body) | {
            "id": str(uuid.uuid5(ENVIRONMENT_NAMESPACE, name.lower())),
            "complexity_factor": complexity_factor(plan.body.get("parameters_b")),
        }
    made = Model.model_validate(body)
    _mark(made, "environment")
    return made


def _with_default(
    records: list[dict[str, Any]], models: list[Model], made: Model
) -> tuple[list[dict[str, Any]], list[Model]]:
    """`made` as the only default, replacing the record of the same id if there is one."""
    new_records: list[dict[str, Any]] = []
    new_models: list[Model] = []
    for record, model in zip(records, models, strict=True):
        if model.id == made.id:
            continue
        if model.is_default:
            record = record | {"is_default": False}
            model = model.model_copy(update={"is_default": False})  # keeps its source
        new_records.append(record)
        new_models.append(model)
    made_record = made.model_dump(mode="python")
    position = sum(1 for model in new_models if model.name.lower() < made.name.lower())
    new_records.insert(position, made_record)
    new_models.insert(position, made)
    return new_records, new_models


@dataclass(frozen=True)
class Offline:
    """What a read may be answered from while the server is unreachable, and why."""

    data: OfflineData
    reason: str

    @property
    def records(self) -> list[dict[str, Any]]:
        return self.data.records

    @property
    def source(self) -> Source:
        return self.data.source

    @property
    def revision(self) -> int:
        return self.data.revision

    @property
    def saved_at(self) -> datetime | None:
        return self.data.saved_at

    def models(self, page: list[dict[str, Any]] | None = None) -> ModelList:
        """Every model (no parsing: they were parsed once), or those of a page of records."""
        by_id = self.data.by_id
        chosen = self.data.models if page is None else [by_id[record["id"]] for record in page]
        return ModelList(
            chosen,
            revision=self.revision,
            source=self.source,
            stale=True,
            saved_at=self.saved_at,
        )

    def model(self, ref: str) -> Model:
        found = self.data.by_id.get(ref) or self.data.by_name.get(ref.lower())
        if found is None:
            where = "the saved snapshot" if self.source == "snapshot" else "the built-in catalog"
            raise RegistryUnavailable(
                f"Model Deck is unreachable ({self.reason}) and {ref!r} is not in {where}."
            )
        return found

    def find(self, ref: str) -> dict[str, Any]:
        """The record of `ref` as a mapping (what the cost engine reads)."""
        return self.model(ref).model_dump(mode="python")


class Breaker:
    """Whether to ask the server, after it failed: a circuit breaker.

    Closed (`reason` None): every call goes to the server. A connection failure, a timeout or
    a 5xx opens it: from then on reads answer offline at once, without touching the network,
    while one background probe asks the server after a jittered delay that doubles on every
    failure (`base`, 2 * `base`, ... up to `cap`; each delay drawn from [d/2, d]). The first
    answer closes it. Calls without an offline answer (writes, the feed, `fallback=False`)
    still go to the server, and their outcome opens or closes it too.
    """

    def __init__(self, base: float = BREAKER_BASE_S, cap: float = BREAKER_CAP_S) -> None:
        self.base = base
        self.cap = cap
        self.reason: str | None = None
        self.failures = 0
        self.opened_at: float | None = None
        self._lock = threading.Lock()

    @property
    def open(self) -> bool:
        return self.reason is not None

    def failed(self, reason: str) -> bool:
        """Record a failure; True when this one opened the breaker."""
        with self._lock:
            opened = self.reason is None
            self.reason = reason
            self.failures += 1
            if opened:
                self.opened_at = time.monotonic()
            return opened

    def succeeded(self) -> bool:
        """Record an answer; True when this one closed the breaker."""
        with self._lock:
            closed = self.reason is not None
            self.reason = None
            self.failures = 0
            self.opened_at = None
            return closed

    def delay(self) -> float:
        """How long to wait before the next probe."""
        ceiling = min(self.cap, self.base * 2 ** min(max(self.failures - 1, 0), 32))
        return random.uniform(ceiling / 2, ceiling)  # noqa: S311 (jitter, not a secret)


@dataclass(frozen=True)
class Call(Generic[T]):
    """One request, how to read its answer, and (for reads) how to answer it offline."""

    method: str
    path: str
    read: Callable[[Any], T]
    params: Mapping[str, str] | None = None
    body: Any = None
    content_type: str = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)
    timeout: float | None = None
    offline: Callable[[Offline], T] | None = None

    def content(self) -> bytes | None:
        return None if self.body is None else serialization.dumps_bytes(self.body)


def describe(error: httpx.TransportError) -> str:
    """A transport error in a few words ("connection refused", "timed out")."""
    if isinstance(error, httpx.TimeoutException):
        return "timed out"
    text = str(error) or type(error).__name__
    lowered = text.lower()
    if "refused" in lowered:
        return "connection refused"
    return text


def decode(response: httpx.Response) -> Any:
    if not response.content:
        return None
    return serialization.loads(response.content)


def fallback_warning(message: str) -> None:
    """Warn, pointing at the first caller outside this package."""
    level = 2  # 1 would be this function; 2 its caller
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    warnings.warn(message, RegistryFallbackWarning, stacklevel=level)


def path_ref(ref: str) -> str:
    return quote(ref, safe="")


def flag(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def as_record(record: Mapping[str, Any] | Model) -> dict[str, Any]:
    return record.writable() if isinstance(record, Model) else dict(record)


def usage_body(usage: Any, usage_format: str | None) -> tuple[Any, str | None]:
    """A provider's usage (a mapping, an SDK object or a whole SDK response) as JSON, and the
    `usage_format` to send with it."""
    usage = usage_of(usage)  # of a whole response, the API takes the usage only
    dump = getattr(usage, "model_dump", None)
    if callable(dump):
        return dump(mode="json", exclude_none=True), usage_format
    if isinstance(usage, Mapping):
        return dict(usage), usage_format
    return Usage.parse(usage, usage_format).as_dict(), None  # read here, sent in our shape


def moment(at: datetime | str | None) -> str | None:
    if at is None or isinstance(at, str):
        return at
    return serialization.isoformat_z(at)


def if_match_header(if_match: int | str | Model | None) -> dict[str, str]:
    if if_match is None:
        return {}
    version = if_match.version if isinstance(if_match, Model) else if_match
    text = str(version)
    return {"If-Match": text if text.startswith(('"', "W/")) else f'"{text}"'}


class Core:
    """Everything both registries share: base URL, headers, the saved list, answers offline."""

    def __init__(
        self,
        base_url: str,
        token: str | None,
        *,
        cache_dir: str | Path | None,
        timeout: float,
        environ: Mapping[str, str] | None = None,
        breaker: Breaker | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.environ: Mapping[str, str] = os.environ if environ is None else environ
        self.breaker = breaker or Breaker()
        # What `offline()` answers from, parsed once per saved list and day.
        self._offline: tuple[object, OfflineData] | None = None
        self.token = token
        self.timeout = timeout
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self.snapshot = SnapshotFile(self.cache_dir, self.base_url)
        self.alias_snapshot = SnapshotFile(self.cache_dir, self.base_url, "aliases", Alias)
        # The last alias list this process saw (from the server, else from disk).
        self.saved_aliases: AliasList | None = None
        self.headers = {"Accept": "application/json", "User-Agent": _USER_AGENT}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        # The last full list this process saw, parsed once and reused while its ETag holds.
        self.saved: SavedList | None = None
        self.saved_models: ModelList | None = None
        self.disk_checked = False

    # --- the full list and its snapshot --------------------------------------------------------

    def needs_disk(self) -> bool:
        return self.saved is None and not self.disk_checked

    def adopt_disk(self, saved: SavedList | None) -> None:
        self.disk_checked = True
        if saved is not None and self.saved is None:
            self.saved = saved

    def list_headers(self) -> dict[str, str]:
        if self.saved is not None and self.saved.etag:
            return {"If-None-Match": self.saved.etag}
        return {}

    def read_list(self, response: httpx.Response) -> tuple[ModelList, bytes | None]:
        """The list from a 200 (and the body to save) or a 304 (the saved one, nothing to save)."""
        if response.status_code == 304 and self.saved is not None:
            return self._current_models(), None
        self.raise_for_status(response)
        document = decode(response)
        if not isinstance(document, dict):
            raise ModelDeckError("The server's model list is not a JSON object.")
        self.saved = SavedList(response.headers.get("etag"), clock.now(), document)
        self.saved_models = None
        return self._current_models(), response.content

    def _current_models(self) -> ModelList:
        assert self.saved is not None
        if self.saved_models is None:
            self.saved_models = ModelList(
                (Model.model_validate(record) for record in self.saved.records),
                revision=self.saved.revision,
                total=self.saved.document.get("count"),
                source="server",
                saved_at=self.saved.saved_at,
            )
        models = self.saved_models
        return ModelList(models, revision=models.revision, total=models.total, source="server")

    def listed(self, models: ModelList, ref: str) -> Model:
        """`ref` in a full list; offline, a model missing from it may still exist."""
        found = models.find(ref)
        if found is not None:
            return found
        if models.source == "server":
            raise not_found(ref)
        raise RegistryUnavailable(
            f"Model Deck at {self.base_url} is unreachable and {ref!r} is not in the "
            f"{'saved snapshot' if models.source == 'snapshot' else 'built-in catalog'}."
        )

    def offline(self, reason: str) -> Offline:
        """The saved list if there is one, else the built-in catalog.

        Statuses are derived again for today: a model whose `retires_on` came since the list
        was saved (or the catalog built) answers `retired`, as the server would. With no model
        of the organisation's own in it and `AZURE_OPENAI_*` set, the default is that
        deployment (source "environment"), as the pool's bootstrap will make it.
        The records are parsed once per saved list and day, so an offline read is a lookup.
        """
        today = clock.today()
        saved = self.saved
        key = (id(saved), today)
        cached = self._offline
        if cached is not None and cached[0] == key:
            return Offline(cached[1], reason)
        data: OfflineData
        if saved is not None:
            records = [restatus(record, today) for record in saved.records]
            data = OfflineData.of(records, "snapshot", saved.revision, saved.saved_at, self.environ)
        else:
            catalog = sorted(catalog_records(), key=lambda record: record["name"].lower())
            records = [restatus(record, today) for record in catalog]
            data = OfflineData.of(records, "catalog", 0, None, self.environ)
        self._offline = (key, data)
        return Offline(data, reason)

    def open_reason(self) -> str:
        """Why a read answers offline without asking: the breaker's last failure."""
        return f"{self.breaker.reason or 'unreachable'}; retrying in the background"

    def offline_list(self, reason: str, *, fallback: bool) -> ModelList:
        """The whole list offline (no filters: no query to run), with a warning."""
        call = self.list_call({})
        return self.answer_offline(
            Call(call.method, call.path, call.read, offline=lambda source: source.models()),
            reason,
            fallback=fallback,
        )

    # --- aliases --------------------------------------------------------------------------------

    def read_aliases(self, response: httpx.Response) -> AliasList:
        """The aliases of a 200, saved on disk for the next outage."""
        self.raise_for_status(response)
        document = decode(response)
        if not isinstance(document, dict) or not isinstance(document.get("data"), list):
            raise ModelDeckError("The server's alias list is not a JSON object with `data`.")
        aliases = AliasList(
            (Alias.model_validate(record) for record in document["data"]),
            revision=int(document.get("revision") or 0),
            saved_at=clock.now(),
        )
        self.alias_snapshot.save(response.headers.get("etag"), response.content)
        self.saved_aliases = aliases
        return AliasList(aliases, revision=aliases.revision)

    def offline_aliases(self, reason: str, *, fallback: bool) -> AliasList:
        """The last aliases seen (this process's, else the saved file's), else none."""
        if not fallback:
            raise self.unreachable(reason)
        known = self.saved_aliases
        if known is None:
            saved = self.alias_snapshot.load()
            if saved is not None:
                known = AliasList(
                    (Alias.model_validate(record) for record in saved.records),
                    revision=saved.revision,
                    saved_at=saved.saved_at,
                )
                self.saved_aliases = known
        if known is None:
            fallback_warning(
                f"Model Deck at {self.base_url} is unreachable ({reason}); no aliases were "
                "saved yet, so there are none."
            )
            return AliasList(source="catalog", stale=True)
        marked = [alias.model_copy() for alias in known]
        for alias in marked:
            alias.served("snapshot", stale=True)
        when = serialization.isoformat_z(known.saved_at) if known.saved_at else "earlier"
        fallback_warning(
            f"Model Deck at {self.base_url} is unreachable ({reason}); answering aliases from "
            f"the snapshot saved at {when} (revision {known.revision})."
        )
        return AliasList(
            marked, revision=known.revision, source="snapshot", stale=True, saved_at=known.saved_at
        )

    def aliases_call(self) -> Call[AliasList]:
        return Call("GET", "/api/aliases", lambda document: AliasList())  # read: read_aliases

    def alias_write_call(
        self,
        method: str,
        ref: str | None,
        record: Mapping[str, Any] | Alias | None,
        if_match: int | str | Alias | None = None,
    ) -> Call[Any]:
        path = "/api/aliases" if ref is None else f"/api/aliases/{quote(ref, safe='')}"
        body: dict[str, Any] | None = None
        if record is not None:
            body = record.model_dump(mode="json") if isinstance(record, Alias) else dict(record)
        version = if_match.version if isinstance(if_match, Alias) else if_match
        read: Callable[[Any], Any] = (
            (lambda _: None) if method == "DELETE" else Alias.model_validate
        )
        return Call(method, path, read, body=body, headers=if_match_header(version))

    # --- sending and reading --------------------------------------------------------------------

    def raise_for_status(self, response: httpx.Response) -> None:
        status = response.status_code
        if status < 400:
            return
        try:
            problem = decode(response)
        except ValueError:
            problem = None
        if not isinstance(problem, dict):
            problem = {"detail": response.text[:500] or f"HTTP {status}"}
        if status >= 500:
            raise RegistryUnavailable(
                f"Model Deck at {self.base_url} failed (HTTP {status}): "
                f"{problem.get('detail') or problem.get('title') or 'no detail'}",
                status=status,
                title=problem.get("title"),
            )
        raise ModelDeckError.from_problem(status, problem)

    def read(self, call: Call[T], response: httpx.Response) -> T:
        self.raise_for_status(response)
        return call.read(decode(response))

    def unreachable(self, reason: str) -> RegistryUnavailable:
        return RegistryUnavailable(f"Model Deck at {self.base_url} is unreachable: {reason}.")

    def answer_offline(self, call: Call[T], reason: str, *, fallback: bool) -> T:
        """The offline answer of a read, with a warning; writes and the feed raise."""
        if call.offline is None or not fallback:
            raise self.unreachable(reason)
        offline = self.offline(reason)
        answer = call.offline(offline)
        if offline.source == "snapshot":
            when = serialization.isoformat_z(offline.saved_at) if offline.saved_at else "earlier"
            where = f"the snapshot saved at {when} (revision {offline.revision})"
        else:
            where = "the built-in catalog (no snapshot saved yet)"
        fallback_warning(
            f"Model Deck at {self.base_url} is unreachable ({reason}); answering from {where}."
        )
        return answer

    @staticmethod
    def is_outage(response: httpx.Response) -> bool:
        return response.status_code >= 500

    # --- the calls ------------------------------------------------------------------------------

    def list_call(self, filters: Mapping[str, Any]) -> Call[ModelList]:
        params = {key: flag(value) for key, value in filters.items() if value is not None}
        params.setdefault("limit", str(MAX_LIST))

        def read(document: Any) -> ModelList:
            return ModelList(
                (Model.model_validate(record) for record in document["data"]),
                revision=int(document.get("revision") or 0),
                total=document.get("count"),
            )

        def offline(source: Offline) -> ModelList:
            # The server's own filters, on the saved records.
            try:
                query = model_query.ModelQuery.parse(params)
            except Problem as problem:
                raise ValidationFailed(
                    problem.detail,
                    status=problem.status,
                    title=problem.title,
                    errors=problem.errors,
                ) from None
            page, count = model_query.run(source.records, query)
            result = source.models(page)
            result.total = count
            return result

        return Call("GET", "/api/models", read, params=params, offline=offline)

    def get_call(self, ref: str) -> Call[Model]:
        return Call(
            "GET",
            f"/api/models/{path_ref(ref)}",
            Model.model_validate,
            offline=lambda source: source.model(ref),
        )

    def prices_call(self, ref: str) -> Call[list[PricePeriod]]:
        return Call(
            "GET",
            f"/api/models/{path_ref(ref)}/prices",
            lambda document: [PricePeriod.model_validate(item) for item in document["data"]],
        )

    def history_call(self, ref: str, limit: int, offset: int) -> Call[list[HistoryEntry]]:
        return Call(
            "GET",
            f"/api/models/{path_ref(ref)}/history",
            lambda document: [HistoryEntry.model_validate(item) for item in document["data"]],
            params={"limit": str(limit), "offset": str(offset)},
        )

    def create_call(self, record: Mapping[str, Any] | Model) -> Call[Model]:
        return Call("POST", "/api/models", Model.model_validate, body=as_record(record))

    def update_call(
        self, ref: str, patch: Mapping[str, Any], if_match: int | str | Model | None
    ) -> Call[Model]:
        return Call(
            "PATCH",
            f"/api/models/{path_ref(ref)}",
            Model.model_validate,
            body=dict(patch),
            content_type="application/merge-patch+json",
            headers=if_match_header(if_match),
        )

    def replace_call(
        self, ref: str, record: Mapping[str, Any] | Model, if_match: int | str | Model | None
    ) -> Call[Model]:
        return Call(
            "PUT",
            f"/api/models/{path_ref(ref)}",
            Model.model_validate,
            body=as_record(record),
            headers=if_match_header(if_match),
        )

    def delete_call(self, ref: str, if_match: int | str | Model | None) -> Call[None]:
        return Call(
            "DELETE",
            f"/api/models/{path_ref(ref)}",
            lambda _: None,
            headers=if_match_header(if_match),
        )

    def clone_call(self, ref: str, name: str, display_name: str | None) -> Call[Model]:
        body: dict[str, Any] = {"name": name}
        if display_name is not None:
            body["display_name"] = display_name
        return Call("POST", f"/api/models/{path_ref(ref)}/clone", Model.model_validate, body=body)

    def default_call(self, ref: str) -> Call[Model]:
        return Call("POST", f"/api/models/{path_ref(ref)}/default", Model.model_validate, body={})

    def cost_call(
        self,
        ref: str,
        usage: Any,
        at: datetime | str | None,
        requests: int,
        usage_format: str | None = None,
        service_tier: str | None = None,
    ) -> Call[CostResult]:
        sent, usage_format = usage_body(usage, usage_format)
        body: dict[str, Any] = {"model": ref, "usage": sent, "requests": requests}
        if at is not None:
            body["at"] = moment(at)
        if usage_format is not None:
            body["usage_format"] = usage_format
        if service_tier is not None:
            body["service_tier"] = service_tier

        def read(document: Any) -> CostResult:
            return CostResult.model_validate(
                document | {"model": document["model"]["name"], "model_id": document["model"]["id"]}
            )

        def offline(source: Offline) -> CostResult:
            if at is not None:
                raise RegistryUnavailable(
                    f"Model Deck is unreachable ({source.reason}); a cost at a past date needs "
                    "the price history, which only the server has."
                )
            return offline_cost(
                source.find(ref),
                body["usage"],
                requests,
                source.source,
                body.get("usage_format"),
                service_tier,
            )

        return Call("POST", "/api/cost", read, body=body, offline=offline)

    def simulate_call(self, workload: Mapping[str, Any]) -> Call[list[SimulationRow]]:
        body = {key: value for key, value in workload.items() if value is not None}
        if isinstance(body.get("at"), datetime):
            body["at"] = moment(body["at"])
        return Call(
            "POST",
            "/api/simulate",
            lambda document: [SimulationRow.model_validate(row) for row in document["data"]],
            body=body,
        )

    def changes_call(self, since: int, wait: float, limit: int | None) -> Call[ChangeBatch]:
        params = {"since": str(since), "wait": f"{wait:g}"}
        if limit is not None:
            params["limit"] = str(limit)
        return Call(
            "GET",
            "/api/changes",
            ChangeBatch.model_validate,
            params=params,
            timeout=self.timeout + wait,
        )


def offline_cost(
    record: Mapping[str, Any],
    usage: Any,
    requests: int,
    source: Source,
    usage_format: str | None = None,
    service_tier: str | None = None,
    at: datetime | str | None = None,
) -> CostResult:
    """The cost engine on a saved record's current prices: the same numbers the server gives.

    `at` picks the time-of-day window and checks that the current price was in effect then
    (a record carries no price history; an earlier moment raises ValidationFailed)."""
    if record.get("pricing") is None:
        raise ValidationFailed(
            f"Model {record['name']!r} has no price.",
            status=422,
            errors=[{"field": "model", "message": "has no price"}],
        )
    try:
        parsed = Usage.parse(usage, usage_format)
        breakdown = cost(
            record["pricing"], parsed, requests=requests, service_tier=service_tier, at=at
        )
    except CostError as error:
        raise ValidationFailed(
            str(error), status=422, errors=[{"field": error.field, "message": error.message}]
        ) from None
    result = breakdown.as_dict()
    pricing = record["pricing"]
    applied = breakdown.applied_rates()
    return CostResult.model_validate(
        {
            "model": record["name"],
            "model_id": record["id"],
            "usage": parsed.as_dict(),
            "total": result["total"],
            "currency": result["currency"],
            "requests": result["requests"],
            "lines": result["lines"],
            "tier": result["tier"],
            "service_tier": result["service_tier"],
            "window": result["window"],
            "price_period": {
                "effective_from": pricing.get("effective_from"),
                "source": pricing.get("source"),
                "rates": {key: getattr(applied, key) for key in RATE_FIELDS},
            },
            "source": source,
            "stale": source != "server",
        }
    )


def not_found(ref: str) -> NotFound:
    return NotFound(f"Model {ref!r} was not found", status=404, title="Not found")

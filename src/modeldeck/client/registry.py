"""`Registry` and `AsyncRegistry`: the Model Deck API from Python, with an offline fallback.

Reads (`models`, `get`, `default`, `pricing`, `cost` without `at`) answer from the last full
list saved on disk when the server is unreachable (connection error, timeout or 5xx), else
from the built-in catalog, with a `RegistryFallbackWarning`. Writes never fall back.

After a failure the circuit breaker (`wire.Breaker`) is open: reads answer offline at once,
without waiting on the network, while a background retry (a daemon thread for `Registry`, a
task on the running loop for `AsyncRegistry`) asks the server again with a jittered,
doubling delay; its first answer puts reads back online. Every record answered offline says
so: `source` ("snapshot", "catalog", "environment") and `stale`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import httpx

from modeldeck.client.errors import NotFound, RegistryUnavailable
from modeldeck.client.schemas import (
    Alias,
    AliasList,
    ChangeBatch,
    CostResult,
    HistoryEntry,
    Model,
    ModelList,
    PricePeriod,
    Pricing,
    SimulationRow,
)
from modeldeck.client.wire import MAX_LIST, Breaker, Call, Core, describe, not_found

log = logging.getLogger("modeldeck.client")
T = TypeVar("T")
Ref = str | Model


class _Common:
    """Read-only properties both registries expose."""

    _core: Core

    @property
    def base_url(self) -> str:
        return self._core.base_url

    @property
    def token(self) -> str | None:
        return self._core.token

    @property
    def timeout(self) -> float:
        return self._core.timeout

    @property
    def cache_dir(self) -> Path:
        return self._core.cache_dir

    @property
    def environ(self) -> Mapping[str, str]:
        """Where `AZURE_OPENAI_*` is read from for the offline default (os.environ unless given)."""
        return self._core.environ

    @property
    def online(self) -> bool:
        """False after a failure, until a background retry (or any call) is answered again."""
        return not self._core.breaker.open

    @property
    def breaker(self) -> Breaker:
        """The circuit breaker: `reason` (why it is open, None when closed), `failures`."""
        return self._core.breaker

    @property
    def snapshot_path(self) -> Path:
        """The file holding the last good model list of this server."""
        return self._core.snapshot.path

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.base_url!r})"


def _alias_missing(ref: str, aliases: AliasList) -> Exception:
    if aliases.source == "server":
        return NotFound(f"Alias {ref!r} was not found", status=404, title="Not found")
    return RegistryUnavailable(
        f"Model Deck is unreachable and alias {ref!r} is not among the aliases saved offline."
    )


def _plain(ref: Ref) -> str:
    return ref.id if isinstance(ref, Model) else ref


class Registry(_Common):
    """The registry over HTTP (sync). `token` is needed for writes, and for reads when required."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        cache_dir: str | Path | None = None,
        timeout: float = 5.0,
        transport: httpx.BaseTransport | None = None,
        environ: Mapping[str, str] | None = None,
        breaker: Breaker | None = None,
    ) -> None:
        self._core = Core(
            base_url, token, cache_dir=cache_dir, timeout=timeout, environ=environ, breaker=breaker
        )
        self._http = httpx.Client(
            base_url=self._core.base_url,
            headers=self._core.headers,
            timeout=timeout,
            transport=transport,
        )
        self._closed = threading.Event()
        self._probe_lock = threading.Lock()
        self._prober: threading.Thread | None = None

    def close(self) -> None:
        self._closed.set()
        self._http.close()
        prober = self._prober
        if prober is not None and prober is not threading.current_thread():
            prober.join(timeout=1.0)

    def __enter__(self) -> Registry:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # --- plumbing -------------------------------------------------------------------------------

    def _send(self, call: Call[Any], *, headers: Mapping[str, str] | None = None) -> httpx.Response:
        request_headers = dict(call.headers) | dict(headers or {})
        content = call.content()
        if content is not None:
            request_headers["Content-Type"] = call.content_type
        return self._http.request(
            call.method,
            call.path,
            params=call.params,
            content=content,
            headers=request_headers,
            timeout=call.timeout if call.timeout is not None else httpx.USE_CLIENT_DEFAULT,
        )

    def _exchange(
        self, call: Call[Any], *, headers: Mapping[str, str] | None = None
    ) -> httpx.Response | str:
        """The server's answer, or why there is none; either way the breaker learns of it."""
        breaker = self._core.breaker
        try:
            response = self._send(call, headers=headers)
        except httpx.TransportError as error:
            reason = describe(error)
            breaker.failed(reason)
            self._ensure_probe()
            return reason
        if self._core.is_outage(response):
            breaker.failed(f"HTTP {response.status_code}")
            self._ensure_probe()
        elif breaker.succeeded():
            log.warning("Model Deck at %s answers again", self._core.base_url)
        return response

    def _run(self, call: Call[T], *, fallback: bool = True) -> T:
        core = self._core
        if fallback and call.offline is not None and core.breaker.open:
            self._ensure_probe()
            return self._offline(call, core.open_reason(), fallback)
        outcome = self._exchange(call)
        if isinstance(outcome, str):
            return self._offline(call, outcome, fallback)
        if core.is_outage(outcome) and call.offline is not None:
            return self._offline(call, f"HTTP {outcome.status_code}", fallback)
        return core.read(call, outcome)

    def _offline(self, call: Call[T], reason: str, fallback: bool) -> T:
        core = self._core
        if fallback and call.offline is not None and core.needs_disk():
            core.adopt_disk(core.snapshot.load())
        return core.answer_offline(call, reason, fallback=fallback)

    def _full_list(self, *, fallback: bool = True) -> ModelList:
        core = self._core
        if core.needs_disk():
            core.adopt_disk(core.snapshot.load())
        if fallback and core.breaker.open:
            self._ensure_probe()
            return core.offline_list(core.open_reason(), fallback=True)
        outcome = self._exchange(core.list_call({}), headers=core.list_headers())
        if isinstance(outcome, str):
            return core.offline_list(outcome, fallback=fallback)
        if core.is_outage(outcome):
            return core.offline_list(f"HTTP {outcome.status_code}", fallback=fallback)
        models, body = core.read_list(outcome)
        if body is not None:
            core.snapshot.save(outcome.headers.get("etag"), body)
        return models

    # --- the background retry -------------------------------------------------------------------

    def _ensure_probe(self) -> None:
        """One daemon thread asks the server again while the breaker is open (see `Breaker`)."""
        prober = self._prober
        if (prober is not None and prober.is_alive()) or self._closed.is_set():
            return
        with self._probe_lock:
            if self._prober is not None and self._prober.is_alive():
                return
            self._prober = threading.Thread(
                target=self._probe, name="modeldeck-registry-retry", daemon=True
            )
            self._prober.start()

    def _probe(self) -> None:
        breaker = self._core.breaker
        while breaker.open:
            if self._closed.wait(breaker.delay()):
                return
            with contextlib.suppress(Exception):  # any answer closes the breaker
                self._full_list(fallback=False)

    def _ref(self, ref: Ref) -> str:
        """What the URL can carry: names with "/" are looked up to their id."""
        plain = _plain(ref)
        if "/" not in plain:
            return plain
        found = self._full_list(fallback=False).find(plain)
        if found is None:
            raise not_found(plain)
        return found.id

    # --- reads ----------------------------------------------------------------------------------

    def models(self, *, fallback: bool = True, **filters: Any) -> ModelList:
        """Every model, or those the filters of `GET /api/models` select (q, provider, …)."""
        if not filters:
            return self._full_list(fallback=fallback)
        return self._run(self._core.list_call(filters), fallback=fallback)

    def get(self, ref: Ref, *, fallback: bool = True) -> Model:
        """One model by id or name (ignoring case)."""
        plain = _plain(ref)
        if "/" in plain:
            models = self._full_list(fallback=fallback)
            found = self._core.listed(models, plain)
            if models.source != "server":
                return found
            plain = found.id
        return self._run(self._core.get_call(plain), fallback=fallback)

    def default(self, *, fallback: bool = True) -> Model:
        """The default model."""
        found = self._full_list(fallback=fallback).default
        if found is None:
            raise NotFound("The registry has no default model.", status=404)
        return found

    def pricing(self, ref: Ref, *, fallback: bool = True) -> Pricing | None:
        """The price period in effect now, or None when the model is unpriced."""
        return self.get(ref, fallback=fallback).pricing

    def prices(self, ref: Ref) -> list[PricePeriod]:
        """Every price period of a model, oldest first (no offline answer)."""
        return self._run(self._core.prices_call(self._ref(ref)))

    def history(self, ref: Ref, *, limit: int = 100, offset: int = 0) -> list[HistoryEntry]:
        """The audit trail of a model, newest first (no offline answer)."""
        return self._run(self._core.history_call(self._ref(ref), limit, offset))

    def cost(
        self,
        ref: Ref,
        usage: Any,
        *,
        at: datetime | str | None = None,
        requests: int = 1,
        usage_format: str | None = None,
        service_tier: str | None = None,
    ) -> CostResult:
        """The exact cost of `usage` on a model: any provider's usage (a mapping or an SDK
        object) or a whole SDK response, in `usage_format` when given; at the rates of
        `service_tier` (batch, flex, …) when given, else standard."""
        return self._run(
            self._core.cost_call(_plain(ref), usage, at, requests, usage_format, service_tier)
        )

    def simulate(self, **workload: Any) -> list[SimulationRow]:
        """A workload (`POST /api/simulate` fields) priced on every priced model, cheapest first."""
        return self._run(self._core.simulate_call(workload))

    def changes(self, since: int, wait: float = 0, *, limit: int | None = None) -> ChangeBatch:
        """Changes after revision `since`; waits up to `wait` seconds for one."""
        return self._run(self._core.changes_call(since, wait, limit))

    def aliases(self, *, fallback: bool = True) -> AliasList:
        """Every alias; offline, the last ones saved (`source`, `stale`), else none."""
        core = self._core
        if fallback and core.breaker.open:
            self._ensure_probe()
            return core.offline_aliases(core.open_reason(), fallback=True)
        outcome = self._exchange(core.aliases_call())
        if isinstance(outcome, str):
            return core.offline_aliases(outcome, fallback=fallback)
        if core.is_outage(outcome):
            return core.offline_aliases(f"HTTP {outcome.status_code}", fallback=fallback)
        return core.read_aliases(outcome)

    def alias(self, ref: str, *, fallback: bool = True) -> Alias:
        """One alias by id or name (ignoring case)."""
        aliases = self.aliases(fallback=fallback)
        found = aliases.find(ref)
        if found is None:
            raise _alias_missing(ref, aliases)
        return found

    # --- writes (admin token) -------------------------------------------------------------------

    def create(self, record: Mapping[str, Any] | Model) -> Model:
        return self._run(self._core.create_call(record))

    def update(
        self, ref: Ref, patch: Mapping[str, Any], *, if_match: int | str | Model | None = None
    ) -> Model:
        """JSON merge patch (RFC 7396): `None` removes a key; `if_match` guards against races."""
        return self._run(self._core.update_call(self._ref(ref), patch, if_match))

    def replace(
        self,
        ref: Ref,
        record: Mapping[str, Any] | Model,
        *,
        if_match: int | str | Model | None = None,
    ) -> Model:
        return self._run(self._core.replace_call(self._ref(ref), record, if_match))

    def delete(self, ref: Ref, *, if_match: int | str | Model | None = None) -> None:
        self._run(self._core.delete_call(self._ref(ref), if_match))

    def clone(self, ref: Ref, name: str, *, display_name: str | None = None) -> Model:
        return self._run(self._core.clone_call(self._ref(ref), name, display_name))

    def make_default(self, ref: Ref) -> Model:
        return self._run(self._core.default_call(self._ref(ref)))

    def create_alias(self, record: Mapping[str, Any] | Alias) -> Alias:
        """`{"name", "targets": [{"model", "weight", "rpm", "tpm"}], "fallbacks": [{"model"}]}`."""
        result: Alias = self._run(self._core.alias_write_call("POST", None, record))
        return result

    def replace_alias(
        self,
        ref: str,
        record: Mapping[str, Any] | Alias,
        *,
        if_match: int | str | Alias | None = None,
    ) -> Alias:
        result: Alias = self._run(self._core.alias_write_call("PUT", ref, record, if_match))
        return result

    def delete_alias(self, ref: str, *, if_match: int | str | Alias | None = None) -> None:
        self._run(self._core.alias_write_call("DELETE", ref, None, if_match))


class AsyncRegistry(_Common):
    """The same API as `Registry`, awaitable (httpx.AsyncClient)."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        cache_dir: str | Path | None = None,
        timeout: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
        environ: Mapping[str, str] | None = None,
        breaker: Breaker | None = None,
    ) -> None:
        self._core = Core(
            base_url, token, cache_dir=cache_dir, timeout=timeout, environ=environ, breaker=breaker
        )
        self._http = httpx.AsyncClient(
            base_url=self._core.base_url,
            headers=self._core.headers,
            timeout=timeout,
            transport=transport,
        )
        self._closed = False
        self._prober: asyncio.Task[None] | None = None

    async def aclose(self) -> None:
        self._closed = True
        prober, self._prober = self._prober, None
        if prober is not None and not prober.done() and prober is not asyncio.current_task():
            prober.cancel()
            if prober.get_loop() is asyncio.get_running_loop():
                with contextlib.suppress(asyncio.CancelledError):
                    await prober
        await self._http.aclose()

    async def __aenter__(self) -> AsyncRegistry:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    # --- plumbing -------------------------------------------------------------------------------

    async def _send(
        self, call: Call[Any], *, headers: Mapping[str, str] | None = None
    ) -> httpx.Response:
        request_headers = dict(call.headers) | dict(headers or {})
        content = call.content()
        if content is not None:
            request_headers["Content-Type"] = call.content_type
        return await self._http.request(
            call.method,
            call.path,
            params=call.params,
            content=content,
            headers=request_headers,
            timeout=call.timeout if call.timeout is not None else httpx.USE_CLIENT_DEFAULT,
        )

    async def _exchange(
        self, call: Call[Any], *, headers: Mapping[str, str] | None = None
    ) -> httpx.Response | str:
        """The server's answer, or why there is none; either way the breaker learns of it."""
        breaker = self._core.breaker
        try:
            response = await self._send(call, headers=headers)
        except httpx.TransportError as error:
            reason = describe(error)
            breaker.failed(reason)
            self._ensure_probe()
            return reason
        if self._core.is_outage(response):
            breaker.failed(f"HTTP {response.status_code}")
            self._ensure_probe()
        elif breaker.succeeded():
            log.warning("Model Deck at %s answers again", self._core.base_url)
        return response

    async def _run(self, call: Call[T], *, fallback: bool = True) -> T:
        core = self._core
        if fallback and call.offline is not None and core.breaker.open:
            self._ensure_probe()
            return await self._offline(call, core.open_reason(), fallback)
        outcome = await self._exchange(call)
        if isinstance(outcome, str):
            return await self._offline(call, outcome, fallback)
        if core.is_outage(outcome) and call.offline is not None:
            return await self._offline(call, f"HTTP {outcome.status_code}", fallback)
        return core.read(call, outcome)

    async def _offline(self, call: Call[T], reason: str, fallback: bool) -> T:
        core = self._core
        if fallback and call.offline is not None and core.needs_disk():
            core.adopt_disk(await asyncio.to_thread(core.snapshot.load))
        return core.answer_offline(call, reason, fallback=fallback)

    async def _full_list(self, *, fallback: bool = True) -> ModelList:
        core = self._core
        if core.needs_disk():
            core.adopt_disk(await asyncio.to_thread(core.snapshot.load))
        if fallback and core.breaker.open:
            self._ensure_probe()
            return core.offline_list(core.open_reason(), fallback=True)
        outcome = await self._exchange(core.list_call({}), headers=core.list_headers())
        if isinstance(outcome, str):
            return core.offline_list(outcome, fallback=fallback)
        if core.is_outage(outcome):
            return core.offline_list(f"HTTP {outcome.status_code}", fallback=fallback)
        models, body = core.read_list(outcome)
        if body is not None:
            await asyncio.to_thread(core.snapshot.save, outcome.headers.get("etag"), body)
        return models

    # --- the background retry -------------------------------------------------------------------

    def _ensure_probe(self) -> None:
        """One task on the running loop asks the server again while the breaker is open; a
        loop that ended takes its task with it, and the next read starts another."""
        prober = self._prober
        if self._closed or (
            prober is not None and not prober.done() and not prober.get_loop().is_closed()
        ):
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._prober = loop.create_task(self._probe(), name="modeldeck-registry-retry")

    async def _probe(self) -> None:
        breaker = self._core.breaker
        while breaker.open and not self._closed:
            await asyncio.sleep(breaker.delay())
            with contextlib.suppress(Exception):  # any answer closes the breaker
                await self._full_list(fallback=False)

    async def _ref(self, ref: Ref) -> str:
        plain = _plain(ref)
        if "/" not in plain:
            return plain
        found = (await self._full_list(fallback=False)).find(plain)
        if found is None:
            raise not_found(plain)
        return found.id

    # --- reads ----------------------------------------------------------------------------------

    async def models(self, *, fallback: bool = True, **filters: Any) -> ModelList:
        if not filters:
            return await self._full_list(fallback=fallback)
        return await self._run(self._core.list_call(filters), fallback=fallback)

    async def get(self, ref: Ref, *, fallback: bool = True) -> Model:
        plain = _plain(ref)
        if "/" in plain:
            models = await self._full_list(fallback=fallback)
            found = self._core.listed(models, plain)
            if models.source != "server":
                return found
            plain = found.id
        return await self._run(self._core.get_call(plain), fallback=fallback)

    async def default(self, *, fallback: bool = True) -> Model:
        found = (await self._full_list(fallback=fallback)).default
        if found is None:
            raise NotFound("The registry has no default model.", status=404)
        return found

    async def pricing(self, ref: Ref, *, fallback: bool = True) -> Pricing | None:
        return (await self.get(ref, fallback=fallback)).pricing

    async def prices(self, ref: Ref) -> list[PricePeriod]:
        return await self._run(self._core.prices_call(await self._ref(ref)))

    async def history(self, ref: Ref, *, limit: int = 100, offset: int = 0) -> list[HistoryEntry]:
        return await self._run(self._core.history_call(await self._ref(ref), limit, offset))

    async def cost(
        self,
        ref: Ref,
        usage: Any,
        *,
        at: datetime | str | None = None,
        requests: int = 1,
        usage_format: str | None = None,
        service_tier: str | None = None,
    ) -> CostResult:
        return await self._run(
            self._core.cost_call(_plain(ref), usage, at, requests, usage_format, service_tier)
        )

    async def simulate(self, **workload: Any) -> list[SimulationRow]:
        return await self._run(self._core.simulate_call(workload))

    async def aliases(self, *, fallback: bool = True) -> AliasList:
        """Every alias; offline, the last ones saved (`source`, `stale`), else none."""
        core = self._core
        if fallback and core.breaker.open:
            self._ensure_probe()
            return core.offline_aliases(core.open_reason(), fallback=True)
        outcome = await self._exchange(core.aliases_call())
        if isinstance(outcome, str):
            return core.offline_aliases(outcome, fallback=fallback)
        if core.is_outage(outcome):
            return core.offline_aliases(f"HTTP {outcome.status_code}", fallback=fallback)
        return core.read_aliases(outcome)

    async def alias(self, ref: str, *, fallback: bool = True) -> Alias:
        """One alias by id or name (ignoring case)."""
        aliases = await self.aliases(fallback=fallback)
        found = aliases.find(ref)
        if found is None:
            raise _alias_missing(ref, aliases)
        return found

    async def changes(
        self, since: int, wait: float = 0, *, limit: int | None = None
    ) -> ChangeBatch:
        return await self._run(self._core.changes_call(since, wait, limit))

    # --- writes (admin token) -------------------------------------------------------------------

    async def create(self, record: Mapping[str, Any] | Model) -> Model:
        return await self._run(self._core.create_call(record))

    async def update(
        self, ref: Ref, patch: Mapping[str, Any], *, if_match: int | str | Model | None = None
    ) -> Model:
        return await self._run(self._core.update_call(await self._ref(ref), patch, if_match))

    async def replace(
        self,
        ref: Ref,
        record: Mapping[str, Any] | Model,
        *,
        if_match: int | str | Model | None = None,
    ) -> Model:
        return await self._run(self._core.replace_call(await self._ref(ref), record, if_match))

    async def delete(self, ref: Ref, *, if_match: int | str | Model | None = None) -> None:
        await self._run(self._core.delete_call(await self._ref(ref), if_match))

    async def clone(self, ref: Ref, name: str, *, display_name: str | None = None) -> Model:
        return await self._run(self._core.clone_call(await self._ref(ref), name, display_name))

    async def make_default(self, ref: Ref) -> Model:
        return await self._run(self._core.default_call(await self._ref(ref)))

    async def create_alias(self, record: Mapping[str, Any] | Alias) -> Alias:
        result: Alias = await self._run(self._core.alias_write_call("POST", None, record))
        return result

    async def replace_alias(
        self,
        ref: str,
        record: Mapping[str, Any] | Alias,
        *,
        if_match: int | str | Alias | None = None,
    ) -> Alias:
        result: Alias = await self._run(self._core.alias_write_call("PUT", ref, record, if_match))
        return result

    async def delete_alias(self, ref: str, *, if_match: int | str | Alias | None = None) -> None:
        await self._run(self._core.alias_write_call("DELETE", ref, None, if_match))


__all__ = ["MAX_LIST", "AsyncRegistry", "Breaker", "Registry"]

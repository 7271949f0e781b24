"""`ClientPool`: one ready provider client per model, kept current by the change feed.

`client(name)` is a dictionary read. A background task long-polls `/api/changes` and rebuilds
only the clients whose endpoint, key, retries or timeouts changed; the others stay the same
objects. All clients share one HTTP connection pool, so a rebuilt client is cheap and requests
already running on the old one finish normally.
"""

from __future__ import annotations

import asyncio
import contextlib
import difflib
import logging
import os
import random
import threading
import time
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, cast

import httpx
import openai

from modeldeck import clock
from modeldeck.client import probe
from modeldeck.client.bootstrap import plan_default
from modeldeck.client.errors import (
    ChangeFeedWarning,
    ClientPoolError,
    ModelDeckError,
    ModelDisabled,
    NotFound,
    RegistryUnavailable,
    UnknownModel,
)
from modeldeck.client.providers import (
    ClientSpec,
    KeyResolver,
    build_async,
    build_sync,
    chat_params,
    client_spec,
)
from modeldeck.client.registry import AsyncRegistry, Registry
from modeldeck.client.schemas import Alias, ChangeBatch, CostResult, Model, ModelList, Source
from modeldeck.client.wire import offline_cost, usage_body

log = logging.getLogger("modeldeck.client")

FEED_WAIT_S = 25.0
# More models changed than this in one batch: reload the whole list instead of each model.
TARGETED_LIMIT = 20
RETRY_MIN_S = 0.5
RETRY_MAX_S = 30.0
# A server without a change feed is polled; it is asked again for the feed this often.
FEED_RECHECK_S = 60.0
# This many failures in a row (about 15 s of retries) and the pool says it is not following.
UNHEALTHY_AFTER = 5
STOP_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Candidate:
    """One model to try for a name: `pool.client(candidate.name)`; `fallback` after targets."""

    name: str
    model: Model
    weight: int
    rpm: int | None
    tpm: int | None
    fallback: bool


@dataclass(frozen=True)
class _Entry:
    model: Model
    spec: ClientSpec | None
    client: Any  # the provider SDK's async client; None when it cannot be built
    error: ClientPoolError | None


class ClientPool:
    """Provider clients by model name, from the registry, following its changes.

    `key_resolver(model) -> str | None` supplies keys the API does not return (stored keys);
    else each model's `deployment.api_key_env` is read from `environ`. `http_client` is the
    connection pool every client shares (default: openai's); the pool closes it.
    """

    def __init__(
        self,
        registry: AsyncRegistry | Registry | None,
        *,
        key_resolver: KeyResolver | None = None,
        environ: Mapping[str, str] = os.environ,
        poll_interval: float = 2.0,
        feed_wait: float = FEED_WAIT_S,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self._owns_registry = isinstance(registry, Registry)
        if isinstance(registry, Registry):
            registry = AsyncRegistry(
                registry.base_url,
                registry.token,
                cache_dir=registry.cache_dir,
                timeout=registry.timeout,
                environ=registry.environ,
                breaker=registry.breaker,
            )
        self._registry = registry
        self._key_resolver = key_resolver
        self._environ = environ
        self._poll_interval = poll_interval
        self._feed_wait = feed_wait
        # The hot path: name → client of every enabled model that has one.
        self._clients: dict[str, Any] = {}
        self._entries: dict[str, _Entry] = {}
        self._ids_by_name: dict[str, str] = {}
        self._names: tuple[str, ...] = ()
        # Aliases by lower-cased name, and what each resolves to now (see `_index`).
        self._aliases: dict[str, Alias] = {}
        self._alias_names: tuple[str, ...] = ()
        self._deleted: dict[str, int] = {}
        self._sync: dict[str, tuple[ClientSpec, Any]] = {}
        self._http = http_client or openai.DefaultAsyncHttpxClient()
        self._sync_http: httpx.Client | None = None
        self._default_name: str | None = None
        self._revision = 0
        self._synced = False
        self._started = False
        self._feed_missing_until = 0.0
        self._follower: asyncio.Task[None] | None = None
        self._health = _Health()
        self._bootstrap_pending = False
        self._background: tuple[asyncio.AbstractEventLoop, threading.Thread] | None = None

    @classmethod
    def from_models(
        cls,
        models: Iterable[Model],
        *,
        key_resolver: KeyResolver | None = None,
        environ: Mapping[str, str] = os.environ,
        http_client: httpx.AsyncClient | None = None,
        aliases: Iterable[Alias] = (),
    ) -> ClientPool:
        """A pool of these records only: no registry, no change feed (the server's own use)."""
        pool = cls(None, key_resolver=key_resolver, environ=environ, http_client=http_client)
        pool._aliases = {alias.name.lower(): alias for alias in aliases}
        pool._apply(models, complete=True)
        pool._started = True
        return pool

    # --- life cycle -----------------------------------------------------------------------------

    async def start(self, *, bootstrap_default: bool = False, follow: bool = True) -> ClientPool:
        """Load every model and build its client; then follow the change feed.

        Never fails because the server is down: it starts from the saved snapshot or the
        built-in catalog (with a warning) and catches up when the server is back.
        `bootstrap_default`: when the registry has no model of its own yet and
        AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_DEPLOYMENT_NAME are set, make that deployment
        the default model (needs an admin token).
        """
        registry = self._require_registry()
        models = await registry.models()
        if models.source == "server":
            self._health.seen()
        if bootstrap_default:
            if models.source == "server":
                if await self._bootstrap(models):
                    models = await registry.models()
            else:
                # Offline the registry already answers that deployment as the default (source
                # "environment"); it is written as soon as the server answers.
                self._bootstrap_pending = True
                log.warning(
                    "Model Deck is unreachable: the default model from AZURE_OPENAI_* is kept in "
                    "memory and made in the registry when it answers"
                )
        self._load(models)
        self._load_aliases(await self._fetch_aliases(fallback=True))
        self._started = True
        if follow:
            self._health.closing = False
            self._follower = asyncio.create_task(self._follow(), name="modeldeck-client-pool")
        return self

    def start_in_background(
        self,
        *,
        bootstrap_default: bool = False,
        timeout: float | None = None,
    ) -> ClientPool:
        """`start()` on an event loop of the pool's own, on a daemon thread, for sync apps
        (WSGI, scripts, Celery workers): it follows the change feed there until `stop()`.

        Returns once the models are loaded. `sync_client(name)` is for the calling threads;
        `client(name)` hands out async clients bound to the pool's loop. Also a context
        manager: `with ClientPool(registry).start_in_background() as pool: …`.
        """
        if self._background is not None:
            raise RuntimeError("This pool already runs in the background.")
        loop = asyncio.new_event_loop()
        thread = threading.Thread(
            target=_run_loop, args=(loop,), name="modeldeck-client-pool", daemon=True
        )
        thread.start()
        started = asyncio.run_coroutine_threadsafe(
            self.start(bootstrap_default=bootstrap_default), loop
        )
        try:
            started.result(timeout)
        except BaseException:
            started.cancel()
            loop.call_soon_threadsafe(loop.stop)
            thread.join(STOP_TIMEOUT_S)
            raise
        self._background = (loop, thread)
        return self

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> None:
        """Stop a pool started with `start_in_background()`: stop following, close every
        client, end its thread (joined)."""
        background, self._background = self._background, None
        if background is None:
            return
        loop, thread = background
        try:
            if not loop.is_closed():
                asyncio.run_coroutine_threadsafe(self.close(), loop).result(timeout)
        finally:
            with contextlib.suppress(RuntimeError):  # the loop may be closed already
                loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout)

    def __enter__(self) -> ClientPool:
        if self._background is None:
            self.start_in_background()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    async def close(self) -> None:
        """Stop following changes and close every client's connections."""
        self._health.closing = True
        if self._follower is not None:
            self._follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._follower
            self._follower = None
        await self._http.aclose()
        if self._sync_http is not None:
            self._sync_http.close()
        if self._owns_registry and self._registry is not None:
            await self._registry.aclose()

    async def __aenter__(self) -> ClientPool:
        return await self.start()

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def refresh(self) -> None:
        """Reload every model and alias now (the feed does this by itself)."""
        registry = self._require_registry()
        models = await registry.models(fallback=False)
        aliases = await self._fetch_aliases(fallback=False)
        self._aliases = {alias.name.lower(): alias for alias in aliases}
        self._load(models)

    # --- the hot path ---------------------------------------------------------------------------

    def client(self, name: str) -> Any:
        """The async client for a model or an alias; no I/O.

        An alias gives its first usable target's client (see `resolve`); to spread calls over
        its targets by weight and fall back in order, loop over `candidates(name)`.

        `openai.AsyncOpenAI` (`AsyncAzureOpenAI` for Azure), `anthropic.AsyncAnthropic`
        (`AsyncAnthropicBedrock`, `AsyncAnthropicVertex`), google-genai's `Client(...).aio`,
        `mistralai.client.Mistral` (its `*_async` methods), or for other Bedrock models
        `bedrock.AsyncBedrockConverse` (boto3's Converse on a worker thread), by the model's
        provider and host.
        """
        try:
            return self._clients[name]
        except KeyError:
            pass
        entry = self._entry(name)
        assert entry.client is not None
        return entry.client

    def sync_client(self, name: str) -> Any:
        """The sync client for a model (`openai.OpenAI`, `AzureOpenAI`, `anthropic.Anthropic`,
        `genai.Client`, `Mistral`, boto3's `bedrock-runtime`…), built on first use."""
        entry = self._entry(name)
        assert entry.spec is not None
        cached = self._sync.get(entry.model.id)
        if cached is not None and cached[0] == entry.spec:
            return cached[1]
        if self._sync_http is None:
            self._sync_http = openai.DefaultHttpxClient()
        client = build_sync(entry.spec, self._sync_http)
        self._sync[entry.model.id] = (entry.spec, client)
        return client

    def default_client(self) -> Any:
        return self.client(self._require_default())

    @property
    def default_name(self) -> str | None:
        return self._default_name

    @property
    def revision(self) -> int:
        """The registry revision the pool is up to date with."""
        return self._revision

    @property
    def healthy(self) -> bool:
        """Following the change feed and in touch with the server. False when the pool was
        never started to follow, when the loop that ran the follower ended (for example
        `asyncio.run(pool.start())`), or after `UNHEALTHY_AFTER` failures in a row (each
        with a `ChangeFeedWarning`, once); True again as soon as the server answers."""
        follower = self._follower
        if follower is None or follower.done() or follower.get_loop().is_closed():
            return False
        return self._health.failures < UNHEALTHY_AFTER

    @property
    def last_seen(self) -> datetime | None:
        """When the server last answered the pool (None: never since it started)."""
        return self._health.last_seen

    @property
    def names(self) -> list[str]:
        """The models' names, as the lookups know them (a name here can be looked up)."""
        return list(self._names)

    @property
    def alias_names(self) -> list[str]:
        """The aliases' names (each can be looked up like a model's)."""
        return list(self._alias_names)

    def alias(self, name: str) -> Alias:
        """An alias's record (by name ignoring case, or id)."""
        found = self._aliases.get(name.lower()) or next(
            (alias for alias in self._aliases.values() if alias.id == name), None
        )
        if found is None:
            raise UnknownModel(f"No alias named {name!r} is in the registry.")
        return found

    def resolve(self, name: str) -> str:
        """The model a name calls: a model's own name, or for an alias its first target that
        is enabled and has a client, else its first such fallback. `client`, `chat_params`,
        `timeout_for`, `model` and `cost` use it, so they always agree on the model."""
        return self._entries[self._id_of(name)].model.name

    def candidates(
        self, name: str, *, weighted: bool = True, rng: random.Random | None = None
    ) -> list[Candidate]:
        """What to try, in order, for a model or an alias: an app's own retry loop.

        For an alias: its targets (those enabled, with a client), ordered by a weighted random
        draw each call (`weighted=False`: as listed), then its fallbacks as listed; each with
        the target's `rpm`/`tpm`. For a model: that model alone. The routing itself
        (cooldowns, rate limiting) is the app's::

            for candidate in pool.candidates("chat"):
                try:
                    return await pool.client(candidate.name).chat.completions.create(
                        messages=messages, **pool.chat_params(candidate.name)
                    )
                except openai.APIError:
                    continue
        """
        alias = self._alias_of(name)
        if alias is None:
            model = self._entry(name).model
            return [Candidate(model.name, model, 1, None, None, False)]
        targets = [
            (target, usable)
            for target in alias.targets
            if (usable := self._usable(target.model_id)) is not None
        ]
        if weighted and len(targets) > 1:
            draw = rng or random
            # Weighted order without replacement: each key u ** (1 / weight), largest first.
            keyed = [
                (draw.random() ** (1 / target.weight), index)
                for index, (target, _) in enumerate(targets)
            ]
            targets = [targets[index] for _, index in sorted(keyed, reverse=True)]
        chosen = [
            Candidate(entry.model.name, entry.model, target.weight, target.rpm, target.tpm, False)
            for target, entry in targets
        ]
        for fallback in alias.fallbacks:
            usable = self._usable(fallback.model_id)
            if usable is not None:
                chosen.append(Candidate(usable.model.name, usable.model, 1, None, None, True))
        if not chosen:
            raise ModelDisabled(
                f"Alias {alias.name!r} has no usable model: each of its targets and fallbacks is "
                "disabled, deleted or without a client."
            )
        return chosen

    def model(self, name: str) -> Model:
        """The record a client was built from (by name ignoring case, or id)."""
        return self._entries[self._id_of(name)].model

    def timeout_for(self, name: str, expected_tokens: int) -> float:
        """min(max_timeout_s, base_timeout_s + timeout_per_token_s * expected_tokens)."""
        return self.model(name).timeout_for(expected_tokens)

    def chat_params(self, name: str, **params: Any) -> dict[str, Any]:
        """Keyword arguments for the client's chat call, fitted to the model and its API.

        From the record alone (no key needed): sets `model` (the deployment name), drops what
        the model does not support (temperature/top_p, stream, tools, response_format), and
        sets the timeout from `max_tokens`/`max_completion_tokens` (else the model's max
        output) unless given. For `chat.completions.create`, Anthropic's `messages.create`,
        Mistral's `chat.complete`, Gemini's `models.generate_content` or Bedrock's `converse`
        (see `providers.chat_params`); OpenAI-style tools become each API's own.
        """
        entry = self._entries[self._id_of(name)]
        if not entry.model.enabled:
            raise ModelDisabled(
                f"Model {entry.model.name!r} is disabled in the registry; enable it to use it."
            )
        return chat_params(entry.model, params)

    def cost(
        self,
        name: str,
        usage: Any,
        *,
        requests: int = 1,
        at: datetime | str | None = None,
        usage_format: str | None = None,
        service_tier: str | None = None,
    ) -> CostResult:
        """The exact cost of `usage` on a model at the pool's current record: no I/O.

        `usage`: any provider's usage (a mapping or an SDK object: OpenAI's `usage`, the last
        chunk of a stream with `include_usage`, Anthropic's `message_delta` usage, Gemini's
        `usage_metadata`…) or a whole SDK response. The same `CostResult` as
        `Registry.cost`, computed by the same engine on the same prices; its `source`/`stale`
        are the record's. `at` picks the time-of-day window; the pool keeps no price history,
        so a moment before the current price took effect raises `ValidationFailed` (ask
        `Registry.cost(..., at=...)`). A model without a price raises `ValidationFailed`.
        """
        model = self.model(name)
        sent, usage_format = usage_body(usage, usage_format)
        return offline_cost(
            model.model_dump(mode="json"),
            sent,
            requests,
            cast(Source, model.source),
            usage_format,
            service_tier,
            at,
        )

    async def ping(self, name: str, *, timeout_cap: float = probe.TIMEOUT_CAP_S) -> probe.Ping:
        """One tiny chat call (max 1 token): latency, or what went wrong in plain words."""
        try:
            entry = self._entry(name, allow_disabled=True)
        except UnknownModel:
            raise
        except ClientPoolError as error:
            return probe.cannot_build(self.model(name), error)
        assert entry.client is not None and entry.spec is not None
        return await probe.ping(entry.model, entry.spec, entry.client, timeout_cap=timeout_cap)

    # --- lookups off the hot path ---------------------------------------------------------------

    def _id_of(self, name: str) -> str:
        if not self._started:
            raise UnknownModel("The client pool is not started: `await pool.start()` first.")
        found = self._ids_by_name.get(name.lower())
        if found is not None:
            return found
        if name in self._entries:
            return name
        alias = self._alias_of(name)
        if alias is not None:
            raise ModelDisabled(
                f"Alias {alias.name!r} names no model this pool has: its targets and "
                "fallbacks are deleted or not loaded."
            )
        raise self._unknown(name)

    def _alias_of(self, name: str) -> Alias | None:
        """The alias a name calls; a model of that name (which the server never allows at
        once, but two instances racing might) wins."""
        key = name.lower()
        alias = self._aliases.get(key)
        if alias is None or self._model_named(key):
            return None
        return alias

    def _model_named(self, key: str) -> bool:
        found = self._ids_by_name.get(key)
        return found is not None and self._entries[found].model.name.lower() == key

    def _usable(self, model_id: str) -> _Entry | None:
        entry = self._entries.get(model_id)
        if entry is None or not entry.model.enabled or entry.client is None:
            return None
        return entry

    def _entry(self, name: str, *, allow_disabled: bool = False) -> _Entry:
        entry = self._entries[self._id_of(name)]
        if not entry.model.enabled and not allow_disabled:
            raise ModelDisabled(
                f"Model {entry.model.name!r} is disabled in the registry; enable it to use it."
            )
        if entry.error is not None:
            raise type(entry.error)(str(entry.error))
        return entry

    def _unknown(self, name: str) -> UnknownModel:
        deleted = self._deleted.get(name.lower())
        if deleted is not None:
            return UnknownModel(
                f"Model {name!r} was deleted from the registry (revision {deleted})."
            )
        known = [*self._ids_by_name, *self._aliases]
        close = difflib.get_close_matches(name, known, n=3)
        hint = f" Did you mean {', '.join(repr(match) for match in close)}?" if close else ""
        return UnknownModel(f"No model named {name!r} is in the registry.{hint}")

    def _require_default(self) -> str:
        if self._default_name is None:
            raise UnknownModel("The registry has no default model.")
        return self._default_name

    def _require_registry(self) -> AsyncRegistry:
        if self._registry is None:
            raise RuntimeError("This pool was made from records (from_models); it has no registry.")
        return self._registry

    # --- applying records -----------------------------------------------------------------------

    def _load(self, models: ModelList) -> None:
        """A whole list: everything not in it is gone."""
        self._apply(models, complete=True)
        self._revision = models.revision
        self._synced = models.source == "server"

    def _build(self, model: Model, old: _Entry | None) -> _Entry:
        try:
            spec = client_spec(model, self._key_resolver, self._environ)
        except ClientPoolError as error:
            return _Entry(model, None, None, error)
        if old is not None and old.spec == spec and old.client is not None:
            return _Entry(model, spec, old.client, None)
        try:
            client = build_async(spec, self._http)
        except ClientPoolError as error:  # its SDK is not installed
            return _Entry(model, None, None, error)
        except Exception as error:  # a malformed endpoint must not stop the other models
            failure = ClientPoolError(
                f"Model {model.name!r}: cannot make a client ({type(error).__name__}: {error})."
            )
            return _Entry(model, None, None, failure)
        log.info("built client for model %s (%s)", model.name, model.provider)
        return _Entry(model, spec, client, None)

    def _apply(
        self, models: Iterable[Model], *, complete: bool, removed: Iterable[str] = ()
    ) -> None:
        seen: set[str] = set()
        for model in models:
            seen.add(model.id)
            old = self._entries.get(model.id)
            if old is not None and old.model == model:
                continue
            self._entries[model.id] = self._build(model, old)
            self._deleted.pop(model.name.lower(), None)
        gone = [model_id for model_id in self._entries if model_id not in seen] if complete else []
        for model_id in [*gone, *removed]:
            entry = self._entries.pop(model_id, None)
            if entry is not None:
                self._sync.pop(model_id, None)
                self._deleted[entry.model.name.lower()] = self._revision
                log.info("removed client for deleted model %s", entry.model.name)
        self._index()
        defaults = [entry.model.name for entry in self._entries.values() if entry.model.is_default]
        self._default_name = defaults[0] if defaults else None

    def _index(self) -> None:
        """Name → model and name → client, rebuilt and swapped in whole (readers never see a
        half-made index).

        A name is its model's, except that the organisation's own Azure deployment takes the
        name of a catalog (system) model it shares: with a deployment `gpt-4o` (the model
        perhaps named `azure-gpt-4o`, since the catalog has `gpt-4o`), `client("gpt-4o")` is
        that deployment, as in seed 004's chat service. When several own Azure models share a
        deployment name the default wins, else none (each stays reachable by its own name).
        """
        ids: dict[str, str] = {}
        clients: dict[str, Any] = {}
        for entry in self._entries.values():
            ids[entry.model.name.lower()] = entry.model.id
            if entry.client is not None and entry.model.enabled:
                clients[entry.model.name] = entry.client
        deployed: dict[str, list[_Entry]] = {}
        for entry in self._entries.values():
            model = entry.model
            if model.provider == "azure_openai" and not model.is_system:
                deployed.setdefault(model.deployment_name.lower(), []).append(entry)
        for key, entries in deployed.items():
            holder = self._entries.get(ids.get(key, ""))
            if holder is not None and not holder.model.is_system:
                continue  # an own model of that name keeps it
            if len(entries) > 1:
                entries = [entry for entry in entries if entry.model.is_default]
                if len(entries) != 1:
                    continue
            alias = entries[0]
            ids[key] = alias.model.id
            # The hot path is by exact name: the system holder's and the lower-case spelling.
            names = {key, alias.model.deployment_name}
            if holder is not None:
                names.add(holder.model.name)
            for name in names:
                if alias.client is not None and alias.model.enabled:
                    clients[name] = alias.client
                else:
                    clients.pop(name, None)
        self._index_aliases(ids, clients)
        # Lookups first, then the names: another thread that sees a name can look it up.
        self._ids_by_name = ids
        self._clients = clients
        self._names = tuple(sorted(entry.model.name for entry in self._entries.values()))
        self._alias_names = tuple(sorted(alias.name for alias in self._aliases.values()))

    def _index_aliases(self, ids: dict[str, str], clients: dict[str, Any]) -> None:
        """Each alias's name → its first usable target (else fallback), else its first model
        the pool has (whose error then explains), in the index being built."""
        for key, alias in self._aliases.items():
            if key in ids and self._entries[ids[key]].model.name.lower() == key:
                continue  # a model of that name wins
            ordered = [target.model_id for target in alias.targets] + [
                fallback.model_id for fallback in alias.fallbacks
            ]
            usable = next((model_id for model_id in ordered if self._usable(model_id)), None)
            chosen = usable or next((m for m in ordered if m in self._entries), None)
            if chosen is None:
                ids.pop(key, None)
                clients.pop(alias.name, None)
                continue
            ids[key] = chosen
            entry = self._entries[chosen]
            if usable is not None and entry.client is not None:
                clients[alias.name] = entry.client
            else:
                clients.pop(alias.name, None)

    async def _fetch_aliases(self, *, fallback: bool) -> Iterable[Alias]:
        """The registry's aliases; none from a server older than aliases (404)."""
        try:
            return await self._require_registry().aliases(fallback=fallback)
        except NotFound:
            return ()

    def _load_aliases(self, aliases: Iterable[Alias]) -> None:
        self._aliases = {alias.name.lower(): alias for alias in aliases}
        self._index()

    # --- following the registry -----------------------------------------------------------------

    async def _bootstrap(self, models: ModelList) -> bool:
        plan = plan_default(models, self._environ)
        if plan is None:
            return False
        registry = self._require_registry()
        if plan.ref is None:
            made = await registry.create(plan.body)
        else:
            made = await registry.update(plan.ref, plan.body)
        log.warning("made %s the default model from AZURE_OPENAI_* (as seed 004 did)", made.name)
        return True

    async def _follow(self) -> None:
        try:
            await self._follow_changes()
        except asyncio.CancelledError:
            if not self._health.closing:
                # Not `close()`: the loop running this task is ending under it.
                message = (
                    "The event loop that ran the ClientPool's change feed ended (for example "
                    "`asyncio.run(pool.start())`): the pool no longer follows changes. Keep the "
                    "loop running, or use `pool.start_in_background()` in a sync app."
                )
                log.warning(message)
                warnings.warn(message, ChangeFeedWarning, stacklevel=1)
            raise

    async def _follow_changes(self) -> None:
        registry = self._require_registry()
        health = self._health
        delay = RETRY_MIN_S
        outage = False
        while True:
            try:
                if not self._synced:
                    if self._bootstrap_pending:
                        await self._bootstrap_now()
                    else:
                        await self.refresh()
                if time.monotonic() < self._feed_missing_until:
                    await asyncio.sleep(self._poll_interval)
                    await self.refresh()
                else:
                    batch = await registry.changes(self._revision, wait=self._feed_wait)
                    await self._apply_batch(batch)
                if outage:
                    log.warning("change feed: %s is back", registry.base_url)
                outage = False
                delay = RETRY_MIN_S
                health.seen()
                continue
            except asyncio.CancelledError:
                raise
            except NotFound as error:
                if not self._synced:
                    # The list itself is missing (a wrong URL, a proxy's page): wait and retry.
                    log.log(
                        logging.DEBUG if outage else logging.WARNING,
                        "change feed: %s; clients stay as they are, retrying in %.1f s",
                        error,
                        delay,
                    )
                    outage = True
                    health.failed(str(error), registry.base_url)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, RETRY_MAX_S)
                    continue
                if self._feed_missing_until == 0.0:
                    log.warning("%s has no change feed; polling the model list", registry.base_url)
                self._feed_missing_until = time.monotonic() + FEED_RECHECK_S
                continue
            except RegistryUnavailable as error:
                # Once per outage at warning level; the retries that follow at debug level.
                log.log(
                    logging.DEBUG if outage else logging.WARNING,
                    "change feed: %s; clients stay as they are, retrying in %.1f s",
                    error,
                    delay,
                )
                outage = True
                health.failed(str(error), registry.base_url)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_S)
            except ModelDeckError as error:
                log.error("change feed refused (%s); retrying in %.0f s", error, RETRY_MAX_S)
                health.failed(str(error), registry.base_url)
                await asyncio.sleep(RETRY_MAX_S)
            except Exception as error:  # the follower must outlive any surprise
                log.exception("change feed follower failed; retrying in %.1f s", delay)
                health.failed(f"{type(error).__name__}: {error}", registry.base_url)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_S)

    async def _bootstrap_now(self) -> None:
        """The default from AZURE_OPENAI_* the pool kept in memory while the server was down,
        made in the registry now that it answers (once; a refusal is logged, not retried)."""
        registry = self._require_registry()
        models = await registry.models(fallback=False)
        try:
            made = await self._bootstrap(models)
        except RegistryUnavailable:
            raise
        except ModelDeckError as error:
            log.error("cannot make the default model from AZURE_OPENAI_*: %s", error)
            made = False
        self._bootstrap_pending = False
        if made:
            await self.refresh()
        else:
            self._load(models)

    async def _apply_batch(self, batch: ChangeBatch) -> None:
        if batch.revision < self._revision:
            log.warning(
                "registry revision went back (%d < %d); reloading", batch.revision, self._revision
            )
            await self.refresh()
            return
        changes = [change for event in batch.events for change in event.changes]
        aliases_changed = any(change.alias_id is not None for change in changes)
        model_ids = list(
            dict.fromkeys(change.model_id for change in changes if change.alias_id is None)
        )
        if batch.more or None in model_ids or len(model_ids) > TARGETED_LIMIT:
            await self.refresh()
            return
        registry = self._require_registry()
        if aliases_changed:
            aliases = await self._fetch_aliases(fallback=False)
            self._aliases = {alias.name.lower(): alias for alias in aliases}
        changed: list[Model] = []
        removed: list[str] = []
        for model_id in model_ids:
            assert model_id is not None
            try:
                changed.append(await registry.get(model_id, fallback=False))
            except NotFound:
                removed.append(model_id)
        self._revision = batch.last_revision
        self._apply(changed, complete=False, removed=removed)  # indexes the aliases too


class _Health:
    """How following goes: failures in a row, the last answer, whether `close()` stops it."""

    def __init__(self) -> None:
        self.failures = 0
        self.last_seen: datetime | None = None
        self.warned = False
        self.closing = False

    def seen(self) -> None:
        if self.warned:
            log.warning("change feed: following again")
        self.failures = 0
        self.warned = False
        self.last_seen = clock.now()

    def failed(self, reason: str, base_url: str) -> None:
        self.failures += 1
        if self.failures >= UNHEALTHY_AFTER and not self.warned:
            self.warned = True
            when = f"since {self.last_seen:%Y-%m-%d %H:%M:%S} UTC" if self.last_seen else "yet"
            warnings.warn(
                f"ClientPool: the change feed of {base_url} failed {self.failures} times in a "
                f"row ({reason}); clients may be out of date (no answer {when}). Retrying.",
                ChangeFeedWarning,
                stacklevel=1,
            )


def _run_loop(loop: asyncio.AbstractEventLoop) -> None:
    """A pool's own loop, until `stop()`; then what is left on it is cancelled and it closes."""
    asyncio.set_event_loop(loop)
    try:
        loop.run_forever()
    finally:
        leftover = asyncio.all_tasks(loop)
        for task in leftover:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*leftover, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()

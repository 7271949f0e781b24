// Model Deck from TypeScript: the registry's models, prices, costs, simulations and change feed,
// typed by what openapi-typescript generates from /openapi.json (schema.d.ts). No runtime
// dependency but `fetch`. Reads keep working while the server is down: from the last good model
// list (in memory, and in a file under Node when `snapshotPath` is given), else from the
// built-in catalog bundled here; every read answer says where it came from (`source`, `stale`).
import { CATALOG, CATALOG_VERSION } from "./catalog.js";
import { OfflineInvalid, offlineCost, query, restatus, today } from "./offline.js";
import type { components, operations } from "./schema.js";

export type { components, operations, paths } from "./schema.js";
export { CATALOG, CATALOG_VERSION } from "./catalog.js";

type Schemas = components["schemas"];
export type Model = Schemas["ModelPublic"];
export type Pricing = Schemas["Pricing"];
export type PricePeriod = Schemas["PricePeriod"];
export type PriceHistory = Schemas["PriceHistory"];
export type CostRequest = Schemas["CostRequest"];
export type CostAnswer = Schemas["CostAnswer"];
export type SimulateRequest = Schemas["SimulateRequest"];
export type SimulationAnswer = Schemas["SimulationAnswer"];
export type SimulationRow = Schemas["SimulationRow"];
export type ChangeEvent = Schemas["ChangeEvent"];
export type Alias = Schemas["AliasPublic"];
export type AliasList = Answer<Schemas["AliasList"]>;
export type ChangesPage = Schemas["ChangesPage"];
export type Problem = Schemas["Problem"];
export type FieldProblem = Schemas["FieldProblem"];
export type UsageFormat = NonNullable<CostRequest["usage_format"]>;
export type ListFilters = NonNullable<operations["listModels"]["parameters"]["query"]>;

/** Where an answer came from: the server, the last good snapshot, or the bundled catalog. */
export type Source = "server" | "snapshot" | "catalog";

/** What every read answer carries (not enumerable: JSON.stringify and spreads leave it out,
 * so a model read can be sent back as is). */
export interface Provenance {
  /** "server", or while it is unreachable "snapshot" (the last good list) or "catalog". */
  readonly source: Source;
  /** True when the answer did not come from the server just now. */
  readonly stale: boolean;
  /** When the snapshot answering was saved (ISO 8601); null from the server or the catalog. */
  readonly savedAt: string | null;
}

export type Answer<T> = T & Provenance;
export type ModelList = Answer<Schemas["ModelList"]>;
export type PricingAnswer = Answer<{
  /** The model's name. */
  model: string;
  /** The prices in effect (now, or at `at`); null when the model is unpriced then. */
  pricing: Pricing | null;
}>;

/** A problem+json answer (RFC 9457): `problem.errors` names each invalid field. */
export class ProblemError extends Error {
  override readonly name = "ProblemError";
  readonly status: number;

  constructor(readonly problem: Problem) {
    super(problem.detail ? `${problem.title}: ${problem.detail}` : problem.title);
    this.status = problem.status;
  }

  /** `{"pricing.input": "must not be negative"}` for a validation problem. */
  fieldMessages(): Record<string, string> {
    const messages: Record<string, string> = {};
    for (const error of this.problem.errors ?? []) messages[error.field] = error.message;
    return messages;
  }
}

/** The server cannot be reached (or fails) and there is nothing to answer from instead. */
export class UnavailableError extends Error {
  override readonly name = "UnavailableError";
}

export interface FallbackNotice {
  baseUrl: string;
  /** What went wrong: "connection refused", "timed out", "HTTP 503", … */
  reason: string;
  source: "snapshot" | "catalog";
}

export interface ModelDeckOptions {
  /** e.g. "http://127.0.0.1:8000" */
  baseUrl: string;
  /** A bearer token: admin for writes, reader where reads need one. */
  token?: string;
  /** Another fetch (a test double, or one with a proxy agent); default: globalThis.fetch. */
  fetch?: typeof globalThis.fetch;
  /** Node only: a file that keeps the last good model list across restarts. */
  snapshotPath?: string;
  /** Milliseconds before a request counts as failed (default 5000); the long-poll adds its wait. */
  timeoutMs?: number;
  /** Told each time an answer comes from the snapshot or the catalog; default: console.warn. */
  onFallback?: (notice: FallbackNotice) => void;
}

export interface CostOptions {
  /** Price with the period in effect then (ISO 8601 or a Date). Needs the server. */
  at?: string | Date;
  /** Rates of this service tier (batch, flex, priority, …); default standard. */
  service_tier?: string;
  /** The usage's shape, when its keys do not tell (LiteLLM's mixes two). */
  usage_format?: UsageFormat;
  /** How many such requests (default 1). */
  requests?: number;
}

export interface FollowOptions {
  /** Stops the iteration (and the request in flight). */
  signal?: AbortSignal;
  /** Long-poll: seconds the server holds a request while nothing is newer (default 25, max 60). */
  wait?: number;
  /** Milliseconds between attempts while the server is unreachable (default 1000). */
  retryMs?: number;
}

const SNAPSHOT_FORMAT = 1; // the Python client's snapshot file format, so both can read one file

interface Saved {
  etag: string | null;
  savedAt: string;
  list: Schemas["ModelList"];
}

interface NodeFs {
  readFile(path: string, encoding: "utf8"): Promise<string>;
  writeFile(path: string, data: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  mkdir(path: string, options: { recursive: true }): Promise<unknown>;
}

/** A network failure, a timeout or a 5xx: what a read may answer offline. */
class Outage extends Error {}

function provenance<T extends object>(value: T, source: Source, savedAt: string | null): Answer<T> {
  const hidden = { enumerable: false, configurable: true };
  Object.defineProperties(value, {
    source: { ...hidden, value: source },
    stale: { ...hidden, value: source !== "server" },
    savedAt: { ...hidden, value: savedAt },
  });
  return value as Answer<T>;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === "TimeoutError") return "timed out";
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    if (cause?.code === "ECONNREFUSED") return "connection refused";
    return cause?.code ?? cause?.message ?? error.message;
  }
  return String(error);
}

function search(params: Record<string, unknown>): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null) query.set(key, String(value));
  }
  const text = query.toString();
  return text ? `?${text}` : "";
}

function moment(at: string | Date): string {
  return typeof at === "string" ? at : at.toISOString();
}

function invalid(error: OfflineInvalid): ProblemError {
  return new ProblemError({
    type: "https://modeldeck.dev/problems/validation",
    title: "Invalid input",
    status: 422,
    detail: error.message,
    errors: [{ field: error.field, message: error.reason }],
  });
}

export class ModelDeck {
  readonly baseUrl: string;
  private readonly token: string | undefined;
  private readonly fetcher: typeof globalThis.fetch;
  private readonly snapshotPath: string | undefined;
  private readonly timeoutMs: number;
  private readonly onFallback: (notice: FallbackNotice) => void;
  private saved: Saved | null = null;
  private diskChecked = false;
  private aliases: { list: Schemas["AliasList"]; savedAt: string } | null = null;

  constructor(options: ModelDeckOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.token = options.token;
    this.fetcher = options.fetch ?? ((...args) => globalThis.fetch(...args));
    this.snapshotPath = options.snapshotPath;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.onFallback =
      options.onFallback ??
      ((notice) =>
        console.warn(
          `Model Deck at ${notice.baseUrl} is unreachable (${notice.reason}); answering from the ${notice.source === "snapshot" ? "last good snapshot" : "built-in catalog"}.`,
        ));
  }

  // --- reads (answered offline when the server is down) ---------------------------------------

  /** Models, filtered and sorted as `GET /api/models` does. Without filters, the whole list,
   * which also becomes the snapshot that answers while the server is unreachable. */
  async listModels(filters: ListFilters = {}): Promise<ModelList> {
    const full = Object.values(filters).every((value) => value === undefined);
    if (full) return this.fullList();
    try {
      const list = await this.call<Schemas["ModelList"]>("GET", `/api/models${search(filters)}`);
      return provenance(list, "server", null);
    } catch (error) {
      if (!(error instanceof Outage)) throw error;
      const offline = await this.offline(error.message);
      try {
        const { page, count } = query(offline.models, filters);
        return provenance({ data: page, count, revision: offline.revision }, offline.source, offline.savedAt);
      } catch (problem) {
        throw problem instanceof OfflineInvalid ? invalid(problem) : problem;
      }
    }
  }

  /** Every alias (`chat`, `cheap`…): weighted targets and ordered fallbacks. While the server
   * is unreachable, the last list this client read (source "snapshot"), else none ("catalog":
   * the built-in catalog has no aliases). */
  async listAliases(): Promise<AliasList> {
    try {
      const list = await this.call<Schemas["AliasList"]>("GET", "/api/aliases");
      this.aliases = { list, savedAt: new Date().toISOString() };
      return provenance(structuredClone(list), "server", null);
    } catch (error) {
      if (!(error instanceof Outage)) throw error;
      const known = this.aliases;
      const source = known === null ? "catalog" : "snapshot";
      this.onFallback({ baseUrl: this.baseUrl, reason: error.message, source });
      const list = known === null ? { data: [], count: 0, revision: 0 } : structuredClone(known.list);
      return provenance(list, source, known?.savedAt ?? null);
    }
  }

  /** One model by id or name (names ignore case). */
  async getModel(ref: string): Promise<Answer<Model>> {
    try {
      const model = await this.call<Model>("GET", `/api/models/${encodeURIComponent(ref)}`);
      return provenance(model, "server", null);
    } catch (error) {
      if (!(error instanceof Outage)) throw error;
      const offline = await this.offline(error.message);
      return provenance({ ...this.find(offline, ref) }, offline.source, offline.savedAt);
    }
  }

  /** A model's prices: those in effect now (answered offline too), or at `at` (from its
   * price history, which only the server has). */
  async getPricing(ref: string, at?: string | Date): Promise<PricingAnswer> {
    if (at === undefined) {
      const model = await this.getModel(ref);
      return provenance({ model: model.name, pricing: model.pricing ?? null }, model.source, model.savedAt);
    }
    const history = await this.priceHistory(ref);
    const when = new Date(moment(at)).getTime();
    const period = history.data.find(
      (item) =>
        new Date(item.effective_from).getTime() <= when &&
        (item.effective_until == null || when < new Date(item.effective_until).getTime()),
    );
    let pricing: Pricing | null = null;
    if (period !== undefined && period.priced !== false) {
      const { priced: _priced, effective_until: _until, current: _current, ...rates } = period;
      pricing = rates as Pricing;
    }
    return provenance({ model: history.model, pricing }, "server", null);
  }

  /** Every price period of a model, oldest first (`GET /api/models/{ref}/prices`). */
  async priceHistory(ref: string): Promise<PriceHistory> {
    return this.online(() => this.call<PriceHistory>("GET", `/api/models/${encodeURIComponent(ref)}/prices`));
  }

  /** The exact cost of a usage (any provider's `usage` object as it comes) on a model. Offline,
   * without `at`, it is computed here from the model's current prices, to the same numbers. */
  async cost(model: string, usage: CostRequest["usage"] | Record<string, unknown>, options: CostOptions = {}): Promise<Answer<CostAnswer>> {
    const body: Record<string, unknown> = { model, usage };
    if (options.at !== undefined) body["at"] = moment(options.at);
    if (options.service_tier !== undefined) body["service_tier"] = options.service_tier;
    if (options.usage_format !== undefined) body["usage_format"] = options.usage_format;
    if (options.requests !== undefined) body["requests"] = options.requests;
    try {
      return provenance(await this.call<CostAnswer>("POST", "/api/cost", body), "server", null);
    } catch (error) {
      if (!(error instanceof Outage)) throw error;
      if (options.at !== undefined) {
        throw new UnavailableError(
          `Model Deck at ${this.baseUrl} is unreachable (${error.message}); a cost at a date needs the price history, which only the server has.`,
        );
      }
      const offline = await this.offline(error.message);
      const record = this.find(offline, model);
      try {
        return provenance(offlineCost(record, usage, options), offline.source, offline.savedAt);
      } catch (problem) {
        throw problem instanceof OfflineInvalid ? invalid(problem) : problem;
      }
    }
  }

  /** A workload priced on every priced model (and custom prices), cheapest first. Needs the server. */
  async simulate(workload: SimulateRequest): Promise<SimulationAnswer> {
    return this.online(() => this.call<SimulationAnswer>("POST", "/api/simulate", workload));
  }

  // --- the change feed ------------------------------------------------------------------------

  /** Changes after revision `since`, one call (`GET /api/changes`); waits up to `wait` s. */
  async changesPage(since: number, wait = 0, signal?: AbortSignal): Promise<ChangesPage> {
    return this.online(() =>
      this.call<ChangesPage>("GET", `/api/changes${search({ since, wait })}`, undefined, {
        timeoutMs: this.timeoutMs + wait * 1000,
        ...(signal ? { signal } : {}),
      }),
    );
  }

  /** Every change after revision `since`, as it happens (long-poll); survives outages by
   * retrying. `for await (const event of deck.changes(rev, { signal }))`. */
  async *changes(since: number, options: FollowOptions = {}): AsyncGenerator<ChangeEvent, void, undefined> {
    const wait = options.wait ?? 25;
    let cursor = since;
    while (!options.signal?.aborted) {
      let page: ChangesPage;
      try {
        page = await this.changesPage(cursor, wait, options.signal);
      } catch (error) {
        if (options.signal?.aborted) return;
        if (!(error instanceof UnavailableError)) throw error;
        await sleep(options.retryMs ?? 1000, options.signal);
        continue;
      }
      for (const event of page.events) {
        yield event;
        cursor = event.revision;
      }
      if (!page.more) cursor = Math.max(cursor, page.revision);
    }
  }

  /** The same feed over Server-Sent Events (`GET /api/events`, read with fetch, so it works
   * in Node too and can send the token): reconnects with Last-Event-ID. Without `since`, only
   * changes from now on. */
  async *events(since?: number, options: Omit<FollowOptions, "wait"> = {}): AsyncGenerator<ChangeEvent, void, undefined> {
    let cursor = since;
    while (!options.signal?.aborted) {
      try {
        const headers = this.headers();
        headers.set("Accept", "text/event-stream");
        if (cursor !== undefined) headers.set("Last-Event-ID", String(cursor));
        const response = await this.fetcher(`${this.baseUrl}/api/events`, {
          headers,
          ...(options.signal ? { signal: options.signal } : {}),
        });
        if (!response.ok || response.body === null) await this.failure(response);
        for await (const message of messages(response.body as ReadableStream<Uint8Array>)) {
          if (message.event !== "change" || !message.data) continue;
          const event = JSON.parse(message.data) as ChangeEvent;
          cursor = event.revision;
          yield event;
        }
      } catch (error) {
        if (options.signal?.aborted) return;
        if (error instanceof ProblemError) throw error;
      }
      await sleep(options.retryMs ?? 1000, options.signal);
    }
  }

  // --- plumbing -------------------------------------------------------------------------------

  private headers(): Headers {
    const headers = new Headers({ Accept: "application/json, application/problem+json" });
    if (this.token !== undefined) headers.set("Authorization", `Bearer ${this.token}`);
    return headers;
  }

  /** One request: its JSON, or a ProblemError (4xx), or an Outage (network, timeout, 5xx). */
  private async call<T>(
    method: string,
    path: string,
    body?: unknown,
    options: { timeoutMs?: number; signal?: AbortSignal; headers?: Record<string, string> } = {},
  ): Promise<T> {
    const response = await this.send(method, path, body, options);
    if (!response.ok) await this.failure(response);
    return (await response.json()) as T;
  }

  private async send(
    method: string,
    path: string,
    body: unknown,
    options: { timeoutMs?: number; signal?: AbortSignal; headers?: Record<string, string> },
  ): Promise<Response> {
    const headers = this.headers();
    for (const [key, value] of Object.entries(options.headers ?? {})) headers.set(key, value);
    if (body !== undefined) headers.set("Content-Type", "application/json");
    const timeout = AbortSignal.timeout(options.timeoutMs ?? this.timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    try {
      return await this.fetcher(this.baseUrl + path, {
        method,
        headers,
        signal,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw new Outage(describe(error));
    }
  }

  private async failure(response: Response): Promise<never> {
    let problem: Problem | null = null;
    try {
      const document: unknown = await response.json();
      if (document !== null && typeof document === "object" && "status" in document) problem = document as Problem;
    } catch {
      problem = null;
    }
    if (response.status >= 500) throw new Outage(`HTTP ${response.status}`);
    throw new ProblemError(
      problem ?? { type: "about:blank", title: response.statusText || `HTTP ${response.status}`, status: response.status, detail: "" },
    );
  }

  /** Reads that have no offline answer: an outage becomes an UnavailableError. */
  private async online<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      if (error instanceof Outage) throw new UnavailableError(`Model Deck at ${this.baseUrl} is unreachable: ${error.message}.`);
      throw error;
    }
  }

  private async fullList(): Promise<ModelList> {
    await this.loadDisk();
    const extra: Record<string, string> = {};
    if (this.saved?.etag) extra["If-None-Match"] = this.saved.etag;
    let response: Response;
    try {
      response = await this.send("GET", "/api/models?limit=10000", undefined, { headers: extra });
      if (response.status >= 500) throw new Outage(`HTTP ${response.status}`);
    } catch (error) {
      if (!(error instanceof Outage)) throw error;
      const offline = await this.offline(error.message);
      return provenance({ data: offline.models, count: offline.models.length, revision: offline.revision }, offline.source, offline.savedAt);
    }
    if (response.status === 304 && this.saved !== null) {
      return provenance(structuredClone(this.saved.list), "server", null);
    }
    if (!response.ok) await this.failure(response);
    const text = await response.text();
    const list = JSON.parse(text) as Schemas["ModelList"];
    this.saved = { etag: response.headers.get("ETag"), savedAt: new Date().toISOString(), list: JSON.parse(text) as Schemas["ModelList"] };
    await this.saveDisk(text);
    return provenance(list, "server", null);
  }

  private async offline(reason: string): Promise<{ models: Model[]; revision: number; source: "snapshot" | "catalog"; savedAt: string | null }> {
    await this.loadDisk();
    const day = today();
    if (this.saved !== null) {
      const models = this.saved.list.data.map((model) => restatus(structuredClone(model), day));
      this.onFallback({ baseUrl: this.baseUrl, reason, source: "snapshot" });
      return { models, revision: this.saved.list.revision, source: "snapshot", savedAt: this.saved.savedAt };
    }
    const models = CATALOG.map((model) => restatus(structuredClone(model), day));
    this.onFallback({ baseUrl: this.baseUrl, reason, source: "catalog" });
    return { models, revision: 0, source: "catalog", savedAt: null };
  }

  private find(offline: { models: Model[]; source: Source }, ref: string): Model {
    const key = ref.toLowerCase();
    const found = offline.models.find((model) => model.id === ref || model.name.toLowerCase() === key);
    if (found === undefined) {
      const where = offline.source === "snapshot" ? "the last good snapshot" : `the built-in catalog (${CATALOG_VERSION})`;
      throw new UnavailableError(`Model Deck at ${this.baseUrl} is unreachable and ${JSON.stringify(ref)} is not in ${where}.`);
    }
    return found;
  }

  private async fs(): Promise<NodeFs | null> {
    if (this.snapshotPath === undefined) return null;
    try {
      const name = "node:fs/promises"; // a variable: bundlers for browsers leave it alone
      return (await import(/* @vite-ignore */ /* webpackIgnore: true */ name)) as NodeFs;
    } catch {
      return null;
    }
  }

  private async loadDisk(): Promise<void> {
    if (this.diskChecked || this.saved !== null) return;
    this.diskChecked = true;
    const fs = await this.fs();
    if (fs === null || this.snapshotPath === undefined) return;
    try {
      const stored = JSON.parse(await fs.readFile(this.snapshotPath, "utf8")) as Record<string, unknown>;
      const list = stored["list"] as Schemas["ModelList"] | undefined;
      if (stored["format"] !== SNAPSHOT_FORMAT || !list || !Array.isArray(list.data)) return;
      if (stored["base_url"] !== this.baseUrl) return; // another server's list
      if (this.saved === null) {
        this.saved = { etag: (stored["etag"] as string | null) ?? null, savedAt: String(stored["saved_at"]), list };
      }
    } catch {
      // No file yet, or one that cannot be read: there is no snapshot.
    }
  }

  private async saveDisk(body: string): Promise<void> {
    const fs = await this.fs();
    if (fs === null || this.snapshotPath === undefined || this.saved === null) return;
    const header = JSON.stringify({ format: SNAPSHOT_FORMAT, base_url: this.baseUrl, etag: this.saved.etag, saved_at: this.saved.savedAt });
    const temporary = `${this.snapshotPath}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
      const folder = this.snapshotPath.replace(/[\\/][^\\/]*$/, "");
      if (folder && folder !== this.snapshotPath) await fs.mkdir(folder, { recursive: true });
      await fs.writeFile(temporary, `${header.slice(0, -1)},"list":${body}}`);
      await fs.rename(temporary, this.snapshotPath);
    } catch {
      // Failing to save only loses a cache.
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

interface Message {
  event: string;
  data: string;
  id: string | null;
}

/** The messages of an event stream (the text/event-stream format). */
async function* messages(body: ReadableStream<Uint8Array>): AsyncGenerator<Message, void, undefined> {
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let buffer = "";
  let message: Message = { event: "message", data: "", id: null };
  let lines: string[] = [];
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      const parts = buffer.split(/\r\n|\r|\n/);
      buffer = parts.pop() ?? "";
      lines = parts;
      for (const line of lines) {
        if (line === "") {
          if (message.data || message.id !== null) yield { ...message, data: message.data.replace(/\n$/, "") };
          message = { event: "message", data: "", id: null };
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "event") message.event = value;
        else if (field === "data") message.data += `${value}\n`;
        else if (field === "id") message.id = value;
      }
    }
  } finally {
    reader.releaseLock();
    await body.cancel().catch(() => undefined);
  }
}

// What the client answers from while the server is unreachable: the model list's filters and
// sort, statuses derived for today, and the cost of a usage on a record's current prices,
// computed exactly (decimal arithmetic on bigint), as the server and the Python client do.
import type { components } from "./schema.js";

type Model = components["schemas"]["ModelPublic"];
type Pricing = components["schemas"]["Pricing"];
type CostAnswer = components["schemas"]["CostAnswer"];
type Usage = components["schemas"]["Usage"];
type ListFilters = {
  q?: string;
  provider?: string;
  priced?: boolean;
  enabled?: boolean;
  system?: boolean;
  status?: "active" | "deprecated" | "retired";
  tag?: string;
  sort?: string;
  limit?: number;
  offset?: number;
};

/** A field and what is wrong with it: the same shape as a problem's `errors[]`. */
export class OfflineInvalid extends Error {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

// --- statuses -------------------------------------------------------------------------------

const ORDER: Record<string, number> = { active: 0, deprecated: 1, retired: 2 };

/** Today's UTC day, "YYYY-MM-DD". */
export function today(): string {
  return new Date().toISOString().slice(0, 10);
}

/** A record's status on `day`: the stored one, moved on by its dates (DESIGN §2). */
export function restatus(model: Model, day: string): Model {
  let dated = "active";
  if (model.retires_on != null && model.retires_on <= day) dated = "retired";
  else if (model.deprecation_date != null && model.deprecation_date <= day) dated = "deprecated";
  const stored = model.status ?? "active";
  const status = (ORDER[dated] ?? 0) > (ORDER[stored] ?? 0) ? dated : stored;
  return status === model.status ? model : { ...model, status: status as Model["status"] };
}

// --- the list's filters, as the server's --------------------------------------------------------

const SORT_KEYS: Record<string, (model: Model) => string | number | boolean | null | undefined> = {
  name: (model) => model.name.toLowerCase(),
  display_name: (model) => (model.display_name || model.name).toLowerCase(),
  provider: (model) => model.provider,
  parameters_b: (model) => model.parameters_b,
  complexity_factor: (model) => model.complexity_factor,
  context_window: (model) => model.context_window,
  max_output_tokens: (model) => model.max_output_tokens,
  input_price: (model) => model.pricing?.input,
  output_price: (model) => model.pricing?.output,
  priced: (model) => model.pricing != null,
  status: (model) => model.status,
  created_at: (model) => model.created_at,
  updated_at: (model) => model.updated_at,
};

function matches(model: Model, filters: ListFilters): boolean {
  if (filters.provider != null && model.provider !== filters.provider) return false;
  if (filters.priced != null && (model.pricing != null) !== filters.priced) return false;
  if (filters.enabled != null && model.enabled !== filters.enabled) return false;
  if (filters.system != null && model.is_system !== filters.system) return false;
  if (filters.status != null && model.status !== filters.status) return false;
  if (filters.tag != null && !(model.tags ?? []).includes(filters.tag)) return false;
  if (filters.q) {
    const haystack = [model.name, model.display_name ?? "", model.description ?? "", ...(model.tags ?? [])]
      .join(" ")
      .toLowerCase();
    if (!haystack.includes(filters.q.toLowerCase())) return false;
  }
  return true;
}

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  return (a as number) < (b as number) ? -1 : 1;
}

/** The page a list query asks for, and how many matched: `GET /api/models` on saved records. */
export function query(models: readonly Model[], filters: ListFilters): { page: Model[]; count: number } {
  const sort = filters.sort ?? "name";
  const field = sort.replace(/^-/, "");
  const key = SORT_KEYS[field];
  if (key === undefined) throw new OfflineInvalid("sort", `must be one of ${Object.keys(SORT_KEYS).join(", ")}`);
  const limit = filters.limit ?? 100;
  const offset = filters.offset ?? 0;
  if (!(limit >= 1 && limit <= 10000)) throw new OfflineInvalid("limit", "must be between 1 and 10000");
  if (!(offset >= 0)) throw new OfflineInvalid("offset", "must not be negative");
  const byName = (a: Model, b: Model) => compare(a.name.toLowerCase(), b.name.toLowerCase());
  const matching = models.filter((model) => matches(model, filters)).sort(byName);
  const known = matching.filter((model) => key(model) != null);
  const unknown = matching.filter((model) => key(model) == null);
  const direction = sort.startsWith("-") ? -1 : 1;
  known.sort((a, b) => direction * compare(key(a), key(b)) || byName(a, b));
  const ordered = [...known, ...unknown];
  return { page: ordered.slice(offset, offset + limit), count: ordered.length };
}

// --- exact decimals -------------------------------------------------------------------------

/** units × 10^-scale */
interface Dec {
  units: bigint;
  scale: number;
}

function dec(value: number | string): Dec {
  // The shortest text of a double is the decimal the server sent (JSON numbers are exact text).
  const text = String(value).toLowerCase();
  const [mantissa = "0", exponent = "0"] = text.split("e");
  const [whole = "0", fraction = ""] = mantissa.split(".");
  let scale = fraction.length - Number(exponent);
  let units = BigInt(whole + fraction);
  if (scale < 0) {
    units *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { units, scale };
}

function align(a: Dec, b: Dec): [bigint, bigint, number] {
  const scale = Math.max(a.scale, b.scale);
  return [a.units * 10n ** BigInt(scale - a.scale), b.units * 10n ** BigInt(scale - b.scale), scale];
}

function add(a: Dec, b: Dec): Dec {
  const [x, y, scale] = align(a, b);
  return { units: x + y, scale };
}

function times(a: Dec, count: number): Dec {
  return { units: a.units * BigInt(count), scale: a.scale };
}

function perToken(rate: Dec): Dec {
  return { units: rate.units, scale: rate.scale + 6 };
}

/** The number the server's exact decimal text parses to. */
function toNumber(value: Dec): number {
  const negative = value.units < 0n;
  let digits = (negative ? -value.units : value.units).toString();
  if (value.scale === 0) return Number((negative ? "-" : "") + digits);
  digits = digits.padStart(value.scale + 1, "0");
  const text = `${digits.slice(0, -value.scale)}.${digits.slice(-value.scale)}`;
  return Number((negative ? "-" : "") + text);
}

// --- usage ----------------------------------------------------------------------------------

type Counts = [number, number, number, number, number, number]; // i, c, w, o, r, h

function count(source: Record<string, unknown>, key: string, field: string): number {
  const value = source[key];
  if (value == null) return 0;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    throw new OfflineInvalid(field, `must be a whole number of tokens, not negative, got ${JSON.stringify(value)}`);
  }
  return value;
}

function nested(source: Record<string, unknown>, key: string): Record<string, unknown> {
  const value = source[key];
  return value != null && typeof value === "object" ? (value as Record<string, unknown>) : {};
}

function formatOf(usage: Record<string, unknown>): string {
  const has = (key: string) => key in usage;
  if (has("usageMetadata") || has("promptTokenCount") || has("prompt_token_count")) return "gemini";
  if (has("inputTokens") || has("outputTokens")) return "bedrock";
  if (has("prompt_tokens") || has("completion_tokens")) return "openai_chat";
  if (has("cache_read_input_tokens") || has("cache_creation_input_tokens") || has("cache_creation")) return "anthropic";
  if (has("input_tokens_details") || has("output_tokens_details")) return "openai_responses";
  return "modeldeck";
}

/** A provider's usage as (input, cached, cache write, output, reasoning, 1-hour write) counts. */
export function usageCounts(raw: unknown, usageFormat?: string | null): { counts: Counts; usage: Usage } {
  if (raw == null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new OfflineInvalid("usage", "must be a usage object");
  }
  const usage = raw as Record<string, unknown>;
  const format = usageFormat ?? formatOf(usage);
  const f = (key: string) => `usage.${key}`;
  let counts: Counts;
  switch (format) {
    case "openai_chat":
    case "mistral": {
      const prompt = nested(usage, "prompt_tokens_details");
      const completion = nested(usage, "completion_tokens_details");
      counts = [
        count(usage, "prompt_tokens", f("prompt_tokens")),
        count(prompt, "cached_tokens", f("prompt_tokens_details.cached_tokens")),
        count(prompt, "cache_write_tokens", f("prompt_tokens_details.cache_write_tokens")),
        count(usage, "completion_tokens", f("completion_tokens")),
        count(completion, "reasoning_tokens", f("completion_tokens_details.reasoning_tokens")),
        0,
      ];
      break;
    }
    case "openai_responses": {
      const input = nested(usage, "input_tokens_details");
      const output = nested(usage, "output_tokens_details");
      counts = [
        count(usage, "input_tokens", f("input_tokens")),
        count(input, "cached_tokens", f("input_tokens_details.cached_tokens")),
        0,
        count(usage, "output_tokens", f("output_tokens")),
        count(output, "reasoning_tokens", f("output_tokens_details.reasoning_tokens")),
        0,
      ];
      break;
    }
    case "anthropic": {
      const read = count(usage, "cache_read_input_tokens", f("cache_read_input_tokens"));
      const written = count(usage, "cache_creation_input_tokens", f("cache_creation_input_tokens"));
      const hour = count(nested(usage, "cache_creation"), "ephemeral_1h_input_tokens", f("cache_creation.ephemeral_1h_input_tokens"));
      counts = [count(usage, "input_tokens", f("input_tokens")) + read + written, read, written, count(usage, "output_tokens", f("output_tokens")), 0, hour];
      break;
    }
    case "gemini": {
      const meta = "usageMetadata" in usage ? nested(usage, "usageMetadata") : usage;
      const pick = (camel: string, snake: string) =>
        camel in meta ? count(meta, camel, f(camel)) : count(meta, snake, f(snake));
      const thoughts = pick("thoughtsTokenCount", "thoughts_token_count");
      counts = [
        pick("promptTokenCount", "prompt_token_count") + pick("toolUsePromptTokenCount", "tool_use_prompt_token_count"),
        pick("cachedContentTokenCount", "cached_content_token_count"),
        0,
        pick("candidatesTokenCount", "candidates_token_count") + thoughts,
        thoughts,
        0,
      ];
      break;
    }
    case "bedrock": {
      const read = count(usage, "cacheReadInputTokens", f("cacheReadInputTokens"));
      const written = count(usage, "cacheWriteInputTokens", f("cacheWriteInputTokens"));
      counts = [count(usage, "inputTokens", f("inputTokens")) + read + written, read, written, count(usage, "outputTokens", f("outputTokens")), 0, 0];
      break;
    }
    case "modeldeck":
      counts = [
        count(usage, "input_tokens", f("input_tokens")),
        count(usage, "cached_input_tokens", f("cached_input_tokens")),
        count(usage, "cache_write_tokens", f("cache_write_tokens")),
        count(usage, "output_tokens", f("output_tokens")),
        count(usage, "reasoning_tokens", f("reasoning_tokens")),
        count(usage, "cache_write_1h_tokens", f("cache_write_1h_tokens")),
      ];
      break;
    default:
      throw new OfflineInvalid("usage_format", `is not a known usage format: ${format}`);
  }
  const [i, c, w, o, r, h] = counts;
  if (c + w > i) throw new OfflineInvalid("usage.cached_input_tokens", "cached and cache-write tokens exceed the input tokens");
  if (r > o) throw new OfflineInvalid("usage.reasoning_tokens", "exceeds the output tokens");
  if (h > w) throw new OfflineInvalid("usage.cache_write_1h_tokens", "exceeds the cache-write tokens");
  return {
    counts,
    usage: {
      input_tokens: i,
      cached_input_tokens: c,
      cache_write_tokens: w,
      output_tokens: o,
      reasoning_tokens: r,
      cache_write_1h_tokens: h,
    },
  };
}

// --- the cost -------------------------------------------------------------------------------

type Rate = number | string | null | undefined; // a request schema's rate may be decimal text

interface Sheet {
  input?: Rate;
  cached_input?: Rate;
  cache_write?: Rate;
  cache_write_1h?: Rate;
  output?: Rate;
  reasoning?: Rate;
  per_request?: Rate;
  tiers?: TierLike[] | undefined;
  windows?: WindowLike[] | undefined;
}

interface TierLike extends Omit<Sheet, "tiers" | "windows"> {
  above_input_tokens: number;
}

interface WindowLike extends Sheet {
  start: string;
  end: string;
  name?: string | null;
}

type Rates = [Dec, Dec, Dec, Dec, Dec, Dec]; // per 1M: input, cached, write, output, reasoning, 1h

function rates(sheet: Sheet): Rates {
  const input = dec(sheet.input ?? 0);
  const output = dec(sheet.output ?? 0);
  const written = sheet.cache_write == null ? input : dec(sheet.cache_write);
  return [
    input,
    sheet.cached_input == null ? input : dec(sheet.cached_input),
    written,
    output,
    sheet.reasoning == null ? output : dec(sheet.reasoning),
    sheet.cache_write_1h == null ? written : dec(sheet.cache_write_1h),
  ];
}

function minute(text: string): number {
  const [hours = "0", minutes = "0"] = text.split(":");
  return Number(hours) * 60 + Number(minutes);
}

function windowAt(windows: readonly WindowLike[], moment: Date): WindowLike | null {
  const second = moment.getUTCHours() * 3600 + moment.getUTCMinutes() * 60 + moment.getUTCSeconds();
  for (const window of windows) {
    const start = minute(window.start) * 60;
    const end = minute(window.end) * 60;
    const inside = start < end ? start <= second && second < end : second >= start || second < end;
    if (inside) return window;
  }
  return null;
}

const shown = (value: Rate): number | null => (value == null ? null : Number(value));

const COMPONENTS = ["input", "cached_input", "cache_write", "output", "reasoning", "cache_write_1h"] as const;
const LINE_ORDER = [0, 1, 2, 5, 3, 4] as const;

/** The cost of `requests` requests of `usage` each on a record's current prices. */
export function offlineCost(
  model: Model,
  rawUsage: unknown,
  options: { requests?: number; usage_format?: string | null; service_tier?: string | null },
): CostAnswer {
  const pricing: Pricing | null | undefined = model.pricing;
  if (pricing == null) throw new OfflineInvalid("model", "has no price");
  const requests = options.requests ?? 1;
  if (!Number.isInteger(requests) || requests < 0) throw new OfflineInvalid("requests", "must be a whole number");
  const { counts, usage } = usageCounts(rawUsage, options.usage_format);
  const serviceTier = options.service_tier ?? "standard";
  let sheet: Sheet = pricing;
  if (serviceTier !== "standard") {
    const variant = pricing.service_tiers?.[serviceTier];
    if (variant === undefined) {
      const offered = ["standard", ...Object.keys(pricing.service_tiers ?? {})].join(", ");
      throw new OfflineInvalid("service_tier", `'${serviceTier}' is not offered at these prices (offered: ${offered})`);
    }
    sheet = variant;
  }
  const window = sheet.windows?.length ? windowAt(sheet.windows, new Date()) : null;
  if (window !== null) sheet = window;
  const [i, c, w, o, r, h] = counts;
  let applied: Sheet = sheet;
  let tier: TierLike | null = null;
  for (const candidate of [...(sheet.tiers ?? [])].sort((a, b) => a.above_input_tokens - b.above_input_tokens)) {
    if (i > candidate.above_input_tokens) tier = candidate;
  }
  if (tier !== null) {
    const pick = (own: Rate, base: Rate) => (own == null ? base : own);
    applied = {
      input: pick(tier.input, sheet.input),
      cached_input: pick(tier.cached_input, sheet.cached_input),
      cache_write: pick(tier.cache_write, sheet.cache_write),
      output: pick(tier.output, sheet.output),
      reasoning: pick(tier.reasoning, sheet.reasoning),
      cache_write_1h: pick(tier.cache_write_1h, sheet.cache_write_1h),
    };
  }
  const perMillion = rates(applied);
  const tokensOf = [i - c - w, c, w - h, o - r, r, h];
  const lines: CostAnswer["lines"] = [];
  let total: Dec = { units: 0n, scale: 0 };
  for (const k of LINE_ORDER) {
    const perRequest = tokensOf[k] ?? 0;
    const rate = perMillion[k];
    if (rate === undefined || (!perRequest && k !== 0 && k !== 3)) continue;
    const amount = times(perToken(rate), perRequest * requests);
    total = add(total, amount);
    lines.push({ component: COMPONENTS[k], tokens: perRequest * requests, rate: toNumber(rate), amount: toNumber(amount) });
  }
  const fee = sheet.per_request;
  if (fee != null) {
    const amount = times(dec(fee), requests);
    total = add(total, amount);
    lines.push({ component: "per_request", tokens: requests, rate: Number(fee), amount: toNumber(amount) });
  }
  return {
    model: { id: model.id, name: model.name },
    usage,
    total: toNumber(total),
    currency: pricing.currency ?? "USD",
    requests,
    lines,
    tier:
      tier === null
        ? null
        : {
            above_input_tokens: tier.above_input_tokens,
            input: shown(tier.input),
            output: shown(tier.output),
            cached_input: shown(tier.cached_input),
            cache_write: shown(tier.cache_write),
            reasoning: shown(tier.reasoning),
            cache_write_1h: shown(tier.cache_write_1h),
          },
    service_tier: serviceTier,
    window: window === null ? null : { start: window.start, end: window.end, name: window.name ?? null },
    price_period: {
      effective_from: pricing.effective_from,
      effective_until: null,
      source: pricing.source ?? null,
      rates: {
        input: shown(sheet.input),
        cached_input: shown(sheet.cached_input),
        cache_write: shown(sheet.cache_write),
        cache_write_1h: shown(sheet.cache_write_1h),
        output: shown(sheet.output),
        reasoning: shown(sheet.reasoning),
        per_request: shown(sheet.per_request),
      },
    },
  };
}

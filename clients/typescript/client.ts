// A small Model Deck consumer, typed only by what openapi-typescript generates from
// /openapi.json (schema.d.ts). tests/test_typescript_client.py compiles it with tsc --strict.
import type { components, operations } from "./schema";

export type ModelPublic = components["schemas"]["ModelPublic"];
export type ModelList = components["schemas"]["ModelList"];
export type CostRequest = components["schemas"]["CostRequest"];
export type CostAnswer = components["schemas"]["CostAnswer"];
export type Problem = components["schemas"]["Problem"];
type ListQuery = NonNullable<operations["listModels"]["parameters"]["query"]>;

/** A problem+json answer, with the fields the server named. */
export class ProblemError extends Error {
  constructor(readonly problem: Problem) {
    super(`${problem.title}: ${problem.detail}`);
  }

  /** `{"pricing.input": "must not be negative"}` for a validation problem. */
  fieldMessages(): Record<string, string> {
    const messages: Record<string, string> = {};
    for (const error of this.problem.errors ?? []) {
      messages[error.field] = error.message;
    }
    return messages;
  }
}

export class ModelDeck {
  constructor(
    private readonly baseUrl: string,
    private readonly token?: string,
  ) {}

  private async call<T>(path: string, init: RequestInit = {}): Promise<T> {
    const headers = new Headers(init.headers);
    headers.set("Accept", "application/json, application/problem+json");
    if (this.token !== undefined) headers.set("Authorization", `Bearer ${this.token}`);
    const response = await fetch(this.baseUrl + path, { ...init, headers });
    if (response.headers.get("Content-Type") === "application/problem+json") {
      throw new ProblemError((await response.json()) as Problem);
    }
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return (await response.json()) as T;
  }

  listModels(query: ListQuery = {}): Promise<ModelList> {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== null) search.set(key, String(value));
    }
    return this.call<ModelList>(`/api/models?${search.toString()}`);
  }

  getModel(ref: string): Promise<ModelPublic> {
    return this.call<ModelPublic>(`/api/models/${encodeURIComponent(ref)}`);
  }

  priceUsage(request: CostRequest): Promise<CostAnswer> {
    return this.call<CostAnswer>("/api/cost", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(request),
    });
  }
}

/** What a dashboard does: the priced models, one of them, and what a call on it costs. */
export async function cheapestInputPrice(deck: ModelDeck): Promise<string> {
  const listing = await deck.listModels({ priced: true, sort: "name", limit: 100 });
  const prices: number[] = listing.data.flatMap((model: ModelPublic) =>
    model.pricing?.input != null ? [model.pricing.input] : [],
  );
  const model = await deck.getModel("gpt-4o");
  const window: number = model.context_window;
  try {
    const answer = await deck.priceUsage({
      model: model.name,
      usage: { prompt_tokens: 1200, completion_tokens: 300 },
    });
    const total: number = answer.total;
    const lines = answer.lines.map((line) => `${line.component}: ${line.amount}`);
    return `${listing.count} priced (from ${Math.min(...prices)}), ${window} tokens, ` +
      `${total} ${answer.currency} = ${lines.join(" + ")}`;
  } catch (error) {
    if (error instanceof ProblemError) {
      const fields = error.problem.errors?.map((item) => item.field) ?? [];
      return `refused (${error.problem.status}): ${fields.join(", ")}`;
    }
    throw error;
  }
}

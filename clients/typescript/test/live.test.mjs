// Against a real `modeldeck serve` (tests/test_typescript_client.py starts it):
// MODELDECK_URL, MODELDECK_TOKEN (admin) and MODELDECK_STATE (a folder this run may write).
// offline.test.mjs runs after the server is stopped, with the snapshot and answers saved here.
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";

import { ModelDeck, ProblemError, UnavailableError } from "../dist/src/index.js";
import { fetchAIModels, getPricingForModel, useModelDeck } from "../dist/examples/config.js";

const baseUrl = process.env.MODELDECK_URL;
const token = process.env.MODELDECK_TOKEN;
const state = process.env.MODELDECK_STATE;
assert.ok(baseUrl && token && state, "set MODELDECK_URL, MODELDECK_TOKEN and MODELDECK_STATE");
const snapshotPath = join(state, "snapshot", "models.json");
const quiet = { onFallback: () => {} };
const USAGE = { prompt_tokens: 1200, completion_tokens: 300, prompt_tokens_details: { cached_tokens: 1024 } };
const ANTHROPIC = {
  input_tokens: 2095, cache_read_input_tokens: 188086, cache_creation_input_tokens: 556,
  cache_creation: { ephemeral_5m_input_tokens: 456, ephemeral_1h_input_tokens: 100 }, output_tokens: 503,
};

async function admin(method, path, body) {
  const response = await fetch(baseUrl + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  assert.ok(response.ok, `${method} ${path}: ${response.status} ${await response.clone().text()}`);
  return response.json();
}

test("lists, gets and filters models from the server, and saves the snapshot", async () => {
  const deck = new ModelDeck({ baseUrl, snapshotPath, ...quiet });
  const created = await admin("POST", "/api/models", {
    name: "ts-client-own", provider: "openai_compatible", context_window: 32000, max_output_tokens: 4096,
    pricing: { input: 0.2, cached_input: 0.05, output: 0.6 }, tags: ["typescript"],
  });
  const all = await deck.listModels();
  assert.equal(all.source, "server");
  assert.equal(all.stale, false);
  assert.equal(all.savedAt, null);
  assert.ok(all.count >= 150);
  assert.equal(all.data.length, all.count);
  assert.ok(all.data.some((model) => model.name === "ts-client-own"));
  assert.deepEqual(Object.keys(all), ["data", "count", "revision"], "provenance is not serialised");

  const anthropic = await deck.listModels({ provider: "anthropic", priced: true, sort: "-context_window", limit: 3 });
  assert.equal(anthropic.data.length, 3);
  assert.ok(anthropic.data.every((model) => model.provider === "anthropic" && model.pricing !== null));
  assert.ok(anthropic.data[0].context_window >= anthropic.data[2].context_window);

  const model = await deck.getModel("GPT-4o");
  assert.equal(model.name, "gpt-4o");
  assert.equal(model.source, "server");
  assert.equal(typeof model.pricing.input, "number");
  assert.equal((await deck.getModel(created.id)).name, "ts-client-own");
  assert.equal((await deck.getModel("azure/gpt-4.1")).name, "azure/gpt-4.1");

  // A second list revalidates with the ETag and answers the same.
  const again = await deck.listModels();
  assert.equal(again.count, all.count);
  assert.equal(again.source, "server");
});

test("pricing now, at a date, and the price history", async () => {
  const deck = new ModelDeck({ baseUrl, token, ...quiet });
  const now = await deck.getPricing("gpt-4o");
  assert.equal(now.model, "gpt-4o");
  assert.equal(now.source, "server");
  assert.equal(now.pricing.currency, "USD");
  const history = await deck.priceHistory("gpt-4o");
  assert.ok(history.data.length >= 1);
  const first = history.data[0];
  const then = await deck.getPricing("gpt-4o", first.effective_from);
  assert.equal(then.pricing.input, first.input);
  assert.equal(then.pricing.effective_from, first.effective_from);
  const before = await deck.getPricing("gpt-4o", new Date("2000-01-01T00:00:00Z"));
  assert.equal(before.pricing, null);
  const own = await deck.getPricing("ts-client-own");
  assert.equal(own.pricing.input, 0.2);
  assert.equal(own.pricing.cached_input, 0.05);
});

test("cost of provider usages, and the same numbers computed offline", async () => {
  const deck = new ModelDeck({ baseUrl, ...quiet });
  const answer = await deck.cost("gpt-4o", USAGE);
  assert.equal(answer.source, "server");
  assert.equal(answer.model.name, "gpt-4o");
  assert.deepEqual(answer.lines.map((line) => line.component), ["input", "cached_input", "output"]);
  const sum = answer.lines.reduce((total, line) => total + line.amount, 0);
  assert.ok(Math.abs(sum - answer.total) < 1e-12);
  const batch = await deck.cost("gpt-4o", { input_tokens: 1000000, output_tokens: 200000 }, { requests: 3 });
  assert.equal(batch.requests, 3);
  const claude = await deck.cost("claude-sonnet-4-5", ANTHROPIC, { usage_format: "anthropic" });
  const dated = await deck.cost("gpt-4o", USAGE, { at: "2025-06-01T00:00:00Z" });
  assert.equal(typeof dated.total, "number");

  // The client's own engine (used offline) gives the server's numbers exactly.
  const down = new ModelDeck({ baseUrl, ...quiet, fetch: async () => { throw new TypeError("fetch failed"); } });
  await down.listModels().catch(() => {});
  for (const [model, usage, options, served] of [
    ["gpt-4o", USAGE, {}, answer],
    ["gpt-4o", { input_tokens: 1000000, output_tokens: 200000 }, { requests: 3 }, batch],
    ["claude-sonnet-4-5", ANTHROPIC, { usage_format: "anthropic" }, claude],
  ]) {
    const offline = await down.cost(model, usage, options);
    assert.equal(offline.source, "catalog");
    assert.deepEqual(offline.lines, served.lines, model);
    assert.equal(offline.total, served.total, model);
  }
  await writeFile(join(state, "costs.json"), JSON.stringify({ gpt4o: answer, ownModel: await deck.cost("ts-client-own", USAGE) }));
});

test("simulate a workload on every priced model", async () => {
  const deck = new ModelDeck({ baseUrl, ...quiet });
  const answer = await deck.simulate({
    requests: 1000, input_tokens: 1500, output_tokens: 400, cached_share: 0.5,
    models: ["gpt-4o", "ts-client-own"],
    custom_prices: [{ name: "self-hosted", pricing: { input: 0.1, output: 0.3 } }],
  });
  assert.deepEqual(answer.data.map((row) => row.model).sort(), ["gpt-4o", "self-hosted", "ts-client-own"]);
  const costs = answer.data.map((row) => row.total_cost);
  assert.deepEqual(costs, [...costs].sort((a, b) => a - b), "cheapest first");
});

test("bad input is a typed Problem naming the field", async () => {
  const deck = new ModelDeck({ baseUrl, ...quiet });
  await assert.rejects(deck.cost("gpt-4o", { prompt_tokens: -5, completion_tokens: 1 }), (error) => {
    assert.ok(error instanceof ProblemError);
    assert.equal(error.status, 422);
    assert.ok(Object.keys(error.fieldMessages()).some((field) => field.startsWith("usage")), JSON.stringify(error.problem));
    return true;
  });
  await assert.rejects(deck.simulate({ requests: 0, input_tokens: 10, output_tokens: 1 }), (error) => {
    assert.ok(error instanceof ProblemError);
    assert.equal(error.status, 422);
    assert.ok("requests" in error.fieldMessages(), JSON.stringify(error.problem));
    return true;
  });
  await assert.rejects(deck.getModel("no-such-model"), (error) => error instanceof ProblemError && error.status === 404);
  // A 4xx is an answer, never a reason to fall back.
  await assert.rejects(deck.listModels({ sort: "nonsense" }), (error) => error instanceof ProblemError && error.status === 422);
});

test("the change feed (long-poll and Server-Sent Events) sees an edit made through the API", async () => {
  const deck = new ModelDeck({ baseUrl, ...quiet });
  const { revision } = await deck.listModels();
  const controller = new AbortController();
  const polled = (async () => {
    for await (const event of deck.changes(revision, { signal: controller.signal, wait: 5 })) {
      if (event.changes.some((change) => change.model_name === "ts-client-own")) return event;
    }
  })();
  const streamed = (async () => {
    for await (const event of deck.events(revision, { signal: controller.signal })) {
      if (event.changes.some((change) => change.model_name === "ts-client-own")) return event;
    }
  })();
  await new Promise((resolve) => setTimeout(resolve, 200));
  await admin("PATCH", "/api/models/ts-client-own", { description: "edited from the TypeScript test" });
  const timeout = setTimeout(() => controller.abort(), 15000);
  const [viaPoll, viaStream] = await Promise.all([polled, streamed]);
  clearTimeout(timeout);
  controller.abort();
  assert.ok(viaPoll, "the long-poll saw no change");
  assert.ok(viaStream, "the event stream saw no change");
  assert.equal(viaPoll.revision, viaStream.revision);
  assert.ok(viaPoll.revision > revision);
  assert.equal(viaPoll.changes[0].action, "update");
  // The snapshot on disk holds the edit once the list is read again.
  const list = await new ModelDeck({ baseUrl, snapshotPath, ...quiet }).listModels();
  assert.equal(list.revision, viaPoll.revision);
});

test("a server that fails (5xx) or vanishes is answered from the snapshot, in memory and on disk", async () => {
  // From disk: a new client whose server answers 503 (a database outage, say).
  const outage = async () =>
    new Response(JSON.stringify({ type: "about:blank", title: "Unavailable", status: 503, detail: "database down" }), {
      status: 503,
      headers: { "Content-Type": "application/problem+json", "Retry-After": "1" },
    });
  const notices = [];
  const fromDisk = new ModelDeck({ baseUrl, snapshotPath, fetch: outage, onFallback: (notice) => notices.push(notice) });
  const list = await fromDisk.listModels();
  assert.equal(list.source, "snapshot");
  assert.equal(list.stale, true);
  assert.ok(list.savedAt);
  assert.ok(list.data.some((model) => model.name === "ts-client-own"));
  assert.deepEqual(notices.map((notice) => [notice.source, notice.reason]), [["snapshot", "HTTP 503"]]);
  const filtered = await fromDisk.listModels({ tag: "typescript" });
  assert.deepEqual(filtered.data.map((model) => model.name), ["ts-client-own"]);
  assert.equal(filtered.source, "snapshot");
  await assert.rejects(fromDisk.simulate({ requests: 1, input_tokens: 1, output_tokens: 1 }), UnavailableError);
  // A snapshot saved from another server is not used.
  const elsewhere = new ModelDeck({ baseUrl: "http://127.0.0.1:9", snapshotPath, fetch: outage, onFallback: () => {} });
  assert.equal((await elsewhere.listModels()).source, "catalog");

  // In memory: the same client, once its server stops answering.
  let up = true;
  const flaky = (input, init) => (up ? fetch(input, init) : Promise.reject(new TypeError("fetch failed", { cause: { code: "ECONNREFUSED" } })));
  const deck = new ModelDeck({ baseUrl, fetch: flaky, ...quiet });
  await deck.listModels();
  up = false;
  const model = await deck.getModel("ts-client-own");
  assert.equal(model.source, "snapshot");
  assert.equal(model.stale, true);
  assert.equal(model.description, "edited from the TypeScript test");
  const cost = await deck.cost("ts-client-own", USAGE);
  assert.equal(cost.source, "snapshot");
  await assert.rejects(deck.cost("gpt-4o", USAGE, { at: "2025-01-01T00:00:00Z" }), UnavailableError);
});

test("aliases from the server, and the last ones read while it is unreachable", async () => {
  await admin("POST", "/api/aliases", { name: "ts-chat", targets: [{ model: "ts-client-own", weight: 2, rpm: 60 }] });
  let up = true;
  const flaky = (input, init) => (up ? fetch(input, init) : Promise.reject(new TypeError("fetch failed", { cause: { code: "ECONNREFUSED" } })));
  const deck = new ModelDeck({ baseUrl, fetch: flaky, ...quiet });
  const online = await deck.listAliases();
  assert.equal(online.source, "server");
  const alias = online.data.find((item) => item.name === "ts-chat");
  assert.deepEqual([alias.targets[0].model, alias.targets[0].weight, alias.targets[0].rpm], ["ts-client-own", 2, 60]);
  up = false;
  const offline = await deck.listAliases();
  assert.equal(offline.source, "snapshot");
  assert.equal(offline.stale, true);
  assert.ok(offline.data.some((item) => item.name === "ts-chat"));
  const never = new ModelDeck({ baseUrl: "http://127.0.0.1:9", ...quiet });
  const none = await never.listAliases();
  assert.deepEqual([none.source, none.data.length], ["catalog", 0]);
  const removed = await fetch(`${baseUrl}/api/aliases/ts-chat`, { method: "DELETE", headers: { Authorization: `Bearer ${token}` } });
  assert.equal(removed.status, 204);
});

test("seed 000's fetchAIModels() and getPricingForModel() read the registry", async () => {
  useModelDeck(new ModelDeck({ baseUrl, ...quiet }));
  const { models, stale } = await fetchAIModels();
  assert.equal(stale, false);
  const own = models.find((model) => model.name === "ts-client-own");
  assert.deepEqual(own.pricing, { input: 0.2, cachedInput: 0.05, output: 0.6 });
  assert.equal(own.isSystem, false);
  assert.deepEqual(await getPricingForModel("ts-client-own"), { modelId: "ts-client-own", input: 0.2, cachedInput: 0.05, output: 0.6 });
  assert.equal(await getPricingForModel("no-such-model"), undefined);
});

// After live.test.mjs, with the server stopped (its port now refuses connections):
// MODELDECK_URL (the stopped server), MODELDECK_STATE (the snapshot and answers it saved).
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";

import { CATALOG, CATALOG_VERSION, ModelDeck, ProblemError, UnavailableError } from "../dist/src/index.js";
import { fetchAIModels, getPricingForModel, useModelDeck } from "../dist/examples/config.js";

const baseUrl = process.env.MODELDECK_URL;
const state = process.env.MODELDECK_STATE;
assert.ok(baseUrl && state, "set MODELDECK_URL and MODELDECK_STATE");
const snapshotPath = join(state, "snapshot", "models.json");
const USAGE = { prompt_tokens: 1200, completion_tokens: 300, prompt_tokens_details: { cached_tokens: 1024 } };

test("the server is down", async () => {
  await assert.rejects(fetch(`${baseUrl}/readyz`));
});

test("with a snapshot on disk, reads answer from it, saying so", async () => {
  const notices = [];
  const deck = new ModelDeck({ baseUrl, snapshotPath, onFallback: (notice) => notices.push(notice) });
  const list = await deck.listModels();
  assert.equal(list.source, "snapshot");
  assert.equal(list.stale, true);
  assert.match(list.savedAt, /^\d{4}-\d\d-\d\dT/);
  assert.ok(list.revision > 1);
  assert.ok(list.data.some((model) => model.name === "ts-client-own"), "the server's own model is in the snapshot");
  assert.deepEqual(notices[0], { baseUrl, reason: "connection refused", source: "snapshot" });

  const model = await deck.getModel("TS-CLIENT-OWN");
  assert.equal(model.source, "snapshot");
  assert.equal(model.description, "edited from the TypeScript test");
  const pricing = await deck.getPricing("ts-client-own");
  assert.deepEqual([pricing.source, pricing.stale, pricing.pricing.input], ["snapshot", true, 0.2]);
  const page = await deck.listModels({ provider: "anthropic", sort: "-context_window", limit: 2 });
  assert.equal(page.data.length, 2);
  assert.ok(page.count > 2);

  const saved = JSON.parse(await readFile(join(state, "costs.json"), "utf8"));
  const cost = await deck.cost("ts-client-own", USAGE);
  assert.equal(cost.source, "snapshot");
  assert.equal(cost.total, saved.ownModel.total);
  assert.deepEqual(cost.lines, saved.ownModel.lines);

  await assert.rejects(deck.getModel("not-in-the-snapshot"), UnavailableError);
  await assert.rejects(deck.simulate({ requests: 1, input_tokens: 1, output_tokens: 1 }), UnavailableError);
  await assert.rejects(deck.priceHistory("gpt-4o"), UnavailableError);
  await assert.rejects(deck.cost("ts-client-own", { prompt_tokens: -1 }), (error) => {
    assert.ok(error instanceof ProblemError);
    assert.equal(error.status, 422);
    assert.deepEqual(Object.keys(error.fieldMessages()), ["usage.prompt_tokens"]);
    return true;
  });
});

test("without a snapshot, reads answer from the bundled built-in catalog", async () => {
  const notices = [];
  const deck = new ModelDeck({ baseUrl, snapshotPath: join(state, "none", "models.json"), onFallback: (notice) => notices.push(notice) });
  const list = await deck.listModels();
  assert.equal(list.source, "catalog");
  assert.equal(list.stale, true);
  assert.equal(list.savedAt, null);
  assert.equal(list.count, CATALOG.length);
  assert.ok(!list.data.some((model) => model.name === "ts-client-own"));
  assert.equal(notices[0].source, "catalog");
  const model = await deck.getModel("gpt-4o");
  assert.equal(model.source, "catalog");
  assert.equal(model.is_system, true);
  assert.match(CATALOG_VERSION, /^\d{4}-\d\d-\d\d$/);

  const saved = JSON.parse(await readFile(join(state, "costs.json"), "utf8"));
  const cost = await deck.cost("gpt-4o", USAGE);
  assert.equal(cost.source, "catalog");
  assert.equal(cost.total, saved.gpt4o.total);
  await assert.rejects(deck.getModel("ts-client-own"), UnavailableError);
  // A model whose shutdown day has passed is retired offline too.
  const retired = await deck.listModels({ status: "retired" });
  const today = new Date().toISOString().slice(0, 10);
  assert.ok(retired.data.every((item) => item.status === "retired"));
  assert.ok(list.data.filter((item) => item.retires_on && item.retires_on <= today).every((item) => item.status === "retired"));
});

test("seed 000's config keeps working while the registry is down", async () => {
  useModelDeck(new ModelDeck({ baseUrl, snapshotPath, onFallback: () => {} }));
  const { models, stale } = await fetchAIModels();
  assert.equal(stale, true);
  assert.ok(models.some((model) => model.name === "ts-client-own"));
  assert.deepEqual(await getPricingForModel("ts-client-own"), { modelId: "ts-client-own", input: 0.2, cachedInput: 0.05, output: 0.6 });
  useModelDeck(new ModelDeck({ baseUrl, onFallback: () => {} }));
  const fromCatalog = await getPricingForModel("gpt-4o");
  assert.equal(typeof fromCatalog.input, "number");
});

// Seed 000's `packages/config`, written with the Model Deck client: the models and prices its
// dashboard used to hard-code now come from the registry, and keep coming (from the last good
// snapshot, else the built-in catalog) while the registry is down.
import { ModelDeck, type Model } from "../src/index.js";

/** The dashboard's own shapes (packages/types), unchanged. */
export interface AIModel {
  id: string;
  name: string;
  parameters: number | null; // billions
  contextLength: number; // longest output
  contextWindow: number;
  tokenWeights?: { input: number; cachedInput: number; output: number };
  complexityFactor: number | null; // parameters / 175
  pricing?: { input: number; cachedInput: number; output: number }; // USD per 1M tokens
  isSystem: boolean;
}

export interface ModelPricing {
  modelId: string;
  input: number;
  cachedInput: number;
  output: number;
}

let deck = new ModelDeck({
  baseUrl: "http://127.0.0.1:8000",
  snapshotPath: ".cache/modeldeck-models.json", // survives restarts while Model Deck is down
});

/** Point the config at another registry (tests, staging). */
export function useModelDeck(other: ModelDeck): void {
  deck = other;
}

function toAIModel(model: Model): AIModel {
  const pricing = model.pricing;
  return {
    id: model.id,
    name: model.name,
    parameters: model.parameters_b ?? null,
    contextLength: model.max_output_tokens,
    contextWindow: model.context_window,
    tokenWeights: {
      input: model.token_weights.input,
      cachedInput: model.token_weights.cached_input,
      output: model.token_weights.output,
    },
    complexityFactor: model.complexity_factor ?? null,
    ...(pricing?.input != null && pricing.output != null
      ? { pricing: { input: pricing.input, cachedInput: pricing.cached_input ?? pricing.input, output: pricing.output } }
      : {}),
    isSystem: model.is_system,
  };
}

/** Every enabled model; `stale` is true when the registry was unreachable. */
export async function fetchAIModels(): Promise<{ models: AIModel[]; stale: boolean }> {
  const list = await deck.listModels();
  return { models: list.data.filter((model) => model.enabled).map(toAIModel), stale: list.stale };
}

export async function getAIModelById(id: string): Promise<AIModel | undefined> {
  try {
    return toAIModel(await deck.getModel(id));
  } catch {
    return undefined;
  }
}

/** A model's current prices per 1M tokens, or undefined when it is unpriced or unknown. */
export async function getPricingForModel(modelId: string): Promise<ModelPricing | undefined> {
  const { pricing } = await deck.getPricing(modelId).catch(() => ({ pricing: null }));
  if (pricing?.input == null || pricing.output == null) return undefined;
  return { modelId, input: pricing.input, cachedInput: pricing.cached_input ?? pricing.input, output: pricing.output };
}

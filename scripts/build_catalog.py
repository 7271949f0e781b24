"""Build Model Deck's built-in catalog (``src/modeldeck/catalog/builtin.json``).

The catalog is generated, never hand-edited. Facts come from the public catalogs
vendored in ``data/catalog-sources`` (see its README.md for their provenance):

* ``litellm-model-prices.json`` -- LiteLLM's price map, USD per token (floats). First choice
  for prices, limits, capabilities and deprecation dates.
* ``models-dev.json`` -- models.dev, USD per 1M tokens. Second choice for prices (models the
  LiteLLM map does not price), and the source of release dates, which become
  ``effective_from`` because neither catalog dates its prices.

What the sources do not say -- which models to ship, the vendor, published parameter counts
(open-weight models only), how each model is reached (provider, endpoint, API version, key
variable) and the human-readable names -- lives in the curated ``ENTRIES`` table below.

Run it from the repository root after editing the table or refreshing ``data/catalog-sources``::

    .venv/bin/python scripts/build_catalog.py           # rewrite the catalog
    .venv/bin/python scripts/build_catalog.py --check   # exit 1 if the file is out of date

The output is deterministic: models sorted by name, keys in a fixed order, 2-space indent,
a trailing newline. Running it twice gives identical bytes. Prices are converted exactly with
``Decimal`` (never float arithmetic) and written as plain decimal strings ("2.5", "10").
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
CATALOGS_DIR = REPO_ROOT / "data" / "catalog-sources"
OUTPUT_PATH = REPO_ROOT / "src" / "modeldeck" / "catalog" / "builtin.json"

LITELLM_FILE = "litellm-model-prices.json"
MODELSDEV_FILE = "models-dev.json"

# The day the sources were snapshotted. Also the last-resort `effective_from`: when neither
# models.dev nor the table knows a release date, all we know is that the price held then.
CATALOG_VERSION = "2026-11-21"
DEFAULT_MODEL = "gpt-4o-mini"

PER_MILLION = Decimal(1_000_000)
NAME_PATTERN = re.compile(r"^[A-Za-z0-9._\-:/@]{1,128}$")

DEFAULT_LIMITS: dict[str, Any] = {
    "base_timeout_s": 120,
    "max_timeout_s": 300,
    "timeout_per_token_s": 0.05,
    "max_retries": 3,
}
REASONING_LIMITS: dict[str, Any] = {
    "base_timeout_s": 300,
    "max_timeout_s": 900,
    "timeout_per_token_s": 0.05,
    "max_retries": 3,
}

# LiteLLM long-context price fields: `input_cost_per_token_above_200k_tokens` and friends.
TIER_FIELD = re.compile(r"^input_cost_per_token_above_(\d+)k_tokens$")


@dataclass(frozen=True, slots=True)
class Host:
    """How a model is reached: the Model Deck provider and its connection defaults."""

    provider: str
    api_key_env: str
    pricing_page: str  # used when the price source names no https page of its own
    endpoint: str | None = None
    api_version: str | None = None
    tag: str | None = None  # `host:<tag>` for third-party hosts
    # LiteLLM's `source` is used when it is an https page; some hosts' point at an API
    # (Together's model list, Azure's retail-price query), so they cite the public page.
    cite_litellm_source: bool = True


OPENAI = Host("openai", "OPENAI_API_KEY", "https://openai.com/api/pricing/")
AZURE = Host(
    "azure_openai",
    "AZURE_OPENAI_API_KEY",
    "https://azure.microsoft.com/en-us/pricing/details/cognitive-services/openai-service/",
    api_version="2025-01-01-preview",  # endpoint is per organisation: set it after seeding
    tag="azure",
    cite_litellm_source=False,
)
ANTHROPIC = Host(
    "anthropic", "ANTHROPIC_API_KEY", "https://platform.claude.com/docs/en/about-claude/pricing"
)
GOOGLE = Host("google", "GEMINI_API_KEY", "https://ai.google.dev/gemini-api/docs/pricing")
MISTRAL = Host("mistral", "MISTRAL_API_KEY", "https://mistral.ai/pricing#api-pricing")
DEEPSEEK = Host(
    "openai_compatible",
    "DEEPSEEK_API_KEY",
    "https://api-docs.deepseek.com/quick_start/pricing",
    endpoint="https://api.deepseek.com/v1",
    tag="deepseek",
)
DASHSCOPE = Host(
    "openai_compatible",
    "DASHSCOPE_API_KEY",
    "https://www.alibabacloud.com/help/en/model-studio/models",
    endpoint="https://dashscope-intl.aliyuncs.com/compatible-mode/v1",
    tag="dashscope",
)
# Meta serves no paid API of its own in the sources; Llama comes through ONE host with an
# OpenAI-compatible API whose prices are in the LiteLLM map: Together AI.
TOGETHER = Host(
    "openai_compatible",
    "TOGETHER_API_KEY",
    "https://www.together.ai/pricing",
    endpoint="https://api.together.xyz/v1",
    tag="together_ai",
    cite_litellm_source=False,
)


@dataclass(frozen=True, slots=True)
class Entry:
    """One model to ship, and the facts about it that the public catalogs do not hold."""

    name: str
    display_name: str
    description: str
    vendor: str
    family: str
    host: Host
    litellm: str | None = None  # LiteLLM key; when set, prices and limits come from it
    modelsdev: str | None = None  # "<provider>/<model id>" in models.dev
    parameters_b: float | None = None  # only where the vendor publishes it (open weights)
    deployment: str | None = None  # the model's name at the provider, when not `name`
    api_version: str | None = None  # overrides the host's
    temperature: bool | None = None  # False for reasoning models that reject it
    released: str | None = None  # YYYY-MM-DD; wins over models.dev (a documented correction)

    @property
    def price_source(self) -> str:
        return "litellm" if self.litellm else "modelsdev"


def _openai(name: str, display: str, family: str, description: str, **kw: Any) -> Entry:
    return Entry(name, display, description, "openai", family, OPENAI, name, f"openai/{name}", **kw)


def _claude(name: str, display: str, family: str, description: str, **kw: Any) -> Entry:
    return Entry(name, display, description, "anthropic", family, ANTHROPIC, **kw)


def _gemini(name: str, display: str, family: str, description: str, **kw: Any) -> Entry:
    kw.setdefault("litellm", f"gemini/{name}")
    return Entry(name, display, description, "google", family, GOOGLE, **kw)


def _mistral(name: str, display: str, family: str, description: str, **kw: Any) -> Entry:
    return Entry(name, display, description, "mistral", family, MISTRAL, **kw)


def _azure(model: str, display: str, family: str, description: str, **kw: Any) -> Entry:
    return Entry(
        f"azure/{model}",
        display,
        description,
        "openai",
        family,
        AZURE,
        f"azure/{model}",
        f"openai/{model}",  # release date of the underlying OpenAI model
        deployment=model,  # Azure deployment names are per organisation; this is a default
        **kw,
    )


def _llama(
    name: str, together_id: str, display: str, params: float, description: str, **kw: Any
) -> Entry:
    return Entry(
        name,
        display,
        f"{description} Served by Together AI (OpenAI-compatible API).",
        "meta",
        "llama",
        TOGETHER,
        f"together_ai/{together_id}",
        parameters_b=params,
        deployment=together_id,
        **kw,
    )


NO_TEMPERATURE: dict[str, Any] = {"temperature": False}

ENTRIES: tuple[Entry, ...] = (
    # --- OpenAI (first-party API) -------------------------------------------------------
    _openai("gpt-4o", "GPT-4o", "gpt-4o", "OpenAI's flagship multimodal model."),
    _openai("gpt-4o-mini", "GPT-4o mini", "gpt-4o", "Small, fast, low-cost GPT-4o."),
    _openai("gpt-4.1", "GPT-4.1", "gpt-4.1", "GPT-4.1 with a 1M-token context window."),
    _openai("gpt-4.1-mini", "GPT-4.1 mini", "gpt-4.1", "Smaller, cheaper GPT-4.1."),
    _openai("gpt-4.1-nano", "GPT-4.1 nano", "gpt-4.1", "The fastest, cheapest GPT-4.1."),
    _openai("o1", "o1", "o1", "OpenAI's first full reasoning model.", **NO_TEMPERATURE),
    _openai("o3", "o3", "o3", "OpenAI reasoning model for hard problems.", **NO_TEMPERATURE),
    _openai("o3-mini", "o3-mini", "o3", "Small, low-cost reasoning model.", **NO_TEMPERATURE),
    _openai("o4-mini", "o4-mini", "o4", "Fast, low-cost multimodal reasoning.", **NO_TEMPERATURE),
    _openai("gpt-5", "GPT-5", "gpt-5", "OpenAI's GPT-5 reasoning model.", **NO_TEMPERATURE),
    _openai("gpt-5-mini", "GPT-5 mini", "gpt-5", "Smaller, cheaper GPT-5.", **NO_TEMPERATURE),
    _openai("gpt-5-nano", "GPT-5 nano", "gpt-5", "The fastest, cheapest GPT-5.", **NO_TEMPERATURE),
    _openai("gpt-5.1", "GPT-5.1", "gpt-5", "GPT-5.1 reasoning model.", **NO_TEMPERATURE),
    _openai("gpt-5.4", "GPT-5.4", "gpt-5", "GPT-5.4 with a 1M-token context.", **NO_TEMPERATURE),
    _openai("gpt-5.5", "GPT-5.5", "gpt-5", "OpenAI's GPT-5.5 frontier model.", **NO_TEMPERATURE),
    # --- Azure OpenAI (same OpenAI models through an organisation's Azure resource) --------
    _azure("gpt-4o", "GPT-4o (Azure)", "gpt-4o", "GPT-4o deployed on Azure OpenAI."),
    _azure("gpt-4o-mini", "GPT-4o mini (Azure)", "gpt-4o", "GPT-4o mini on Azure OpenAI."),
    _azure("gpt-4.1", "GPT-4.1 (Azure)", "gpt-4.1", "GPT-4.1 deployed on Azure OpenAI."),
    _azure("gpt-4.1-mini", "GPT-4.1 mini (Azure)", "gpt-4.1", "GPT-4.1 mini on Azure OpenAI."),
    _azure(
        "o4-mini",
        "o4-mini (Azure)",
        "o4",
        "o4-mini reasoning model on Azure OpenAI.",
        api_version="2025-04-01-preview",  # o3/o4-mini need the 2025-04 API
        **NO_TEMPERATURE,
    ),
    # --- Anthropic (first-party API) ----------------------------------------------------
    _claude(
        "claude-3-5-sonnet-20241022",
        "Claude 3.5 Sonnet",
        "claude-sonnet",
        "Anthropic's Claude 3.5 Sonnet (October 2024). Deprecated by Anthropic.",
        modelsdev="anthropic/claude-3-5-sonnet-20241022",
    ),
    _claude(
        "claude-3-7-sonnet-20250219",
        "Claude 3.7 Sonnet",
        "claude-sonnet",
        "Claude 3.7 Sonnet with extended thinking. Deprecated by Anthropic.",
        modelsdev="anthropic/claude-3-7-sonnet-20250219",
    ),
    _claude(
        "claude-sonnet-4-0",
        "Claude Sonnet 4",
        "claude-sonnet",
        "Claude Sonnet 4: balanced intelligence and speed.",
        modelsdev="anthropic/claude-sonnet-4-0",
    ),
    _claude(
        "claude-opus-4-1",
        "Claude Opus 4.1",
        "claude-opus",
        "Claude Opus 4.1 for complex, long-running tasks.",
        modelsdev="anthropic/claude-opus-4-1",
    ),
    _claude(
        "claude-sonnet-4-5",
        "Claude Sonnet 4.5",
        "claude-sonnet",
        "Claude Sonnet 4.5, strong at coding and agents.",
        litellm="claude-sonnet-4-5",
        modelsdev="anthropic/claude-sonnet-4-5",
    ),
    _claude(
        "claude-haiku-4-5",
        "Claude Haiku 4.5",
        "claude-haiku",
        "Anthropic's fastest, lowest-cost Claude 4.5 model.",
        litellm="claude-haiku-4-5",
        modelsdev="anthropic/claude-haiku-4-5",
    ),
    _claude(
        "claude-opus-4-5",
        "Claude Opus 4.5",
        "claude-opus",
        "Claude Opus 4.5, Anthropic's most capable 4.5 model.",
        litellm="claude-opus-4-5",
        modelsdev="anthropic/claude-opus-4-5",
    ),
    _claude(
        "claude-sonnet-4-6",
        "Claude Sonnet 4.6",
        "claude-sonnet",
        "Claude Sonnet 4.6 with a 1M-token context window.",
        litellm="claude-sonnet-4-6",
        modelsdev="anthropic/claude-sonnet-4-6",
    ),
    _claude(
        "claude-opus-4-6",
        "Claude Opus 4.6",
        "claude-opus",
        "Claude Opus 4.6 with a 1M-token context window.",
        litellm="claude-opus-4-6",
        modelsdev="anthropic/claude-opus-4-6",
    ),
    _claude(
        "claude-opus-4-7",
        "Claude Opus 4.7",
        "claude-opus",
        "Claude Opus 4.7 with a 1M-token context window.",
        litellm="claude-opus-4-7",
        modelsdev="anthropic/claude-opus-4-7",
    ),
    # --- Google (Gemini API) ------------------------------------------------------------
    _gemini(
        "gemini-2.0-flash",
        "Gemini 2.0 Flash",
        "gemini-flash",
        "Gemini 2.0 Flash. Deprecated by Google.",
        litellm=None,
        modelsdev="google/gemini-2.0-flash",
    ),
    _gemini(
        "gemini-2.5-pro",
        "Gemini 2.5 Pro",
        "gemini-pro",
        "Google's Gemini 2.5 Pro thinking model; higher rates above 200k input tokens.",
        modelsdev="google/gemini-2.5-pro",
    ),
    _gemini(
        "gemini-2.5-flash",
        "Gemini 2.5 Flash",
        "gemini-flash",
        "Gemini 2.5 Flash: fast thinking model with a 1M-token context.",
        modelsdev="google/gemini-2.5-flash",
    ),
    _gemini(
        "gemini-2.5-flash-lite",
        "Gemini 2.5 Flash-Lite",
        "gemini-flash",
        "Gemini 2.5 Flash-Lite: the lowest-cost Gemini 2.5 model.",
        modelsdev="google/gemini-2.5-flash-lite",
    ),
    _gemini(
        "gemini-3-flash-preview",
        "Gemini 3 Flash (preview)",
        "gemini-flash",
        "Gemini 3 Flash preview.",
        modelsdev="google/gemini-3-flash-preview",
    ),
    _gemini(
        "gemini-3.1-pro-preview",
        "Gemini 3.1 Pro (preview)",
        "gemini-pro",
        "Gemini 3.1 Pro preview; higher rates above 200k input tokens.",
        modelsdev="google/gemini-3.1-pro-preview",
    ),
    _gemini(
        "gemini-3.1-flash-lite",
        "Gemini 3.1 Flash-Lite",
        "gemini-flash",
        "Gemini 3.1 Flash-Lite: low-cost, high-volume model.",
        modelsdev="google/gemini-3.1-flash-lite",
    ),
    _gemini(
        "gemini-3.5-flash",
        "Gemini 3.5 Flash",
        "gemini-flash",
        "Gemini 3.5 Flash.",
        modelsdev="google/gemini-3.5-flash",
    ),
    # --- Mistral (first-party API) ------------------------------------------------------
    _mistral(
        "mistral-large-2512",
        "Mistral Large 3",
        "mistral-large",
        "Mistral Large 3: open-weight mixture-of-experts (675B total, 41B active).",
        litellm="mistral/mistral-large-2512",
        modelsdev="mistral/mistral-large-2512",
        parameters_b=675,
        released="2025-12-02",  # Mistral 3 launch; models.dev repeats Large 2411's date
    ),
    _mistral(
        "mistral-medium-2604",
        "Mistral Medium 3.5",
        "mistral-medium",
        "Mistral Medium 3.5 with optional reasoning.",
        litellm="mistral/mistral-medium-2604",
        modelsdev="mistral/mistral-medium-2604",
    ),
    _mistral(
        "mistral-small-2603",
        "Mistral Small 4",
        "mistral-small",
        "Mistral Small 4 with optional reasoning.",
        litellm="mistral/mistral-small-2603",
        modelsdev="mistral/mistral-small-2603",
    ),
    _mistral(
        "mistral-small-2506",
        "Mistral Small 3.2",
        "mistral-small",
        "Mistral Small 3.2: open-weight 24B model.",
        modelsdev="mistral/mistral-small-2506",
        parameters_b=24,
    ),
    _mistral(
        "codestral-2508",
        "Codestral 25.08",
        "codestral",
        "Mistral's code model for completion and fill-in-the-middle.",
        litellm="mistral/codestral-2508",
        released="2025-07-30",  # Codestral 25.08 announcement; models.dev has only -latest
    ),
    _mistral(
        "pixtral-large-latest",
        "Pixtral Large",
        "pixtral",
        "Pixtral Large: open-weight 124B multimodal model.",
        litellm="mistral/pixtral-large-latest",
        modelsdev="mistral/pixtral-large-latest",
        parameters_b=124,
    ),
    _mistral(
        "mistral-nemo",
        "Mistral Nemo",
        "mistral-nemo",
        "Mistral NeMo: open-weight 12B model built with NVIDIA.",
        modelsdev="mistral/mistral-nemo",
        parameters_b=12,
    ),
    _mistral(
        "open-mixtral-8x7b",
        "Mixtral 8x7B",
        "mixtral",
        "Mixtral 8x7B: open-weight sparse mixture-of-experts (46.7B total).",
        modelsdev="mistral/open-mixtral-8x7b",
        parameters_b=46.7,
    ),
    _mistral(
        "open-mixtral-8x22b",
        "Mixtral 8x22B",
        "mixtral",
        "Mixtral 8x22B: open-weight sparse mixture-of-experts (141B total).",
        modelsdev="mistral/open-mixtral-8x22b",
        parameters_b=141,
    ),
    # --- Meta Llama (through Together AI) -----------------------------------------------
    _llama(
        "llama-3.1-8b-instruct",
        "meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo",
        "Llama 3.1 8B Instruct",
        8,
        "Meta's open-weight Llama 3.1 8B.",
        modelsdev="azure/meta-llama-3.1-8b-instruct",
    ),
    _llama(
        "llama-3.1-70b-instruct",
        "meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo",
        "Llama 3.1 70B Instruct",
        70,
        "Meta's open-weight Llama 3.1 70B.",
        modelsdev="azure/meta-llama-3.1-70b-instruct",
    ),
    _llama(
        "llama-3.1-405b-instruct",
        "meta-llama/Llama-3.1-405B-Instruct",
        "Llama 3.1 405B Instruct",
        405,
        "Meta's largest open-weight Llama 3.1 model.",
        modelsdev="azure/meta-llama-3.1-405b-instruct",
    ),
    _llama(
        "llama-3.2-3b-instruct",
        "meta-llama/Llama-3.2-3B-Instruct",
        "Llama 3.2 3B Instruct",
        3,
        "Meta's small open-weight Llama 3.2 3B.",
        released="2024-09-25",  # Llama 3.2 release
    ),
    _llama(
        "llama-3.3-70b-instruct",
        "meta-llama/Llama-3.3-70B-Instruct-Turbo",
        "Llama 3.3 70B Instruct",
        70,
        "Meta's open-weight Llama 3.3 70B.",
        modelsdev="togetherai/meta-llama/Llama-3.3-70B-Instruct-Turbo",
    ),
    _llama(
        "llama-4-scout-17b-16e-instruct",
        "meta-llama/Llama-4-Scout-17B-16E-Instruct",
        "Llama 4 Scout",
        109,
        "Meta's open-weight Llama 4 Scout mixture-of-experts (109B total, 17B active).",
        modelsdev="groq/meta-llama/llama-4-scout-17b-16e-instruct",
    ),
    # --- DeepSeek (first-party OpenAI-compatible API) -----------------------------------
    Entry(
        "deepseek-chat",
        "DeepSeek Chat",
        "DeepSeek's chat model (DeepSeek-V3 series, open weights, 671B total).",
        "deepseek",
        "deepseek-v3",
        DEEPSEEK,
        litellm="deepseek/deepseek-chat",
        modelsdev="deepseek/deepseek-chat",
        parameters_b=671,
    ),
    Entry(
        "deepseek-reasoner",
        "DeepSeek Reasoner",
        "DeepSeek's reasoning model (DeepSeek-R1 line, open weights, 671B total).",
        "deepseek",
        "deepseek-r1",
        DEEPSEEK,
        litellm="deepseek/deepseek-reasoner",
        modelsdev="deepseek/deepseek-reasoner",
        parameters_b=671,
    ),
    Entry(
        "deepseek-v4-flash",
        "DeepSeek V4 Flash",
        "DeepSeek V4 Flash with a 1M-token context.",
        "deepseek",
        "deepseek-v4",
        DEEPSEEK,
        litellm="deepseek/deepseek-v4-flash",
        modelsdev="deepseek/deepseek-v4-flash",
    ),
    Entry(
        "deepseek-v4-pro",
        "DeepSeek V4 Pro",
        "DeepSeek V4 Pro with a 1M-token context.",
        "deepseek",
        "deepseek-v4",
        DEEPSEEK,
        litellm="deepseek/deepseek-v4-pro",
        modelsdev="deepseek/deepseek-v4-pro",
    ),
    # --- Qwen (Alibaba Cloud Model Studio, DashScope compatible mode) --------------------
    Entry(
        "qwen-max",
        "Qwen-Max",
        "Alibaba's flagship hosted Qwen model.",
        "qwen",
        "qwen-max",
        DASHSCOPE,
        litellm="dashscope/qwen-max",
        modelsdev="alibaba/qwen-max",
    ),
    Entry(
        "qwen-plus",
        "Qwen-Plus",
        "Balanced hosted Qwen model with optional thinking.",
        "qwen",
        "qwen-plus",
        DASHSCOPE,
        litellm="dashscope/qwen-plus",
        modelsdev="alibaba/qwen-plus",
    ),
    Entry(
        "qwq-plus",
        "QwQ-Plus",
        "Qwen's hosted QwQ reasoning model.",
        "qwen",
        "qwq",
        DASHSCOPE,
        litellm="dashscope/qwq-plus",
        modelsdev="alibaba/qwq-plus",
    ),
    Entry(
        "qwen3-max",
        "Qwen3-Max",
        "Qwen3-Max, Alibaba's largest hosted Qwen3 model.",
        "qwen",
        "qwen3",
        DASHSCOPE,
        modelsdev="alibaba/qwen3-max",
    ),
    Entry(
        "qwen3-235b-a22b",
        "Qwen3 235B-A22B",
        "Open-weight Qwen3 mixture-of-experts (235B total, 22B active); thinking is "
        "billed at its own rate.",
        "qwen",
        "qwen3",
        DASHSCOPE,
        modelsdev="alibaba/qwen3-235b-a22b",
        parameters_b=235,
    ),
    Entry(
        "qwen3-32b",
        "Qwen3 32B",
        "Open-weight dense Qwen3 32B; thinking is billed at its own rate.",
        "qwen",
        "qwen3",
        DASHSCOPE,
        modelsdev="alibaba/qwen3-32b",
        parameters_b=32.8,
    ),
    Entry(
        "qwen3-next-80b-a3b-instruct",
        "Qwen3-Next 80B-A3B Instruct",
        "Open-weight sparse Qwen3-Next (80B total, 3B active).",
        "qwen",
        "qwen3",
        DASHSCOPE,
        litellm="dashscope/qwen3-next-80b-a3b-instruct",
        modelsdev="alibaba/qwen3-next-80b-a3b-instruct",
        parameters_b=80,
    ),
    Entry(
        "qwen2.5-72b-instruct",
        "Qwen2.5 72B Instruct",
        "Open-weight Qwen2.5 72B.",
        "qwen",
        "qwen2.5",
        DASHSCOPE,
        modelsdev="alibaba/qwen2-5-72b-instruct",
        parameters_b=72.7,
    ),
)


# --- reading the sources -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sources:
    litellm: dict[str, Any]
    modelsdev: dict[str, Any]

    @classmethod
    def load(cls, catalogs_dir: Path) -> Sources:
        with (catalogs_dir / LITELLM_FILE).open(encoding="utf-8") as handle:
            litellm = json.load(handle)
        with (catalogs_dir / MODELSDEV_FILE).open(encoding="utf-8") as handle:
            modelsdev = json.load(handle)
        return cls(litellm, modelsdev)

    def litellm_record(self, key: str) -> dict[str, Any]:
        try:
            record: dict[str, Any] = self.litellm[key]
        except KeyError:
            raise KeyError(f"LiteLLM map has no {key!r}") from None
        return record

    def modelsdev_record(self, ref: str) -> dict[str, Any]:
        """A provider model of models.dev, over the provider-independent model it points to."""
        provider, _, model_id = ref.partition("/")
        try:
            record: dict[str, Any] = self.modelsdev["providers"][provider]["models"][model_id]
        except KeyError:
            raise KeyError(f"models.dev has no {ref!r}") from None
        base_ref = record.get("base_model")
        if base_ref:
            return {**self.modelsdev["models"].get(base_ref, {}), **record}
        return record


# --- converting ----------------------------------------------------------------------------


def plain(value: Decimal) -> str:
    """A Decimal as a plain string: no exponent, no trailing zeros ("2.5", "10", "0.075")."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def per_token_to_million(value: float | int) -> Decimal:
    """USD per token (a JSON float) to USD per 1M tokens, exactly, via its shortest repr."""
    return Decimal(repr(value)) * PER_MILLION


def per_million(value: float | int) -> Decimal:
    """USD per 1M tokens (a JSON number) as an exact Decimal."""
    return Decimal(repr(value))


def _money(value: Decimal | None) -> str | None:
    return None if value is None else plain(value)


def litellm_prices(record: dict[str, Any]) -> dict[str, Any]:
    def get(field: str) -> Decimal | None:
        value = record.get(field)
        return None if value is None else per_token_to_million(value)

    output = get("output_cost_per_token")
    reasoning = get("output_cost_per_reasoning_token")
    cache_write = get("cache_creation_input_token_cost")
    if cache_write == 0:
        # LiteLLM writes 0 where a provider adds no cache-write surcharge (DeepSeek): those
        # tokens cost the input rate, which is what null means in our price shape (§3).
        cache_write = None
    tiers = []
    for field in record:
        match = TIER_FIELD.match(field)
        if match is None:
            continue
        suffix = f"above_{match.group(1)}k_tokens"
        tiers.append(
            {
                "above_input_tokens": int(match.group(1)) * 1000,
                "input": _money(get(field)),
                "output": _money(get(f"output_cost_per_token_{suffix}")),
                "cached_input": _money(get(f"cache_read_input_token_cost_{suffix}")),
            }
        )
    return {
        "input": _money(get("input_cost_per_token")),
        "cached_input": _money(get("cache_read_input_token_cost")),
        "cache_write": _money(cache_write),
        "output": _money(output),
        "reasoning": _money(reasoning) if reasoning != output else None,
        "tiers": sorted(tiers, key=lambda tier: tier["above_input_tokens"]),
    }


def modelsdev_prices(record: dict[str, Any]) -> dict[str, Any]:
    cost: dict[str, Any] = record.get("cost") or {}

    def get(mapping: dict[str, Any], field: str) -> Decimal | None:
        value = mapping.get(field)
        return None if value is None else per_million(value)

    output = get(cost, "output")
    reasoning = get(cost, "reasoning")
    tiers = [
        {
            "above_input_tokens": int(tier["tier"]["size"]),
            "input": _money(get(tier, "input")),
            "output": _money(get(tier, "output")),
            "cached_input": _money(get(tier, "cache_read")),
        }
        for tier in cost.get("tiers", [])
    ]
    return {
        "input": _money(get(cost, "input")),
        "cached_input": _money(get(cost, "cache_read")),
        "cache_write": _money(get(cost, "cache_write")),
        "output": _money(output),
        "reasoning": _money(reasoning) if reasoning != output else None,
        "tiers": sorted(tiers, key=lambda tier: tier["above_input_tokens"]),
    }


def release_day(entry: Entry, modelsdev: dict[str, Any] | None) -> date:
    """The day a price period starts: neither source dates prices, so the release date.

    The table's `released` (set only to fill a gap or correct models.dev), else models.dev's
    `release_date` ("2025-04" means the 1st), else the snapshot day `CATALOG_VERSION`.
    """
    raw = entry.released or (modelsdev or {}).get("release_date") or CATALOG_VERSION
    parts = [*str(raw).split("-"), "01", "01"]
    return date(int(parts[0]), int(parts[1]), int(parts[2]))


def _flag(
    litellm: dict[str, Any] | None,
    litellm_field: str,
    modelsdev: dict[str, Any] | None,
    modelsdev_value: bool | None,
    default: bool,
) -> bool:
    """The price source's answer first, then models.dev's, then the default."""
    if litellm is not None and litellm.get(litellm_field) is not None:
        return bool(litellm[litellm_field])
    if modelsdev is not None and modelsdev_value is not None:
        return bool(modelsdev_value)
    return default


def capabilities(
    entry: Entry, litellm: dict[str, Any] | None, modelsdev: dict[str, Any] | None
) -> dict[str, bool]:
    md = modelsdev or {}
    inputs = (md.get("modalities") or {}).get("input")
    vision = None if inputs is None else "image" in inputs
    temperature = entry.temperature
    if temperature is None:
        temperature = bool(md.get("temperature", True))
    streaming = (litellm or {}).get("supports_native_streaming") is not False
    return {
        "streaming": streaming,
        "temperature": temperature,
        "tools": _flag(litellm, "supports_function_calling", modelsdev, md.get("tool_call"), False),
        "vision": _flag(litellm, "supports_vision", modelsdev, vision, False),
        "json_mode": _flag(
            litellm, "supports_response_schema", modelsdev, md.get("structured_output"), False
        ),
        "reasoning": _flag(litellm, "supports_reasoning", modelsdev, md.get("reasoning"), False),
    }


def token_limits(
    entry: Entry, litellm: dict[str, Any] | None, modelsdev: dict[str, Any] | None
) -> tuple[int, int]:
    """(context_window, max_output_tokens) from the price source, completed by models.dev."""
    md_limit: dict[str, Any] = (modelsdev or {}).get("limit") or {}
    context: int | None = None
    output: int | None = None
    if litellm is not None:
        context = litellm.get("max_input_tokens")
        output = litellm.get("max_output_tokens")
        # LiteLLM gives an input-only limit where models.dev splits input from the total
        # (GPT-5: 272k input of a 400k window); the context window is the total.
        if context is not None and md_limit.get("input") == context:
            context = max(context, int(md_limit.get("context") or 0))
    context = context or md_limit.get("context") or (litellm or {}).get("max_tokens")
    output = output or md_limit.get("output") or (litellm or {}).get("max_tokens")
    if not context or not output:
        raise ValueError(f"{entry.name}: no context window or output limit in the sources")
    if output > context:
        raise ValueError(f"{entry.name}: max_output_tokens {output} > context {context}")
    return int(context), int(output)


def status(litellm: dict[str, Any] | None, modelsdev: dict[str, Any] | None) -> tuple[str, Any]:
    deprecation = (litellm or {}).get("deprecation_date")
    if deprecation:
        return "deprecated", date.fromisoformat(deprecation).isoformat()
    if (modelsdev or {}).get("status") == "deprecated":
        return "deprecated", None  # models.dev says deprecated but gives no date
    return "active", None


def build_model(entry: Entry, sources: Sources) -> dict[str, Any]:
    litellm = sources.litellm_record(entry.litellm) if entry.litellm else None
    modelsdev = sources.modelsdev_record(entry.modelsdev) if entry.modelsdev else None
    if litellm is None and modelsdev is None:
        raise ValueError(f"{entry.name}: names no source")

    if litellm is not None:
        prices = litellm_prices(litellm)
        source = litellm.get("source") if entry.host.cite_litellm_source else None
    else:
        assert modelsdev is not None
        prices = modelsdev_prices(modelsdev)
        source = None
    if prices["input"] is None or prices["output"] is None:
        raise ValueError(f"{entry.name}: the price source has no input/output price")
    if not (isinstance(source, str) and source.startswith("https://")):
        source = entry.host.pricing_page

    caps = capabilities(entry, litellm, modelsdev)
    context_window, max_output = token_limits(entry, litellm, modelsdev)
    state, deprecation_date = status(litellm, modelsdev)
    effective_from = f"{release_day(entry, modelsdev).isoformat()}T00:00:00Z"

    tags = {f"vendor:{entry.vendor}", f"family:{entry.family}"}
    if entry.host.tag:
        tags.add(f"host:{entry.host.tag}")

    return {
        "name": entry.name,
        "display_name": entry.display_name,
        "description": entry.description,
        "provider": entry.host.provider,
        "deployment": {
            "endpoint": entry.host.endpoint,
            "api_version": entry.api_version or entry.host.api_version,
            "deployment": entry.deployment,
            "api_key_env": entry.host.api_key_env,
        },
        "parameters_b": entry.parameters_b,
        "context_window": context_window,
        "max_output_tokens": max_output,
        "capabilities": caps,
        "limits": dict(REASONING_LIMITS if caps["reasoning"] else DEFAULT_LIMITS),
        "pricing": {
            "currency": "USD",
            "unit": "per_1m_tokens",
            "input": prices["input"],
            "cached_input": prices["cached_input"],
            "cache_write": prices["cache_write"],
            "output": prices["output"],
            "reasoning": prices["reasoning"],
            "per_request": None,
            "tiers": prices["tiers"],
            "effective_from": effective_from,
            "source": source,
        },
        "status": state,
        "deprecation_date": deprecation_date,
        "tags": sorted(tags),
    }


def build_catalog(catalogs_dir: Path = CATALOGS_DIR) -> dict[str, Any]:
    sources = Sources.load(catalogs_dir)
    models = sorted(
        (build_model(entry, sources) for entry in ENTRIES), key=lambda m: m["name"].lower()
    )
    names = [model["name"].lower() for model in models]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"duplicate model names: {duplicates}")
    bad = [model["name"] for model in models if not NAME_PATTERN.match(model["name"])]
    if bad:
        raise ValueError(f"invalid model names: {bad}")
    if DEFAULT_MODEL.lower() not in names:
        raise ValueError(f"default model {DEFAULT_MODEL!r} is not in the catalog")
    return {"catalog_version": CATALOG_VERSION, "default_model": DEFAULT_MODEL, "models": models}


def render(catalog: dict[str, Any]) -> bytes:
    return (json.dumps(catalog, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def write_catalog(out_path: Path = OUTPUT_PATH, catalogs_dir: Path = CATALOGS_DIR) -> bytes:
    """Build the catalog and write it to `out_path`; returns the bytes written."""
    data = render(build_catalog(catalogs_dir))
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_bytes(data)
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalogs", type=Path, default=CATALOGS_DIR, help="source folder")
    parser.add_argument("--out", type=Path, default=OUTPUT_PATH, help="catalog to write")
    parser.add_argument("--check", action="store_true", help="only check the file is current")
    args = parser.parse_args(argv)
    if args.check:
        current = args.out.read_bytes() if args.out.exists() else b""
        if current != render(build_catalog(args.catalogs)):
            print(f"{args.out} is out of date: run scripts/build_catalog.py", file=sys.stderr)
            return 1
        print(f"{args.out} is up to date")
        return 0
    data = write_catalog(args.out, args.catalogs)
    count = len(json.loads(data)["models"])
    print(f"wrote {count} models to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

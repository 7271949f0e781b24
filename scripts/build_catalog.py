"""Build Model Deck's built-in catalog (``src/modeldeck/catalog/builtin.json``).

The catalog is generated, never hand-edited. Facts come from the public catalogs vendored in
``data/catalog-sources`` (see its README.md for their provenance):

* ``genai-prices.json`` -- pydantic's genai-prices: WHICH models each API serves and their
  DATED prices. Every price period of a model comes from it: the undated price is the
  launch price, each ``StartDateConstraint`` starts a new period.
* ``litellm-model-prices.json`` -- LiteLLM's map: limits, capabilities and shutdown dates
  (its ``deprecation_date``, our ``retires_on``); and the prices of Azure OpenAI deployments
  genai-prices does not list (its Azure table holds only a few o-series models).
* ``models-dev.json`` -- models.dev: release dates (the first period's ``effective_from``),
  limits and capabilities LiteLLM lacks, and the vendor's own "deprecated" status.
* ``openrouter-models.json`` -- OpenRouter: release dates (``created``) of models neither
  models.dev provider lists.

A model ships when genai-prices prices it for one of the APIs in ``LINES`` (or lists it
unpriced where LiteLLM prices it at exactly 0: Gemma on the Gemini API, free of charge), it
is a text/chat model, genai-prices does not mark it deprecated, LiteLLM gives no shutdown
date on or before the snapshot day ``CATALOG_VERSION``, and LiteLLM or models.dev knows its
limits (a model no limits source lists any more is an old one: ``claude-2``, ``gpt-4-32k``,
``grok-3``).
The small hand-kept tables below hold only choices and overrides, each saying why.

Time-of-day prices and service tiers come from genai-prices too. Its ``TimeOfDateConstraint``
prices become a period's ``windows`` (named "peak" or "off-peak" against the period's own
rates); its ``price_variants`` become ``service_tiers``: ``processing=batch`` is ``batch``,
``service_tier=flex|priority|fast`` keep their names, Anthropic's ``speed=fast`` is ``fast``,
and OpenAI's ``service_tier=default`` is the period's own rates. Two choices, each because the
source cannot say more (see ``windows_for`` and ``VARIANT_BACKDATED``):

* A window has no date in genai-prices. Where a model's prices changed on a date, the windows
  belong to the periods from the first change (DeepSeek priced V4 flat until off-peak hours
  began on 2026-08-17, as its note says); otherwise to the model's only period.
* genai-prices dates most variants from the day it recorded them (2026-10-14), not from when
  the vendor began offering them. The first recorded rates of a tier apply to the whole
  period in effect that day; a later change of a tier's rates starts a period of its own.

Left out, on purpose: DeepSeek's all-day off-peak weekends (genai-prices cannot say them
either), routes (Mistral EU) and per-call fees (web and file searches). ``--left-out`` prints,
model by model, what was dropped.

Run it from the repository root after editing a table or refreshing ``data/catalog-sources``::

    .venv/bin/python scripts/build_catalog.py             # rewrite the catalog
    .venv/bin/python scripts/build_catalog.py --check     # exit 1 if the file is out of date
    .venv/bin/python scripts/build_catalog.py --left-out  # what genai-prices held that we drop

The output is deterministic: models sorted by name, keys in a fixed order, 2-space indent, a
trailing newline; running it twice gives identical bytes. Prices are exact ``Decimal`` strings
("2.5", "10"), converted without float arithmetic.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
CATALOGS_DIR = REPO_ROOT / "data" / "catalog-sources"
OUTPUT_PATH = REPO_ROOT / "src" / "modeldeck" / "catalog" / "builtin.json"

GENAI_FILE = "genai-prices.json"
LITELLM_FILE = "litellm-model-prices.json"
MODELSDEV_FILE = "models-dev.json"
OPENROUTER_FILE = "openrouter-models.json"

# The day the sources were taken: which models are current, and which period is in effect.
CATALOG_VERSION = "2026-11-21"
BUILD_DAY = date.fromisoformat(CATALOG_VERSION)
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

# genai-prices fields we store, and the ones we drop (listed by --left-out).
GENAI_RATES = {
    "input_mtok": "input",
    "cache_read_mtok": "cached_input",
    "cache_write_mtok": "cache_write",
    "cache_write_1h_mtok": "cache_write_1h",
    "output_mtok": "output",
    "output_reasoning_mtok": "reasoning",
}
# Names of things that are not text/chat models (embeddings, images, speech, realtime, …) or
# that are billed per call in ways we do not model (search, deep research, computer use).
NOT_TEXT = re.compile(
    r"embed|image|tts|transcribe|realtime|audio|live|voice|ocr|moderation|whisper|robotics|"
    r"omni|search|deep-research|computer-use|guard|rerank|translate|nano-banana|saba",
    re.IGNORECASE,
)
TEXT_MODES = {"chat", "responses", None}


@dataclass(frozen=True, slots=True)
class Host:
    """How a model is reached: the Model Deck provider and its connection defaults."""

    provider: str
    api_key_env: str
    pricing_page: str  # cited when the price source names no https page of its own
    endpoint: str | None = None
    api_version: str | None = None
    tag: str | None = None  # `host:<tag>` for hosts other than the vendor's own API
    label: str | None = None  # said in the description of hosted models


OPENAI = Host("openai", "OPENAI_API_KEY", "https://developers.openai.com/api/docs/pricing")
AZURE = Host(
    "azure_openai",
    "AZURE_OPENAI_API_KEY",
    "https://azure.microsoft.com/en-us/pricing/details/cognitive-services/openai-service/",
    api_version="2025-04-01-preview",  # the o-series and GPT-5 need the 2025-04 API
    tag="azure",
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
XAI = Host(
    "openai_compatible",
    "XAI_API_KEY",
    "https://docs.x.ai/docs/models",
    endpoint="https://api.x.ai/v1",
    tag="xai",
)
COHERE = Host(
    "openai_compatible",
    "COHERE_API_KEY",
    "https://cohere.com/pricing",
    endpoint="https://api.cohere.ai/compatibility/v1",
    tag="cohere",
)
BEDROCK = Host(
    "other",
    "AWS_BEARER_TOKEN_BEDROCK",
    "https://aws.amazon.com/bedrock/pricing/",
    tag="bedrock",
    label="Amazon Bedrock",
)
# The reference host of open-weight models (Llama, Qwen, gpt-oss, DeepSeek): Together AI.
# Of the hosts the sources price, it is the one genai-prices, LiteLLM and models.dev all list
# with the most of these families (Groq has no DeepSeek or current Qwen3.x; DeepInfra is not
# in genai-prices, so it has no dated prices), behind an OpenAI-compatible API. Gemma ships
# from Google's own Gemini API, which serves it (Together lists only Gemma 2 and a Gemma 4
# that LiteLLM says it shut down on 2026-09-15).
TOGETHER = Host(
    "openai_compatible",
    "TOGETHER_API_KEY",
    "https://www.together.ai/pricing",
    endpoint="https://api.together.xyz/v1",
    tag="together_ai",
    label="Together AI",
)


@dataclass(frozen=True, slots=True)
class Line:
    """One API whose models the catalog ships, and where each source lists them."""

    host: Host
    genai: str  # genai-prices provider id
    litellm: tuple[str, ...]  # LiteLLM key prefixes, tried in order ("" = the bare id)
    modelsdev: str  # models.dev provider id
    vendor: str | None  # the vendor tag; None: from the model id (hosts of open weights)
    wanted: Callable[[str], bool] = lambda model_id: True
    name_prefix: str = ""  # "bedrock/", …: a hosted twin never takes the vendor's name


def _starts(*prefixes: str) -> Callable[[str], bool]:
    return lambda model_id: model_id.startswith(prefixes)


OPEN_WEIGHT_PREFIXES = ("meta-llama/", "Qwen/", "openai/gpt-oss", "google/gemma", "deepseek-ai/")

LINES: tuple[Line, ...] = (
    Line(OPENAI, "openai", ("",), "openai", "openai"),
    Line(ANTHROPIC, "anthropic", ("",), "anthropic", "anthropic"),
    # Google's genai-prices table also holds Claude on Vertex AI: not the Gemini API.
    Line(GOOGLE, "google", ("gemini/", ""), "google", "google", _starts("gemini", "gemma")),
    # Mistral's table also holds other vendors' models it hosts (DeepSeek, Z.ai).
    Line(
        MISTRAL,
        "mistral",
        ("mistral/",),
        "mistral",
        "mistral",
        lambda model_id: not model_id.startswith(("deepseek", "zai")),
    ),
    Line(DEEPSEEK, "deepseek", ("deepseek/",), "deepseek", "deepseek"),
    Line(XAI, "x-ai", ("xai/",), "xai", "xai"),
    Line(COHERE, "cohere", ("cohere_chat/", "cohere/", ""), "cohere", "cohere"),
    # Bedrock's in-region ("regional") prices of Anthropic and Meta models.
    Line(
        BEDROCK,
        "aws",
        ("", "bedrock/", "bedrock_converse/"),
        "amazon-bedrock",
        None,
        _starts("regional.anthropic.", "meta."),
        name_prefix="bedrock/",
    ),
    Line(
        TOGETHER,
        "together",
        ("together_ai/",),
        "togetherai",
        None,
        _starts(*OPEN_WEIGHT_PREFIXES),
    ),
)

# --- the hand-kept tables: choices and overrides, each with its reason ------------------------

# genai-prices ids that are not the API's model id: the id to call (and to look up in
# LiteLLM and models.dev), which is also the catalog name.
API_IDS: dict[tuple[str, str], str] = {
    # genai-prices names Pixtral Large by its family; Mistral's API id is the dated one. The
    # sources agree on its price ($2 / $6 per 1M: genai-prices, LiteLLM, models.dev and
    # OpenRouter); an older catalog read a different LiteLLM key. We ship genai-prices'.
    ("mistral", "pixtral-large"): "pixtral-large-latest",
    ("mistral", "mistral-nemo"): "open-mistral-nemo",  # Mistral's API id for NeMo
    ("mistral", "mistral-medium-3-5"): "mistral-medium-2604",  # Mistral Medium 3.5
    # genai-prices' "GPT-5.3 Chat" is the API's gpt-5.3-chat-latest (shut down 2026-08-10).
    ("openai", "gpt-5.3"): "gpt-5.3-chat-latest",
    ("cohere", "command-a"): "command-a-03-2025",
    ("cohere", "command-r"): "command-r-08-2024",
    ("cohere", "command-r-plus"): "command-r-plus-08-2024",
    ("cohere", "command-r7b"): "command-r7b-12-2024",
}

# Catalog names kept from earlier catalogs, so installs that were seeded with them keep the
# same model (a new name would retire the old model and add a twin).
NAMES: dict[tuple[str, str], str] = {
    ("together", "meta-llama/Llama-3.1-405B-Instruct"): "llama-3.1-405b-instruct",
    ("together", "meta-llama/Llama-3.2-3B-Instruct"): "llama-3.2-3b-instruct",
    ("together", "meta-llama/Llama-3.2-1B-Instruct"): "llama-3.2-1b-instruct",
    ("together", "openai/gpt-oss-120b"): "gpt-oss-120b",
    ("mistral", "mistral-large-2512"): "mistral-large-2512",
}

# Current models neither limits source lists yet: their limits and capabilities are the
# sibling's. Claude Fable 5.2 and Mythos 5.2 (the same model, for verified organisations) have
# the 1M window genai-prices gives and, like Fable 5.1, a 128k output limit.
SIBLINGS: dict[tuple[str, str], str] = {
    ("anthropic", "claude-fable-5-2"): "claude-fable-5-1",
    ("anthropic", "claude-mythos-5-2"): "claude-fable-5-1",
}

# Release days the sources get wrong or lack (the first period's `effective_from`).
RELEASED: dict[str, str] = {
    # models.dev repeats Mistral Large 2411's date for Large 3 (launched 2025-12-02).
    "mistral-large-2512": "2025-12-02",
    # Only a year-granular "2025" elsewhere; DeepSeek released V3.2 on 2025-12-01.
    "deepseek-v3.2": "2025-12-01",
}

# Parameter counts (billions, total) the vendors publish, where the model id does not say them
# or says only the active part (mixture-of-experts "17B-16E").
PARAMETERS_B: dict[str, float] = {
    "mistral-large-2512": 675,  # Mistral Large 3: 675B total, 41B active
    "mistral-small-2603": 119,  # Mistral Small 4: 119B total, 6B active
    "pixtral-large-latest": 124,
    "open-mistral-nemo": 12,
    "gpt-oss-120b": 117,  # OpenAI's model card: 117B total (the name rounds it)
    "gpt-oss-20b": 21,
    "bedrock/llama4-scout-17b-instruct": 109,  # 17B active of 109B
    "bedrock/llama4-maverick-17b-instruct": 400,  # 17B active of 400B
    "deepseek-v4-pro": 1600,
    "deepseek-v4-flash": 284,
}
OPEN_WEIGHT_FAMILIES = ("llama", "qwen", "gpt-oss", "gemma", "deepseek", "mistral", "mixtral")

# Models genai-prices lists that we do not ship although they pass the rules, and why.
EXCLUDED: dict[tuple[str, str], str] = {
    ("openai", "gpt-chat-latest"): "an alias that moves to the newest ChatGPT model",
    ("openai", "chatgpt-4o-latest"): "an alias that moves to the newest ChatGPT model",
}


# --- reading the sources ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sources:
    genai: dict[str, Any]  # provider id -> provider
    litellm: dict[str, Any]
    modelsdev: dict[str, Any]
    openrouter: dict[str, Any]  # model id -> record
    cache: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, catalogs_dir: Path) -> Sources:
        def read(name: str) -> Any:
            with (catalogs_dir / name).open(encoding="utf-8") as handle:
                return json.load(handle)

        genai = {provider["id"]: provider for provider in read(GENAI_FILE)["providers"]}
        openrouter = {record["id"]: record for record in read(OPENROUTER_FILE)["data"]}
        return cls(genai, read(LITELLM_FILE), read(MODELSDEV_FILE), openrouter)

    def release_days(self) -> dict[str, date]:
        """The earliest release day any models.dev provider gives each model id (lower case)."""
        if "release_days" not in self.cache:
            found: dict[str, date] = {}
            for provider in self.modelsdev["providers"].values():
                for model_id, record in provider["models"].items():
                    raw = record.get("release_date")
                    if not raw or len(str(raw)) < 7:  # a bare year says too little
                        continue
                    try:
                        released = day_of(raw)
                    except ValueError:
                        continue  # a few records hold malformed dates
                    key = model_id.rpartition("/")[2].lower()
                    found[key] = min(found.get(key, released), released)
            self.cache["release_days"] = found
        days: dict[str, date] = self.cache["release_days"]
        return days

    def modelsdev_record(self, provider: str, model_id: str) -> dict[str, Any] | None:
        """A provider model of models.dev, over the provider-independent model it points to."""
        record: dict[str, Any] | None = (
            self.modelsdev["providers"].get(provider, {}).get("models", {}).get(model_id)
        )
        if record is None:
            return None
        base_ref = record.get("base_model")
        if base_ref:
            return {**self.modelsdev["models"].get(base_ref, {}), **record}
        return record


# --- converting ------------------------------------------------------------------------------


def plain(value: Decimal) -> str:
    """A Decimal as a plain string: no exponent, no trailing zeros ("2.5", "10", "0.075")."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def per_token_to_million(value: float | int) -> Decimal:
    """USD per token (a JSON float) to USD per 1M tokens, exactly, via its shortest repr."""
    return Decimal(repr(value)) * PER_MILLION


def _money(value: Decimal | None) -> str | None:
    return None if value is None else plain(value)


def genai_prices(price: dict[str, Any]) -> dict[str, Any]:
    """A genai-prices ModelPrice as our rates and tiers (only the fields we store)."""
    rates: dict[str, Decimal | None] = dict.fromkeys(GENAI_RATES.values())
    tiers: dict[int, dict[str, Any]] = {}
    for source_field, ours in GENAI_RATES.items():
        value = price.get(source_field)
        if value is None:
            continue
        if isinstance(value, dict):  # TieredPrices: base, then rates above each threshold
            rates[ours] = Decimal(value["base"])
            for tier in value["tiers"]:
                tiers.setdefault(int(tier["start"]), {})[ours] = Decimal(tier["price"])
        else:
            rates[ours] = Decimal(value)
    requests = price.get("requests_kcount")
    per_request = None if requests is None else Decimal(requests) / 1000
    if rates["reasoning"] is not None and rates["reasoning"] == rates["output"]:
        rates["reasoning"] = None  # null already means "billed at output"
    return {
        "input": _money(rates["input"]),
        "cached_input": _money(rates["cached_input"]),
        "cache_write": _money(rates["cache_write"]),
        "cache_write_1h": _money(rates["cache_write_1h"]),
        "output": _money(rates["output"]),
        "reasoning": _money(rates["reasoning"]),
        "per_request": _money(per_request),
        "tiers": [
            {
                "above_input_tokens": threshold,
                "input": _money(tier.get("input")),
                "output": _money(tier.get("output")),
                "cached_input": _money(tier.get("cached_input")),
                "cache_write": _money(tier.get("cache_write")),
                "cache_write_1h": _money(tier.get("cache_write_1h")),
                "reasoning": _money(tier.get("reasoning")),
            }
            for threshold, tier in sorted(tiers.items())
        ],
    }


def litellm_prices(record: dict[str, Any]) -> dict[str, Any]:
    """LiteLLM's standard rates (used only for Azure deployments genai-prices lacks)."""

    def get(name: str) -> Decimal | None:
        value = record.get(name)
        return None if value is None else per_token_to_million(value)

    output = get("output_cost_per_token")
    reasoning = get("output_cost_per_reasoning_token")
    cache_write = get("cache_creation_input_token_cost")
    tiers = []
    for name in sorted(record):
        match = re.fullmatch(r"input_cost_per_token_above_(\d+)k_tokens", name)
        if match is None:
            continue
        suffix = f"above_{match.group(1)}k_tokens"
        tiers.append(
            {
                "above_input_tokens": int(match.group(1)) * 1000,
                "input": _money(get(name)),
                "output": _money(get(f"output_cost_per_token_{suffix}")),
                "cached_input": _money(get(f"cache_read_input_token_cost_{suffix}")),
                "cache_write": None,
                "reasoning": None,
                "cache_write_1h": None,
            }
        )
    return {
        "input": _money(get("input_cost_per_token")),
        "cached_input": _money(get("cache_read_input_token_cost")),
        # LiteLLM writes 0 for "no cache-write surcharge": billed at input, i.e. null.
        "cache_write": None if not cache_write else _money(cache_write),
        "cache_write_1h": _money(get("cache_creation_input_token_cost_above_1hr")),
        "output": _money(output),
        "reasoning": _money(reasoning) if reasoning != output else None,
        "per_request": None,
        "tiers": sorted(tiers, key=lambda tier: tier["above_input_tokens"]),
    }


def day_of(raw: str) -> date:
    """YYYY-MM-DD, YYYY-MM or YYYY (the 1st)."""
    parts = [*str(raw).split("-"), "01", "01"]
    return date(int(parts[0]), int(parts[1]), int(parts[2]))


def midnight(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


# --- choosing the models ---------------------------------------------------------------------


@dataclass(slots=True)
class Candidate:
    """One model to ship: where each source lists it, and the facts the sources lack."""

    line: Line
    genai_id: str
    api_id: str
    name: str
    genai: dict[str, Any]
    litellm_key: str | None
    litellm: dict[str, Any] | None
    modelsdev: dict[str, Any] | None
    twin: Candidate | None = None  # the vendor's own model (limits for hosted twins)
    price_from: str = "genai-prices"  # or "litellm" (Azure deployments genai-prices lacks)
    left_out: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Rejection:
    line: str
    model_id: str
    reason: str


def _litellm_record(
    sources: Sources, line: Line, api_id: str
) -> tuple[str | None, dict[str, Any] | None]:
    for prefix in line.litellm:
        record = sources.litellm.get(prefix + api_id)
        if isinstance(record, dict):
            return prefix + api_id, record
    return None, None


def _shut_down(litellm: dict[str, Any] | None) -> str | None:
    shutdown = (litellm or {}).get("deprecation_date")
    if shutdown and date.fromisoformat(shutdown) <= BUILD_DAY:
        return f"shut down on {shutdown} (LiteLLM's deprecation_date)"
    return None


def _api_id(line: Line, genai_id: str) -> str:
    api_id = API_IDS.get((line.genai, genai_id), genai_id)
    return api_id.removeprefix("regional.")


def _catalog_name(line: Line, genai_id: str, api_id: str) -> str:
    named = NAMES.get((line.genai, genai_id))
    if named is not None:
        return named
    if line.host is TOGETHER:
        return api_id.rpartition("/")[2].lower()
    return line.name_prefix + api_id


def _rejection(
    sources: Sources, line: Line, model: dict[str, Any]
) -> tuple[str | None, Candidate | None]:
    genai_id = model["id"]
    if not line.wanted(genai_id):
        return "another vendor's model, or not this API", None
    if (line.genai, genai_id) in EXCLUDED:
        return EXCLUDED[(line.genai, genai_id)], None
    if model.get("deprecated"):
        return "genai-prices marks it deprecated (shut down)", None
    if genai_id.endswith(("-latest", "-", ":free")):
        return "an alias, a free variant or a name pattern, not a model", None
    if genai_id.startswith("ft:") or genai_id.endswith("-maas"):
        return "a fine-tune or another platform's listing", None
    if NOT_TEXT.search(genai_id):
        return "not a text/chat model (or billed per call)", None
    api_id = _api_id(line, genai_id)
    key, litellm = _litellm_record(sources, line, api_id)
    free = not _priced(model) and _free(litellm)
    if not _priced(model) and not free:
        return "genai-prices gives it no token prices (free tier only)", None
    modelsdev = sources.modelsdev_record(line.modelsdev, api_id)
    if litellm is not None and litellm.get("mode") not in TEXT_MODES:
        return f"not a text/chat model (LiteLLM mode {litellm.get('mode')!r})", None
    outputs = ((modelsdev or {}).get("modalities") or {}).get("output")
    if outputs is not None and outputs != ["text"]:
        return "not a text-only output model (models.dev)", None
    shutdown = _shut_down(litellm)
    if shutdown:
        return shutdown, None
    name = _catalog_name(line, genai_id, api_id)
    candidate = Candidate(line, genai_id, api_id, name, model, key, litellm, modelsdev)
    if free:
        candidate.price_from = "litellm"
    return None, candidate


def _free(litellm: dict[str, Any] | None) -> bool:
    """Served free of charge (Gemma on the Gemini API): genai-prices lists the model with no
    token prices, and LiteLLM prices its tokens at exactly 0 for this API. It ships at 0."""
    return (
        litellm is not None
        and litellm.get("input_cost_per_token") == 0
        and litellm.get("output_cost_per_token") == 0
    )


def _priced(model: dict[str, Any]) -> bool:
    raw = model["prices"]
    prices = [entry["prices"] for entry in raw] if isinstance(raw, list) else [raw]
    return all("input_mtok" in price and "output_mtok" in price for price in prices)


def choose(sources: Sources) -> tuple[list[Candidate], list[Rejection]]:
    """Every model the catalog ships, and every genai-prices model of the lines it does not."""
    chosen: list[Candidate] = []
    rejected: list[Rejection] = []
    vendor_models: dict[str, Candidate] = {}
    for line in LINES:
        for model in sources.genai[line.genai]["models"]:
            reason, candidate = _rejection(sources, line, model)
            if candidate is not None and line.host is BEDROCK:
                reason = _bedrock_twin(candidate, vendor_models)
                candidate.name = _bedrock_name(candidate)
            sibling = SIBLINGS.get((line.genai, model["id"]))
            if candidate is not None and sibling is not None:
                candidate.twin = vendor_models[sibling]
            if candidate is not None and reason is None and not _has_limits(candidate):
                reason = "no limits source (LiteLLM, models.dev) lists it: an old model"
            if reason is not None or candidate is None:
                rejected.append(Rejection(line.genai, model["id"], reason or "?"))
                continue
            chosen.append(candidate)
            if line.vendor is not None:
                vendor_models[candidate.api_id] = candidate
        if line.host is OPENAI:
            chosen.extend(_azure_deployments(sources, line, vendor_models))
    return chosen, rejected


def _has_limits(candidate: Candidate) -> bool:
    try:
        token_limits(candidate)
    except ValueError:
        return False
    return True


def _bedrock_twin(candidate: Candidate, vendor_models: dict[str, Candidate]) -> str | None:
    """Bedrock's Claude ships with the first-party model it serves (its limits come from it)."""
    if not candidate.api_id.startswith("anthropic."):
        return None
    base = re.sub(r"^anthropic\.|-v\d+(:\d+)?$|-\d{8}", "", candidate.api_id)
    base = re.sub(r"-\d{8}", "", base)
    aliases = (base, base.replace("claude-opus-4", "claude-opus-4-0", 1))
    for alias in aliases:
        twin = vendor_models.get(alias) or vendor_models.get(f"{alias}-0")
        if twin is not None:
            candidate.twin = twin
            return None
    return "the Anthropic model it serves is not current"


def _bedrock_name(candidate: Candidate) -> str:
    """`bedrock/<the vendor's name>`: the Bedrock model id (version suffix and all) is the
    deployment, so names stay short and read like `azure/<model>`."""
    if candidate.twin is not None:
        return f"bedrock/{candidate.twin.name}"
    return "bedrock/" + re.sub(r"-v\d+(:\d+)?$", "", candidate.api_id.removeprefix("meta."))


# Azure's genai-prices table prices these deployments (under its own ids).
AZURE_GENAI_IDS = {"o1": "o1", "o3": "o3-2025-04-16", "o3-mini": "o3-mini", "o4-mini": "o4-mini"}
AZURE_LINE = Line(AZURE, "azure", ("azure/",), "azure", "openai", name_prefix="azure/")


def _azure_deployments(
    sources: Sources, openai: Line, vendor_models: dict[str, Candidate]
) -> list[Candidate]:
    """Azure OpenAI's deployments of the current OpenAI models, where LiteLLM lists them.

    Azure retires models on its own dates: a deployment LiteLLM says Azure shut down (its
    o-series, on 2026-11-19) is left out although OpenAI still serves the model.
    """
    azure_genai = {model["id"]: model for model in sources.genai["azure"]["models"]}
    found = []
    for twin in [model for model in vendor_models.values() if model.line is openai]:
        key, litellm = _litellm_record(sources, AZURE_LINE, twin.api_id)
        if litellm is None or litellm.get("mode") not in TEXT_MODES or _shut_down(litellm):
            continue
        genai = azure_genai.get(AZURE_GENAI_IDS.get(twin.api_id, ""))
        candidate = Candidate(
            AZURE_LINE,
            genai["id"] if genai else twin.genai_id,
            twin.api_id,
            f"azure/{twin.api_id}",
            genai or {},
            key,
            litellm,
            twin.modelsdev,
            twin=twin,
            price_from="genai-prices" if genai else "litellm",
        )
        found.append(candidate)
    return found


# --- building one model ----------------------------------------------------------------------


def release_day(candidate: Candidate, sources: Sources) -> date | None:
    """The release day: the table, models.dev (this API, then the twin), else OpenRouter."""
    if candidate.name in RELEASED:
        return date.fromisoformat(RELEASED[candidate.name])
    hosted_twin = candidate.twin if candidate.line.host in (AZURE, BEDROCK) else None
    for record in (candidate.modelsdev, hosted_twin.modelsdev if hosted_twin else None):
        if record and record.get("release_date"):
            return day_of(record["release_date"])
    base = candidate.api_id.rpartition("/")[2].lower()
    elsewhere = sources.release_days().get(base)
    if elsewhere is not None:
        return elsewhere
    vendor = candidate.line.vendor or candidate.api_id.partition("/")[0].lower()
    for key in (f"{vendor}/{base}", candidate.api_id.lower(), f"{vendor}/{base.replace('-', '.')}"):
        record = sources.openrouter.get(key)
        if record is not None:
            return datetime.fromtimestamp(record["created"], UTC).date()
    return None


def price_history(candidate: Candidate, sources: Sources) -> list[dict[str, Any]]:
    """Every known price period, oldest first, each with `effective_from` and `source`."""
    line = candidate.line
    if candidate.price_from == "litellm":
        assert candidate.litellm is not None
        starts = release_day(candidate, sources) or BUILD_DAY
        return [_period(litellm_prices(candidate.litellm), starts, line.host.pricing_page)]
    provider = sources.genai[line.genai]
    source = _genai_source(provider, line.host)
    raw = candidate.genai["prices"]
    conditional = raw if isinstance(raw, list) else [{"prices": raw}]
    dated: list[tuple[date | None, dict[str, Any]]] = []
    windows: list[tuple[str, str, dict[str, Any]]] = []
    for entry in conditional:
        constraint = entry.get("constraint")
        if constraint is None:
            dated.append((None, entry["prices"]))
        elif constraint["_type"] == "StartDateConstraint":
            dated.append((date.fromisoformat(constraint["start_date"]), entry["prices"]))
        else:  # a time-of-day window: see windows_for
            windows.append((constraint["start_time"], constraint["end_time"], entry["prices"]))
    first = [prices for starts, prices in dated if starts is None]
    if len(first) != 1:
        raise ValueError(f"{candidate.name}: genai-prices has {len(first)} undated prices")
    released = release_day(candidate, sources)
    later = sorted((starts, prices) for starts, prices in dated if starts is not None)
    if released is None:
        # All we know is that the launch price held before the first change, or on the day the
        # sources were taken.
        released = min([BUILD_DAY, *(starts for starts, _ in later)])
    periods = []
    standard: dict[str, dict[str, Any]] = {}  # each period's own genai-prices prices, by start
    if later and later[0][0] <= released:
        # The launch price held before the first change, but since when no source says.
        candidate.left_out.append(
            f"launch price before {later[0][0]} ({_rates_text({'prices': first[0]})}): no "
            "release date before that change"
        )
    else:
        periods.append(_period(genai_prices(first[0]), released, source))
        standard[midnight(released)] = first[0]
    periods += [_period(genai_prices(prices), starts, source) for starts, prices in later]
    standard.update((midnight(starts), prices) for starts, prices in later)
    _note_left_out(candidate, conditional)
    periods = _with_variants(candidate, periods, standard)
    # Undated windows belong to the periods from the first dated change (see the docstring).
    first_change = midnight(later[0][0]) if later else None
    for period in periods:
        if windows and (first_change is None or period["effective_from"] >= first_change):
            period["windows"] = windows_for(period, windows)
    return periods


def windows_for(
    period: dict[str, Any], windows: list[tuple[str, str, dict[str, Any]]]
) -> list[dict[str, Any]]:
    """genai-prices' time-of-day prices as the period's windows, by start; each named by
    whether its input rate is above the period's own ("peak") or below ("off-peak")."""
    shown = []
    for start, end, prices in windows:
        rates = genai_prices(prices)
        if rates["input"] is None or rates["output"] is None:
            raise ValueError(f"a window {start}-{end} has no input or output price")
        higher = Decimal(rates["input"]) > Decimal(period["input"])
        shown.append(
            {
                "start": start[:5],
                "end": "24:00" if end[:5] == "00:00" else end[:5],
                "name": "peak" if higher else "off-peak",
                **{key: rates[key] for key in RATE_KEYS},
            }
        )
    return sorted(shown, key=lambda window: window["start"])


RATE_KEYS = (
    "input",
    "cached_input",
    "cache_write",
    "cache_write_1h",
    "output",
    "reasoning",
    "per_request",
    "tiers",
)
# genai-prices' `when` of a price variant, as the service tier Model Deck names.
SERVICE_TIERS: dict[tuple[str, str], str | None] = {
    ("processing", "batch"): "batch",
    ("service_tier", "flex"): "flex",
    ("service_tier", "priority"): "priority",
    ("service_tier", "fast"): "fast",
    ("speed", "fast"): "fast",
    ("service_tier", "default"): None,  # OpenAI's name for the standard rates
}
VARIANT_BACKDATED = (
    "genai-prices dates a tier's first rates from the day it recorded them; they apply to the "
    "whole period in effect then"
)


def _with_variants(
    candidate: Candidate, periods: list[dict[str, Any]], standard: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """The periods with their service tiers: each tier's rates in effect when a period starts
    (its first rates back to the start of the period they were recorded in); a later change
    of a tier's rates inside a period splits it there. As genai-prices resolves a variant, a
    price it does not give is the period's own (`standard`, its genai-prices prices)."""
    tiers: dict[str, list[tuple[date | None, dict[str, Any]]]] = {}
    for variant in candidate.genai.get("price_variants", []):
        (key, value), *more = variant["when"].items()
        name = SERVICE_TIERS.get((key, value), "?") if not more else "?"
        if name is None:
            continue
        given = {k: v for k, v in variant["prices"].items() if k != "_type" and v is not None}
        if name == "?" or not {"input_mtok", "output_mtok"} & given.keys():
            continue  # listed by _note_left_out
        starts = (variant.get("constraint") or {}).get("start_date")
        tiers.setdefault(name, []).append((None if starts is None else day_of(starts), given))
    if not tiers or not periods:
        return periods
    for changes in tiers.values():
        changes.sort(key=lambda change: change[0] or date.min)
    # A tier's later change that falls inside a period starts a period of its own.
    splits = sorted(
        {starts for changes in tiers.values() for starts, _ in changes[1:] if starts is not None}
    )
    for starts in splits:
        moment = midnight(starts)
        if moment <= periods[0]["effective_from"] or any(
            period["effective_from"] == moment for period in periods
        ):
            continue
        before = max(
            (period for period in periods if period["effective_from"] < moment),
            key=lambda period: period["effective_from"],
        )
        periods.append(dict(before, effective_from=moment))
        standard[moment] = standard[before["effective_from"]]
    periods.sort(key=lambda period: period["effective_from"])
    for index, period in enumerate(periods):
        following = periods[index + 1]["effective_from"] if index + 1 < len(periods) else None
        offered = {}
        for name, changes in sorted(tiers.items()):
            given = _tier_rates(changes, period["effective_from"], following)
            if given is not None:
                rates = genai_prices({**standard[period["effective_from"]], **given})
                offered[name] = {key: rates[key] for key in RATE_KEYS}
        period["service_tiers"] = offered
    return periods


def _tier_rates(
    changes: list[tuple[date | None, dict[str, Any]]], starts: str, ends: str | None
) -> dict[str, Any] | None:
    """A tier's rates for the period [starts, ends): its last change by the period's start,
    else its first change when that falls inside the period (see VARIANT_BACKDATED)."""
    found = None
    for when, rates in changes:
        if when is None or midnight(when) <= starts:
            found = rates
    if found is None:
        first, rates = changes[0]
        assert first is not None
        if ends is None or midnight(first) < ends:
            found = rates
    return found


def _rates_text(entry: dict[str, Any]) -> str:
    prices = entry["prices"]
    return ", ".join(f"{key}={prices[key]}" for key in sorted(prices) if key != "_type")


def _note_left_out(candidate: Candidate, conditional: list[dict[str, Any]]) -> None:
    dropped = sorted(
        {
            key
            for entry in conditional
            for key in entry["prices"]
            if key not in GENAI_RATES and key not in ("_type", "requests_kcount")
        }
    )
    if dropped:
        candidate.left_out.append("rates: " + ", ".join(dropped))
    for variant in candidate.genai.get("price_variants", []):
        items = sorted(variant["when"].items())
        if len(items) == 1 and items[0] in SERVICE_TIERS:
            prices = variant["prices"]
            if not any(key in prices for key in ("input_mtok", "output_mtok")):
                if not set(prices) - {"_type"}:
                    continue  # no rates of its own (OpenAI's "default"): the standard rates
            else:
                continue  # shipped as a service tier
        when = ", ".join(f"{key}={value}" for key, value in items)
        constraint = variant.get("constraint") or {}
        since = f" from {constraint['start_date']}" if "start_date" in constraint else ""
        candidate.left_out.append(f"variant {when}{since}")


def _genai_source(provider: dict[str, Any], host: Host) -> str:
    urls = [url for url in provider.get("pricing_urls", []) if url.startswith("https://")]
    return urls[0] if urls else host.pricing_page


def _period(prices: dict[str, Any], starts: date, source: str) -> dict[str, Any]:
    if prices["input"] is None or prices["output"] is None:
        raise ValueError(f"a period from {starts} has no input or output price")
    return {
        "currency": "USD",
        "unit": "per_1m_tokens",
        "input": prices["input"],
        "cached_input": prices["cached_input"],
        "cache_write": prices["cache_write"],
        "cache_write_1h": prices["cache_write_1h"],
        "output": prices["output"],
        "reasoning": prices["reasoning"],
        "per_request": prices["per_request"],
        "tiers": prices["tiers"],
        "windows": [],
        "service_tiers": {},
        "effective_from": midnight(starts),
        "source": source,
    }


def _flag(
    litellm: dict[str, Any] | None,
    litellm_field: str,
    modelsdev: dict[str, Any] | None,
    modelsdev_value: bool | None,
    default: bool,
) -> bool:
    """LiteLLM's answer first, then models.dev's, then the default."""
    if litellm is not None and litellm.get(litellm_field) is not None:
        return bool(litellm[litellm_field])
    if modelsdev is not None and modelsdev_value is not None:
        return bool(modelsdev_value)
    return default


def _limit_records(candidate: Candidate) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    litellm, modelsdev = candidate.litellm, candidate.modelsdev
    if candidate.twin is not None:  # a hosted twin, or a sibling: its records fill the gaps
        twin_litellm, twin_modelsdev = _limit_records(candidate.twin)
        litellm = litellm or twin_litellm
        modelsdev = modelsdev or twin_modelsdev
    return litellm, modelsdev


def capabilities(candidate: Candidate) -> dict[str, bool]:
    litellm, modelsdev = _limit_records(candidate)
    md = modelsdev or {}
    inputs = (md.get("modalities") or {}).get("input")
    vision = None if inputs is None else "image" in inputs
    reasoning = _flag(litellm, "supports_reasoning", modelsdev, md.get("reasoning"), False)
    temperature = bool(md.get("temperature", True))
    vendor = candidate.line.vendor or ""
    if vendor == "openai" and reasoning and not candidate.api_id.startswith("gpt-oss"):
        temperature = False  # OpenAI's reasoning models reject `temperature`
    return {
        "streaming": (litellm or {}).get("supports_native_streaming") is not False,
        "temperature": temperature,
        "tools": _flag(litellm, "supports_function_calling", modelsdev, md.get("tool_call"), False),
        "vision": _flag(litellm, "supports_vision", modelsdev, vision, False),
        "json_mode": _flag(
            litellm, "supports_response_schema", modelsdev, md.get("structured_output"), False
        ),
        "reasoning": reasoning,
    }


def token_limits(candidate: Candidate) -> tuple[int, int]:
    """(context_window, max_output_tokens) from LiteLLM, completed by models.dev."""
    litellm, modelsdev = _limit_records(candidate)
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
    context = context or candidate.genai.get("context_window")
    output = output or md_limit.get("output") or (litellm or {}).get("max_tokens")
    if not context or not output:
        raise ValueError(f"{candidate.name}: no context window or output limit in the sources")
    return int(context), min(int(output), int(context))


def status(candidate: Candidate) -> tuple[str, str | None, str | None]:
    """(status, deprecation_date, retires_on): what the vendor said, never frozen by the build.

    `deprecated` only when the vendor says so (models.dev's status, which carries no day, so
    `deprecation_date` stays null); LiteLLM's `deprecation_date` is the announced shutdown day,
    which becomes `retires_on`. Model Deck derives the served status from these at read time,
    so a scheduled shutdown shows as "retires on <date>" and becomes `retired` on that day.
    """
    state = "deprecated" if (candidate.modelsdev or {}).get("status") == "deprecated" else "active"
    retires_on = (candidate.litellm or {}).get("deprecation_date") or None
    return state, None, retires_on


def vendor_of(candidate: Candidate) -> str:
    if candidate.line.vendor is not None:
        return candidate.line.vendor
    owner = candidate.api_id.partition(".")[0] if candidate.line.host is BEDROCK else ""
    owner = owner or candidate.api_id.partition("/")[0]
    return {
        "meta-llama": "meta",
        "meta": "meta",
        "Qwen": "qwen",
        "openai": "openai",
        "google": "google",
        "deepseek-ai": "deepseek",
        "anthropic": "anthropic",
    }[owner]


FAMILY_WORDS = re.compile(
    r"gemma|llama|qwen|deepseek|grok|command|aya|mistral-large|mistral-medium|mistral-small|"
    r"ministral|codestral|devstral|magistral|pixtral|mixtral|mistral"
)


def family_of(candidate: Candidate) -> str:
    """A family tag: the line of models (and the tokenizer's hint)."""
    base = candidate.api_id.lower().rpartition("/")[2]
    base = base.removeprefix("anthropic.").removeprefix("meta.")
    claude = re.search(r"claude-(opus|sonnet|haiku|fable|mythos)", base)
    if claude:
        return claude.group(0)
    if base.startswith("gemini"):
        tier = re.search(r"flash-lite|flash|pro", base)
        return f"gemini-{tier.group(0)}" if tier else "gemini"
    openai = re.match(r"gpt-oss|gpt-4o|gpt-4\.1|gpt-\d+|o\d(?=$|-)", base)
    if openai:
        return openai.group(0)
    word = FAMILY_WORDS.search(base)
    return word.group(0) if word else (candidate.line.vendor or "other")


def parameters_b(candidate: Candidate, family: str) -> float | None:
    """Published total parameters of open-weight models: the table, else the name ("70B")."""
    if candidate.name in PARAMETERS_B:
        return PARAMETERS_B[candidate.name]
    if not family.startswith(OPEN_WEIGHT_FAMILIES):
        return None
    match = re.search(r"(?<![a-z\d.])(\d+(?:\.\d+)?)b(?![a-z\d])", candidate.api_id.lower())
    if match is None or re.search(r"\d+b-\d+e", candidate.api_id.lower()):
        return None  # no count, or only the active part of a mixture of experts
    value = float(match.group(1))
    return int(value) if value.is_integer() else value


def display_name(candidate: Candidate) -> str:
    # genai-prices' names, except its lower-case ones ("gpt 4o"); models.dev adds "(latest)".
    name = candidate.genai.get("name")
    if not name or name[0].islower():
        name = (candidate.modelsdev or {}).get("name") or name
    name = str(name or candidate.api_id).strip()
    host = candidate.line.host
    if host in (AZURE, BEDROCK):
        twin_name = display_name(candidate.twin) if candidate.twin else name
        return f"{twin_name} ({'Azure' if host is AZURE else 'Bedrock'})"
    return name


def description(candidate: Candidate) -> str:
    source = candidate.twin.genai if candidate.twin is not None else candidate.genai
    text = " ".join(str(source.get("description") or "").split())
    if text and not text.endswith("."):
        text += "."
    host = candidate.line.host
    if host is AZURE:
        text = f"{text} Deployed on an organisation's Azure OpenAI resource.".strip()
    elif host.label is not None:
        api = "OpenAI-compatible API" if host.provider == "openai_compatible" else "its API"
        text = f"{text} Served by {host.label} ({api}).".strip()
    return text[:4000]


def build_model(candidate: Candidate, sources: Sources) -> dict[str, Any]:
    history = price_history(candidate, sources)
    caps = capabilities(candidate)
    context_window, max_output = token_limits(candidate)
    state, deprecation_date, retires_on = status(candidate)
    family = family_of(candidate)
    vendor = vendor_of(candidate)
    host = candidate.line.host
    tags = {f"vendor:{vendor}", f"family:{family}"}
    if host.tag:
        tags.add(f"host:{host.tag}")
    return {
        "name": candidate.name,
        "display_name": display_name(candidate)[:200],
        "description": description(candidate),
        "provider": host.provider,
        "deployment": {
            "endpoint": host.endpoint,
            "api_version": host.api_version,
            "deployment": candidate.api_id if candidate.api_id != candidate.name else None,
            "api_key_env": host.api_key_env,
        },
        "parameters_b": parameters_b(candidate, family),
        "context_window": context_window,
        "max_output_tokens": max_output,
        "capabilities": caps,
        "limits": dict(REASONING_LIMITS if caps["reasoning"] else DEFAULT_LIMITS),
        "price_history": history,
        "status": state,
        "deprecation_date": deprecation_date,
        "retires_on": retires_on,
        "tags": sorted(tags),
    }


def build_catalog(catalogs_dir: Path = CATALOGS_DIR) -> dict[str, Any]:
    sources = Sources.load(catalogs_dir)
    candidates, _ = choose(sources)
    models = sorted(
        (build_model(candidate, sources) for candidate in candidates),
        key=lambda model: model["name"].lower(),
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


def provenance(catalogs_dir: Path = CATALOGS_DIR) -> dict[str, dict[str, str]]:
    """Where each shipped model's prices were read.

    {name: {"source": "genai-prices" or "litellm", "provider": genai-prices provider id,
    "model": the genai-prices id or LiteLLM key priced, "litellm": its LiteLLM key or ""}}.
    """
    sources = Sources.load(catalogs_dir)
    candidates, _ = choose(sources)
    return {
        candidate.name: {
            "source": candidate.price_from,
            "provider": candidate.line.genai,
            "model": candidate.litellm_key or ""
            if candidate.price_from == "litellm"
            else candidate.genai_id,
            "litellm": candidate.litellm_key or "",
        }
        for candidate in candidates
    }


def left_out(catalogs_dir: Path = CATALOGS_DIR) -> Iterator[str]:
    """What genai-prices held for the shipped models that the catalog does not model yet."""
    sources = Sources.load(catalogs_dir)
    candidates, rejected = choose(sources)
    for candidate in sorted(candidates, key=lambda c: c.name.lower()):
        price_history(candidate, sources)
        for note in candidate.left_out:
            yield f"{candidate.name}: {note}"
    for rejection in rejected:
        yield f"not shipped: {rejection.line}/{rejection.model_id}: {rejection.reason}"


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
    parser.add_argument(
        "--left-out", action="store_true", help="list what the sources hold that is not shipped"
    )
    args = parser.parse_args(argv)
    if args.left_out:
        for line in left_out(args.catalogs):
            print(line)
        return 0
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

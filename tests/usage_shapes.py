"""Usage objects exactly as each provider returns them, and what they count in our shape.

Each fixture names where its shape comes from. `EXPECTED` holds the same usage in our own
field names (OpenAI semantics: input counts the whole prompt, output the whole completion).
"""

from __future__ import annotations

from typing import Any

# OpenAI Chat Completions, `usage` of a chat.completion object (platform.openai.com API
# reference, "The chat completion object"; openai-python `types/completion_usage.py`).
OPENAI_CHAT: dict[str, Any] = {
    "prompt_tokens": 1117,
    "completion_tokens": 46,
    "total_tokens": 1163,
    "prompt_tokens_details": {"cached_tokens": 1024, "audio_tokens": 0},
    "completion_tokens_details": {
        "reasoning_tokens": 0,
        "audio_tokens": 0,
        "accepted_prediction_tokens": 0,
        "rejected_prediction_tokens": 0,
    },
}

# OpenAI Responses, `usage` of a response object (platform.openai.com API reference, "The
# response object"; openai-python 2.54 `types/responses/response_usage.py`, whose
# input_tokens_details also counts cache writes).
OPENAI_RESPONSES: dict[str, Any] = {
    "input_tokens": 328,
    "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
    "output_tokens": 52,
    "output_tokens_details": {"reasoning_tokens": 0},
    "total_tokens": 380,
}

# Anthropic Messages, `usage` with prompt caching and the cache-write split by lifetime
# (docs.claude.com "Prompt caching", 1-hour cache duration: "cache_creation":
# {"ephemeral_5m_input_tokens": 456, "ephemeral_1h_input_tokens": 100}; field list from
# anthropic-sdk-python `src/anthropic/types/usage.py` and `cache_creation.py`).
ANTHROPIC: dict[str, Any] = {
    "input_tokens": 2095,
    "cache_creation_input_tokens": 556,
    "cache_read_input_tokens": 188086,
    "cache_creation": {"ephemeral_5m_input_tokens": 456, "ephemeral_1h_input_tokens": 100},
    "output_tokens": 503,
    "server_tool_use": None,
    "service_tier": "standard",
}

# Gemini generateContent, `usageMetadata` of a thinking model (firebase.google.com/docs/ai-logic,
# server prompt templates: gemini-3-flash-preview answer with promptTokenCount 34,
# candidatesTokenCount 418, thoughtsTokenCount 438, totalTokenCount 890).
GEMINI: dict[str, Any] = {
    "promptTokenCount": 34,
    "candidatesTokenCount": 418,
    "totalTokenCount": 890,
    "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 34}],
    "thoughtsTokenCount": 438,
}

# Gemini with cached content: promptTokenCount includes cachedContentTokenCount (ai.google.dev
# API reference, UsageMetadata: "When cachedContent is set, this is still the total effective
# prompt size meaning this includes the number of tokens in the cached content").
GEMINI_CACHED: dict[str, Any] = {
    "promptTokenCount": 10000,
    "cachedContentTokenCount": 8800,
    "candidatesTokenCount": 150,
    "totalTokenCount": 10150,
}

# The same, as google-genai's GenerateContentResponseUsageMetadata dumps it (snake_case fields,
# googleapis/python-genai `google/genai/types.py`; its `prompt_tokens_details` is a list).
GEMINI_SNAKE: dict[str, Any] = {
    "prompt_token_count": 10000,
    "cached_content_token_count": 8800,
    "candidates_token_count": 150,
    "total_token_count": 10150,
    "prompt_tokens_details": [{"modality": "TEXT", "token_count": 10000}],
}

# Bedrock Converse, `usage` (docs.aws.amazon.com Bedrock API reference, TokenUsage:
# inputTokens, outputTokens, totalTokens, cacheReadInputTokens, cacheWriteInputTokens).
# inputTokens leaves the cache reads and writes out (Vercel AI SDK's convertBedrockUsage tests:
# inputTokens 100 with cacheReadInputTokens 80 is 180 input tokens in all).
BEDROCK: dict[str, Any] = {
    "inputTokens": 100,
    "outputTokens": 50,
    "totalTokens": 230,
    "cacheReadInputTokens": 80,
    "cacheWriteInputTokens": 0,
}

# Mistral chat completion, `usage` (docs.mistral.ai API reference, UsageInfo: prompt_tokens,
# completion_tokens, total_tokens, optional prompt_audio_seconds).
MISTRAL: dict[str, Any] = {
    "prompt_tokens": 16,
    "completion_tokens": 34,
    "total_tokens": 50,
    "prompt_audio_seconds": None,
}

EXPECTED: dict[str, dict[str, int]] = {
    "openai_chat": {"input_tokens": 1117, "cached_input_tokens": 1024, "output_tokens": 46},
    "openai_responses": {"input_tokens": 328, "output_tokens": 52},
    "anthropic": {
        "input_tokens": 2095 + 188086 + 556,
        "cached_input_tokens": 188086,
        "cache_write_tokens": 556,
        "output_tokens": 503,
        "cache_write_1h_tokens": 100,
    },
    "gemini": {"input_tokens": 34, "output_tokens": 418 + 438, "reasoning_tokens": 438},
    "gemini_cached": {"input_tokens": 10000, "cached_input_tokens": 8800, "output_tokens": 150},
    "bedrock": {"input_tokens": 180, "cached_input_tokens": 80, "output_tokens": 50},
    "mistral": {"input_tokens": 16, "output_tokens": 34},
}

SHAPES: dict[str, tuple[dict[str, Any], str]] = {
    # name: (usage as it comes, the format its keys say)
    "openai_chat": (OPENAI_CHAT, "openai_chat"),
    "openai_responses": (OPENAI_RESPONSES, "openai_responses"),
    "anthropic": (ANTHROPIC, "anthropic"),
    "gemini": (GEMINI, "gemini"),
    "gemini_cached": (GEMINI_CACHED, "gemini"),
    "gemini_snake": (GEMINI_SNAKE, "gemini"),
    "bedrock": (BEDROCK, "bedrock"),
    "mistral": (MISTRAL, "openai_chat"),
}


def expected(name: str) -> dict[str, int]:
    """What a fixture counts, in our own shape with every field."""
    counts = EXPECTED["gemini_cached" if name == "gemini_snake" else name]
    return {
        "input_tokens": 0,
        "cached_input_tokens": 0,
        "cache_write_tokens": 0,
        "output_tokens": 0,
        "reasoning_tokens": 0,
        "cache_write_1h_tokens": 0,
    } | counts

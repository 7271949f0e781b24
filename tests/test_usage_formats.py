"""Usage from any provider (issue 12 §5): each format read as it comes, told apart by its keys
or named with `usage_format`; wrong or contradictory counts refused naming the field."""

from __future__ import annotations

import importlib.util
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import usage_shapes
from modeldeck import cost
from modeldeck.pricing.engine import CostError, InvalidUsage, Usage
from modeldeck.pricing.usage import MAX_TOKENS, USAGE_FORMATS, USAGE_SCHEMAS, usage_of

PRICING = {
    "input": "3",
    "cached_input": "0.3",
    "cache_write": "3.75",
    "output": "15",
    "reasoning": "20",
}


def counts(usage: Any, usage_format: str | None = None) -> dict[str, int]:
    return Usage.parse(usage, usage_format).as_dict()


# --- each format as it comes ------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(usage_shapes.SHAPES))
def test_each_providers_usage_is_read_as_it_comes(name: str) -> None:
    usage, _ = usage_shapes.SHAPES[name]
    assert counts(usage) == usage_shapes.expected(name)


@pytest.mark.parametrize("name", sorted(usage_shapes.SHAPES))
def test_naming_the_format_reads_the_same_counts(name: str) -> None:
    usage, format_ = usage_shapes.SHAPES[name]
    named = "mistral" if name == "mistral" else format_
    assert counts(usage, named) == usage_shapes.expected(name)


def test_anthropic_input_tokens_leave_out_cache_reads_and_writes() -> None:
    breakdown = cost(PRICING, usage_shapes.ANTHROPIC)
    lines = {line.component: (line.tokens, line.amount) for line in breakdown.lines}
    assert lines["input"] == (2095, Decimal("0.006285"))
    assert lines["cached_input"] == (188086, Decimal("0.0564258"))
    # Without a 1-hour price, both kinds of cache write bill at cache_write (3.75).
    assert lines["cache_write"] == (456, Decimal("0.00171"))
    assert lines["cache_write_1h"] == (100, Decimal("0.000375"))
    assert lines["output"] == (503, Decimal("0.007545"))


def test_anthropic_one_hour_cache_writes_bill_at_their_own_price() -> None:
    priced = PRICING | {"cache_write_1h": "6"}  # 2x input, as Anthropic prices them
    breakdown = cost(priced, usage_shapes.ANTHROPIC)
    lines = {line.component: (line.tokens, line.rate, line.amount) for line in breakdown.lines}
    assert lines["cache_write"] == (456, Decimal("3.75"), Decimal("0.00171"))
    assert lines["cache_write_1h"] == (100, Decimal(6), Decimal("0.0006"))
    assert breakdown.total == sum(amount for _, _, amount in lines.values())
    assert [line.component for line in breakdown.lines] == [
        "input",
        "cached_input",
        "cache_write",
        "cache_write_1h",
        "output",
    ]
    # Our own shape says it with cache_write_1h_tokens, part of cache_write_tokens.
    ours = {
        "input_tokens": 2095 + 188086 + 556,
        "cached_input_tokens": 188086,
        "cache_write_tokens": 556,
        "cache_write_1h_tokens": 100,
        "output_tokens": 503,
    }
    assert cost(priced, ours) == breakdown
    with pytest.raises(InvalidUsage) as caught:
        cost(priced, ours | {"cache_write_1h_tokens": 557})
    assert caught.value.field == "usage.cache_write_1h_tokens"


def test_the_cache_write_split_alone_counts_as_the_cache_writes() -> None:
    usage = {"input_tokens": 5, "cache_creation": {"ephemeral_1h_input_tokens": 7}}
    assert counts(usage) == usage_shapes.expected("mistral") | {
        "input_tokens": 12,
        "cache_write_tokens": 7,
        "cache_write_1h_tokens": 7,
        "output_tokens": 0,
    }


def test_gemini_thoughts_bill_as_output_on_top_of_the_candidates() -> None:
    breakdown = cost(PRICING, usage_shapes.GEMINI)
    lines = {line.component: line.tokens for line in breakdown.lines}
    assert lines == {"input": 34, "output": 418, "reasoning": 438}
    assert breakdown.total == Decimal("0.000102") + Decimal("0.00627") + Decimal("0.00876")


def test_gemini_tool_use_prompts_bill_as_input() -> None:
    usage = {"promptTokenCount": 100, "toolUsePromptTokenCount": 20, "candidatesTokenCount": 5}
    assert counts(usage)["input_tokens"] == 120


def test_bedrock_input_tokens_leave_out_cache_reads_and_writes() -> None:
    usage = {"inputTokens": 10, "outputTokens": 2, "cacheWriteInputTokens": 300}
    assert counts(usage) == usage_shapes.expected("mistral") | {
        "input_tokens": 310,
        "cache_write_tokens": 300,
        "output_tokens": 2,
    }


def test_a_whole_response_mapping_is_read_through_its_usage() -> None:
    bedrock_response = {"output": {"message": {}}, "stopReason": "end_turn"}
    bedrock_response["usage"] = usage_shapes.BEDROCK
    gemini_response = {"candidates": [], "usageMetadata": usage_shapes.GEMINI}
    assert counts(bedrock_response) == usage_shapes.expected("bedrock")
    assert counts(gemini_response) == usage_shapes.expected("gemini")
    assert usage_of(gemini_response) is usage_shapes.GEMINI
    with pytest.raises(InvalidUsage) as refused:
        Usage.parse(gemini_response, responses=False)
    assert refused.value.field == "usage.candidates"


# --- SDK objects, read by their attributes ---------------------------------------------------


def test_openai_sdk_responses_are_read_through_their_usage() -> None:
    from openai.types import CompletionUsage
    from openai.types.chat import ChatCompletion

    completion = ChatCompletion.model_validate(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1,
            "model": "gpt-4o",
            "choices": [],
            "usage": usage_shapes.OPENAI_CHAT,
        }
    )
    assert isinstance(completion.usage, CompletionUsage)
    assert counts(completion) == usage_shapes.expected("openai_chat")
    assert cost(PRICING, completion) == cost(PRICING, usage_shapes.OPENAI_CHAT)


def test_openai_responses_sdk_usage_is_read_by_its_attributes() -> None:
    from openai.types.responses import ResponseUsage

    usage = ResponseUsage.model_validate(usage_shapes.OPENAI_RESPONSES)
    assert counts(usage) == usage_shapes.expected("openai_responses")


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # its parent package (google) is missing
        return False


def _anthropic_message() -> Any:
    if _installed("anthropic"):
        from anthropic.types import Message

        return Message.model_validate(
            {
                "id": "msg_1",
                "type": "message",
                "role": "assistant",
                "model": "claude-sonnet-4-5",
                "content": [],
                "stop_reason": "end_turn",
                "stop_sequence": None,
                "usage": usage_shapes.ANTHROPIC,
            }
        )
    # Without the SDK: the same attributes, as anthropic.types.Message and Usage have them.
    split = SimpleNamespace(**usage_shapes.ANTHROPIC["cache_creation"])
    usage = SimpleNamespace(**(usage_shapes.ANTHROPIC | {"cache_creation": split}))
    return SimpleNamespace(id="msg_1", model="claude-sonnet-4-5", usage=usage)


def _gemini_response() -> Any:
    if _installed("google.genai"):
        from google.genai import types

        return types.GenerateContentResponse.model_validate(
            {"candidates": [], "usage_metadata": usage_shapes.GEMINI_SNAKE}
        )
    # Without the SDK: google-genai's GenerateContentResponse keeps snake_case attributes.
    fields = ("prompt_token_count", "cached_content_token_count")
    fields += ("candidates_token_count", "total_token_count")
    metadata = SimpleNamespace(
        **dict.fromkeys(("thoughts_token_count", "tool_use_prompt_token_count")),
        **{name: usage_shapes.GEMINI_SNAKE[name] for name in fields},
    )
    return SimpleNamespace(candidates=[], usage_metadata=metadata)


def test_an_anthropic_sdk_message_is_read_through_its_usage() -> None:
    message = _anthropic_message()
    assert counts(message) == usage_shapes.expected("anthropic")
    assert counts(message, "anthropic") == usage_shapes.expected("anthropic")


def test_a_google_genai_response_is_read_through_its_usage_metadata() -> None:
    response = _gemini_response()
    assert counts(response) == usage_shapes.expected("gemini_snake")
    assert counts(response.usage_metadata, "gemini") == usage_shapes.expected("gemini_snake")


def test_the_light_client_takes_a_response_too() -> None:
    from modeldeck.client.wire import usage_body

    body, usage_format = usage_body(_anthropic_message(), "anthropic")
    assert counts(body, usage_format) == usage_shapes.expected("anthropic")
    body, usage_format = usage_body(SimpleNamespace(input_tokens=3, output_tokens=1), None)
    assert (body["input_tokens"], usage_format) == (3, None)


# --- refused, naming the field ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("usage", "usage_format", "field", "words"),
    [
        # Gemini's total counts every part; less is a contradiction.
        (
            {"promptTokenCount": 10, "candidatesTokenCount": 5, "totalTokenCount": 14},
            None,
            "usage.totalTokenCount",
            "less than the sum",
        ),
        (
            {"promptTokenCount": 10, "cachedContentTokenCount": 11},
            None,
            "usage.cachedContentTokenCount",
            "exceed the 10 prompt tokens",
        ),
        (
            {"promptTokenCount": 10, "prompt_token_count": 11},
            None,
            "usage.prompt_token_count",
            "disagrees with promptTokenCount",
        ),
        (
            {"input_tokens": 1, "cache_read_input_tokens": -1},
            None,
            "usage.cache_read_input_tokens",
            "negative",
        ),
        (
            {"input_tokens": 1, "cache_creation_input_tokens": -5},
            None,
            "usage.cache_creation_input_tokens",
            "negative",
        ),
        (
            {
                "input_tokens": 1,
                "cache_creation_input_tokens": 10,
                "cache_creation": {"ephemeral_5m_input_tokens": 4, "ephemeral_1h_input_tokens": 5},
            },
            None,
            "usage.cache_creation",
            "do not add up",
        ),
        (
            {"input_tokens": 1, "cache_creation": {"ephemeral_1h_input_tokens": -1}},
            None,
            "usage.cache_creation.ephemeral_1h_input_tokens",
            "negative",
        ),
        (
            {"inputTokens": 10, "outputTokens": 5, "totalTokens": 14},
            None,
            "usage.totalTokens",
            "less than",
        ),
        (
            {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 3},
            None,
            "usage.total_tokens",
            "less than",
        ),
        (
            {"prompt_tokens": 1, "prompt_tokens_details": [1]},
            None,
            "usage.prompt_tokens_details",
            "object",
        ),
        (
            {"inputTokens": MAX_TOKENS, "cacheReadInputTokens": 1},
            None,
            "usage.inputTokens",
            "in all exceed the maximum",
        ),
        # Keys of two formats: which to read is the caller's to say.
        ({"prompt_tokens": 10, "cache_read_input_tokens": 5}, None, "usage", "usage_format"),
        (
            {"inputTokens": 10, "input_tokens": 3, "promptTokenCount": 1},
            None,
            "usage",
            "usage_format",
        ),
        # A named format the usage has nothing of.
        ({"prompt_tokens": 10}, "gemini", "usage", "of usage_format 'gemini'"),
        ({"prompt_tokens": 10}, "modeldeck", "usage.prompt_tokens", "of usage_format 'modeldeck'"),
        ({"input_tokens": 10}, "openai_chat", "usage", "of usage_format 'openai_chat'"),
        ({"input_tokens": 10}, "cohere", "usage_format", "must be one of"),
    ],
)
def test_wrong_or_contradictory_usage_is_refused_naming_the_field(
    usage: Any, usage_format: str | None, field: str, words: str
) -> None:
    with pytest.raises(InvalidUsage) as refused:
        cost(PRICING, usage, usage_format=usage_format)
    assert refused.value.field == field
    assert words in refused.value.message


def test_a_named_format_reads_its_own_fields_of_an_ambiguous_usage() -> None:
    # LiteLLM's Usage carries OpenAI's fields and Anthropic's cache fields side by side.
    litellm_like = {
        "prompt_tokens": 1200,
        "completion_tokens": 30,
        "prompt_tokens_details": {"cached_tokens": 1000},
        "cache_read_input_tokens": 1000,
        "cache_creation_input_tokens": 0,
    }
    assert counts(litellm_like, "openai_chat")["input_tokens"] == 1200
    assert counts(litellm_like, "anthropic")["input_tokens"] == 1000


def test_every_format_has_a_documented_schema() -> None:
    documented = {schema["title"] for schema in USAGE_SCHEMAS.values()}
    assert documented == {
        "ModelDeckUsage",
        "OpenAIChatUsage",
        "OpenAIResponsesUsage",
        "AnthropicUsage",
        "GeminiUsage",
        "BedrockUsage",
    }
    assert set(USAGE_FORMATS) >= {"mistral", "openai_chat", "bedrock", "gemini", "anthropic"}


# --- properties ------------------------------------------------------------------------------

tokens = st.integers(min_value=0, max_value=10**9)


@st.composite
def usages(draw: st.DrawFn) -> Usage:
    fresh, cached, written, visible, reasoning = (draw(tokens) for _ in range(5))
    hour = draw(st.integers(0, written))
    return Usage(fresh + cached + written, cached, written, visible + reasoning, reasoning, hour)


def in_every_format(usage: Usage) -> dict[str, dict[str, Any]]:
    """One usage as each format says it (Gemini has no cache writes, Anthropic and Bedrock no
    reasoning count, only Anthropic and ours a 1-hour cache write: those leave the part out)."""
    i, c, w, o, r, h = usage.counts()
    fresh = i - c - w
    return {
        "modeldeck": usage.as_dict(),
        "openai_chat": {
            "prompt_tokens": i,
            "completion_tokens": o,
            "total_tokens": i + o,
            "prompt_tokens_details": {"cached_tokens": c, "cache_write_tokens": w},
            "completion_tokens_details": {"reasoning_tokens": r},
        },
        "openai_responses": {
            "input_tokens": i,
            "input_tokens_details": {"cached_tokens": c, "cache_write_tokens": w},
            "output_tokens": o,
            "output_tokens_details": {"reasoning_tokens": r},
            "total_tokens": i + o,
        },
        "anthropic": {
            "input_tokens": fresh,
            "cache_read_input_tokens": c,
            "cache_creation_input_tokens": w,
            "cache_creation": {"ephemeral_5m_input_tokens": w - h, "ephemeral_1h_input_tokens": h},
            "output_tokens": o,
        },
        "gemini": {
            "promptTokenCount": i - w,
            "cachedContentTokenCount": c,
            "candidatesTokenCount": o - r,
            "thoughtsTokenCount": r,
            "totalTokenCount": i - w + o,
        },
        "bedrock": {
            "inputTokens": fresh,
            "cacheReadInputTokens": c,
            "cacheWriteInputTokens": w,
            "outputTokens": o,
            "totalTokens": i + o,
        },
    }


@given(usages())
def test_one_usage_said_in_any_format_costs_the_same(usage: Usage) -> None:
    i, c, w, o, r, h = usage.counts()
    said = in_every_format(usage)
    priced = PRICING | {"cache_write_1h": "7.5"}
    full = cost(priced, usage).total
    without_writes = cost(priced, Usage(i - w, c, 0, o, r)).total
    without_hour = cost(priced, Usage(i, c, w, o, r)).total
    without_reasoning = cost(priced, Usage(i, c, w, o, 0, h)).total
    without_both = cost(priced, Usage(i, c, w, o, 0)).total
    for format_, shaped in said.items():
        expected = {
            "gemini": without_writes,
            "bedrock": without_both,
            "anthropic": without_reasoning,
            "openai_chat": without_hour,
            "openai_responses": without_hour,
        }.get(format_, full)
        assert cost(priced, shaped).total == expected, format_
        assert cost(priced, shaped, usage_format=format_).total == expected, format_


@given(
    st.dictionaries(
        st.sampled_from(
            [
                "input_tokens",
                "output_tokens",
                "prompt_tokens",
                "completion_tokens",
                "total_tokens",
                "cache_read_input_tokens",
                "cache_creation_input_tokens",
                "promptTokenCount",
                "cachedContentTokenCount",
                "candidatesTokenCount",
                "thoughtsTokenCount",
                "totalTokenCount",
                "inputTokens",
                "outputTokens",
                "cacheReadInputTokens",
                "reasoning_tokens",
            ]
        ),
        st.one_of(st.none(), st.integers(min_value=-5, max_value=10**13), st.text(max_size=2)),
    ),
    st.sampled_from([None, *USAGE_FORMATS]),
)
@settings(deadline=None)
def test_a_cost_is_never_negative_and_anything_else_is_a_named_refusal(
    usage: dict[str, Any], usage_format: str | None
) -> None:
    try:
        breakdown = cost(PRICING, usage, usage_format=usage_format)
    except CostError as error:
        refused = error
    else:
        assert breakdown.total >= 0
        assert all(line.amount >= 0 and line.tokens >= 0 for line in breakdown.lines)
        return
    assert refused.field == "usage" or refused.field.startswith("usage.")

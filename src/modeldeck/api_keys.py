"""Provider API keys: what a usable one looks like, and removing one from any text shown."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

MASK = "***"
# An HTTP header carries visible ASCII only; anything else in a key is a paste accident
# (a trailing newline, a space) that ends up in error messages instead of on the wire.
_KEY_CHARACTERS = re.compile(r"[\x21-\x7e]+")


def key_defect(key: str) -> str | None:
    """Why `key` cannot be sent as an API key (without quoting it), or None when it can."""
    if _KEY_CHARACTERS.fullmatch(key):
        return None
    if any(character.isspace() for character in key):
        return "must not contain whitespace (a space, tab or newline)"
    return "must contain printable ASCII characters only (no control characters)"


def _forms(secret: str) -> set[str]:
    """Every way `secret` may come back: as sent, stripped, escaped, URL-encoded."""
    forms = {secret, secret.strip()}
    for form in list(forms):
        forms.add(json.dumps(form)[1:-1])
        forms.add(repr(form)[1:-1])
        forms.add(repr(form.encode("utf-8", "backslashreplace"))[2:-1])
        forms.add(quote(form, safe=""))
    return {form for form in forms if form}


class Scrubber:
    """Replaces every form of the given secrets in a text by `***`, ignoring case.

    A provider may echo a key in another case, a header value (`Bearer <key>`) or an
    exception's repr; each of these contains one of the forms matched here.
    """

    def __init__(self, secrets: Iterable[str | None]) -> None:
        forms = {form for secret in secrets if secret for form in _forms(secret)}
        # Longest first, so a stripped key never leaves its whitespace-escaped tail behind.
        ordered = sorted(forms, key=len, reverse=True)
        self._pattern = (
            re.compile("|".join(re.escape(form) for form in ordered), re.IGNORECASE)
            if ordered
            else None
        )

    def __call__(self, text: str) -> str:
        if self._pattern is None:
            return text
        return self._pattern.sub(MASK, text)

    def answer(self, answer: Mapping[str, Any]) -> dict[str, Any]:
        """`answer` with every string value scrubbed."""
        return {
            name: self(value) if isinstance(value, str) else value for name, value in answer.items()
        }

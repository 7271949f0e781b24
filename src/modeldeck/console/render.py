"""Templates (Jinja2, autoescaped), the filters they use, and the static files they link."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from starlette.responses import HTMLResponse, Response

from modeldeck import serialization
from modeldeck.api.web import SECURITY_HEADERS

if TYPE_CHECKING:
    import jinja2

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"


@dataclass(frozen=True)
class StaticFile:
    body: bytes
    media_type: str
    version: str


_MEDIA_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


def _load_static() -> dict[str, StaticFile]:
    files = {}
    for path in sorted(STATIC.iterdir()):
        if path.suffix in _MEDIA_TYPES:
            body = path.read_bytes()
            version = hashlib.blake2b(body, digest_size=6).hexdigest()
            files[path.name] = StaticFile(body, _MEDIA_TYPES[path.suffix], version)
    return files


STATIC_FILES = _load_static()


def static_url(name: str) -> str:
    """A versioned URL, so the file can be cached for good and still change with a release."""
    return f"/static/{name}?v={STATIC_FILES[name].version}"


def integer(value: Any) -> str:
    """128000 → "128,000"; None → "—"."""
    if value is None:
        return "—"
    return f"{int(value):,}"


def number(value: Any, places: int = 4) -> str:
    """A float shown with at most `places` decimals and no trailing zeros."""
    if value is None:
        return "—"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    text = f"{float(value):,.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def money(value: Any) -> str:
    """An exact price as it is stored: Decimal("2.50") → "2.5"; None → "—"."""
    if value is None:
        return "—"
    if isinstance(value, Decimal):
        return f"{serialization.plain_decimal(value):f}"
    return str(value)


def cost(value: Any) -> str:
    """A cost to read at a glance: cents above one unit, six significant digits below."""
    if value is None:
        return "—"
    amount = Decimal(value)
    if amount >= 1:
        return f"{amount:,.2f}"
    if amount <= 0:
        return f"{amount:f}"
    # Three significant digits below one unit: 0.000072, 0.00121, 0.45.
    places = max(2, 2 - math.floor(math.log10(float(amount))))
    return f"{amount:.{places}f}".rstrip("0").rstrip(".")


CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


def _with_currency(text: str, currency: str) -> str:
    symbol = CURRENCY_SYMBOLS.get(currency.upper())
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


def amount(value: Any, currency: str = "USD") -> str:
    """Money spent, to read at a glance: "$1,234.56", "$0.00121", "$0.0000072", "$0.00"."""
    if value is None:
        return "—"
    total = Decimal(value)
    text = "0.00" if total == 0 else cost(total)
    return _with_currency(text, currency)


def rate(value: Any, currency: str = "USD") -> str:
    """An exact price with at least cents: "$2.50", "$0.075", "$0.0375"."""
    if value is None:
        return "—"
    exact = serialization.plain_decimal(Decimal(value))
    exponent = exact.as_tuple().exponent
    text = f"{exact:,f}" if isinstance(exponent, int) and exponent <= -2 else f"{exact:,.2f}"
    return _with_currency(text, currency)


def moment(value: Any) -> str:
    """A UTC timestamp to read: "2024-08-06 00:00 UTC"."""
    if value is None:
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, datetime):
        return serialization.isoformat_z(value)[:16].replace("T", " ") + " UTC"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def iso(value: Any) -> str:
    if isinstance(value, datetime):
        return serialization.isoformat_z(value)
    return "" if value is None else str(value)


def plain(value: Any) -> str:
    """Any recorded value as text for the audit trail: strings as they are, the rest as JSON."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return serialization.dumps(value)


def model_url(name: str) -> str:
    return "/models/" + quote(name, safe="/:@")


def query_url(path: str, params: dict[str, Any], **changes: Any) -> str:
    """`path` with the current query parameters, some changed; empty values are left out."""
    merged = {**params, **changes}
    kept = {key: value for key, value in merged.items() if value not in (None, "")}
    return path + ("?" + urlencode(kept, doseq=True) if kept else "")


@cache
def environment() -> jinja2.Environment:
    """The template environment, built on the first page (the API never needs Jinja)."""
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    environment.filters.update(
        integer=integer,
        number=number,
        money=money,
        cost=cost,
        amount=amount,
        rate=rate,
        moment=moment,
        iso=iso,
        plain=plain,
        model_url=model_url,
    )
    environment.globals.update(static_url=static_url, query_url=query_url)
    return environment


def page(template: str, status: int = 200, **context: Any) -> Response:
    """A rendered page with the console's security headers."""
    html = environment().get_template(template).render(**context)
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)

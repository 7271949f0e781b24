"""Which browser origins may call the API (`MODELDECK_CORS_ORIGINS`) and what they are told.

Parsing is pure (the settings validate at start-up with it); `install` adds Starlette's
CORSMiddleware only when an operator allowed some origin, so by default no CORS header is sent.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from modeldeck.deployments.policy import HOST_NAME, split_list

if TYPE_CHECKING:
    from fastapi import FastAPI

    from modeldeck.settings import Settings

ORIGINS_SETTING = "MODELDECK_CORS_ORIGINS"
CREDENTIALS_SETTING = "MODELDECK_CORS_ALLOW_CREDENTIALS"
ANY_ORIGIN = "*"

ALLOWED_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
# What a browser client sends beyond the safelisted headers: the token, JSON, conditional
# requests, and EventSource's resume point. Never X-CSRF-Token: the console stays same-origin.
ALLOWED_HEADERS = ("Authorization", "Content-Type", "If-Match", "If-None-Match", "Last-Event-ID")
# What a browser lets a script read beyond the safelisted ones.
EXPOSED_HEADERS = ("ETag", "Location", "Retry-After", "WWW-Authenticate")
DEFAULT_PORTS = {"http": 80, "https": 443}


def parse_origin(text: str) -> str:
    """`scheme://host[:port]` as a browser sends it in `Origin`; ValueError saying what is wrong."""
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise ValueError(f"{text!r} is not an origin (scheme://host[:port])") from None
    if parts.scheme.lower() not in DEFAULT_PORTS or not text.lower().startswith(
        f"{parts.scheme.lower()}://"
    ):
        raise ValueError(f"{text!r} is not an origin: it must start with http:// or https://")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"{text!r} is not an origin: it may not hold a user name or password")
    if parts.path or parts.query or parts.fragment or text.endswith(("?", "#")):
        raise ValueError(
            f"{text!r} is not an origin: scheme://host[:port], without a path or a trailing /"
        )
    host = parts.hostname or ""
    if parts.netloc.startswith("["):
        try:
            host = f"[{IPv6Address(host).compressed}]"
        except ValueError:
            raise ValueError(f"{text!r} is not an origin: {host!r} is no IPv6 address") from None
    elif host.replace(".", "").isdigit():
        try:
            IPv4Address(host)
        except ValueError:
            raise ValueError(f"{text!r} is not an origin: {host!r} is no IPv4 address") from None
    elif not HOST_NAME.fullmatch(host) or host.endswith("."):
        raise ValueError(f"{text!r} is not an origin: {host!r} is no host name or IP address")
    if port == 0:
        raise ValueError(f"{text!r} is not an origin: port 0 cannot be reached")
    scheme = parts.scheme.lower()
    # Browsers send the scheme and host in lower case and leave the default port out.
    shown_port = "" if port is None or port == DEFAULT_PORTS[scheme] else f":{port}"
    return f"{scheme}://{host.lower()}{shown_port}"


def parse_origins(text: str) -> tuple[str, ...]:
    """The origins of `MODELDECK_CORS_ORIGINS` (`*` alone: any); ValueError naming a bad item."""
    items = split_list(text)
    if ANY_ORIGIN in items:
        if len(items) > 1:
            raise ValueError(f"{ORIGINS_SETTING}: '*' allows every origin, so list it alone")
        return (ANY_ORIGIN,)
    try:
        return tuple(dict.fromkeys(parse_origin(item) for item in items))
    except ValueError as error:
        raise ValueError(f"{ORIGINS_SETTING}: {error}") from None


def check_credentials(origins: tuple[str, ...], allow_credentials: bool) -> None:
    """Credentials go only to origins named one by one; a browser refuses them with `*` anyway."""
    if allow_credentials and ANY_ORIGIN in origins:
        raise ValueError(
            f"{CREDENTIALS_SETTING}=true needs {ORIGINS_SETTING} to list the origins one by one, "
            "not '*'"
        )


def install(app: FastAPI, settings: Settings) -> None:
    """Answer browsers from the allowed origins, errors included; add nothing when none is."""
    origins = parse_origins(settings.cors_origins)
    if not origins:
        return
    from starlette.middleware.cors import CORSMiddleware

    check_credentials(origins, settings.cors_allow_credentials)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=origins,
        allow_methods=ALLOWED_METHODS,
        allow_headers=ALLOWED_HEADERS,
        allow_credentials=settings.cors_allow_credentials,
        expose_headers=EXPOSED_HEADERS,
    )

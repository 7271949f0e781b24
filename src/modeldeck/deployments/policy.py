"""What the server's `/test` may reach and read: the networks and variables an operator allowed.

Pure: parsing the two settings and judging one address or variable name; no I/O.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from modeldeck.settings import Settings

NETWORKS_SETTING = "MODELDECK_TEST_ALLOW_NETWORKS"
KEY_ENV_SETTING = "MODELDECK_TEST_KEY_ENV_ALLOW"
# The server's own settings (its secret key, admin token, database URL) are never a provider key.
SERVER_SETTINGS_PREFIX = "MODELDECK_"

IPAddress = IPv4Address | IPv6Address
IPNetwork = IPv4Network | IPv6Network

_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
HOST_NAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*\.?")
ENV_PATTERN = re.compile(r"[A-Za-z0-9_*?\[\]!]{1,128}")
# Where an IPv6 address carries an IPv4 one that a gateway would reach: NAT64's well-known prefix.
_NAT64 = IPv6Network("64:ff9b::/96")


def split_list(text: str) -> list[str]:
    """A comma-separated setting as its non-empty items."""
    return [item.strip() for item in text.split(",") if item.strip()]


def normalise_host(host: str) -> str:
    return host.strip("[]").rstrip(".").lower()


def parse_networks(text: str) -> tuple[frozenset[str], tuple[IPNetwork, ...]]:
    """(host names, networks) of `MODELDECK_TEST_ALLOW_NETWORKS`; ValueError naming a bad item."""
    hosts: set[str] = set()
    networks: list[IPNetwork] = []
    for item in split_list(text):
        try:
            networks.append(ip_network(item.strip("[]"), strict=False))
            continue
        except ValueError:
            pass
        if not HOST_NAME.fullmatch(item) or item.replace(".", "").isdigit():
            raise ValueError(f"{item!r} is neither a host name nor an IP address or network (CIDR)")
        hosts.add(normalise_host(item))
    return frozenset(hosts), tuple(networks)


def parse_key_env_patterns(text: str) -> tuple[str, ...]:
    """The fnmatch patterns of `MODELDECK_TEST_KEY_ENV_ALLOW`; ValueError naming a bad item."""
    patterns = split_list(text)
    for pattern in patterns:
        if not ENV_PATTERN.fullmatch(pattern):
            raise ValueError(f"{pattern!r} is not a pattern of variable names (letters, _, *, ?)")
    return tuple(patterns)


def _embedded_ipv4(address: IPAddress) -> list[IPv4Address]:
    """The IPv4 addresses an IPv6 one stands for (mapped, compatible, 6to4, Teredo, NAT64)."""
    if isinstance(address, IPv4Address):
        return []
    found = [address.ipv4_mapped, address.sixtofour]
    if address.teredo is not None:
        found.extend(address.teredo)
    if address in _NAT64 or (int(address) >> 32 == 0 and int(address) > 1):  # not :: or ::1
        found.append(IPv4Address(int(address) & 0xFFFFFFFF))
    return [item for item in found if item is not None]


def _special(address: IPAddress) -> str | None:
    """What makes `address` no public internet address, or None."""
    if address.is_unspecified:
        return "the unspecified address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_reserved:
        return "a reserved address"
    if address.is_private:
        return "a private address"
    if isinstance(address, IPv6Address) and address.is_site_local:
        return "a site-local address"
    if not address.is_global:
        return "not a public address"
    return None


@dataclass(frozen=True)
class OutboundPolicy:
    """The operator's allow-lists for `/test`: host names, networks, key variable patterns."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()
    key_env_patterns: tuple[str, ...] = ("*_API_KEY",)

    @classmethod
    def from_settings(cls, settings: Settings) -> OutboundPolicy:
        hosts, networks = parse_networks(settings.test_allow_networks)
        return cls(hosts, networks, parse_key_env_patterns(settings.test_key_env_allow))

    def host_allowed(self, host: str) -> bool:
        """Whether the operator named this host, whatever it resolves to."""
        return normalise_host(host) in self.hosts

    def address_refusal(self, address: str) -> str | None:
        """Why connecting to `address` is refused (e.g. "a loopback address"), or None."""
        parsed = ip_address(address.split("%", 1)[0])
        # The IPv4 address a mapped one stands for names the reason best (loopback, not reserved).
        candidates: list[IPAddress] = [*_embedded_ipv4(parsed), parsed]
        for candidate in candidates:
            if any(
                candidate.version == network.version and candidate in network
                for network in self.networks
            ):
                return None
        for candidate in candidates:
            reason = _special(candidate)
            if reason is not None:
                return reason
        return None

    def key_env_allowed(self, name: str) -> bool:
        return not name.upper().startswith(SERVER_SETTINGS_PREFIX) and any(
            fnmatch.fnmatchcase(name, pattern) for pattern in self.key_env_patterns
        )

    def key_env_refusal(self, name: str) -> str | None:
        """Why `/test` may not read the variable `name` on the server, or None."""
        if name.upper().startswith(SERVER_SETTINGS_PREFIX):
            return "the server's own settings (MODELDECK_*) are never read as a provider key"
        if not self.key_env_allowed(name):
            allowed = ", ".join(self.key_env_patterns) or "none"
            return (
                f"the server only reads variables matching {KEY_ENV_SETTING} ({allowed}); "
                f"set the key with api_key or allow {name} there"
            )
        return None

    def allowed_environ(self, environ: Mapping[str, str]) -> dict[str, str]:
        """The variables of `environ` that `/test` may read."""
        return {name: value for name, value in environ.items() if self.key_env_allowed(name)}

"""The HTTP client `/test` calls out with: it connects only where the operator allows.

The check sits in the connect step: the host is resolved once, every address it resolves to
is judged by the `OutboundPolicy`, and the socket opens to an address that was judged (TLS
still verifies and sends the host name). There is no second lookup that could answer
differently, no proxy from the environment, and no redirect is followed.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable, Iterable

import httpcore
import httpx

from modeldeck.client.errors import EndpointNotAllowed
from modeldeck.deployments.policy import NETWORKS_SETTING, OutboundPolicy

# (host, port) → the addresses it resolves to.
Resolver = Callable[[str, int], Awaitable[list[str]]]


async def system_resolve(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to, by the system's resolver (numeric forms included)."""
    found = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    return list(dict.fromkeys(str(entry[4][0]) for entry in found))


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Opens TCP connections to addresses the policy allows, refusing before any packet is sent."""

    def __init__(self, policy: OutboundPolicy, resolve: Resolver = system_resolve) -> None:
        self._policy = policy
        self._resolve = resolve
        self._inner = httpcore.AnyIOBackend()

    async def checked_addresses(
        self, host: str, port: int, timeout: float | None = None
    ) -> list[str]:
        """The addresses to connect to, all allowed; raises `EndpointNotAllowed` saying why not."""
        try:
            async with asyncio.timeout(timeout):
                addresses = await self._resolve(host, port)
        except TimeoutError as error:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from error
        except OSError as error:
            raise httpcore.ConnectError(f"cannot resolve {host}") from error
        if not addresses:
            raise httpcore.ConnectError(f"cannot resolve {host}")
        if not self._policy.host_allowed(host):
            for address in addresses:
                reason = self._policy.address_refusal(address)
                if reason is not None:
                    subject = (
                        f"{address} is" if address == host else f"{host} resolves to {address},"
                    )
                    raise EndpointNotAllowed(
                        f"endpoint not allowed: {subject} {reason} (allow it with "
                        f"{NETWORKS_SETTING})"
                    )
        return addresses

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self.checked_addresses(host, port, timeout)
        for address in addresses[:-1]:  # one by one, each an address that was checked
            try:
                return await self._connect(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError:
                continue
        return await self._connect(addresses[-1], port, timeout, local_address, socket_options)

    async def _connect(
        self,
        address: str,
        port: int,
        timeout: float | None,
        local_address: str | None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None,
    ) -> httpcore.AsyncNetworkStream:
        return await self._inner.connect_tcp(
            address,
            port,
            timeout=timeout,
            local_address=local_address,
            socket_options=socket_options,
        )

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise EndpointNotAllowed("endpoint not allowed: a Unix socket")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over a `GuardedBackend`, ignoring proxies and `.netrc`."""

    def __init__(self, policy: OutboundPolicy, resolve: Resolver = system_resolve) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=4,
            network_backend=GuardedBackend(policy, resolve),
        )


def guarded_http_client(
    policy: OutboundPolicy, resolve: Resolver = system_resolve
) -> httpx.AsyncClient:
    """A client for one `/test`: guarded connections, no redirects, nothing from the environment."""
    return httpx.AsyncClient(
        transport=GuardedTransport(policy, resolve), follow_redirects=False, trust_env=False
    )

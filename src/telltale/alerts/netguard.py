"""Refuse receiver targets on loopback, private or link-local addresses, at send time too.

The spec refuses such URLs when it is saved (``telltale.spec.alerting.url_problem``),
but a public name can resolve to a private address later (DNS rebinding). So at send
time the name is resolved, every address is checked, and the request goes to the
checked address itself (the name kept in the Host header and in TLS's SNI), so the
address that was judged is the one connected to.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from telltale.spec.alerting import private_reason, url_problem


class BlockedTarget(ValueError):
    """The target resolves to an address receivers may not reach."""


#: Names reserved for documentation and testing (RFC 2606, RFC 6761): a receiver there is
#: an example left unchanged, so it is refused without even a DNS query.
RESERVED_SUFFIXES = (".example", ".invalid", ".test", "example.com", "example.net", "example.org")


def reserved(host: str) -> bool:
    h = host.lower().rstrip(".")
    return any(h == s.lstrip(".") or h.endswith("." + s.lstrip(".")) for s in RESERVED_SUFFIXES)


@dataclass(frozen=True, slots=True)
class Pinned:
    """A URL rewritten to a checked address, with what keeps the original name working."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    extensions: dict[str, str] = field(default_factory=dict)


def pin(url: str, allow_private: bool, resolve: Callable[..., Any] = socket.getaddrinfo) -> Pinned:  # resolve: injectable for tests
    """Resolve ``url``'s host and return a request target pinned to a permitted address.

    Raises BlockedTarget when any address of the host is not public (unless
    ``allow_private``), OSError when the name does not resolve (a retryable failure).
    """
    problem = url_problem(url, allow_private)
    if problem:
        raise BlockedTarget(problem)
    host = urlsplit(url).hostname or ""
    if reserved(host):
        raise BlockedTarget(f"{host} is a documentation name (RFC 2606) that reaches nobody; point the receiver at a real endpoint")
    if allow_private:
        return Pinned(url)
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    infos = resolve(host, port, type=socket.SOCK_STREAM)
    addrs = list(dict.fromkeys(info[4][0] for info in infos))
    if not addrs:
        raise OSError(f"{host} resolved to no address")
    for a in addrs:
        reason = private_reason(ipaddress.ip_address(a.split("%", 1)[0]))
        if reason:
            raise BlockedTarget(f"{host} resolves to {a}, a {reason} address; set allow_private: true on the receiver if that is intended")
    chosen = addrs[0]
    shown = f"[{chosen}]" if ":" in chosen else chosen
    netloc = f"{shown}:{parts.port}" if parts.port else shown
    pinned = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    ext = {"sni_hostname": host} if parts.scheme == "https" else {}
    return Pinned(pinned, {"Host": parts.netloc.rsplit("@", 1)[-1]}, ext)

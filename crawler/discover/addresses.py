"""Which network addresses the crawler may connect to: the rule against private-network requests.

Pure: no settings read, no Scrapy. The downloader middleware ``crawler.crawl.middlewares.netguard``, the
DNS resolver ``crawler.crawl.resolver`` and ``forumwatch extract`` (``crawler.crawl.fetch_one``) all judge
addresses with an ``AddressPolicy`` built from ``allow_private_networks`` (the config) and
``FORUMWATCH_ALLOWED_NETWORKS`` (a setting).

A watched site is on the public internet; a link or redirect from it to loopback, a private
network, link-local (cloud metadata at 169.254.169.254), multicast or a reserved range is an
attempt to make the crawler read something it must not (SSRF). Host names are judged by the
addresses they resolve to; IP literals in every form a resolver accepts (``0x7f000001``,
``2130706433``, ``0177.0.0.1``, ``127.1``, ``[::ffff:7f00:1]``) are read as the address they
stand for. IPv6 addresses that carry an IPv4 address (IPv4-mapped, NAT64, 6to4) are judged by
the IPv4 address too.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# IANA special-purpose registries (RFC 6890 and successors): what each range is, for messages.
_REFUSED_V4: tuple[tuple[str, str], ...] = (
    ("0.0.0.0/8", "unspecified"),
    ("10.0.0.0/8", "private"),
    ("100.64.0.0/10", "shared (carrier-grade NAT)"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local"),
    ("172.16.0.0/12", "private"),
    ("192.0.0.0/24", "IETF protocol"),
    ("192.0.2.0/24", "documentation"),
    ("192.88.99.0/24", "6to4 relay"),
    ("192.168.0.0/16", "private"),
    ("198.18.0.0/15", "benchmarking"),
    ("198.51.100.0/24", "documentation"),
    ("203.0.113.0/24", "documentation"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved"),
)
_REFUSED_V6: tuple[tuple[str, str], ...] = (
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("::/8", "reserved"),
    ("64:ff9b:1::/48", "NAT64 local-use"),
    ("100::/64", "discard-only"),
    ("2001::/23", "IETF protocol"),
    ("2001:db8::/32", "documentation"),
    ("3fff::/20", "documentation"),
    ("5f00::/16", "segment routing"),
    ("fc00::/7", "unique-local (private)"),
    ("fe80::/10", "link-local"),
    ("fec0::/10", "site-local"),
    ("ff00::/8", "multicast"),
)
_REFUSED: tuple[tuple[IPNetwork, str], ...] = tuple(
    (ipaddress.ip_network(cidr), kind) for cidr, kind in _REFUSED_V4 + _REFUSED_V6
)
# Instance metadata services (AWS/GCP/Azure/OpenStack, Alibaba, Oracle, AWS IPv6): named in
# messages, refused anyway as link-local, shared or unique-local addresses.
_METADATA = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "100.100.100.200", "192.0.0.192", "fd00:ec2::254")
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_HEX_DIGITS = frozenset("0123456789abcdef")
_OCTAL_DIGITS = frozenset("01234567")


def parse_host(host: str) -> IPAddress | None:
    """The address an IP-literal host stands for, or None for a name.

    Reads IPv6 with or without brackets (a zone ``%eth0`` ignored) and IPv4 the way resolvers
    and browsers do: one to four dot-separated parts, each decimal, ``0x`` hex or ``0`` octal,
    the last filling the remaining bytes (``127.1``, ``2130706433``), one trailing dot allowed.
    """
    host = host.strip().lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            return None
    return _legacy_ipv4(host)


def _legacy_ipv4(host: str) -> ipaddress.IPv4Address | None:
    parts = host.removesuffix(".").split(".")
    if not 1 <= len(parts) <= 4:
        return None
    numbers = [_ipv4_number(part) for part in parts]
    if any(number is None for number in numbers):
        return None
    values = [number for number in numbers if number is not None]
    *leading, last = values
    if any(value > 255 for value in leading) or last >= 256 ** (4 - len(leading)):
        return None
    address = last
    for index, value in enumerate(leading):
        address += value << (8 * (3 - index))
    return ipaddress.IPv4Address(address)


def _ipv4_number(part: str) -> int | None:
    if part.startswith("0x"):
        digits, base, allowed = part[2:], 16, _HEX_DIGITS
    elif len(part) > 1 and part.startswith("0"):
        digits, base, allowed = part[1:], 8, _OCTAL_DIGITS
    else:
        digits, base, allowed = part, 10, _OCTAL_DIGITS | {"8", "9"}
    if not digits:
        return 0 if base == 16 else None
    if len(digits) > 32 or not set(digits) <= allowed:
        return None
    return int(digits, base)


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (IPv4-mapped, NAT64 ``64:ff9b::/96``, 6to4)."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour


def address_kind(address: IPAddress) -> str | None:
    """What non-public kind of address this is ('loopback', 'private', ...), None if public.

    An IPv6 address carrying an IPv4 address is of the IPv4 address's kind.
    """
    inner = embedded_ipv4(address)
    if inner is not None:
        return address_kind(inner)
    if address in _METADATA:
        return "cloud metadata"
    for network, kind in _REFUSED:
        if address.version == network.version and address in network:
            return kind
    return None


@dataclass(frozen=True)
class AddressPolicy:
    """Refuses non-public addresses unless private networks are allowed (or the address is in
    one of ``allowed``, e.g. an intranet site's own network)."""

    allow_private: bool = False
    allowed: tuple[IPNetwork, ...] = field(default_factory=tuple)

    @classmethod
    def build(cls, allow_private: bool, allowed: Iterable[str] = ()) -> AddressPolicy:
        """A policy from the config flag and CIDR strings; ValueError names a bad network."""
        networks: list[IPNetwork] = []
        for cidr in allowed:
            try:
                networks.append(ipaddress.ip_network(str(cidr).strip(), strict=False))
            except ValueError:
                raise ValueError(f"not an IP network: {cidr!r}") from None
        return cls(allow_private=allow_private, allowed=tuple(networks))

    @property
    def allows_all(self) -> bool:
        """True when no address is ever refused (nothing to resolve or check)."""
        return self.allow_private

    def refusal(self, address: IPAddress) -> str | None:
        """Why a connection to ``address`` is refused ('a loopback address'), None if allowed."""
        if self.allow_private:
            return None
        mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
        for candidate in (address, mapped):
            if candidate is not None and any(
                candidate.version == net.version and candidate in net for net in self.allowed
            ):
                return None
        kind = address_kind(address)
        if kind is None:
            return None
        inner = embedded_ipv4(address)
        article = "an" if kind.startswith(("unspecified", "IETF")) else "a"
        return f"{article} {kind} address" + (f" (IPv4 {inner})" if inner else "")

    def host_refusal(self, host: str) -> str | None:
        """Why an IP-literal host is refused ('0x7f000001 is 127.0.0.1, a loopback address').

        None when the host is allowed or is a name (names are judged by what they resolve to).
        """
        address = parse_host(host)
        if address is None:
            return None
        reason = self.refusal(address)
        if reason is None:
            return None
        shown = host.strip("[]")
        if shown.lower() == str(address):
            return f"{shown} is {reason}"
        return f"{shown} is {address}, {reason}"

    def answer_refusal(self, host: str, addresses: Iterable[str]) -> str | None:
        """Why a name is refused, given what it resolved to (any refused address refuses it)."""
        for text in addresses:
            try:
                address = ipaddress.ip_address(text.split("%", 1)[0])
            except ValueError:
                continue
            reason = self.refusal(address)
            if reason is not None:
                return f"{host} resolves to {address}, {reason}"
        return None

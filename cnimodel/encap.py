"""Catalogue of tunnel encapsulations and the bytes each adds to a packet.

Overheads are counted against the *outer* (underlay) MTU: the number of bytes
by which the pod MTU must be smaller than the underlay MTU so that an
encapsulated full-size pod packet still fits (RFC 7348, RFC 8926, RFC 2003, Cilium MTU;
references in docs/sources.md).

Sources
-------
- VXLAN: RFC 7348 -- outer IP (20 / 40) + UDP 8 + VXLAN 8 + inner Ethernet 14
  = 50 (IPv4 outer) / 70 (IPv6 outer).
- Geneve: RFC 8926 -- same fixed part as VXLAN (base header 8 bytes) plus
  variable options in multiples of 4 bytes (Kube-OVN reserves 100 in total).
- IP-in-IP: RFC 2003 -- one outer IP header, 20 / 40.
- WireGuard: outer IP + UDP 8 + WireGuard data header 16 + Poly1305 tag 16
  = 60 / 80 (Cilium always reserves 80).
- IPsec ESP: variable with cipher and padding; Cilium reserves 77 bytes, which
  is the default here; pass ``encap_overhead_bytes`` to use your own figure.

Users register their own encapsulation with :func:`register_encap`.

Examples
--------
>>> from cnimodel.encap import get_encap
>>> get_encap("vxlan").overhead_bytes(ip_version=6)
70
"""
from __future__ import annotations

from dataclasses import dataclass

from .errors import ParameterError

__all__ = ["Encapsulation", "ENCAPSULATIONS", "get_encap", "register_encap"]


@dataclass(frozen=True)
class Encapsulation:
    """One encapsulation and its per-packet overhead.

    Parameters
    ----------
    name : str
        Identifier used everywhere (``"vxlan"``).
    ipv4_overhead_bytes, ipv6_overhead_bytes : int
        Bytes added to each packet with an IPv4 / IPv6 outer header [bytes].
    supports_options : bool
        Whether option bytes may be added (Geneve).
    description, source : str
        What it is and where the byte counts come from.
    """

    name: str
    ipv4_overhead_bytes: int
    ipv6_overhead_bytes: int
    supports_options: bool = False
    description: str = ""
    source: str = ""

    def overhead_bytes(self, ip_version: int = 4, option_bytes: int = 0) -> int:
        """Overhead for the given outer IP version, plus option bytes [bytes]."""
        if ip_version not in (4, 6):
            raise ParameterError("ip_version", ip_version, "4 or 6")
        if option_bytes and not self.supports_options:
            raise ParameterError(
                "geneve_option_bytes", option_bytes, "0",
                f"encapsulation {self.name!r} carries no options",
            )
        if option_bytes < 0 or option_bytes % 4:
            raise ParameterError("geneve_option_bytes", option_bytes,
                                 "a non-negative multiple of 4 (RFC 8926)")
        base = self.ipv4_overhead_bytes if ip_version == 4 else self.ipv6_overhead_bytes
        return base + option_bytes


ENCAPSULATIONS: dict[str, Encapsulation] = {}


def register_encap(encap: Encapsulation, *, replace: bool = False) -> Encapsulation:
    """Add an encapsulation to the catalogue so every function accepts its name.

    Examples
    --------
    >>> from cnimodel.encap import Encapsulation, register_encap
    >>> e = register_encap(Encapsulation("gue-doc", 32, 52, description="example"), replace=True)
    >>> e.overhead_bytes()
    32
    """
    if not replace and encap.name in ENCAPSULATIONS:
        raise ParameterError("encap", encap.name, "a name not yet registered",
                             "pass replace=True to override")
    for field in ("ipv4_overhead_bytes", "ipv6_overhead_bytes"):
        v = getattr(encap, field)
        if not isinstance(v, int) or v < 0:
            raise ParameterError(field, v, "an integer >= 0")
    ENCAPSULATIONS[encap.name] = encap
    return encap


def get_encap(encap: "str | Encapsulation") -> Encapsulation:
    """Look up an encapsulation by name (case-insensitive); pass objects through."""
    if isinstance(encap, Encapsulation):
        return encap
    key = str(encap).strip().lower()
    if key in ("", "no", "off"):
        key = "none"
    try:
        return ENCAPSULATIONS[key]
    except KeyError:
        raise ParameterError("encap", encap, "one of " + ", ".join(sorted(ENCAPSULATIONS))) from None


for _e in (
    Encapsulation("none", 0, 0, description="no tunnel", source="-"),
    Encapsulation("vxlan", 50, 70, description="VXLAN over UDP",
                  source="RFC 7348: outer IP + UDP 8 + VXLAN 8 + inner Ethernet 14"),
    Encapsulation("geneve", 50, 70, supports_options=True,
                  description="Geneve over UDP (+ options)",
                  source="RFC 8926: outer IP + UDP 8 + Geneve 8 + inner Ethernet 14 + options"),
    Encapsulation("ipip", 20, 40, description="IP-in-IP", source="RFC 2003: one outer IP header"),
    Encapsulation("wireguard", 60, 80, description="WireGuard tunnel",
                  source="outer IP + UDP 8 + WireGuard header 16 + tag 16 (Cilium reserves 80)"),
    Encapsulation("ipsec", 77, 77, description="IPsec ESP (variable; Cilium's reservation)",
                  source="Cilium reserves 77 bytes for ESP; override with encap_overhead_bytes"),
):
    register_encap(_e)

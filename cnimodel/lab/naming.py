"""Names and addresses the lab may use, and the checks that keep it inside them.

Every namespace and device the lab creates starts with a run prefix
``cnm<6 hex>-`` (10 characters), so a device name keeps at most 5 characters of
suffix and never exceeds the kernel's IFNAMSIZ limit of 15 characters.  Every
address lies in 198.18.0.0/15, the range RFC 2544 reserves for benchmarking.

Examples
--------
>>> check_address("198.19.255.1/24")
'198.19.255.1/24'
>>> check_address("10.0.0.1")
Traceback (most recent call last):
...
cnimodel.errors.LabError: address 10.0.0.1 is outside 198.18.0.0/15 (RFC 2544 benchmarking range); the lab uses no other addresses
>>> is_lab_name("cnm0a1b2c-n1"), is_lab_name("eth0")
(True, False)
"""
from __future__ import annotations

import ipaddress
import re
import secrets

from ..errors import LabError

__all__ = ["LAB_NET", "IFNAMSIZ", "PREFIX_RE", "new_prefix", "is_lab_name", "prefix_of",
           "check_address", "check_ifname"]

#: The only network the lab configures addresses from (RFC 2544 sec. C.2.2).
LAB_NET = ipaddress.ip_network("198.18.0.0/15")
#: Longest interface name the kernel accepts (IFNAMSIZ 16 including the NUL byte).
IFNAMSIZ = 15
#: A lab run prefix: ``cnm`` + 6 lowercase hex digits + ``-``.
PREFIX_RE = re.compile(r"^(cnm[0-9a-f]{6}-)")


def new_prefix() -> str:
    """A fresh random run prefix such as ``"cnm3fa91c-"``."""
    return f"cnm{secrets.token_hex(3)}-"


def prefix_of(name: str) -> str | None:
    """The run prefix of a lab namespace or device name, or None for any other name."""
    m = PREFIX_RE.match(name)
    return m.group(1) if m else None


def is_lab_name(name: str) -> bool:
    """True when ``name`` carries a lab run prefix."""
    return prefix_of(name) is not None


def check_address(addr: str) -> str:
    """Return ``addr`` (``a.b.c.d`` or ``a.b.c.d/len``) if it lies in 198.18.0.0/15, else raise.

    Raises
    ------
    LabError
        For any address outside the benchmarking range (or not an IPv4 address).
    """
    try:
        iface = ipaddress.ip_interface(addr)
    except ValueError:
        raise LabError(f"not an IP address: {addr!r}") from None
    if iface.version != 4 or iface.ip not in LAB_NET or not iface.network.subnet_of(LAB_NET):
        raise LabError(f"address {addr} is outside {LAB_NET} (RFC 2544 benchmarking range); "
                       "the lab uses no other addresses")
    return addr


def check_ifname(name: str) -> str:
    """Return ``name`` if it is a lab name that fits IFNAMSIZ, else raise :class:`LabError`."""
    if not is_lab_name(name) or len(name) > IFNAMSIZ:
        raise LabError(f"device name {name!r} must start with a lab prefix and have at most "
                       f"{IFNAMSIZ} characters")
    return name

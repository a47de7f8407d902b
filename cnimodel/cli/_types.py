"""Argument types of the command line: values are checked, never silently replaced.

``argparse`` names the flag in every error these raise (``argument --load: ...``), and
the parser (``cli._Parser``) prints it as one line with exit status 2.
"""
from __future__ import annotations

import argparse
import math

from ..encap import ENCAPSULATIONS

__all__ = ["number", "encap_name", "size_bytes"]


def number(text: str) -> float:
    """A float; NaN is refused (it would silently become a default inside the model).

    >>> number("2.5"), number("inf")
    (2.5, inf)
    >>> number("nan")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: 'nan' is not a number (NaN is not accepted)
    """
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid number: {text!r}") from None
    if math.isnan(v):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number (NaN is not accepted)")
    return v


number.__name__ = "number"


def encap_name(text: str) -> str:
    """A known encapsulation name (``none`` for no tunnel); empty or unknown is an error.

    >>> encap_name("VXLAN")
    'vxlan'
    >>> encap_name("")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: empty encapsulation: expected one of geneve, ipip, ipsec, none, vxlan, wireguard
    """
    key = text.strip().lower()
    names = ", ".join(sorted(ENCAPSULATIONS))
    if not key:
        raise argparse.ArgumentTypeError(f"empty encapsulation: expected one of {names}")
    if key not in ENCAPSULATIONS:
        raise argparse.ArgumentTypeError(f"unknown encapsulation {text!r}: expected one of {names}")
    return key


def size_bytes(text: str) -> int:
    """A size in bytes, with an optional K/M/G/T suffix (powers of 1024).

    >>> size_bytes("64M"), size_bytes("1000"), size_bytes("1GiB")
    (67108864, 1000, 1073741824)
    """
    t = text.strip().upper().removesuffix("B").removesuffix("I")
    mult = 1
    if t and t[-1] in "KMGT":
        mult, t = 1024 ** ("KMGT".index(t[-1]) + 1), t[:-1]
    try:
        v = float(t) * mult
    except ValueError:
        v = -1.0
    if not math.isfinite(v) or v < 1:
        raise argparse.ArgumentTypeError(f"invalid size {text!r}: expected a positive number of "
                                         "bytes, optionally with K, M, G or T (e.g. 64M)")
    return int(v)

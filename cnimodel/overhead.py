"""Byte-exact MTU, encapsulation and goodput model (no fitting).

Everything here is arithmetic on header sizes (IEEE 802.3, RFC 791, RFC 8200, RFC 768,
RFC 9293, RFC 7323, RFC 7348; docs/sources.md), vectorized:
every numeric argument may be a scalar, a numpy array or a pandas Series
(Series in -> Series out, index kept), and arguments broadcast against each
other.  ``encap`` and ``path`` may also be arrays of names.

Byte accounting
---------------
``accounting="wire"`` counts what a physical Ethernet link spends per frame
beyond the IP packet: preamble+SFD 8, MAC header 14, FCS 4, inter-frame gap 12
= 38 bytes (IEEE 802.3).  ``accounting="l2"`` counts what Linux shapers
(``tc tbf``) charge: the IP packet + the 14-byte MAC header.  ``vlan=True``
adds an 802.1Q tag (4 bytes) in both modes.

Goodput bound (bulk TCP, full segments)::

    goodput_bps = link_rate_bps * mss_bytes / (pod_mtu_bytes + encap_overhead_bytes + framing)

10 GbE, MTU 1500, IPv4 + TCP timestamps: 10e9 * 1448 / 1538 = 9.415 Gbit/s,
the 9.41 Gbit/s measured by Felter et al. (2015).

Examples
--------
>>> from cnimodel import overhead
>>> r = overhead.summarize(path="overlay", underlay_mtu_bytes=1500, link_rate_bps=10e9)
>>> int(r["pod_mtu_bytes"]), int(r["mss_bytes"]), round(float(r["goodput_bps"]) / 1e9, 3)
(1450, 1398, 9.09)
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ._arrays import index_of, wrap
from .encap import get_encap
from .errors import MTUMisconfigurationError, ParameterError
from .paths import PATH_NAMES, get_path
from .validation import as_array, check

__all__ = [
    "ETH_WIRE_FRAMING_BYTES", "ETH_L2_HEADER_BYTES", "VLAN_TAG_BYTES", "IP_HEADER_BYTES",
    "TCP_HEADER_BYTES", "TCP_TIMESTAMPS_BYTES", "UDP_HEADER_BYTES", "MIN_MTU_BYTES",
    "MAX_MTU_BYTES", "framing_bytes", "encap_overhead_bytes", "pod_mtu_bytes",
    "transport_header_bytes", "mss_bytes", "udp_payload_bytes", "packets_per_message",
    "wire_bytes_per_message", "efficiency", "goodput_bps", "mtu_misconfigured", "summarize",
    "path_table",
]

#: Ethernet bytes on a physical link beyond the IP packet: preamble+SFD 8,
#: MAC header 14, FCS 4, inter-frame gap 12 (IEEE 802.3).
ETH_WIRE_FRAMING_BYTES = 38
#: Bytes a Linux shaper (tc tbf) charges beyond the IP packet: the MAC header.
ETH_L2_HEADER_BYTES = 14
#: 802.1Q tag (IEEE 802.1Q).
VLAN_TAG_BYTES = 4
#: IP header without options: RFC 791 (IPv4) and RFC 8200 (IPv6).
IP_HEADER_BYTES = {4: 20, 6: 40}
#: TCP header without options (RFC 9293).
TCP_HEADER_BYTES = 20
#: TCP timestamps option, padded: 10 + 2 NOP = 12 (RFC 7323; on by default in Linux).
TCP_TIMESTAMPS_BYTES = 12
#: UDP header (RFC 768).
UDP_HEADER_BYTES = 8
#: Minimum link MTU: 68 for IPv4 (RFC 791), 1280 for IPv6 (RFC 8200).
MIN_MTU_BYTES = {4: 68, 6: 1280}
#: Largest IP packet expressible in the IPv4 total-length field (RFC 791).
MAX_MTU_BYTES = 65535

_ACCOUNTING = {"wire": ETH_WIRE_FRAMING_BYTES, "l2": ETH_L2_HEADER_BYTES}


# --------------------------------------------------------------------------- helpers
def _num(name, value):
    """``value`` as a numpy array: integer arrays stay integer (cheaper checks), else float."""
    return as_array(name, value, keep_int=True)


def _ip_version(name, v):
    arr = np.asarray(v)
    check(name, arr, np.isin(arr, (4, 6)), "4 or 6")
    return arr


def _ip_header(v):
    return np.where(np.asarray(v) == 6, IP_HEADER_BYTES[6], IP_HEADER_BYTES[4])


def _lookup(values, fn):
    """Apply ``fn`` to a scalar name or elementwise to an array of names (factorized)."""
    if np.ndim(values) == 0 and not hasattr(values, "__len__") or isinstance(values, str):
        return fn(values)
    cat = getattr(values, "cat", None)  # pandas Series of category dtype
    if cat is not None or isinstance(values, pd.Categorical):
        c = cat if cat is not None else values
        mapped = np.array([fn(u) for u in c.categories])
        return mapped[np.asarray(c.codes)]
    codes, uniques = pd.factorize(np.asarray(values).ravel())
    mapped = np.array([fn(u) for u in uniques])
    return mapped[codes].reshape(np.shape(values))


def framing_bytes(accounting: str = "wire", vlan: bool = False) -> int:
    """Bytes charged per frame beyond the IP packet [bytes].

    ``"wire"``: 38 (physical Ethernet), ``"l2"``: 14 (Linux shapers); +4 with ``vlan``.

    >>> framing_bytes("wire"), framing_bytes("l2", vlan=True)
    (38, 18)
    """
    if accounting not in _ACCOUNTING:
        raise ParameterError("accounting", accounting, "'wire' or 'l2'")
    return _ACCOUNTING[accounting] + (VLAN_TAG_BYTES if vlan else 0)


def encap_overhead_bytes(encap="none", ip_version=4, geneve_option_bytes=0):
    """Bytes an encapsulation adds per packet, for the outer IP version [bytes].

    Parameters
    ----------
    encap : str or array of str
        Encapsulation name(s) from :mod:`cnimodel.encap`.
    ip_version : {4, 6}
        Outer (underlay) IP version.
    geneve_option_bytes : int
        Geneve option bytes (multiple of 4) [bytes].

    >>> encap_overhead_bytes("vxlan"), encap_overhead_bytes("vxlan", 6)
    (50, 70)
    """
    v = _ip_version("ip_version", ip_version)
    if np.ndim(v) == 0:
        return _lookup(encap, lambda e: get_encap(e).overhead_bytes(int(v), int(geneve_option_bytes)
                                                                    if get_encap(e).supports_options else 0))
    v4 = _lookup(encap, lambda e: get_encap(e).overhead_bytes(4, 0))
    v6 = _lookup(encap, lambda e: get_encap(e).overhead_bytes(6, 0))
    opt = _lookup(encap, lambda e: get_encap(e).supports_options) * np.asarray(geneve_option_bytes)
    return np.where(v == 6, v6, v4) + opt


def _resolve_encap(path, encap):
    """Encapsulation name(s): ``encap`` if given, else the path's default."""
    if encap is not None:
        return encap
    if path is None:
        return "none"
    return _lookup(path, lambda p: get_path(p).encap)


def _path_overhead_bytes(path, ip_version, extra_option_bytes):
    """Overhead of each path's own encapsulation (its Geneve options included)."""
    def one(p, v):
        p = get_path(p)
        extra = extra_option_bytes if get_encap(p.encap).supports_options else 0
        return p.encap_overhead_bytes(v), extra

    if np.ndim(ip_version) == 0:
        base = _lookup(path, lambda p: one(p, int(ip_version))[0])
    else:
        base = np.where(ip_version == 6, _lookup(path, lambda p: one(p, 6)[0]),
                        _lookup(path, lambda p: one(p, 4)[0]))
    opts = _lookup(path, lambda p: get_encap(get_path(p).encap).supports_options)
    return base + opts * extra_option_bytes


def transport_header_bytes(protocol="tcp", ip_version=4, tcp_timestamps=True):
    """IP + transport header bytes of one packet [bytes].

    TCP/IPv4 with timestamps: 20 + 20 + 12 = 52; UDP/IPv4: 28.

    >>> int(transport_header_bytes("tcp")), int(transport_header_bytes("udp", 6))
    (52, 48)
    """
    v = _ip_version("ip_version", ip_version)
    proto = str(protocol).lower()
    if proto == "tcp":
        l4 = TCP_HEADER_BYTES + (TCP_TIMESTAMPS_BYTES if tcp_timestamps else 0)
    elif proto == "udp":
        l4 = UDP_HEADER_BYTES
    else:
        raise ParameterError("protocol", protocol, "'tcp' or 'udp'")
    return _ip_header(v) + l4


def _validate_mtu(name, mtu, ip_version):
    """MTU within [68 | 1280, 65535] and whole; NaN and inf fail the range test."""
    lo = MIN_MTU_BYTES[6] if np.ndim(ip_version) == 0 and ip_version == 6 else (
        MIN_MTU_BYTES[4] if np.ndim(ip_version) == 0 else
        np.where(np.asarray(ip_version) == 6, MIN_MTU_BYTES[6], MIN_MTU_BYTES[4]))
    check(name, mtu, (mtu >= lo) & (mtu <= MAX_MTU_BYTES),
           f"{MIN_MTU_BYTES[4]}..{MAX_MTU_BYTES} for IPv4, {MIN_MTU_BYTES[6]}..{MAX_MTU_BYTES} for IPv6",
           "RFC 791 / RFC 8200 minimum link MTU")
    if mtu.dtype.kind == "f":
        check(name, mtu, np.mod(mtu, 1.0) == 0, "a whole number of bytes")


def pod_mtu_bytes(underlay_mtu_bytes, encap=None, ip_version=4, geneve_option_bytes=0,
                  outer_ip_version=None, path=None):
    """Largest pod MTU an underlay MTU carries after encapsulation [bytes].

    ``pod_mtu = underlay_mtu - encap_overhead`` (1500 -> 1450 with VXLAN/IPv4,
    1430 with VXLAN/IPv6, 9000 -> 8950).

    >>> int(pod_mtu_bytes(1500, "vxlan")), int(pod_mtu_bytes(1500, "vxlan", ip_version=6))
    (1450, 1430)
    """
    idx = index_of(underlay_mtu_bytes)
    r = summarize(path=path, encap=encap,
                  underlay_mtu_bytes=underlay_mtu_bytes, ip_version=ip_version,
                  outer_ip_version=outer_ip_version, geneve_option_bytes=geneve_option_bytes,
                  _skip_rate=True)
    return wrap(r["pod_mtu_bytes"], idx)


def mss_bytes(mtu_bytes, ip_version=4, tcp_timestamps=True):
    """TCP payload per full segment for an interface MTU [bytes].

    MSS = MTU - IP header - TCP header - 12 (timestamps); 1500 -> 1448 on IPv4.

    >>> int(mss_bytes(1500)), int(mss_bytes(1450)), int(mss_bytes(1500, 6, False))
    (1448, 1398, 1440)
    """
    idx = index_of(mtu_bytes)
    mtu = _num("mtu_bytes", mtu_bytes)
    v = _ip_version("ip_version", ip_version)
    _validate_mtu("mtu_bytes", mtu, v)
    return wrap(mtu - transport_header_bytes("tcp", v, tcp_timestamps), idx)


def udp_payload_bytes(mtu_bytes, ip_version=4):
    """UDP payload of one unfragmented datagram [bytes]: MTU - IP header - 8.

    >>> int(udp_payload_bytes(1500))
    1472
    """
    idx = index_of(mtu_bytes)
    mtu = _num("mtu_bytes", mtu_bytes)
    v = _ip_version("ip_version", ip_version)
    _validate_mtu("mtu_bytes", mtu, v)
    return wrap(mtu - transport_header_bytes("udp", v), idx)


def packets_per_message(msg_size_bytes, payload_per_packet_bytes):
    """Packets needed for a message: ``max(1, ceil(msg / payload))``.

    A zero-byte message still takes one packet.

    >>> int(packets_per_message(4000, 1448)), int(packets_per_message(0, 1448))
    (3, 1)
    """
    idx = index_of(msg_size_bytes, payload_per_packet_bytes)
    m = _num("msg_size_bytes", msg_size_bytes)
    p = _num("payload_per_packet_bytes", payload_per_packet_bytes)
    check("msg_size_bytes", m, np.isfinite(m) & (m >= 0), ">= 0 bytes")
    check("payload_per_packet_bytes", p, np.isfinite(p) & (p > 0), "> 0 bytes")
    return wrap(np.maximum(1, np.ceil(m / p)), idx)


def mtu_misconfigured(underlay_mtu_bytes, pod_mtu_bytes, encap="none", ip_version=4,
                      geneve_option_bytes=0):
    """True where a configured pod MTU exceeds what the underlay carries after encapsulation.

    >>> bool(mtu_misconfigured(1500, 1500, "vxlan")), bool(mtu_misconfigured(1500, 1450, "vxlan"))
    (True, False)
    """
    r = summarize(encap=encap, underlay_mtu_bytes=underlay_mtu_bytes, pod_mtu_bytes=pod_mtu_bytes,
                  ip_version=ip_version, geneve_option_bytes=geneve_option_bytes,
                  on_misconfig="flag", _skip_rate=True)
    return wrap(r["mtu_misconfigured"], index_of(underlay_mtu_bytes, pod_mtu_bytes))


def summarize(path=None, encap=None, underlay_mtu_bytes=1500, link_rate_bps=10e9, *,
              ip_version=4, outer_ip_version=None, protocol="tcp", tcp_timestamps=True,
              accounting="wire", vlan=False, geneve_option_bytes=0, pod_mtu_bytes=None,
              msg_size_bytes=None, on_misconfig="raise", _skip_rate=False):
    """All byte-model quantities of one or many scenarios in one vectorized pass.

    Parameters
    ----------
    path : str or array of str, optional
        Path name(s); gives the default encapsulation when ``encap`` is None.
    encap : str or array of str, optional
        Encapsulation name(s); overrides the path's.
    underlay_mtu_bytes : int or array
        MTU of the node NIC / underlay [bytes].
    link_rate_bps : float or array
        Line rate of the link [bit/s].
    ip_version : {4, 6}
        Pod (inner) IP version.
    outer_ip_version : {4, 6}, optional
        Underlay IP version; defaults to ``ip_version``.
    protocol : {"tcp", "udp"}
    tcp_timestamps : bool
        TCP timestamps option (Linux default on; 12 bytes per segment).
    accounting : {"wire", "l2"}
        Per-frame framing: 38 bytes (physical Ethernet) or 14 (Linux shaper).
    vlan : bool
        Add an 802.1Q tag (4 bytes).
    geneve_option_bytes : int
        Geneve options [bytes].
    pod_mtu_bytes : int or array, optional
        Configured pod MTU [bytes]; default: the largest the underlay allows.
    msg_size_bytes : int or array, optional
        Application message size [bytes]; default: bulk transfer (full segments).
    on_misconfig : {"raise", "flag"}
        A pod MTU above the allowed one raises :class:`MTUMisconfigurationError`
        (``"raise"``) or sets ``mtu_misconfigured`` and NaN goodput (``"flag"``).

    Returns
    -------
    dict of numpy arrays (Series when an input was a Series)
        ``encap_overhead_bytes``, ``max_pod_mtu_bytes``, ``pod_mtu_bytes``,
        ``payload_per_packet_bytes`` (MSS for TCP, datagram payload for UDP),
        ``mss_bytes`` (TCP only, else NaN), ``wire_packet_bytes`` (outer IP packet of a
        full segment), ``frame_bytes`` (charged per full frame), ``packets_per_message``,
        ``wire_bytes_per_message``, ``efficiency`` (payload / bytes charged),
        ``goodput_bps``, ``mtu_misconfigured``.

    Examples
    --------
    >>> r = summarize(path="host", underlay_mtu_bytes=1500, link_rate_bps=2e9, accounting="l2")
    >>> round(float(r["goodput_bps"]) / 1e9, 4)
    1.9128
    """
    idx = index_of(underlay_mtu_bytes, link_rate_bps, pod_mtu_bytes, msg_size_bytes, path, encap)
    if on_misconfig not in ("raise", "flag"):
        raise ParameterError("on_misconfig", on_misconfig, "'raise' or 'flag'")
    fr = framing_bytes(accounting, vlan)
    v_in = _ip_version("ip_version", ip_version)
    v_out = v_in if outer_ip_version is None else _ip_version("outer_ip_version", outer_ip_version)
    g = _num("geneve_option_bytes", geneve_option_bytes)
    check("geneve_option_bytes", g, (g >= 0) & (g % 4 == 0), "a non-negative multiple of 4 (RFC 8926)")
    if encap is None and path is not None:
        ov = _path_overhead_bytes(path, v_out, g)
    else:
        ov = encap_overhead_bytes(_resolve_encap(path, encap), v_out, g if np.ndim(g) else int(g))

    under = _num("underlay_mtu_bytes", underlay_mtu_bytes)
    _validate_mtu("underlay_mtu_bytes", under, v_out)
    check("encap_overhead_bytes", ov, np.broadcast_to(ov < under, np.broadcast(ov, under).shape),
           "< underlay_mtu_bytes", f"underlay MTU {under.flat[0]:.0f} B cannot carry the tunnel")
    max_pod = under - ov
    if pod_mtu_bytes is None:
        pod = max_pod
        bad = None
        lo = MIN_MTU_BYTES[6] if np.ndim(v_in) == 0 and v_in == 6 else MIN_MTU_BYTES[4]
        if np.ndim(v_in):
            lo = np.where(v_in == 6, MIN_MTU_BYTES[6], MIN_MTU_BYTES[4])
        ok = np.broadcast_to(pod >= lo, np.broadcast(pod, lo).shape)
        # the allowed minimum of the first offending row (68 B for IPv4, 1280 B for IPv6)
        if not ok.all():
            lo_bad = np.broadcast_to(lo, ok.shape).flat[int(np.argmin(ok.ravel()))]
            check("pod_mtu_bytes", pod, ok, f">= {lo_bad:.0f} (RFC 791 / RFC 8200)",
                  "underlay MTU minus encapsulation overhead is too small")
    else:
        pod = _num("pod_mtu_bytes", pod_mtu_bytes)
        _validate_mtu("pod_mtu_bytes", pod, v_in)
        bad = pod > max_pod
        if on_misconfig == "raise" and np.any(bad):
            b = np.broadcast_arrays(pod, max_pod, under, np.asarray(_resolve_encap(path, encap), dtype=object))
            i = np.flatnonzero(np.broadcast_to(bad, b[0].shape))[0]
            raise MTUMisconfigurationError(int(b[0].flat[i]), int(b[1].flat[i]),
                                           int(b[2].flat[i]), b[3].flat[i])
        _validate_mtu("pod_mtu_bytes", pod, v_in)
        bad = bad if np.any(bad) else None
    hdr = transport_header_bytes(protocol, v_in, tcp_timestamps)
    payload = pod - hdr
    per_packet = hdr + ov + fr  # bytes charged per packet beyond the payload
    frame = pod + ov + fr
    if msg_size_bytes is None:
        npk = np.ones(())
        wire_msg = frame
        eff = payload / frame
    else:
        m = _num("msg_size_bytes", msg_size_bytes)
        check("msg_size_bytes", m, np.isfinite(m) & (m >= 0), ">= 0 bytes")
        npk = np.maximum(1, np.ceil(m / payload))
        wire_msg = m + npk * per_packet
        eff = m / wire_msg
    nan_where_bad = (lambda a: a) if bad is None else (lambda a: np.where(bad, np.nan, a))
    out = {
        "encap_overhead_bytes": ov,
        "max_pod_mtu_bytes": max_pod,
        "pod_mtu_bytes": pod,
        "payload_per_packet_bytes": payload,
        "mss_bytes": payload if str(protocol).lower() == "tcp" else np.full(np.shape(payload), np.nan),
        "wire_packet_bytes": pod + ov,
        "frame_bytes": frame,
        "packets_per_message": npk,
        "wire_bytes_per_message": wire_msg,
        "efficiency": nan_where_bad(eff),
        "mtu_misconfigured": np.zeros((), bool) if bad is None else bad,
    }
    if not _skip_rate:
        rate = _num("link_rate_bps", link_rate_bps)
        check("link_rate_bps", rate, (rate > 0) & (rate < np.inf), "> 0 bit/s (finite)")
        out["goodput_bps"] = rate * out["efficiency"]
    shape = np.broadcast_shapes(*(np.shape(a) for a in out.values()))
    out = {k: np.broadcast_to(a, shape) if np.shape(a) != shape else a for k, a in out.items()}
    if idx is not None:
        out = {k: wrap(a, idx) for k, a in out.items()}
    return out


def wire_bytes_per_message(msg_size_bytes, underlay_mtu_bytes=1500, encap="none", **kw):
    """Bytes charged on the link to carry one message, headers and framing included [bytes].

    >>> int(wire_bytes_per_message(1448, 1500))   # one full TCP segment: 1500 + 38
    1538
    """
    return summarize(encap=encap, underlay_mtu_bytes=underlay_mtu_bytes,
                     msg_size_bytes=msg_size_bytes, _skip_rate=True, **kw)["wire_bytes_per_message"]


def efficiency(underlay_mtu_bytes=1500, encap="none", **kw):
    """Payload bytes per byte charged on the link (0..1) for bulk transfer or a message size.

    >>> round(float(efficiency(1500, "vxlan")), 5)
    0.90897
    """
    return summarize(encap=encap, underlay_mtu_bytes=underlay_mtu_bytes, _skip_rate=True,
                     **kw)["efficiency"]


def goodput_bps(link_rate_bps, underlay_mtu_bytes=1500, encap="none", **kw):
    """Line-rate goodput bound [bit/s]: ``link_rate_bps * efficiency``.

    >>> round(float(goodput_bps(10e9, 1500)) / 1e9, 3), round(float(goodput_bps(10e9, 1500, "vxlan")) / 1e9, 3)
    (9.415, 9.09)
    """
    return summarize(encap=encap, underlay_mtu_bytes=underlay_mtu_bytes,
                     link_rate_bps=link_rate_bps, **kw)["goodput_bps"]


def path_table(paths=None, underlay_mtu_bytes=(1500, 9000), link_rate_bps=10e9, *,
               encap=None, accounting="wire", ip_version=4, protocol="tcp"):
    """Tidy table of the byte model: one row per path x underlay MTU.

    Parameters
    ----------
    paths : sequence of str or Path, optional
        Default: the five built-in paths.
    underlay_mtu_bytes : sequence of int
        Underlay MTUs [bytes].
    link_rate_bps : float
        Line rate [bit/s].
    encap : str, optional
        Encapsulation overriding every path's own (``None``: each path's default).

    Returns
    -------
    pandas.DataFrame
        Columns ``path``, ``encap``, ``underlay_mtu_bytes``, ``encap_overhead_bytes``,
        ``pod_mtu_bytes``, ``mss_bytes`` (TCP) or ``payload_per_packet_bytes``,
        ``efficiency``, ``goodput_bps``, ``link_rate_bps``.  Same-node paths (bridge)
        cross no link, so their ``goodput_bps`` is NaN: the line-rate bound does not apply.

    Examples
    --------
    >>> t = path_table(underlay_mtu_bytes=[1500])
    >>> t.set_index("path").loc["overlay", "pod_mtu_bytes"]
    np.int64(1450)
    """
    ps = [get_path(p) for p in (PATH_NAMES if paths is None else paths)]
    mtus = np.asarray(underlay_mtu_bytes)
    grid_p = np.repeat(np.arange(len(ps)), mtus.size)
    grid_m = np.tile(mtus, len(ps))
    path_col = np.array([ps[i] for i in grid_p], dtype=object)
    r = summarize(path=path_col, encap=encap, underlay_mtu_bytes=grid_m, link_rate_bps=link_rate_bps,
                  accounting=accounting, ip_version=ip_version, protocol=protocol)
    return pd.DataFrame({
        "path": [p.name for p in path_col],
        "encap": [encap or p.encap for p in path_col],
        "underlay_mtu_bytes": grid_m,
        "encap_overhead_bytes": np.asarray(r["encap_overhead_bytes"], dtype=int),
        "pod_mtu_bytes": np.asarray(r["pod_mtu_bytes"], dtype=int),
        "payload_per_packet_bytes": np.asarray(r["payload_per_packet_bytes"], dtype=int),
        "efficiency": r["efficiency"],
        "goodput_bps": np.where([p.same_node for p in path_col], np.nan, r["goodput_bps"]),
        "link_rate_bps": np.broadcast_to(link_rate_bps, grid_m.shape).astype(float),
    })

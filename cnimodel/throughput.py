"""Bulk throughput of a data path: which of link, CPU, window and loss bounds binds.

Model (equations in docs/models.md, references in docs/sources.md)::

    link    = link_rate_bps * efficiency                      # cnimodel.overhead byte model
    cpu_stream = min(streams, cores) * 8 / c_byte            # per-stream CPU bound, summed
    cpu_tx  = min(streams, node_cores) * 8 / c_tx            # sender node's shared stage
    cpu_rx  = min(streams, node_cores, queues) * 8 / c_rx    # receiver's softirq stage
    cpu_node = min(streams, node_cores) * 8 / c_byte         # same-node paths: one node
    c_byte  = cpu_per_byte_s + C_seg / seg + (cpu_per_wire_packet_s + C_pkt) / MSS
    window  = streams * 8 * tcp_window_bytes / RTT
    loss    = streams * PFTK(MSS, RTT, p)    (or Mathis: 8 MSS / RTT * C / sqrt(p))
    throughput = min(link, cpu_stream, window, loss, cpu_tx, cpu_rx, cpu_node); bound = argmin

``queues`` is ``rx_queues`` when the NIC hashes the path's flows apart (``rx_flow_entropy``),
else 1 (a tunnel whose outer UDP the NIC hashes by addresses only).

``C_seg`` is the path's CPU per (GSO super-)packet (``sum_h n_h * hop_cpu_s[h]``) and ``seg``
the super-packet payload (``gso_bytes`` with ``offload=True``, else the MSS).  Without tunnel
offload (``tunnel_offload=False``) the hops from ``encap`` to ``decap`` are charged per wire
packet (``C_pkt``).  UDP has no GSO: each datagram pays the whole path cost, the
*packet-rate* bound ``8 d / (C + cpu_per_wire_packet_s + cpu_per_byte_s d)`` per sender.

Examples
--------
>>> from cnimodel import throughput
>>> r = throughput.stream_throughput(path="host", underlay_mtu_bytes=1500, link_rate_bps=10e9)
>>> str(r["bound"]), round(float(r["throughput_bps"]) / 1e9, 3)
('link', 9.415)
>>> r = throughput.stream_throughput(path="overlay", underlay_mtu_bytes=9000, link_rate_bps=40e9)
>>> str(r["bound"])
'cpu_stream'
"""
from __future__ import annotations

import numpy as np

from ._arrays import shape_like
from .bounds import BOUNDS, mathis_bps, pftk_bps
from .engine import evaluate_columns
from .validation import check_range

__all__ = ["mathis_bps", "pftk_bps", "stream_throughput", "cpu_cores_used", "BOUNDS"]


def stream_throughput(params=None, path="host", underlay_mtu_bytes=1500, link_rate_bps=10e9,
                      accounting="wire", encap=None, streams=1, cores=None, offload=True,
                      protocol="tcp", msg_size_bytes=None, loss_rate=0.0, extra_rtt_s=0.0,
                      ip_version=4, pod_mtu_bytes=None, node_cores=None, rx_queues=None,
                      rx_flow_entropy=None, csum_offload=True, netfilter_rules=0):
    """Aggregate bulk throughput of ``streams`` parallel streams and the bound that binds.

    Parameters
    ----------
    params : ModelParams, optional
    path : str, Path or array of names
    underlay_mtu_bytes : array
        Node / underlay MTU [bytes].
    link_rate_bps : array
        Line rate [bit/s]; inf = no link bound (an unshaped veth).
    accounting : {"wire", "l2"}
        38 B (physical Ethernet) or 14 B (tc tbf) per frame.
    streams : array
        Parallel streams [1].
    cores : array, optional
        Cores available to the streams; default one per stream (or ``params.cpu_cores``).
    offload : bool or array
        TSO/GSO and GRO on (super-packets of ``params.gso_bytes``).
    protocol : {"tcp", "udp"}
    msg_size_bytes : array, optional
        UDP datagram payload [bytes] (default: the largest unfragmented); ignored for TCP.
    loss_rate : array
        Packet loss probability p [1].
    extra_rtt_s : array
        Round-trip time added to the path's own (e.g. WAN) [s].
    node_cores, rx_queues, rx_flow_entropy, csum_offload, netfilter_rules
        Shared stages and regimes: see :func:`cnimodel.predict.predict`.

    Returns
    -------
    dict
        ``throughput_bps``, ``per_stream_bps``, ``goodput_bound_bps``, ``cpu_bound_bps``,
        ``window_bound_bps``, ``loss_bound_bps``, ``cpu_tx_bound_bps``, ``cpu_rx_bound_bps``,
        ``cpu_node_bound_bps`` [bit/s], ``bound`` (str array, a name of :data:`BOUNDS`),
        ``cpu_cores_used`` [cores].

    Examples
    --------
    >>> r = stream_throughput(path="host", underlay_mtu_bytes=9000, link_rate_bps=40e9, streams=8)
    >>> str(r["bound"]), round(float(r["throughput_bps"]) / 1e9, 2)
    ('link', 39.6)
    """
    cols = dict(path=path, underlay_mtu_bytes=underlay_mtu_bytes, link_rate_bps=link_rate_bps,
                accounting=accounting, streams=streams, offload=offload, protocol=protocol,
                loss_rate=loss_rate, extra_rtt_s=extra_rtt_s, ip_version=ip_version, test="stream",
                csum_offload=csum_offload, netfilter_rules=netfilter_rules)
    for k, v in (("encap", encap), ("cores", cores), ("msg_size_bytes", msg_size_bytes),
                 ("pod_mtu_bytes", pod_mtu_bytes), ("node_cores", node_cores),
                 ("rx_queues", rx_queues), ("rx_flow_entropy", rx_flow_entropy)):
        if v is not None:
            cols[k] = v
    r = evaluate_columns(params, cols)
    keys = ("throughput_bps", "per_stream_bps", "goodput_bound_bps", "cpu_bound_bps",
            "window_bound_bps", "loss_bound_bps", "cpu_tx_bound_bps", "cpu_rx_bound_bps",
            "cpu_node_bound_bps", "cpu_cores_used")
    out = {k: shape_like(r[k], cols) for k in keys}
    names = np.asarray(("",) + BOUNDS, dtype=object)
    out["bound"] = shape_like(names[np.asarray(r["bound_code"])], cols)
    return out


def cpu_cores_used(params=None, path="host", throughput_bps=1e9, underlay_mtu_bytes=1500,
                   offload=True, **scenario):
    """Cores of network CPU needed to carry ``throughput_bps`` of bulk TCP over a path [cores].

    ``cores = throughput_bps / 8 * c_byte`` with the per-byte CPU cost ``c_byte`` of the module
    docstring (the fitted bottleneck-core cost: a lower bound on the total CPU).

    Examples
    --------
    >>> a = cpu_cores_used(path="host", throughput_bps=10e9)
    >>> b = cpu_cores_used(path="overlay", throughput_bps=10e9)
    >>> bool(b > a > 0)
    True
    """
    cols = dict(path=path, underlay_mtu_bytes=underlay_mtu_bytes, offload=offload,
                link_rate_bps=np.inf, test="stream", **scenario)
    r = evaluate_columns(params, cols)
    tp = check_range("throughput_bps", throughput_bps, lo=0, allowed=">= 0 bit/s (finite)")
    return shape_like(tp / 8.0 * np.asarray(r["cpu_cost_per_byte_s"]), {**cols, "t": throughput_bps})

"""Evaluation of a :class:`~cnimodel.engine.design.Design` under a :class:`~cnimodel.params.ModelParams`.

:func:`evaluate` gives every model output as flat arrays (or 0-d values): latency of one
transaction with queueing (:mod:`cnimodel.queueing`), the throughput bounds and the one that
binds (:func:`cnimodel.bounds.select_bound`), CPU cost.  ``lean=True`` gives only what a
calibration needs (mean latency or one quantile, throughput and its ingredients); the bounds
of both come from :func:`stream_bounds` and the CPU cost from :func:`cpu_cost`.  Equations:
``docs/models.md``.
"""
from __future__ import annotations

import numpy as np

from ..bounds import loss_bound_bps, select_bound
from ..errors import ParameterError
from ..params import ModelParams
from ..queueing import sojourn
from .columns import is_scalar, scenario_columns, uniform, where
from .design import HOPS, Design

__all__ = ["evaluate", "evaluate_columns", "path_costs", "cpu_cost", "stream_bounds", "stream_cores",
           "stage_cores"]


def evaluate(params, d: Design, queue=None, lean=False):
    """All model outputs for a design (flat arrays or 0-d values); ``lean`` (True or a
    quantile such as 0.5): only the mean latency (or that quantile, returned under the same
    key) and throughput (what a calibration needs)."""
    p = params if params is not None else ModelParams()
    if not isinstance(p, ModelParams):
        raise ParameterError("params", type(p).__name__, "a cnimodel.params.ModelParams")
    qn = queue or p.queue
    hop_lat, c = path_costs(p, d)
    c_all = c["all"]
    nan, inf = np.nan, np.inf
    test = d.test
    has_lat = np.any(np.asarray(test) > 0)
    has_stream = np.any(np.asarray(test) == 0)
    crr = uniform(test == 2) if np.ndim(test) else test == 2
    is_lat = where(d.misconfig, False, test > 0) if np.ndim(d.misconfig) == 0 else (test > 0) & ~d.misconfig
    is_stream = where(d.misconfig, False, test == 0) if np.ndim(d.misconfig) == 0 else (test == 0) & ~d.misconfig
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_rate = uniform(np.where(np.isinf(d.rate), 0.0, 8.0 / d.rate))
    wire_s = d.n_wire * inv_rate                      # seconds per byte on the link(s)
    prop = d.n_wire * p.propagation_s

    def queued_bytes(m):
        """Bytes serialized at the link rate: all of them on a physical link; beyond the
        bucket of a token-bucket shaper (full at arrival: one transaction in flight)."""
        wb = d.ovh if (np.ndim(m) == 0 and m == 0) else d.wire_bytes(m)
        if np.ndim(d.burst) == 0 and d.burst == 0:
            return wb
        return np.maximum(0.0, wb - d.burst)

    def one_way(m):
        if np.ndim(m) == 0 and m == 0:  # an empty segment: one packet of headers
            return hop_lat + wire_s * queued_bytes(m) + prop
        return hop_lat + p.latency_per_byte_s * m + wire_s * queued_bytes(m) + prop

    out = {}
    small = p.base_rtt_s + 2.0 * one_way(0.0)
    rtt = small + d.extra
    if has_lat:
        ow_req = one_way(d.msg)
        ow_resp = ow_req if d.resp is d.msg else one_way(d.resp)
        rr0 = p.base_rtt_s + ow_req + ow_resp + d.extra
        fixed = 2.0 * prop + d.extra
        zero = where(crr, rr0 + p.crr_setup_rtts * rtt + p.crr_connection_s + p.crr_conntrack_s * d.n_nf, rr0)
        fixed = where(crr, fixed * (1.0 + p.crr_setup_rtts), fixed)
        service = where(is_lat, zero - fixed, nan)         # NaN propagates to the other rows
        lean_q = () if lean is True or not lean else (float(lean),)
        q = sojourn(service, d.load, qn, p.service_cv2, fixed, lean_q if lean else (0.5, 0.9, 0.99))
        out["latency_mean_s"] = q["mean_s"] if not lean_q else q[next(k for k in q if k != "mean_s")]
        if lean:
            return _lean(p, d, out, c, rtt, is_stream, has_stream)
        out["one_way_s"] = ow_req
        out["zero_load_s"] = service + fixed
        out["service_s"] = service
        for k, src in (("latency_p50_s", "p50_s"), ("latency_p90_s", "p90_s"), ("latency_p99_s", "p99_s")):
            out[k] = q[src]
        out["transactions_per_s"] = 1.0 / out["latency_mean_s"]
    else:
        for k in ("one_way_s", "zero_load_s", "service_s", "latency_mean_s", "latency_p50_s",
                  "latency_p90_s", "latency_p99_s", "transactions_per_s"):
            out[k] = nan
    if lean:
        return _lean(p, d, out, c, rtt, is_stream, has_stream)
    # ---- throughput bounds
    k = cpu_cost(p, d, c)
    c_byte, seg, c_wire = k["byte"], k["seg"], k["wire"]
    b = stream_bounds(p, d, k, rtt, has_stream)
    link, cpu_all = b["link_bps"], b["cpu_bps"]
    window, loss = b["window_bps"], b["loss_bps"]
    if has_stream:
        tput, which = select_bound(link, where(d.udp, inf, cpu_all), window, loss,
                                   where(d.udp, cpu_all, inf), *_stage_bounds(k, b))
        out["throughput_bps"] = where(is_stream, tput, nan)
        out["bound_code"] = where(is_stream, np.asarray(which) + 1, 0)
    else:
        out["throughput_bps"], out["bound_code"] = nan, 0
    out["goodput_bound_bps"] = link
    out["cpu_bound_bps"] = cpu_all
    for stage in ("cpu_tx", "cpu_rx", "cpu_node"):
        out[f"{stage}_bound_bps"] = b[f"{stage}_bps"]
    out["window_bound_bps"] = window
    out["loss_bound_bps"] = loss
    out["cpu_cost_per_byte_s"] = c_byte
    cores_stream = out["throughput_bps"] / 8.0 * c_byte if has_stream else nan
    if has_lat:
        nseg_req = np.maximum(1.0, np.ceil(d.msg / seg))
        nseg_resp = nseg_req if d.resp is d.msg else np.maximum(1.0, np.ceil(d.resp / seg))
        npk_req = np.maximum(1.0, np.ceil(d.msg / d.payload))
        npk = 2 * npk_req if d.resp is d.msg else npk_req + np.maximum(1.0, np.ceil(d.resp / d.payload))
        per_tx = (c_all * (nseg_req + nseg_resp) + c_wire * npk
                  + p.cpu_per_byte_s * (d.msg + d.resp))
        per_tx = where(crr, per_tx + 2 * p.crr_setup_rtts * (c_all + c_wire)
                    + p.crr_connection_s, per_tx)
        cores_lat = out["transactions_per_s"] * per_tx
        out["cpu_cores_used"] = where(is_stream, cores_stream, cores_lat) if has_stream else cores_lat
    else:
        out["cpu_cores_used"] = cores_stream
    out["pod_mtu_bytes"] = d.pod
    out["max_pod_mtu_bytes"] = d.max_pod
    out["mss_bytes"] = where(d.udp, nan, d.mss)
    out["mtu_misconfigured"] = d.misconfig
    return out


def path_costs(p, d):
    """``(hop_latency, costs)``: one-way hop latency of each row [s] and its CPU time per
    (super-)packet [s]: ``all`` hops, the transmit-side (``tx``) and receive-side (``rx``)
    hops, and the tunnel hops charged per wire packet (``tun``, ``tun_tx``, ``tun_rx``; 0
    with tunnel offload and the tunnel checksum offload on).  Each netfilter crossing adds
    ``netfilter_rules`` rule costs.  When every row has the same rule count the costs are a
    property of the path: ``u_all``, ``u_tx`` and ``u_rx`` hold them per path (and the
    rows' ``tx`` and ``rx`` are left to :func:`row_cost`)."""
    lat_vec = np.array([p.hop_latency_s[h] for h in HOPS])
    cpu_vec = np.array([p.hop_cpu_s[h] for h in HOPS])
    nf = HOPS.index("netfilter")
    rules = d.rules
    has_rules = np.ndim(rules) or rules != 0
    per_path = np.ndim(rules) == 0

    def cost_u(u):
        v = u @ cpu_vec
        return v + u[:, nf] * (rules * p.netfilter_rule_cpu_s) if has_rules and per_path else v

    def cost(u):
        if per_path:
            return cost_u(u)[d.codes]
        return (u @ cpu_vec)[d.codes] + u[:, nf][d.codes] * rules * p.netfilter_rule_cpu_s

    hop_lat = (d.counts_u @ lat_vec)[d.codes]
    if has_rules:
        hop_lat = hop_lat + d.n_nf * rules * p.netfilter_rule_latency_s
    if per_path:
        c = {"u_all": cost_u(d.counts_u), "u_tx": cost_u(d.tx_u), "u_rx": cost_u(d.rx_u)}
        c["all"] = c["u_all"][d.codes]
    else:
        c = {"all": cost(d.counts_u), "tx": cost(d.tx_u), "rx": cost(d.rx_u)}
    # no tunnel offload, or the tunnel device's checksum offload off (the kernel then drops
    # its segmentation offload too): the tunnel hops work per wire packet
    per_pkt = (not p.tunnel_offload) | (d.has_tun & ~np.asarray(d.csum, bool))
    per_pkt = uniform(per_pkt) if np.ndim(per_pkt) else bool(per_pkt)
    for key, u in (("tun", d.tun_u), ("tun_tx", d.tun_tx_u), ("tun_rx", d.tun_rx_u)):
        c[key] = where(per_pkt, cost(u), 0.0) if np.any(per_pkt) else 0.0
    return hop_lat, c


def row_cost(c, key, d):
    """The rows' CPU cost ``key`` (``all``, ``tx``, ``rx``) from :func:`path_costs` [s]."""
    return c[key] if key in c else c[f"u_{key}"][d.codes]


def cpu_cost(p, d, c):
    """CPU per payload byte of a bulk stream [s/byte] (module docstring of
    :mod:`cnimodel.throughput`) along the whole path (``byte``), in the transmit stage
    (``tx``: the sender's copy, half of ``cpu_per_byte_s``, its send calls and the
    transmit-side hops) and in the receive stage (``rx``: the receive-side hops and the wire
    packets, in softirq; the receiver's copy runs in its application thread); ``seg`` the
    (super-)packet payload [bytes] and ``wire`` the CPU per wire packet [s].  ``c``: the
    costs of :func:`path_costs`."""
    half, call = 0.5 * p.cpu_per_byte_s, p.cpu_per_call_s / d.send
    ttx, trx, tun = c["tun_tx"], c["tun_rx"], c["tun"]
    # same-node rows have no transmit / receive stage: their costs are 0 (bounds inf)
    offloads_on = (np.ndim(ttx) == 0 and ttx == 0 and np.ndim(trx) == 0 and trx == 0
                   and np.ndim(tun) == 0 and tun == 0)
    wf = d.wire_f
    if offloads_on and "u_all" in c and d.wire_pkt_u is not None and np.ndim(d.offload) == 0:
        # every term but the send calls depends only on the row's byte group (path, MTUs):
        # computed once per group, then gathered (the same sums as below)
        gc, mss_g = d.g_codes, d.mss_g
        seg_g = np.maximum(p.gso_bytes, mss_g) if d.offload else mss_g
        c_wire_g = p.cpu_per_wire_packet_s * d.wire_pkt_u[gc]
        wire_b_g = c_wire_g / mss_g
        hc = half + call
        c_byte = hc + (half + c["u_all"][gc] / seg_g + wire_b_g)[d.grp]
        c_tx = (hc if np.ndim(wf) == 0 and wf == 1 else hc * wf) + (c["u_tx"][gc] / seg_g)[d.grp]
        c_rx = (c["u_rx"][gc] / seg_g + wire_b_g)[d.grp]
        seg, c_wire = seg_g[d.grp], c_wire_g[d.grp]
    elif offloads_on:
        seg = where(d.offload, np.maximum(p.gso_bytes, d.mss), d.mss)
        c_wire = p.cpu_per_wire_packet_s * d.wire_pkt
        wire_b = c_wire / d.mss
        c_byte = p.cpu_per_byte_s + call + c["all"] / seg + wire_b
        c_tx = ((half + call) if np.ndim(wf) == 0 and wf == 1 else (half + call) * wf) \
            + row_cost(c, "tx", d) / seg
        c_rx = row_cost(c, "rx", d) / seg + wire_b
    else:
        seg = where(d.offload, np.maximum(p.gso_bytes, d.mss), d.mss)
        c_wire = p.cpu_per_wire_packet_s * d.wire_pkt
        c_byte = p.cpu_per_byte_s + call + (c["all"] - tun) / seg + (c_wire + tun) / d.mss
        c_tx = (half + call) * d.wire_f + (row_cost(c, "tx", d) - ttx) / seg + ttx / d.mss
        c_rx = (row_cost(c, "rx", d) - trx) / seg + (c_wire + trx) / d.mss
    if np.any(d.udp):
        c_byte = where(d.udp, p.cpu_per_byte_s + (c["all"] + c_wire) / d.udp_d, c_byte)
        c_tx = where(d.udp, half * d.wire_f + row_cost(c, "tx", d) / d.udp_d, c_tx)
        c_rx = where(d.udp, (row_cost(c, "rx", d) + c_wire) / d.udp_d, c_rx)
    # with the offloads on, c_tx sums a subset of c_byte's non-negative terms (c_tx <= c_byte,
    # also in floating point: rounding is monotone); UDP rows' packet-rate bound comes first
    return {"byte": c_byte, "tx": c_tx, "rx": c_rx, "seg": seg, "wire": c_wire,
            "tx_subset": offloads_on}


def stream_cores(p, d):
    """Cores the streams of each row can use: the ``cores`` column, else ``p.cpu_cores``,
    else one per stream."""
    cores = d.cores
    if np.ndim(cores) or np.isnan(cores):
        cores = where(np.isnan(cores), p.cpu_cores if p.cpu_cores else d.streams, cores)
    return cores


def stage_cores(p, d):
    """``(tx, rx, node)`` cores of the shared stages of each row [1].

    ``node_cores`` (column, else ``p.node_cores``) caps each; the transmit and same-node
    stages use one core per stream up to it; the receive stage one per receive queue the
    flows spread over: ``min(streams, rx_queues)`` when the NIC hashes the flows apart
    (``rx_flow_entropy``), else one.  A veth wire has no hashed receive queues: a packet is
    received on the core that sent it (veth_xmit -> netif_rx, the per-CPU backlog), so each
    stream brings its own receive core.
    """
    node = d.node_cores
    if np.ndim(node) or np.isnan(node):
        node = where(np.isnan(node), p.node_cores, node)
    q = d.rx_queues
    if np.ndim(q) or np.isnan(q):
        q = where(np.isnan(q), p.nic_rx_queues, q)
    s = d.streams
    s_max = np.max(s)
    tx = s if np.ndim(node) == 0 and s_max <= node else np.minimum(s, node)
    if np.ndim(q) == 0 and d.entropy_u is not None and d.wire_pkt_u is not None:
        # receive queues a property of the path: computed per path
        lim_u = np.where(d.wire_pkt_u > 0, np.where(d.entropy_u, q, 1.0), np.inf)
        if s_max <= 1 or s_max <= lim_u.min():
            return tx, tx, tx
        lim = d.per_path(lim_u)
    else:
        if s_max <= 1 or np.ndim(q) == 0 and s_max <= q and not np.any(~np.asarray(d.entropy)
                                                                          & (d.wire_pkt > 0)):
            return tx, tx, tx              # no row has more streams than receive queues
        queues = where(d.entropy, q, 1.0)                # hashed receive queues of a NIC
        lim = where(d.wire_pkt > 0, queues, np.inf)
    rx = tx if np.ndim(lim) == 0 and np.max(tx) <= lim else np.minimum(tx, lim)
    return tx, rx, tx


def stream_bounds(p, d, k, rtt, has_stream=True):
    """The throughput bounds of every row [bit/s] and their ingredients.

    ``k`` is :func:`cpu_cost`.  Returns a dict: ``link_bps`` (line-rate goodput, inf for
    same-node paths), ``ncpu8`` (8 x cores the streams use), ``cpu_bps`` (``ncpu8 / c_byte``:
    the per-stream CPU bound of TCP, the packet-rate bound of UDP), ``cpu_tx_bps``,
    ``cpu_rx_bps`` (shared stages of a cross-node path, inf on one node) and ``cpu_node_bps``
    (the node of a same-node path, inf across nodes) with the transmit and receive stages'
    ``ntx8`` and ``nrx8`` (8 x cores; the node stage uses the transmit stage's),
    ``window_bits`` and ``window_bps`` (inf for UDP), ``loss_bps`` (inf for UDP and without
    loss).
    """
    cores = stream_cores(p, d)
    ncpu8 = 8.0 * (d.streams if cores is d.streams else np.minimum(d.streams, cores))
    tx, rx, node = stage_cores(p, d)
    inf = np.inf
    window_bits = d.streams * (8.0 * p.tcp_window_bytes)
    good = d.rate * d.eff if np.ndim(d.rtx) == 0 and d.rtx == 0 else d.rate * d.eff * (1.0 - d.rtx)
    out = {"link_bps": where(d.no_wire, inf, good), "ncpu8": ncpu8, "window_bits": window_bits}
    with np.errstate(divide="ignore", invalid="ignore"):
        out["cpu_bps"] = ncpu8 / k["byte"]
        # a stage a row does not have costs 0 (transmit / receive of a same-node path) or
        # gets no cores (the node stage of a cross-node path): its bound is inf
        out["ntx8"] = ncpu8 if tx is d.streams and cores is d.streams else 8.0 * tx
        out["nrx8"] = out["ntx8"] if rx is tx else 8.0 * rx
        out["cpu_tx_bps"], out["cpu_rx_bps"] = out["ntx8"] / k["tx"], out["nrx8"] / k["rx"]
        if np.any(d.no_wire):
            # node_f is 1 on one node and 0 across nodes (-> inf)
            out["cpu_node_bps"] = (where(d.no_wire, out["cpu_bps"], inf)
                                   if out["ntx8"] is ncpu8 else out["ntx8"] / (k["byte"] * d.node_f))
        else:
            out["cpu_node_bps"] = inf
        if not has_stream:
            out["window_bps"] = out["loss_bps"] = np.inf
            return out
        out["window_bps"] = where(d.udp, np.inf, window_bits / rtt)
        out["loss_bps"] = (where(d.udp, np.inf, d.streams * loss_bound_bps(p, d.mss, rtt, d.loss))
                           if np.any(d.loss) else np.inf)
    return out


def _stage_bounds(k, b):
    """``(cpu_tx, cpu_rx, cpu_node)`` bounds for :func:`cnimodel.bounds.select_bound`, with
    ``inf`` for a stage that cannot bind: when the stages get the streams' own cores
    (``ntx8`` is ``ncpu8``), the node stage of a same-node row equals the streams' CPU
    bound (a tie keeps the earlier bound) and, where :func:`cpu_cost` built the transmit
    cost from a subset of the stream's non-negative terms (``tx_subset``), the transmit
    bound is never below it either.  Skipping them changes no result, only the work."""
    own = b["ntx8"] is b["ncpu8"]
    tx = np.inf if own and k.get("tx_subset") else b["cpu_tx_bps"]
    return tx, b["cpu_rx_bps"], (np.inf if own else b["cpu_node_bps"])


def _lean(p, d, out, c, rtt, is_stream, has_stream):
    """Throughput only (the bounds of :func:`stream_bounds`), for the calibration."""
    out["rtt_s"] = rtt
    k = cpu_cost(p, d, c)
    b = stream_bounds(p, d, k, rtt, has_stream)
    out["cpu_cost_per_byte_s"] = k["byte"]
    out["cpu_tx_cost_per_byte_s"], out["cpu_rx_cost_per_byte_s"] = k["tx"], k["rx"]
    out.update(udp=d.udp, **{n: b[n] for n in ("link_bps", "ncpu8", "window_bits", "ntx8", "nrx8")})
    out["nnode8"] = b["ntx8"] * d.node_f if np.any(d.no_wire) else 0.0   # cores of a same-node stage
    if not has_stream:
        out["throughput_bps"] = np.nan
        return out
    tput = select_bound(b["link_bps"], b["cpu_bps"], b["window_bps"], b["loss_bps"], np.inf,
                        *_stage_bounds(k, b))[0]
    out["throughput_bps"] = where(is_stream, tput, np.nan)
    return out


def evaluate_columns(params, cols, queue=None):
    """Evaluate columns that may be arrays of any broadcastable shapes (flattened).

    The front-ends (:mod:`cnimodel.latency`, :mod:`cnimodel.throughput`) call this; every
    output is an array of the flattened broadcast length.
    """
    arrs = {k: v for k, v in cols.items() if not is_scalar(v)}
    if arrs:
        arrs_np = {k: (np.asarray(v, dtype=object) if isinstance(v, (list, tuple)) else np.asarray(v))
                   for k, v in arrs.items()}
        shape = np.broadcast_shapes(*(a.shape for a in arrs_np.values()))
        cols = {**cols, **{k: np.broadcast_to(a, shape).ravel() for k, a in arrs_np.items()}}
    c, n, _ = scenario_columns(None, cols)
    d = Design(c, n)
    out = evaluate(params, d, queue)
    out["per_stream_bps"] = out["throughput_bps"] / d.streams
    return {k: np.broadcast_to(v, (n,)) if np.ndim(v) == 0 else v for k, v in out.items()}

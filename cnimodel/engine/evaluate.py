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

__all__ = ["evaluate", "evaluate_columns", "cpu_cost", "stream_bounds", "stream_cores"]


def evaluate(params, d: Design, queue=None, lean=False):
    """All model outputs for a design (flat arrays or 0-d values); ``lean`` (True or a
    quantile such as 0.5): only the mean latency (or that quantile, returned under the same
    key) and throughput (what a calibration needs)."""
    p = params if params is not None else ModelParams()
    if not isinstance(p, ModelParams):
        raise ParameterError("params", type(p).__name__, "a cnimodel.params.ModelParams")
    qn = queue or p.queue
    lat_u = d.counts_u @ np.array([p.hop_latency_s[h] for h in HOPS])
    cpu_vec = np.array([p.hop_cpu_s[h] for h in HOPS])
    cpu_u = d.counts_u @ cpu_vec
    hop_lat, c_all = lat_u[d.codes], cpu_u[d.codes]
    c_tun = 0.0 if p.tunnel_offload else (d.tun_u @ cpu_vec)[d.codes]
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
            return _lean(p, d, out, c_all, c_tun, rtt, is_stream, has_stream)
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
        return _lean(p, d, out, c_all, c_tun, rtt, is_stream, has_stream)
    # ---- throughput bounds
    c_byte, seg, c_wire = cpu_cost(p, d, c_all, c_tun)
    b = stream_bounds(p, d, c_byte, rtt, has_stream)
    link, cpu_all = b["link_bps"], b["cpu_bps"]
    window, loss = b["window_bps"], b["loss_bps"]
    if has_stream:
        tput, which = select_bound(link, where(d.udp, inf, cpu_all), window, loss,
                                   where(d.udp, cpu_all, inf))
        out["throughput_bps"] = where(is_stream, tput, nan)
        out["bound_code"] = where(is_stream, np.asarray(which) + 1, 0)
    else:
        out["throughput_bps"], out["bound_code"] = nan, 0
    out["per_stream_bps"] = out["throughput_bps"] / d.streams
    out["goodput_bound_bps"] = link
    out["cpu_bound_bps"] = cpu_all
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


def cpu_cost(p, d, c_all, c_tun):
    """``(c_byte, seg, c_wire)``: CPU per payload byte of a bulk stream [s/byte] (module
    docstring of :mod:`cnimodel.throughput`), the (super-)packet payload [bytes] and the CPU
    per wire packet [s]."""
    seg = where(d.offload, np.maximum(p.gso_bytes, d.mss), d.mss)
    c_wire = p.cpu_per_wire_packet_s * d.wire_pkt
    c_byte = p.cpu_per_byte_s + p.cpu_per_call_s / d.send + (c_all - c_tun) / seg + (c_wire + c_tun) / d.mss
    if np.any(d.udp):
        c_byte = where(d.udp, p.cpu_per_byte_s + (c_all + c_wire) / d.udp_d, c_byte)
    return c_byte, seg, c_wire


def stream_cores(p, d):
    """Cores the streams of each row can use: the ``cores`` column, else ``p.cpu_cores``,
    else one per stream."""
    cores = d.cores
    if np.ndim(cores) or np.isnan(cores):
        cores = where(np.isnan(cores), p.cpu_cores if p.cpu_cores else d.streams, cores)
    return cores


def stream_bounds(p, d, c_byte, rtt, has_stream=True):
    """The throughput bounds of every row [bit/s] and their ingredients.

    Returns a dict: ``link_bps`` (line-rate goodput, inf for same-node paths), ``ncpu8``
    (8 x cores the streams use), ``cpu_bps`` (``ncpu8 / c_byte``: the CPU bound of TCP, the
    packet-rate bound of UDP), ``window_bits`` and ``window_bps`` (inf for UDP), ``loss_bps``
    (inf for UDP and without loss).
    """
    ncpu8 = 8.0 * np.minimum(d.streams, stream_cores(p, d))
    window_bits = d.streams * (8.0 * p.tcp_window_bytes)
    out = {"link_bps": where(d.no_wire, np.inf, d.rate * d.eff * (1.0 - d.rtx)), "ncpu8": ncpu8,
           "window_bits": window_bits}
    with np.errstate(divide="ignore", invalid="ignore"):
        out["cpu_bps"] = ncpu8 / c_byte
        if not has_stream:
            out["window_bps"] = out["loss_bps"] = np.inf
            return out
        out["window_bps"] = where(d.udp, np.inf, window_bits / rtt)
        out["loss_bps"] = (where(d.udp, np.inf, d.streams * loss_bound_bps(p, d.mss, rtt, d.loss))
                           if np.any(d.loss) else np.inf)
    return out


def _lean(p, d, out, c_all, c_tun, rtt, is_stream, has_stream):
    """Throughput only (the bounds of :func:`stream_bounds`), for the calibration."""
    out["rtt_s"] = rtt
    c_byte = cpu_cost(p, d, c_all, c_tun)[0]
    b = stream_bounds(p, d, c_byte, rtt, has_stream)
    out["cpu_cost_per_byte_s"] = c_byte
    out.update(link_bps=b["link_bps"], ncpu8=b["ncpu8"], window_bits=b["window_bits"], udp=d.udp)
    if not has_stream:
        out["throughput_bps"] = np.nan
        return out
    tput = select_bound(b["link_bps"], b["cpu_bps"], b["window_bps"], b["loss_bps"])[0]
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
    return {k: np.broadcast_to(v, (n,)) if np.ndim(v) == 0 else v for k, v in out.items()}

"""Request/response latency of a data path: hop costs, bytes, serialization, propagation, queueing.

Model (equations in docs/models.md, references in docs/sources.md)::

    one_way(m) = sum_h n_h * hop_latency_s[h]            # per-hop processing, small message
               + latency_per_byte_s * m                  # copies, checksums
               + n_wire * wire_bytes(m) * 8 / link_rate  # serialization, each store-and-forward NIC
               + n_wire * propagation_s
    RR:  R0 = base_rtt_s + one_way(request) + one_way(response)
    CRR: R0 = RR + crr_setup_rtts * RR(1 byte) + crr_connection_s + crr_conntrack_s * n_netfilter

On a token-bucket shaper (``shaper_burst_bytes``) only ``max(0, wire_bytes(m) - burst)``
waits for tokens.  ``wire_bytes(m)`` comes from the byte model (:mod:`cnimodel.overhead`: headers,
encapsulation, framing, ``ceil(m / MSS)`` packets).  Under an offered load (utilisation
``rho`` of the path's bottleneck, ``0 <= rho < 1``) the transaction is served by a single
queue whose service time ``S`` is the zero-load latency minus propagation; propagation
(and ``extra_rtt_s``) are added unchanged.  Percentile methods are documented in
:func:`queue_latency`.  ``transactions_per_s = 1 / latency_mean_s`` (one transaction in flight,
netperf TCP_RR / TCP_CRR).

Examples
--------
>>> from cnimodel import latency
>>> r = latency.rr_latency(path="host", msg_size_bytes=1)
>>> round(float(r["latency_mean_s"]) * 1e6, 2)          # Zhuo et al. 2019: 11.3 us
11.55
>>> r = latency.rr_latency(path="overlay", load=0.5, queue="mm1")
>>> round(float(r["latency_p99_s"] / r["latency_mean_s"]), 2)
4.56
"""
from __future__ import annotations

import numpy as np

from ._arrays import shape_like
from .engine import evaluate_columns
from .params import ModelParams
from .queueing import check_load, queue_latency, queue_quantile

__all__ = ["queue_latency", "queue_quantile", "rr_latency", "crr_latency", "one_way_latency_s",
           "saturation_load", "saturation_rate_per_s", "check_load"]


def rr_latency(params=None, path="host", msg_size_bytes=1, load=0.0, queue=None, *, test="rr",
               underlay_mtu_bytes=1500, link_rate_bps=10e9, accounting="wire", encap=None,
               ip_version=4, response_size_bytes=None, extra_rtt_s=0.0, pod_mtu_bytes=None):
    """Latency of one request/response transaction (netperf TCP_RR / TCP_CRR) [s].

    Parameters
    ----------
    params : ModelParams, optional
        Defaults: ``ModelParams()``.
    path : str, Path or array of names
    msg_size_bytes : array
        Request size [bytes]; the response has the same size unless ``response_size_bytes``.
    load : array
        Utilisation of the path's bottleneck by all traffic, ``0 <= rho < 1`` [1].
    queue : {"md1", "mm1", "mg1"}, optional
        Default ``params.queue``.  Percentile methods: :func:`queue_quantile`.
    test : {"rr", "crr"}
    underlay_mtu_bytes, link_rate_bps, accounting, encap, ip_version
        Byte-model scenario (see :func:`cnimodel.overhead.summarize`); ``link_rate_bps``
        inf = no serialization.
    pod_mtu_bytes : array, optional
        Configured pod MTU [bytes] (default: the largest the underlay carries); a larger one
        is a misconfiguration and gives NaN, as in :func:`cnimodel.predict.predict`.

    Returns
    -------
    dict of numpy arrays
        ``latency_mean_s``, ``latency_p50_s``, ``latency_p90_s``, ``latency_p99_s`` [s],
        ``transactions_per_s`` [1/s], ``service_s`` (queue service time) [s],
        ``zero_load_s`` (latency at rho = 0) [s].

    Examples
    --------
    >>> r = rr_latency(path=["host", "underlay", "routing", "overlay"])
    >>> bool((np.diff(r["latency_mean_s"]) >= 0).all())     # host <= underlay < routing < overlay
    True
    """
    cols = dict(path=path, msg_size_bytes=msg_size_bytes, load=load, test=test,
                underlay_mtu_bytes=underlay_mtu_bytes, link_rate_bps=link_rate_bps,
                accounting=accounting, ip_version=ip_version, extra_rtt_s=extra_rtt_s)
    if encap is not None:
        cols["encap"] = encap
    if response_size_bytes is not None:
        cols["response_size_bytes"] = response_size_bytes
    if pod_mtu_bytes is not None:
        cols["pod_mtu_bytes"] = pod_mtu_bytes
    r = evaluate_columns(params, cols, queue=queue)
    keys = ("latency_mean_s", "latency_p50_s", "latency_p90_s", "latency_p99_s",
            "transactions_per_s", "service_s", "zero_load_s")
    return {k: shape_like(r[k], cols) for k in keys}


def crr_latency(params=None, path="host", msg_size_bytes=1, load=0.0, queue=None, **kw):
    """TCP_CRR transaction latency: :func:`rr_latency` with ``test="crr"``.

    Examples
    --------
    >>> rr = rr_latency(path="bridge")["latency_mean_s"]
    >>> crr = crr_latency(path="bridge")["latency_mean_s"]
    >>> bool(crr > 3 * rr)
    True
    """
    return rr_latency(params, path, msg_size_bytes, load, queue, test="crr", **kw)


def one_way_latency_s(params=None, path="host", msg_size_bytes=1, **kw):
    """Zero-load one-way latency of a message (no ``base_rtt_s``, no queueing) [s].

    Examples
    --------
    >>> round(float(one_way_latency_s(path="host")) * 1e6, 2)
    5.77
    """
    cols = dict(path=path, msg_size_bytes=msg_size_bytes, test="rr", **kw)
    r = evaluate_columns(params, cols)
    return shape_like(r["one_way_s"], cols)


def saturation_rate_per_s(params=None, path="host", msg_size_bytes=1, **scenario):
    """Transaction rate at which the path's queue saturates (rho -> 1): ``1 / S`` [1/s].

    Examples
    --------
    >>> bool(saturation_rate_per_s(path="overlay") < saturation_rate_per_s(path="host"))
    True
    """
    r = rr_latency(params, path, msg_size_bytes, **scenario)
    return 1.0 / r["service_s"]


def saturation_load(params=None, path="host", target_s=100e-6, quantile=0.99, msg_size_bytes=1,
                    queue=None, **scenario):
    """Largest utilisation rho in [0, 1) whose latency quantile stays within ``target_s`` [1].

    Solved in closed form: M/M/1 ``rho = 1 - S * (-ln(1 - q)) / (target - fixed)``;
    M/D/1 and M/G/1 by bisection on the monotone quantile of :func:`queue_quantile`
    (60 halvings, vectorized).  0 where even an idle path misses the target.

    Examples
    --------
    >>> round(float(saturation_load(path="host", target_s=100e-6, queue="mm1")), 3)
    0.489
    """
    p = params if params is not None else ModelParams()
    qn = queue or p.queue
    r = rr_latency(p, path, msg_size_bytes, 0.0, qn, **scenario)
    s = np.asarray(r["service_s"], float)
    fixed = np.asarray(r["zero_load_s"], float) - s
    tgt = np.asarray(target_s, float) - fixed
    if qn == "mm1":
        rho = 1.0 - s * (-np.log1p(-quantile)) / np.where(tgt > 0, tgt, np.nan)
        return np.clip(np.nan_to_num(rho, nan=0.0), 0.0, 1.0 - 1e-12)
    lo = np.zeros(np.broadcast(s, tgt).shape)
    hi = np.full(lo.shape, 1.0 - 1e-12)
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        ok = queue_quantile(s, mid, quantile, qn, p.service_cv2) <= tgt
        lo = np.where(ok, mid, lo)
        hi = np.where(ok, hi, mid)
    ok0 = queue_quantile(s, 0.0, quantile, qn, p.service_cv2) <= tgt
    return np.where(ok0, lo, 0.0)

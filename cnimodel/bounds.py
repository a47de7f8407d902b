"""TCP throughput bounds and the one rule that picks the bound that binds.

- Loss bounds: Mathis et al. (1997), "The macroscopic behavior of the TCP congestion
  avoidance algorithm", CCR 27(3): ``8 MSS / RTT * C / sqrt(p)``, ``C = sqrt(3/2)``
  (0.87 with delayed ACKs); and PFTK (Padhye, Firoiu, Towsley, Kurose 1998, "Modeling TCP
  throughput", SIGCOMM) in the form of RFC 3448 sec. 3.1.
- :data:`BOUNDS`: the names of the bounds of the throughput model, in tie-breaking order;
  :func:`select_bound` takes the minimum (ties keep the earlier bound) and names it.

Examples
--------
>>> import numpy as np
>>> tput, code = select_bound(np.array([10e9, 10e9]), np.array([12e9, 4e9]))
>>> tput.tolist(), [BOUNDS[c] for c in code]
([10000000000.0, 4000000000.0], ['link', 'cpu_stream'])
"""
from __future__ import annotations

import math

import numpy as np

from .validation import check_range

__all__ = ["BOUNDS", "LOSS_MODELS", "mathis_bps", "pftk_bps", "loss_bound_bps", "select_bound"]

#: Names of the bounds, in tie-breaking order (:func:`select_bound`).
#: ``cpu_stream``: the streams' own CPU (one core per stream along the path); ``cpu_tx`` /
#: ``cpu_rx``: the transmit / receive stage a node's streams share (its cores, and for the
#: receive stage the receive queues the flows spread over); ``cpu_node``: the one node of a
#: same-node path (docs/models.md, "Shared stages").
BOUNDS = ("link", "cpu_stream", "window", "loss", "packet_rate", "cpu_tx", "cpu_rx", "cpu_node")
#: Loss-bound formulas (:func:`loss_bound_bps`).
LOSS_MODELS = ("pftk", "mathis")


def _loss(loss_rate):
    return check_range("loss_rate", loss_rate, lo=0, hi=1, hi_strict=True, allowed="0 <= p < 1")


def mathis_bps(mss_bytes, rtt_s, loss_rate, c=math.sqrt(1.5)):
    """Mathis et al. (1997) loss bound ``8 MSS / RTT * C / sqrt(p)`` [bit/s]; inf at p = 0.

    >>> round(float(mathis_bps(1448, 1e-3, 1e-4)) / 1e6, 1)
    1418.7
    """
    p = _loss(loss_rate)
    with np.errstate(divide="ignore"):
        return 8.0 * np.asarray(mss_bytes, float) / np.asarray(rtt_s, float) * c / np.sqrt(p)


def pftk_bps(mss_bytes, rtt_s, loss_rate, b=1.0, t_rto_s=None):
    """PFTK loss bound in the RFC 3448 form [bit/s]; inf at p = 0.

    ``X = 8 s / (R sqrt(2 b p / 3) + t_RTO * 3 sqrt(3 b p / 8) * p (1 + 32 p^2))``,
    ``t_RTO = 4 R`` by default (Padhye et al. 1998; RFC 3448 sec. 3.1).

    >>> round(float(pftk_bps(1448, 1e-3, 1e-4)) / 1e6, 1)
    1417.5
    """
    p = _loss(loss_rate)
    r = np.asarray(rtt_s, float)
    t = 4.0 * r if t_rto_s is None else np.asarray(t_rto_s, float)
    den = r * np.sqrt(2 * b * p / 3) + t * 3 * np.sqrt(3 * b * p / 8) * p * (1 + 32 * p ** 2)
    with np.errstate(divide="ignore"):
        return 8.0 * np.asarray(mss_bytes, float) / den


def loss_bound_bps(params, mss_bytes, rtt_s, loss_rate):
    """Loss bound of one stream with the formula and constants of ``params`` [bit/s].

    ``params`` is a :class:`cnimodel.params.ModelParams` (fields ``loss_model``,
    ``mathis_c``, ``pftk_b``, ``rto_factor``).

    >>> from cnimodel.params import ModelParams
    >>> round(float(loss_bound_bps(ModelParams(), 1448, 1e-3, 1e-4)) / 1e6, 1)
    1417.5
    """
    if params.loss_model == "pftk":
        return pftk_bps(mss_bytes, rtt_s, loss_rate, b=params.pftk_b,
                        t_rto_s=params.rto_factor * np.asarray(rtt_s, float))
    return mathis_bps(mss_bytes, rtt_s, loss_rate, c=params.mathis_c)


def select_bound(*bounds):
    """``(throughput, code)``: the elementwise minimum of ``bounds`` and the index of the one
    that binds (ties keep the earlier bound; int8 codes).

    ``bounds`` are in the order of :data:`BOUNDS` (``link, cpu_stream, window, loss,
    packet_rate, cpu_tx, cpu_rx, cpu_node``;
    pass fewer to use a prefix); each a scalar or an array; a scalar ``inf`` (a bound that
    does not apply) costs nothing.  ``code`` indexes :data:`BOUNDS` (0-d when every input is).
    """
    tput, which = bounds[0], 0
    owned = False   # tput / which are our own full-size arrays: update them in place
    for i, b in enumerate(bounds[1:], start=1):
        if np.ndim(b) == 0 and b == np.inf:
            continue
        lower = b < tput
        if not np.any(lower):
            continue
        if not owned or np.shape(lower) != np.shape(tput):
            shape = np.broadcast_shapes(np.shape(tput), np.shape(b))
            if not shape:
                which, tput = np.where(lower, i, which), np.where(lower, b, tput)
                continue
            tput = np.array(np.broadcast_to(tput, shape), dtype=float)
            which = np.array(np.broadcast_to(which, shape), dtype=np.int8)  # 8 bounds
            owned = True
        np.copyto(tput, b, where=lower)
        np.copyto(which, i, where=lower)
    return tput, which

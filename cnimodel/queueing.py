"""Queueing primitives: single-server queue sojourn times under a utilisation rho.

The latency model (:mod:`cnimodel.latency`, engine :mod:`cnimodel.engine`) serves one
transaction at a time by a single queue at the path's bottleneck: M/M/1, M/D/1 or M/G/1
(Kleinrock, *Queueing Systems* vol. 1, 1975: M/M/1 sojourn time exponential with mean
``S / (1 - rho)``; Pollaczek-Khinchine mean waiting time ``rho S (1 + cv2) / (2 (1 - rho))``).
Quantile methods: :func:`queue_quantile`.

Examples
--------
>>> r = queue_latency(10e-6, 0.5, "mm1")
>>> round(float(r["mean_s"]) * 1e6, 3)
20.0
"""
from __future__ import annotations

import numpy as np

from .errors import ParameterError
from .validation import check_range

__all__ = ["QUEUES", "check_load", "queue_quantile", "queue_latency", "sojourn", "quantile_key"]

#: Queue models: M/M/1, M/D/1, M/G/1.
QUEUES = ("mm1", "md1", "mg1")


def check_load(load, name="load"):
    """Validate utilisations: finite, ``0 <= rho < 1``; returns a float array.

    >>> check_load([0.0, 0.9]).tolist()
    [0.0, 0.9]
    """
    return check_range(name, load, lo=0, hi=1, hi_strict=True,
                       allowed="0 <= rho < 1 (a queue at rho >= 1 is unstable)")


def _cv2(queue, service_cv2):
    if queue not in QUEUES:
        raise ParameterError("queue", queue, "one of " + ", ".join(QUEUES))
    return {"mm1": 1.0, "md1": 0.0}.get(queue, float(service_cv2))

def queue_quantile(service_s, load, q, queue="md1", service_cv2=1.0):
    """Quantile ``q`` of the sojourn time (wait + service) of a single-server queue [s].

    Methods
    -------
    - ``mm1`` (exact): the M/M/1 FCFS sojourn time is exponential with mean
      ``S / (1 - rho)``, so ``T_q = -ln(1 - q) * S / (1 - rho)``.
    - ``md1`` / ``mg1`` (approximation): sojourn = ``S`` + waiting time ``W``;
      ``P(W > 0) = rho`` exactly and the Pollaczek-Khinchine mean
      ``E[W] = rho * S * (1 + cv2) / (2 (1 - rho))`` is exact; the conditional wait
      ``W | W > 0`` is taken as exponential with mean ``E[W] / rho`` (exponential-tail
      approximation), giving ``T_q = S + max(0, theta * ln(rho / (1 - q)))``,
      ``theta = S (1 + cv2) / (2 (1 - rho))``.  ``md1`` is ``cv2 = 0``; the service time
      itself is taken as deterministic (its variance enters only through the wait).

    Parameters
    ----------
    service_s : array
        Mean service time S [s].
    load : array
        Utilisation rho, ``0 <= rho < 1`` [1].
    q : float or array
        Quantile, ``0 < q < 1`` [1].
    queue : {"md1", "mm1", "mg1"}
    service_cv2 : float
        Squared coefficient of variation of service (``mg1``) [1].

    Examples
    --------
    >>> round(float(queue_quantile(10e-6, 0.0, 0.99, "mm1")) * 1e6, 2)   # -ln(0.01) * 10 us
    46.05
    >>> float(queue_quantile(10e-6, 0.0, 0.99, "md1")) * 1e6
    10.0
    """
    s = np.asarray(service_s, dtype=float)
    rho = check_load(load)
    q = check_range("quantile", q, lo=0, hi=1, lo_strict=True, hi_strict=True, allowed="0 < q < 1")
    cv2 = _cv2(queue, service_cv2)
    if queue == "mm1":
        return -np.log1p(-q) * s / (1.0 - rho)
    theta = s * (1.0 + cv2) / (2.0 * (1.0 - rho))
    with np.errstate(divide="ignore"):
        w = theta * np.log(rho / (1.0 - q))
    return s + np.maximum(0.0, np.where(rho > 0, w, 0.0))


def queue_latency(service_s, load, queue="md1", fixed_s=0.0, quantiles=(0.5, 0.9, 0.99),
                  service_cv2=1.0):
    """Mean and quantiles of ``fixed_s`` + the sojourn time of a single-server queue.

    Mean sojourn: M/M/1 ``S / (1 - rho)``; M/D/1, M/G/1 ``S + rho S (1 + cv2) / (2 (1 - rho))``
    (Pollaczek-Khinchine).  Quantile methods: :func:`queue_quantile`.

    Parameters
    ----------
    service_s : array
        Service time S [s].
    load : array
        Utilisation, ``0 <= rho < 1`` [1].
    queue : {"md1", "mm1", "mg1"}
    fixed_s : array
        Latency added outside the queue (propagation) [s].
    quantiles : tuple of float
        Quantiles to return, named ``p50_s``, ``p90_s``, ``p99_s``, ... [1].

    Returns
    -------
    dict of arrays: ``mean_s`` and ``p<100 q>_s`` per quantile [s].

    Examples
    --------
    >>> r = queue_latency(10e-6, 0.5, "md1")
    >>> round(float(r["mean_s"]) * 1e6, 3), round(float(r["p99_s"]) * 1e6, 3)
    (15.0, 49.12)
    >>> queue_latency(10e-6, 1.0)
    Traceback (most recent call last):
    ...
    cnimodel.errors.ParameterError: invalid load=1.0: allowed 0 <= rho < 1 (a queue at rho >= 1 is unstable)
    """
    return sojourn(np.asarray(service_s, dtype=float), check_load(load), queue, service_cv2,
                    fixed_s, quantiles)


def sojourn(s, rho, queue, service_cv2, fixed_s, quantiles):
    """:func:`queue_latency` on validated arrays, common terms computed once."""
    cv2 = _cv2(queue, service_cv2)
    out = {}
    if queue == "mm1":
        t = s / (1.0 - rho)
        out["mean_s"] = fixed_s + t
        for q in quantiles:
            out[quantile_key(q)] = fixed_s + (-np.log1p(-q)) * t
        return out
    base = fixed_s + s
    theta = s * ((1.0 + cv2) / 2.0) / (1.0 - rho)
    out["mean_s"] = base + rho * theta
    with np.errstate(divide="ignore"):
        lr = np.log(rho)
    for q in quantiles:
        # base + theta * max(0, ln(rho) - ln(1 - q)), one temporary (the arrays are large)
        t = np.subtract(lr, np.log1p(-q))
        if np.ndim(t) == 0:
            out[quantile_key(q)] = base + theta * max(0.0, float(t))
            continue
        np.maximum(t, 0.0, out=t)
        t *= theta
        t += base
        out[quantile_key(q)] = t
    return out


def quantile_key(q):
    """Result key of quantile ``q``: ``0.99`` -> ``"p99_s"``, ``0.999`` -> ``"p99_9_s"``."""
    return f"p{100 * q:g}_s".replace(".", "_")

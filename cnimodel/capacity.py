"""Capacity-planner arithmetic: pods per node under a p99 target, nodes, CPU cores.

Pure and vectorized: every function takes per-path *model outputs* (a path's
throughput capacity, its latency-vs-load curve, its CPU cost) as scalars,
numpy arrays or pandas Series, and broadcasts; nothing here calls a model or a
widget.  :mod:`cnimodel.widgets` feeds these functions with
:func:`cnimodel.predict.predict` outputs.

Definitions (one node, one path)
--------------------------------
- offered load of a node ``offered_bps = pods_per_node * load_per_pod_bps``;
- utilisation ``rho = offered_bps / capacity_bps``, where ``capacity_bps`` is the
  path's throughput bound (the ``throughput_bps`` the model predicts, i.e. the
  binding one of link, CPU, window, loss and packet-rate bounds, docs/models.md);
- the path is *saturated* when ``rho >= 1``: queues grow without bound
  (M/M/1 sojourn time ``S / (1 - rho)``, Kleinrock 1975 in docs/sources.md);
- the largest utilisation within a p99 target ``rho_max`` is where the
  latency-vs-load curve first crosses the target;
- pods per node within the target ``floor(rho_max * capacity_bps / load_per_pod_bps)``;
- nodes needed for a demand ``ceil(ceil(demand_bps / load_per_pod_bps) / max_pods_per_node)``.

Examples
--------
>>> import numpy as np
>>> from cnimodel import capacity
>>> rho = np.linspace(0, 0.95, 20)
>>> p99 = 50e-6 / (1 - rho)                  # an M/M/1-shaped curve [s]
>>> r = capacity.max_utilisation_within_target(rho, p99, 100e-6)
>>> round(float(r), 3)                       # exact crossing: 1 - 50/100 = 0.5
0.5
>>> int(capacity.max_pods_per_node(9.0e9, 100e6, r))
45
>>> int(capacity.nodes_needed(20e9, 100e6, 45))     # 200 pods, 45 per node
5
"""
from __future__ import annotations

import numpy as np

from ._arrays import index_of, wrap
from .errors import ParameterError
from .validation import as_array, check, check_range

__all__ = ["utilisation", "saturated", "max_utilisation_within_target", "max_pods_per_node",
           "pods_needed", "nodes_needed", "max_demand_bps", "network_cpu_cores",
           "utilisation_grid", "saturation_messages", "RESERVED_ADDRESSES", "prefix_addresses",
           "node_cidrs", "eni_max_pods", "route_table_nodes"]


# --------------------------------------------------------------------------- helpers
def _positive(name, value, allow_zero=False, allow_inf=False):
    return check_range(name, value, lo=0, lo_strict=not allow_zero, inf_ok=allow_inf,
                       allowed=(">= 0" if allow_zero else "> 0") + ("" if allow_inf else " (finite)"),
                       integral_as_int=True)


# --------------------------------------------------------------------------- load
def utilisation(offered_bps, capacity_bps):
    """Utilisation of a path's bottleneck: ``offered_bps / capacity_bps`` [1].

    Parameters
    ----------
    offered_bps : float or array
        Offered load [bit/s], >= 0.
    capacity_bps : float or array
        Throughput capacity of the path [bit/s], > 0; ``nan`` (unknown, e.g. an
        MTU misconfiguration) gives ``nan``.

    Returns
    -------
    float or array
        Utilisation; values >= 1 mean saturation.

    >>> float(utilisation(4.5e9, 9.0e9))
    0.5
    """
    idx = index_of(offered_bps, capacity_bps)
    off = _positive("offered_bps", offered_bps, allow_zero=True)
    cap = as_array("capacity_bps", capacity_bps)
    check("capacity_bps", cap, np.isnan(cap) | (cap > 0), "> 0 bit/s")
    return wrap(off / cap, idx)


def saturated(offered_bps, capacity_bps):
    """True where the offered load reaches or exceeds the capacity (``rho >= 1``).

    >>> saturated([8e9, 9e9, 10e9], 9e9).tolist()
    [False, True, True]
    """
    return np.asarray(utilisation(offered_bps, capacity_bps)) >= 1


def utilisation_grid(n=48, max_utilisation=0.99):
    """Utilisation points for a latency-vs-load curve, denser near saturation [1].

    ``rho_i = max_utilisation * (1 - (1 - i / (n - 1))**2)``, i = 0..n-1: queueing
    delay grows like ``1 / (1 - rho)``, so the curve bends where points are dense.

    >>> g = utilisation_grid(5, 0.99)
    >>> [round(float(x), 4) for x in g]
    [0.0, 0.4331, 0.7425, 0.9281, 0.99]
    """
    if int(n) < 2:
        raise ParameterError("n", n, ">= 2")
    if not 0 < max_utilisation < 1:
        raise ParameterError("max_utilisation", max_utilisation, "0 < value < 1")
    i = np.arange(int(n)) / (int(n) - 1)
    return max_utilisation * (1 - (1 - i) ** 2)


def max_utilisation_within_target(utilisation_points, latency_p99_s, target_p99_s):
    """Largest utilisation at which the p99 latency stays within a target [1].

    The curve is scanned from low to high load; the result is where it first
    crosses the target, by linear interpolation between the two bracketing
    points.  For the convex curves of queueing models the chord lies above the
    curve, so the answer errs on the safe (lower) side.

    Parameters
    ----------
    utilisation_points : array, shape (n,) or (..., n)
        Increasing utilisation points [1].
    latency_p99_s : array, shape (..., n)
        p99 latency at each point [s]; ``inf`` / ``nan`` count as above any target.
    target_p99_s : float or array broadcastable to shape (...)
        p99 latency target [s], > 0.

    Returns
    -------
    float or array of shape (...)
        ``0`` when even the first point misses the target; the last point when
        every point meets it.

    >>> rho = np.array([0.0, 0.5, 0.9])
    >>> lat = np.array([[10e-6, 20e-6, 100e-6],     # crosses 60 us between 0.5 and 0.9
    ...                 [70e-6, 80e-6, 90e-6]])     # misses from the start
    >>> max_utilisation_within_target(rho, lat, 60e-6).round(3).tolist()
    [0.7, 0.0]
    """
    g = as_array("utilisation_points", utilisation_points)
    lat = as_array("latency_p99_s", latency_p99_s)
    tgt = _positive("target_p99_s", target_p99_s, allow_inf=True)
    if g.shape[-1:] != lat.shape[-1:] or lat.ndim < 1:
        raise ParameterError("latency_p99_s", f"shape {lat.shape}",
                             f"an array whose last axis matches utilisation_points {g.shape}")
    g = np.broadcast_to(g, lat.shape)
    t = np.asarray(tgt)[..., None]
    ok = np.nan_to_num(lat, nan=np.inf) <= t            # nan counts as a miss
    n = lat.shape[-1]
    all_ok = ok.all(axis=-1)
    k = np.argmin(ok, axis=-1)                          # first miss (0 if all ok: masked below)
    k0 = np.maximum(k - 1, 0)
    take = lambda a, i: np.take_along_axis(a, i[..., None], axis=-1)[..., 0]  # noqa: E731
    g0, g1 = take(g, k0), take(g, k)
    l0, l1 = take(lat, k0), take(lat, k)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(np.isfinite(l1) & (l1 > l0), (np.asarray(tgt) - l0) / (l1 - l0), 0.0)
    frac = np.clip(np.nan_to_num(frac), 0.0, 1.0)
    out = np.where(all_ok, g[..., n - 1], np.where(k == 0, 0.0, g0 + frac * (g1 - g0)))
    return out if out.ndim else float(out)


# --------------------------------------------------------------------------- sizing
def max_pods_per_node(capacity_bps, load_per_pod_bps, max_utilisation):
    """Most pods a node carries within a utilisation limit: ``floor(rho_max * C / l)`` [pods].

    Parameters
    ----------
    capacity_bps : float or array
        Throughput capacity of the path [bit/s]; ``nan`` gives ``nan``.
    load_per_pod_bps : float or array
        Offered load of one pod [bit/s], > 0.
    max_utilisation : float or array
        Utilisation limit, e.g. from :func:`max_utilisation_within_target` [1].

    >>> max_pods_per_node([9.415e9, 9.09e9], 200e6, 0.5).tolist()
    [23.0, 22.0]
    """
    idx = index_of(capacity_bps, load_per_pod_bps, max_utilisation)
    cap = as_array("capacity_bps", capacity_bps)
    load = _positive("load_per_pod_bps", load_per_pod_bps)
    rho = as_array("max_utilisation", max_utilisation)
    check("max_utilisation", rho, np.isnan(rho) | (rho >= 0), ">= 0")
    with np.errstate(invalid="ignore"):
        # 1e-9 guards against 0.5 * 9e9 / 45e6 landing at 99.99999999 by rounding.
        out = np.floor(rho * cap / load * (1 + 1e-12) + 1e-9)
    return wrap(out, idx)


def pods_needed(total_demand_bps, load_per_pod_bps):
    """Pods that carry a total demand: ``ceil(demand / load_per_pod)`` [pods].

    >>> int(pods_needed(10e9, 300e6))
    34
    """
    idx = index_of(total_demand_bps, load_per_pod_bps)
    d = _positive("total_demand_bps", total_demand_bps, allow_zero=True)
    load = _positive("load_per_pod_bps", load_per_pod_bps)
    return wrap(np.ceil(d / load * (1 - 1e-12)), idx)


def nodes_needed(total_demand_bps, load_per_pod_bps, max_pods_per_node):
    """Nodes that carry a demand within the per-node pod limit [nodes].

    ``ceil(pods_needed / max_pods_per_node)``; ``inf`` where not even one pod
    fits a node (``max_pods_per_node == 0``), ``nan`` where the limit is unknown.

    >>> nodes_needed(20e9, 100e6, [45, 0, 200]).tolist()
    [5.0, inf, 1.0]
    """
    idx = index_of(total_demand_bps, load_per_pod_bps, max_pods_per_node)
    pods = np.asarray(pods_needed(total_demand_bps, load_per_pod_bps))
    m = as_array("max_pods_per_node", max_pods_per_node)
    check("max_pods_per_node", m, np.isnan(m) | (m >= 0), ">= 0")
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(pods == 0, 0.0, np.where(m > 0, np.ceil(pods / m), np.inf))
    out = np.where(np.isnan(m) & (pods > 0), np.nan, out)
    return wrap(out, idx)


def max_demand_bps(node_count, load_per_pod_bps, max_pods_per_node):
    """Largest total demand a number of nodes carries within the pod limit [bit/s].

    >>> float(max_demand_bps(10, 100e6, 45)) / 1e9
    45.0
    """
    idx = index_of(node_count, load_per_pod_bps, max_pods_per_node)
    n = _positive("node_count", node_count, allow_zero=True)
    load = _positive("load_per_pod_bps", load_per_pod_bps)
    m = as_array("max_pods_per_node", max_pods_per_node)
    return wrap(n * np.floor(m) * load, idx)


def network_cpu_cores(cpu_cores_at_capacity, utilisation):
    """CPU cores a node spends on networking at a utilisation [cores].

    Network CPU cost is per packet and per byte (docs/models.md, "Throughput"), so it
    scales linearly with the carried load: ``cores_at_capacity * min(rho, 1)``.

    Parameters
    ----------
    cpu_cores_at_capacity : float or array
        Cores the path uses while carrying its capacity [cores] (the model's
        ``cpu_cores_used`` for the bulk-transfer scenario).
    utilisation : float or array
        Offered / capacity [1]; a saturated path (``rho >= 1``) burns at most
        its capacity's cores.

    >>> float(network_cpu_cores(0.5, 0.4))
    0.2
    """
    idx = index_of(cpu_cores_at_capacity, utilisation)
    c = as_array("cpu_cores_at_capacity", cpu_cores_at_capacity)
    check("cpu_cores_at_capacity", c, np.isnan(c) | (c >= 0), ">= 0 cores")
    rho = as_array("utilisation", utilisation)
    check("utilisation", rho, np.isnan(rho) | (rho >= 0), ">= 0")
    return wrap(c * np.minimum(rho, 1.0), idx)


def saturation_messages(paths, offered_bps, capacity_bps):
    """One-line warnings for the paths whose offered load reaches their capacity.

    >>> saturation_messages(["host", "overlay"], 9.2e9, [9.415e9, 9.09e9])
    ['overlay: offered load 9.200 Gbit/s per node >= capacity 9.090 Gbit/s (utilisation 1.01): saturated, latency unbounded']
    """
    names = np.atleast_1d(np.asarray(paths, dtype=object))
    off = np.broadcast_to(as_array("offered_bps", offered_bps), names.shape)
    cap = np.broadcast_to(as_array("capacity_bps", capacity_bps), names.shape)
    rho = np.asarray(utilisation(off, cap))
    out = []
    for name, o, c, r in zip(names, off, cap, rho):
        if r >= 1:
            out.append(f"{name}: offered load {o / 1e9:.3f} Gbit/s per node >= capacity "
                       f"{c / 1e9:.3f} Gbit/s (utilisation {r:.2f}): saturated, latency unbounded")
    return out


# --------------------------------------------------------------------------- cluster scale
#: Addresses a host's IPv4 prefix cannot give a pod: the network and the broadcast address
#: (RFC 919 / RFC 950); IPv6 has no broadcast, only the subnet-router anycast address
#: (RFC 4291 sec. 2.6.1).
RESERVED_ADDRESSES = {4: 2, 6: 1}


def prefix_addresses(prefix_len, ip_version=4):
    """Usable host addresses in a prefix: ``2**(bits - prefix_len) - reserved`` [addresses].

    ``reserved`` is :data:`RESERVED_ADDRESSES` (2 for IPv4, 1 for IPv6).  Floats, so an
    IPv6 /64 (about 1.8e19) stays representable.

    >>> int(prefix_addresses(24)), int(prefix_addresses(26)), float(prefix_addresses(64, 6))
    (254, 62, 1.8446744073709552e+19)
    """
    bits = {4: 32, 6: 128}.get(ip_version)
    if bits is None:
        raise ParameterError("ip_version", ip_version, "4 or 6")
    p = check_range("prefix_len", prefix_len, lo=0, hi=bits - 1, integral_as_int=True,
                    allowed=f"0..{bits - 1} for IPv{ip_version}")
    return np.exp2(bits - np.asarray(p, float)) - RESERVED_ADDRESSES[ip_version]


def node_cidrs(cluster_prefix_len, node_prefix_len):
    """Per-node CIDRs a cluster CIDR is cut into: ``2**(node_mask - cluster_mask)`` [nodes].

    kube-controller-manager gives every node one ``--node-cidr-mask-size`` block of
    ``--cluster-cidr`` (Kubernetes kube-controller-manager reference, docs/sources.md).

    >>> int(node_cidrs(16, 24)), int(node_cidrs(56, 64))
    (256, 256)
    """
    c = np.asarray(cluster_prefix_len, float)
    n = np.asarray(node_prefix_len, float)
    check("node_prefix_len", n, n >= c, ">= the cluster prefix length")
    return np.exp2(n - c)


def eni_max_pods(enis, ipv4_per_eni):
    """Pods an ENI-based node carries: ``enis * (ipv4_per_eni - 1) + 2`` [pods].

    The first address of each ENI is the interface's own; the 2 are the host-network pods
    (VPC CNI and kube-proxy) (AWS eni-max-pods.txt, docs/sources.md).

    >>> int(eni_max_pods(3, 10)), int(eni_max_pods(8, 30))
    (29, 234)
    """
    e = check_range("enis", enis, lo=1, integral_as_int=True, allowed=">= 1 interfaces")
    a = check_range("ipv4_per_eni", ipv4_per_eni, lo=1, integral_as_int=True,
                    allowed=">= 1 addresses")
    return np.asarray(e, float) * (np.asarray(a, float) - 1) + 2


def route_table_nodes(route_limit, reserved_routes=0):
    """Nodes a route table admits when every node needs one route [nodes].

    ``route_limit - reserved_routes``; ``inf`` for no limit (None or inf).

    >>> float(route_table_nodes(200)), float(route_table_nodes(None))
    (200.0, inf)
    """
    if route_limit is None:
        return np.inf
    r = check_range("route_limit", route_limit, lo=1, inf_ok=True, allowed=">= 1 entries")
    k = check_range("reserved_routes", reserved_routes, lo=0, allowed=">= 0 entries")
    return np.maximum(np.asarray(r, float) - np.asarray(k, float), 0.0)

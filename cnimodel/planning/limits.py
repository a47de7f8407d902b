"""Cluster-scale ceilings of each path: nodes and pods per node from addresses and routes.

Pure functions over :mod:`cnimodel.capacity`'s address arithmetic and the published limits
of :mod:`cnimodel.planning.limit_table`.  Per path (docs/planner.md, "Cluster limits"):

- ``host``: pods use the node's address (hostNetwork); only kubelet's max-pods caps them;
  no pod CIDR, no route per node.
- ``bridge`` and ``overlay``: each node gets one ``node_mask`` block of the cluster CIDR:
  pods per node <= usable addresses of the block and <= max-pods; nodes <= number of blocks.
- ``routing``: as overlay, and one route-table entry per node: nodes <= the route limit.
- ``underlay``: pods take addresses of the node's network (the cluster CIDR is that subnet),
  ``pods + 1`` per node (the node's own); with an instance type, pods per node <=
  ENIs x (IPv4 per ENI - 1) + 2 (:func:`cnimodel.capacity.eni_max_pods`).

Every ceiling names the limit that binds.

Examples
--------
>>> t = cluster_limits(cluster_cidr="10.0.0.0/16", node_mask=24, route_limit=200,
...                    target_nodes=250, target_pods_per_node=30)
>>> int(t.loc["overlay", "max_nodes"]), int(t.loc["overlay", "addresses_per_node"])
(256, 254)
>>> int(t.loc["routing", "max_nodes"]), t.loc["routing", "nodes_limit"]
(200, 'route table 200 entries')
>>> bool(t.loc["routing", "fits"]), bool(t.loc["overlay", "fits"])
(False, True)
"""
from __future__ import annotations

import ipaddress

import numpy as np
import pandas as pd

from .. import capacity
from ..errors import ParameterError
from ..paths import PATH_NAMES
from .limit_table import DEFAULTS, load_limits

__all__ = ["parse_cidr", "default_cidr", "cluster_limits", "max_services"]

_DEFAULT_CIDR = {4: DEFAULTS["cluster_cidr_ipv4"].value,
                 # the kubeadm dual-stack example pod subnet (Kubernetes docs, docs/sources.md)
                 6: "2001:db8:42:0::/56"}
_DEFAULT_SERVICE = {4: DEFAULTS["service_cidr_ipv4"].value, 6: "2001:db8:42:1::/112"}
_DEFAULT_MASK = {4: DEFAULTS["node_mask_ipv4"].value, 6: DEFAULTS["node_mask_ipv6"].value}


def parse_cidr(name, text, ip_version=None):
    """An :class:`ipaddress.IPv4Network` / ``IPv6Network`` from text, strict (no host bits).

    Raises :class:`~cnimodel.errors.ParameterError` naming ``name`` for text that is not a
    network, has host bits set, or is of the other IP version.

    >>> parse_cidr("cluster_cidr", "10.244.0.0/16").prefixlen
    16
    >>> parse_cidr("cluster_cidr", "10.244.0.1/16")
    Traceback (most recent call last):
    ...
    cnimodel.errors.ParameterError: invalid cluster_cidr='10.244.0.1/16': allowed a network in CIDR notation, e.g. 10.244.0.0/16 (10.244.0.1/16 has host bits set)
    """
    try:
        net = ipaddress.ip_network(str(text).strip(), strict=True)
    except ValueError as exc:
        raise ParameterError(name, text, "a network in CIDR notation, e.g. 10.244.0.0/16",
                             str(exc)) from None
    if ip_version is not None and net.version != int(ip_version):
        raise ParameterError(name, text, f"an IPv{int(ip_version)} network (the planner's IP version)")
    return net


def default_cidr(ip_version, service=False):
    """The default cluster (or Service) CIDR of an IP version (:data:`DEFAULTS`)."""
    return (_DEFAULT_SERVICE if service else _DEFAULT_CIDR)[int(ip_version)]


def max_services(service_cidr, ip_version=4):
    """ClusterIP Services a Service CIDR holds [services] (usable addresses of the prefix).

    >>> int(max_services("10.96.0.0/12"))
    1048574
    """
    net = parse_cidr("service_cidr", service_cidr, ip_version)
    return float(capacity.prefix_addresses(net.prefixlen, net.version))


def _binding(values, names):
    """Smallest of several ceilings and the name of the one that binds ("none" if all inf)."""
    vals = np.asarray(values, float)
    k = int(np.argmin(vals))
    return float(vals[k]), (names[k] if np.isfinite(vals[k]) else "none")


def cluster_limits(cluster_cidr=None, node_mask=None, max_pods=None, route_limit=None,
                   instance=None, ip_version=4, target_nodes=0, target_pods_per_node=0,
                   performance_pods_per_node=None, limits=None, paths=PATH_NAMES,
                   reserved_routes=0):
    """Per-path ceilings on nodes and pods per node, the limit that binds, and the fit.

    Parameters
    ----------
    cluster_cidr : str, optional
        Pod network of the cluster (kube-controller-manager ``--cluster-cidr``); default
        ``10.244.0.0/16`` (Flannel's) for IPv4, the kubeadm dual-stack example for IPv6.
    node_mask : int, optional
        Prefix length of each node's pod CIDR (``--node-cidr-mask-size``); default 24 / 64.
    max_pods : int, optional
        kubelet ``maxPods`` [pods]; default 110.
    route_limit : int, optional
        Route-table entries available (routing path) [entries]; None: no route table.
    instance : str, optional
        Instance type of :data:`~cnimodel.planning.limit_table.INSTANCES` (underlay path).
    ip_version : {4, 6}
    target_nodes, target_pods_per_node : int
        The plan to check [nodes], [pods].
    performance_pods_per_node : array, optional
        Pods per node within the p99 target per path (the planner's ``max_pods_per_node``);
        when it is smaller than every addressing limit, ``"p99 target"`` binds.
    limits : LimitTable, optional
        Default :func:`~cnimodel.planning.limit_table.load_limits` ().

    Returns
    -------
    pandas.DataFrame
        Index path; ``addresses_per_node`` [addresses], ``max_nodes`` [nodes],
        ``nodes_limit`` (str), ``max_pods_per_node_limit`` [pods] (addressing / kubelet /
        ENI), ``pods_limit`` (str, "p99 target" when performance binds),
        ``cluster_pods`` [pods] (max nodes x pods per node), ``fits`` (bool).

    Raises
    ------
    ParameterError
        An invalid CIDR, a node mask outside cluster mask..bits-1, a bad count.
    """
    limits = limits or load_limits()
    v = int(ip_version)
    if v not in (4, 6):
        raise ParameterError("ip_version", ip_version, "4 or 6")
    net = parse_cidr("cluster_cidr", cluster_cidr or default_cidr(v), v)
    mask = _DEFAULT_MASK[v] if node_mask in (None, 0) else node_mask
    bits = net.max_prefixlen
    if not (isinstance(mask, (int, np.integer)) and net.prefixlen <= mask <= bits - 1):
        raise ParameterError("node_mask", mask, f"an integer {net.prefixlen}..{bits - 1} "
                             f"(at least the cluster CIDR's /{net.prefixlen})")
    kpods = DEFAULTS["max_pods"].value if max_pods in (None, 0) else max_pods
    if not (isinstance(kpods, (int, np.integer)) and kpods >= 1):
        raise ParameterError("max_pods", max_pods, "an integer >= 1")
    for name, x in (("target_nodes", target_nodes), ("target_pods_per_node", target_pods_per_node)):
        if not (isinstance(x, (int, np.integer)) and x >= 0):
            raise ParameterError(name, x, "an integer >= 0")
    routes = float(capacity.route_table_nodes(route_limit or None, reserved_routes))
    blocks = float(capacity.node_cidrs(net.prefixlen, mask))
    per_node = float(capacity.prefix_addresses(mask, v))
    subnet = float(capacity.prefix_addresses(net.prefixlen, v))
    inst = limits.instance(instance) if instance else None
    eni = float(capacity.eni_max_pods(inst.enis, inst.ipv4_per_eni)) if inst else np.inf
    perf = (np.full(len(paths), np.inf) if performance_pods_per_node is None
            else np.nan_to_num(np.asarray(performance_pods_per_node, float), nan=np.inf))
    m_name = f"node CIDR /{mask}"
    k_name = f"max-pods {kpods}"
    c_name = f"cluster CIDR /{net.prefixlen} in /{mask}s"
    r_name = f"route table {int(route_limit)} entries" if np.isfinite(routes) else "route table"
    rows = []
    for i, p in enumerate(paths):
        if p == "host":
            pods, pname = _binding([kpods], [k_name])
            nodes, nname, addr = np.inf, "none", np.nan
        elif p == "underlay":
            pods, pname = _binding([kpods, eni], [k_name, f"ENIs {inst.key} ({inst.enis} x {inst.ipv4_per_eni} IPs)"
                                                 if inst else "ENIs"])
            need = (target_pods_per_node or pods) + 1
            nodes, nname = _binding([np.floor(subnet / need)],
                                    [f"subnet /{net.prefixlen} ({need:g} addresses per node)"])
            addr = np.nan
        else:
            pods, pname = _binding([per_node, kpods], [m_name, k_name])
            cands, names = [blocks], [c_name]
            if p == "routing":
                cands, names = [routes, blocks], [r_name, c_name]
            nodes, nname = _binding(cands, names)
            addr = per_node
        limit_pods = pods
        if perf[i] < pods:
            pods, pname = perf[i], "p99 target"
        fits = bool(target_nodes <= nodes and target_pods_per_node <= pods)
        rows.append(dict(path=p, addresses_per_node=addr, max_nodes=nodes, nodes_limit=nname,
                         max_pods_per_node_limit=limit_pods, pods_limit=pname,
                         cluster_pods=nodes * pods, fits=fits))
    return pd.DataFrame(rows).set_index("path")

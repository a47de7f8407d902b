"""The capacity planner's pipeline: validated inputs in, a per-path plan out (pure functions).

How the model outputs become a plan (per path, one node)
--------------------------------------------------------
1. One model evaluation (:func:`cnimodel.predict.predict`) of a bulk row per path
   (``test="stream"``, ``streams`` streams on ``cores`` cores) and of request/response rows
   on the utilisation grid: pod MTU, MSS, line-rate goodput bound and MTU misconfiguration
   come from the same evaluation as the capacity ``C``, its binding bound and the CPU
   cores it uses; the rr rows are the latency-vs-load curves
   (:func:`cnimodel.capacity.utilisation_grid`).
2. Offered load ``pods_per_node * load_per_pod_bps``; utilisation ``rho = offered / C``.
3. Latency of a request of ``msg_size_bytes`` at utilisation ``rho``
   (:func:`cnimodel.latency.rr_latency`): the bottleneck queue is shared with the node's
   traffic; infinite when saturated.
4. Largest utilisation within the p99 target ``rho_max``
   (:func:`cnimodel.latency.saturation_load`), pods per node
   ``floor(rho_max C / load_per_pod)``, nodes needed (:mod:`cnimodel.capacity`).
5. Network CPU at the offered load: the stream row's ``cpu_cores_used`` (cores at
   capacity) times ``min(rho, 1)`` (:func:`cnimodel.capacity.network_cpu_cores`; the
   model's CPU cost is linear in the carried bytes, as :func:`cnimodel.throughput.cpu_cores_used`).

Same-node paths (``bridge``) are evaluated with ``link_rate_bps=inf``: they never cross
the NIC, so they have no line-rate goodput bound.  Stages that do not depend on the
changed input are memoised: moving the pods-per-node or load slider evaluates one latency
row per path.

Examples
--------
>>> r = compute(PlannerInputs(pods_per_node=10, load_per_pod_bps=100e6))
>>> r.table.loc["host", "bound"], bool(r.table.loc["host", "saturated"])
('link', False)
>>> round(float(r.table.loc["host", "utilisation"]), 3)
0.106
"""
from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from .. import capacity, latency
from ..display import format_value
from ..paths import PATH_NAMES, get_path
from ..predict import predict
from .inputs import PlannerInputs, params_for, validate
from .limit_table import load_limits
from .limits import cluster_limits
from .result import QUANTILE, PlannerResult

__all__ = ["compute", "CURVE_POINTS", "CURVE_MAX_UTILISATION"]

#: Points of each latency-vs-load curve.
CURVE_POINTS = 40
#: Highest utilisation on the curve (the models accept 0 <= rho < 1).
CURVE_MAX_UTILISATION = 0.98


class _Cache:
    """Small memo keyed by (parameters object, inputs); holds the parameters so ids stay valid."""

    def __init__(self, size=32):
        self.size = size
        self.d: dict = {}

    def get(self, params, key, fn):
        k = (id(params), key)
        hit = self.d.get(k)
        if hit is not None and hit[0] is params:
            return hit[1]
        if len(self.d) >= self.size:
            self.d.pop(next(iter(self.d)))
        value = fn()
        self.d[k] = (params, value)
        return value


_PATH_STAGE = _Cache()
_TARGET_STAGE = _Cache()


def _scenario(inputs):
    """Per-path scenario columns shared by every stage."""
    paths = list(PATH_NAMES)
    same_node = np.array([get_path(p).same_node for p in paths])
    common = dict(path=paths,
                  encap=[inputs.overlay_encap if p == "overlay" else get_path(p).encap for p in paths],
                  underlay_mtu_bytes=float(inputs.underlay_mtu_bytes),
                  link_rate_bps=np.where(same_node, np.inf, float(inputs.link_rate_bps)),
                  ip_version=int(inputs.ip_version), msg_size_bytes=float(inputs.msg_size_bytes))
    if inputs.pod_mtu_bytes is not None:
        # the host path has no pods: NaN lets it keep the underlay's MTU
        common["pod_mtu_bytes"] = np.where(np.asarray(paths) == "host", np.nan,
                                           float(inputs.pod_mtu_bytes))
    return paths, same_node, common


def _path_stage(params, inputs):
    """Everything that does not depend on pods, load, target or sizing (one model call)."""
    paths, same_node, common = _scenario(inputs)
    grid = capacity.utilisation_grid(CURVE_POINTS, CURVE_MAX_UTILISATION)
    n, g = len(paths), len(grid)

    def stack(v):  # n stream rows, then g rr rows per path
        if np.isscalar(v):
            return v
        a = np.asarray(v, dtype=object if isinstance(v, list) else float)
        return np.concatenate([a, np.repeat(a, g)])

    rows = {k: stack(v) for k, v in common.items()}
    rows.update(test=np.array(["stream"] * n + ["rr"] * (n * g), dtype=object),
                load=np.concatenate([np.zeros(n), np.tile(grid, n)]),
                streams=np.concatenate([np.full(n, float(inputs.streams)), np.ones(n * g)]),
                cores=float(inputs.cores))
    df = predict(params, **rows)
    stream = df.iloc[:n]
    bad_mtu = np.asarray(stream["mtu_misconfigured"], bool)
    cap = np.asarray(stream["throughput_bps"], float)
    cap = np.where(bad_mtu | ~(cap > 0), np.nan, cap)
    mean = np.asarray(df["latency_mean_s"], float)[n:].reshape(n, g)
    p99 = np.asarray(df["latency_p99_s"], float)[n:].reshape(n, g)
    curve = pd.DataFrame({
        "path": pd.array(np.repeat(np.asarray(paths, dtype=object), g), dtype=object),
        "utilisation": np.tile(grid, n),
        "offered_bps": (grid[None, :] * np.nan_to_num(cap)[:, None]).ravel(),
        "latency_mean_s": mean.ravel(),
        "latency_p99_s": p99.ravel(),
    })
    return dict(
        paths=paths, common=common, bad_mtu=bad_mtu, cap=cap, curve=curve,
        encaps=common["encap"],
        pod_mtu_bytes=np.asarray(stream["pod_mtu_bytes"], float),
        max_pod_mtu_bytes=np.asarray(stream["max_pod_mtu_bytes"], float),
        mss_bytes=np.asarray(stream["mss_bytes"], float),
        goodput_bound_bps=np.where(same_node, np.nan, np.asarray(stream["goodput_bound_bps"], float)),
        bound=np.where(bad_mtu, "MTU", np.asarray(stream["bound"], dtype=object)),
        cpu_at_cap=np.where(np.isnan(cap), np.nan, np.asarray(stream["cpu_cores_used"], float)))


def _path_key(inputs):
    return (inputs.link_rate_bps, inputs.underlay_mtu_bytes, inputs.pod_mtu_bytes, inputs.ip_version,
            inputs.overlay_encap, inputs.msg_size_bytes, inputs.streams, inputs.cores)


def _target_stage(params, inputs, a):
    """Largest utilisation within the p99 target per path (:func:`cnimodel.latency.saturation_load`)."""
    # a request below the MSS does not depend on the pod MTU
    scen = {k: v for k, v in a["common"].items() if k not in ("path", "msg_size_bytes", "pod_mtu_bytes")}
    rho_max = np.asarray(latency.saturation_load(
        params, path=a["paths"], target_s=float(inputs.latency_target_p99_s), quantile=QUANTILE,
        msg_size_bytes=float(inputs.msg_size_bytes), test="rr", **scen), float)
    return np.where(np.isnan(a["cap"]), np.nan, rho_max)


def _zero(x):
    return np.where(np.isnan(x), 0.0, x)


def _warnings(inputs, a, offered, known, sat, max_pods, nodes):
    paths = a["paths"]
    out = []
    for i, p in enumerate(paths):
        if a["bad_mtu"][i]:
            out.append(
                f"{p}: MTU misconfiguration: pod MTU {int(a['pod_mtu_bytes'][i])} B exceeds the "
                f"{int(a['max_pod_mtu_bytes'][i])} B an underlay MTU of {int(inputs.underlay_mtu_bytes)} B "
                f"carries with {a['encaps'][i]}: large packets fragment or are black-holed")
    out += capacity.saturation_messages([p for p, k in zip(paths, known) if k], offered, a["cap"][known])
    for i, p in enumerate(paths):
        if known[i] and max_pods[i] < inputs.pods_per_node and not sat[i]:
            if max_pods[i] == 0:
                out.append(f"{p}: p99 target {inputs.latency_target_p99_s * 1e6:g} us "
                           f"missed even at zero load")
            else:
                out.append(f"{p}: {inputs.pods_per_node} pods per node exceed the "
                           f"{int(max_pods[i])} that meet the p99 target")
        if inputs.sizing == "nodes" and nodes[i] > inputs.node_count:
            out.append(f"{p}: the demand of {inputs.node_count} nodes x {inputs.pods_per_node} pods "
                       f"needs {format_value('nodes_needed', nodes[i])} nodes within the p99 target")
    return out


@functools.lru_cache(maxsize=64)
def _limits(paths, cluster_cidr, node_mask, max_pods, route_limit, instance, ip_version, limits_file,
            pods_per_node):
    """Addressing / route / ENI ceilings (no performance): memoised, they change with few inputs."""
    lim = cluster_limits(cluster_cidr=cluster_cidr, node_mask=node_mask, max_pods=max_pods,
                         route_limit=route_limit, instance=instance, ip_version=ip_version,
                         target_pods_per_node=pods_per_node, paths=list(paths),
                         limits=load_limits(limits_file))
    return {c: lim[c].to_numpy() for c in lim.columns}


def _cluster(inputs, paths, max_pods, nodes):
    """Cluster-scale ceilings beside per-node performance (:func:`cnimodel.planning.limits.cluster_limits`).

    Target nodes: ``node_count`` when sizing for a node count, else each path's nodes needed;
    the pods-per-node ceiling is the smaller of the addressing one and ``max_pods_per_node``
    (then ``"p99 target"`` binds).
    """
    lim = _limits(tuple(paths), inputs.cluster_cidr, inputs.node_mask, inputs.max_pods,
                  inputs.route_limit, inputs.instance_type, inputs.ip_version, inputs.limits_file,
                  inputs.pods_per_node)
    target = (np.full(len(paths), float(inputs.node_count)) if inputs.sizing == "nodes"
              else np.nan_to_num(nodes, nan=0.0, posinf=np.inf))
    addr_pods = lim["max_pods_per_node_limit"].astype(float)
    perf = np.nan_to_num(np.asarray(max_pods, float), nan=np.inf)
    pods = np.minimum(addr_pods, perf)
    pods_limit = np.where(perf < addr_pods, "p99 target", lim["pods_limit"]).astype(object)
    nodes_ok = target <= lim["max_nodes"].astype(float)
    pods_ok = inputs.pods_per_node <= pods
    cols = dict(addresses_per_node=lim["addresses_per_node"].astype(float),
                max_nodes=lim["max_nodes"].astype(float),
                nodes_limit=pd.array(lim["nodes_limit"].astype(object), dtype=object),
                cluster_pods_per_node=pods,
                pods_limit=pd.array(pods_limit, dtype=object),
                nodes_fit=nodes_ok, pods_fit=pods_ok, cluster_fits=nodes_ok & pods_ok)
    out = []
    for i, p in enumerate(paths):
        if not nodes_ok[i]:
            out.append(f"{p}: {format_value('nodes_needed', target[i])} nodes exceed the "
                       f"{format_value('max_nodes', cols['max_nodes'][i])} the "
                       f"{cols['nodes_limit'][i]} allows")
        if not pods_ok[i] and pods_limit[i] != "p99 target":
            out.append(f"{p}: {inputs.pods_per_node} pods per node exceed the "
                       f"{pods[i]:.0f} the {pods_limit[i]} allows")
    return cols, out


def compute(inputs: PlannerInputs, params=None) -> PlannerResult:
    """Evaluate the planner for one set of inputs (all five paths at once).

    Parameters
    ----------
    inputs : PlannerInputs
    params : cnimodel.params.ModelParams, optional
        Overrides ``inputs.params_file``.

    Returns
    -------
    PlannerResult
        The curves are shared between results with the same network inputs (do not modify).

    Raises
    ------
    CnimodelError
        An input out of range (the message names it).
    """
    inputs = validate(inputs)
    params, note = params_for(inputs, params)
    a = _PATH_STAGE.get(params, _path_key(inputs), lambda: _path_stage(params, inputs))
    rho_max = _TARGET_STAGE.get(params, (_path_key(inputs), inputs.latency_target_p99_s),
                                lambda: _target_stage(params, inputs, a))
    paths, cap = a["paths"], a["cap"]
    known = ~np.isnan(cap)

    offered = float(inputs.pods_per_node) * float(inputs.load_per_pod_bps)
    rho = np.asarray(capacity.utilisation(offered, np.where(known, cap, np.inf)))
    rho = np.where(known, rho, np.nan)
    sat = rho >= 1
    ok = known & ~sat

    # latency at the offered load (rows at rho >= 1 are not asked: the models reject them)
    rr = latency.rr_latency(params, load=np.where(ok, rho, 0.0), test="rr", **a["common"])
    lat_mean = np.where(ok, rr["latency_mean_s"], np.where(sat, np.inf, np.nan))
    lat_p99 = np.where(ok, rr["latency_p99_s"], np.where(sat, np.inf, np.nan))

    max_pods = np.asarray(capacity.max_pods_per_node(_zero(cap), inputs.load_per_pod_bps,
                                                     _zero(rho_max)), float)
    max_pods = np.where(known, max_pods, np.nan)
    demand = (float(inputs.total_demand_bps) if inputs.sizing == "demand"
              else float(inputs.node_count) * offered)
    nodes = np.asarray(capacity.nodes_needed(demand, inputs.load_per_pod_bps, _zero(max_pods)), float)
    nodes = np.where(known, nodes, np.nan)
    max_demand = np.asarray(capacity.max_demand_bps(inputs.node_count, inputs.load_per_pod_bps,
                                                    _zero(max_pods)), float)
    max_demand = np.where(known, max_demand, np.nan)
    # network CPU: linear in the carried load (a saturated path carries its capacity)
    cpu = np.asarray(capacity.network_cpu_cores(_zero(a["cpu_at_cap"]), _zero(rho)), float)
    cpu = np.where(known, cpu, np.nan)

    cluster, cluster_warnings = _cluster(inputs, paths, max_pods, nodes)
    table = pd.DataFrame({
        "encap": pd.array(a["encaps"], dtype=object),
        "pod_mtu_bytes": a["pod_mtu_bytes"],
        "mss_bytes": a["mss_bytes"],
        "goodput_bound_bps": a["goodput_bound_bps"],
        "throughput_bps": cap,
        "bound": pd.array(a["bound"], dtype=object),
        "offered_bps": np.full(len(paths), offered),
        "utilisation": rho,
        "latency_mean_s": lat_mean,
        "latency_p99_s": lat_p99,
        "cpu_cores_used": cpu,
        "max_utilisation": rho_max,
        "max_pods_per_node": max_pods,
        "nodes_needed": nodes,
        "max_demand_bps": max_demand,
        "mtu_misconfigured": a["bad_mtu"],
        "saturated": sat,
        **cluster,
    }, index=pd.Index(paths, name="path"))
    warnings = (([note] if note else []) + _warnings(inputs, a, offered, known, sat, max_pods, nodes)
                + cluster_warnings)
    return PlannerResult(inputs=inputs, table=table, curve=a["curve"], warnings=warnings)

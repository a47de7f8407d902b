"""Planner inputs: every control value in SI units, their checks, and the parameters they select.

:class:`PlannerInputs` is a frozen dataclass; :func:`validate` checks what the models do
not check themselves (through :func:`cnimodel.validation.check_scalar`, the one range
check); :func:`params_for` loads the calibrated parameters
(:meth:`cnimodel.params.ModelParams.load`, cached by file and modification time) and
rescales their CPU costs to the nodes' clock (:meth:`cnimodel.params.ModelParams.at_cpu_clock`).

Examples
--------
>>> inputs = validate(PlannerInputs(streams=2.0))
>>> inputs.streams, type(inputs.streams).__name__
(2, 'int')
>>> params, note = params_for(inputs.replace(cpu_clock_hz=3e9))
>>> note.startswith("CPU clock ignored")
True
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from ..errors import ParameterError
from ..params import ModelParams
from ..validation import check_scalar

__all__ = ["PlannerInputs", "validate", "load_params", "params_for"]


@dataclass(frozen=True)
class PlannerInputs:
    """Every planner control, in SI units.

    Parameters
    ----------
    link_rate_bps : float
        Node NIC line rate [bit/s].
    underlay_mtu_bytes : int
        Node / underlay MTU [bytes].
    pod_mtu_bytes : int or None
        Configured pod MTU [bytes]; None: the largest the underlay carries on each path.
    ip_version : {4, 6}
        IP version of pods and underlay.
    overlay_encap : str
        Encapsulation of the ``overlay`` path (:mod:`cnimodel.encap` name).
    msg_size_bytes : int
        Application message (write / request) size [bytes].
    streams : int
        Concurrent TCP streams a node's traffic is spread over.
    pods_per_node : int
        Pods on each node.
    load_per_pod_bps : float
        Offered load of one pod [bit/s].
    cores : int
        CPU cores of a node available to networking [cores].
    cpu_clock_hz : float or None
        CPU clock of the nodes [Hz]; scales the model's per-packet and per-byte CPU
        costs from ``reference_clock_hz`` (None: use the parameters as they are).
    reference_clock_hz : float or None
        Clock of the CPU the parameters were calibrated on [Hz] (None: the
        parameters' ``cpu_clock_hz`` if they record one).
    latency_target_p99_s : float
        p99 latency target [s].
    sizing : {"demand", "nodes"}
        Size for ``total_demand_bps`` (nodes needed) or check ``node_count``.
    node_count : int
        Nodes in the cluster (``sizing="nodes"``).
    total_demand_bps : float
        Total offered load of the application (``sizing="demand"``) [bit/s].
    params_file : str or None
        Calibrated :class:`~cnimodel.params.ModelParams` JSON file; None: cited defaults.
    cluster_cidr : str or None
        Pod network of the cluster; None: the default of the IP version
        (:func:`cnimodel.planning.limits.default_cidr`).
    node_mask : int or None
        Prefix length of each node's pod CIDR; None: 24 (IPv4) / 64 (IPv6).
    max_pods : int
        kubelet ``maxPods`` [pods] (Kubernetes default 110).
    route_limit : int or None
        Route-table entries for the routing path [entries]; None: no route table.
    instance_type : str or None
        Instance type whose ENI limits cap the underlay path (:mod:`~cnimodel.planning.limit_table`).
    limits_file : str or None
        JSON file of extra or overriding published limits.
    """

    link_rate_bps: float = 10e9
    underlay_mtu_bytes: int = 1500
    pod_mtu_bytes: int | None = None
    ip_version: int = 4
    overlay_encap: str = "vxlan"
    msg_size_bytes: int = 1024
    streams: int = 4
    pods_per_node: int = 30
    load_per_pod_bps: float = 100e6
    cores: int = 8
    cpu_clock_hz: float | None = None
    reference_clock_hz: float | None = None
    latency_target_p99_s: float = 500e-6
    sizing: str = "demand"
    node_count: int = 10
    total_demand_bps: float = 50e9
    params_file: str | None = None
    cluster_cidr: str | None = None
    node_mask: int | None = None
    max_pods: int = 110
    route_limit: int | None = None
    instance_type: str | None = None
    limits_file: str | None = None

    def replace(self, **changes) -> "PlannerInputs":
        """A copy with some fields changed (unknown names raise ParameterError)."""
        names = {f.name for f in dataclasses.fields(self)}
        for k in changes:
            if k not in names:
                raise ParameterError("planner input", k, "one of " + ", ".join(sorted(names)))
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        """The inputs as a plain dict (field name to value)."""
        return dataclasses.asdict(self)


def _optional_clock(name, value):
    return None if value in (None, 0) else check_scalar(name, value, lo=0, lo_strict=True)


def validate(inputs: PlannerInputs) -> PlannerInputs:
    """Check the inputs the models do not check themselves; return them normalised.

    Whole numbers become ``int``; a clock or pod MTU of 0 or None means "not set".
    The byte-model inputs (MTUs, encapsulation) are checked by the model itself.

    Raises
    ------
    ParameterError
        Naming the first offending input, its value and the allowed range.
    """
    if inputs.sizing not in ("demand", "nodes"):
        raise ParameterError("sizing", inputs.sizing, "'demand' or 'nodes'")
    if inputs.ip_version not in (4, 6):
        raise ParameterError("ip_version", inputs.ip_version, "4 or 6")
    positive = dict(lo=0, lo_strict=True)
    return inputs.replace(
        link_rate_bps=check_scalar("link_rate_bps", inputs.link_rate_bps, **positive),
        msg_size_bytes=check_scalar("msg_size_bytes", inputs.msg_size_bytes, lo=1, integer=True),
        streams=check_scalar("streams", inputs.streams, lo=1, integer=True),
        pods_per_node=check_scalar("pods_per_node", inputs.pods_per_node, lo=0, integer=True),
        load_per_pod_bps=check_scalar("load_per_pod_bps", inputs.load_per_pod_bps, **positive),
        cores=check_scalar("cores", inputs.cores, lo=1, integer=True),
        cpu_clock_hz=_optional_clock("cpu_clock_hz", inputs.cpu_clock_hz),
        reference_clock_hz=_optional_clock("reference_clock_hz", inputs.reference_clock_hz),
        latency_target_p99_s=check_scalar("latency_target_p99_s", inputs.latency_target_p99_s,
                                          **positive),
        node_count=check_scalar("node_count", inputs.node_count, lo=0, integer=True),
        total_demand_bps=check_scalar("total_demand_bps", inputs.total_demand_bps, lo=0),
        pod_mtu_bytes=(None if inputs.pod_mtu_bytes in (None, 0) else inputs.pod_mtu_bytes),
        params_file=(inputs.params_file or None),
        cluster_cidr=(str(inputs.cluster_cidr).strip() or None) if inputs.cluster_cidr else None,
        node_mask=(None if inputs.node_mask in (None, 0) else
                   check_scalar("node_mask", inputs.node_mask, lo=1, integer=True)),
        max_pods=check_scalar("max_pods", inputs.max_pods, lo=1, integer=True),
        route_limit=(None if inputs.route_limit in (None, 0) else
                     check_scalar("route_limit", inputs.route_limit, lo=1, integer=True)),
        instance_type=(inputs.instance_type or None),
        limits_file=(inputs.limits_file or None),
    )


_PARAMS_CACHE: dict = {}


def load_params(params_file=None) -> ModelParams:
    """:class:`~cnimodel.params.ModelParams` from a JSON file (cached by file and mtime).

    None gives ``ModelParams()`` (cited defaults).  A missing, unreadable or malformed
    file raises :class:`ParameterError` naming ``params_file``
    (:meth:`~cnimodel.params.ModelParams.load`).
    """
    if not params_file:
        return _PARAMS_CACHE.setdefault(None, ModelParams())
    p = Path(params_file).expanduser()
    try:
        key = (str(p.resolve()), p.stat().st_mtime_ns)
    except OSError as exc:
        raise ParameterError("params_file", str(params_file), "an existing ModelParams JSON file",
                             exc.strerror or "") from None
    if key not in _PARAMS_CACHE:
        _PARAMS_CACHE[key] = ModelParams.load(p, name="params_file")
    return _PARAMS_CACHE[key]


def params_for(inputs: PlannerInputs, params: ModelParams | None = None):
    """Parameters for validated inputs and a note ("" or why the CPU clock is ignored).

    Parameters
    ----------
    inputs : PlannerInputs
    params : ModelParams, optional
        Overrides ``inputs.params_file``.

    Returns
    -------
    (ModelParams, str)
        With ``cpu_clock_hz`` set and a reference clock known (the input or the
        parameters' own), the CPU costs rescaled by
        :meth:`~cnimodel.params.ModelParams.at_cpu_clock`.
    """
    if params is None:
        params = load_params(inputs.params_file)
    if inputs.cpu_clock_hz is None:
        return params, ""
    ref = inputs.reference_clock_hz or params.cpu_clock_hz
    if not ref:
        return params, ("CPU clock ignored: the parameters do not record the clock their CPU "
                        "costs were measured at; set the parameters' clock")
    key = ("clock", id(params), float(inputs.cpu_clock_hz), float(ref))
    hit = _PARAMS_CACHE.get(key)
    if hit is None or hit[0] is not params:
        hit = _PARAMS_CACHE[key] = (params, params.at_cpu_clock(inputs.cpu_clock_hz, ref))
    return hit[1], ""

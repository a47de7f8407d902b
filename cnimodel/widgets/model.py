"""The capacity planner's "model of the view": inputs in, per-path results out.

Plain Python, no widgets: :class:`PlannerInputs` holds every control value in SI
units, :func:`compute` turns them into a :class:`PlannerResult` (one row per
path, the latency-vs-load curves, warnings), and :class:`PlannerModel` keeps
the last valid result when an input is out of range (catching
:class:`~cnimodel.errors.CnimodelError` only) together with a one-line status
message.  The ipywidgets layer (:mod:`cnimodel.widgets.planner`) only copies
control values into :class:`PlannerInputs` and result strings into the page.

How the model outputs become a plan (per path, one node)
--------------------------------------------------------
1. Byte model (:func:`cnimodel.overhead.summarize`, ``on_misconfig="flag"``): pod
   MTU, MSS, line-rate goodput bound, MTU misconfiguration.
2. Capacity ``C``: the bulk-transfer throughput of ``streams`` streams on
   ``cores`` cores (:func:`cnimodel.predict.predict`, ``test="stream"``), with the
   binding bound and the CPU cores it uses.
3. Offered load ``pods_per_node * load_per_pod_bps``; utilisation ``rho = offered / C``.
4. Latency of a request of ``msg_size_bytes`` (``test="rr"``) at utilisation ``rho``:
   the bottleneck queue is shared with the node's traffic.  The curve is the same
   quantity on :func:`cnimodel.capacity.utilisation_grid`.
5. Largest utilisation within the p99 target ``rho_max``
   (:func:`cnimodel.latency.saturation_load`), pods per node
   ``floor(rho_max C / load_per_pod)``, nodes needed (:mod:`cnimodel.capacity`).
6. Network CPU at the offered load: the stream row's ``cpu_cores_used`` (cores at
   capacity) times ``min(rho, 1)`` (:func:`cnimodel.capacity.network_cpu_cores`; the
   model's CPU cost is linear in the carried bytes, as :func:`cnimodel.throughput.cpu_cores_used`).

Same-node paths (``bridge``) are evaluated with ``link_rate_bps=inf``: they never
cross the NIC.

Examples
--------
>>> from cnimodel.widgets.model import PlannerInputs, PlannerModel
>>> m = PlannerModel(PlannerInputs(underlay_mtu_bytes=1500))
>>> m.update(underlay_mtu_bytes=40)                # below the IPv4 minimum of 68 B
False
>>> m.status_kind, m.status.startswith("invalid underlay_mtu_bytes=40")
('error', True)
>>> int(m.result.inputs.underlay_mtu_bytes)        # last valid result kept
1500
"""
from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from pathlib import Path as _FsPath

import numpy as np
import pandas as pd

from .. import capacity, overhead
from ..errors import CnimodelError, ParameterError
from ..paths import PATH_NAMES, get_path

__all__ = ["PlannerInputs", "PlannerResult", "PlannerModel", "compute", "load_params",
           "METRICS", "format_value", "QUANTILE"]

#: Latency quantile the target applies to.
QUANTILE = 0.99
#: Points of each latency-vs-load curve.
CURVE_POINTS = 40
#: Highest utilisation on the curve (the models accept 0 <= rho < 1).
CURVE_MAX_UTILISATION = 0.98


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

    def replace(self, **changes) -> "PlannerInputs":
        """A copy with some fields changed (unknown names raise ParameterError)."""
        names = {f.name for f in dataclasses.fields(self)}
        for k in changes:
            if k not in names:
                raise ParameterError("planner input", k, "one of " + ", ".join(sorted(names)))
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def _int_input(name, value, lo, hi=None):
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise ParameterError(name, value, "a whole number") from None
    if not math.isfinite(f) or f != int(f) or f < lo or (hi is not None and f > hi):
        raise ParameterError(name, value, f"a whole number {lo}..{hi}" if hi else f"a whole number >= {lo}")
    return int(f)


def _pos_input(name, value, allow_zero=False):
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise ParameterError(name, value, "a number") from None
    if not math.isfinite(f) or f < 0 or (f == 0 and not allow_zero):
        raise ParameterError(name, value, ">= 0 (finite)" if allow_zero else "> 0 (finite)")
    return f


def validate(inputs: PlannerInputs) -> PlannerInputs:
    """Check the inputs the models do not check themselves; return them normalised.

    Raises
    ------
    ParameterError
        Naming the first offending input.
    """
    if inputs.sizing not in ("demand", "nodes"):
        raise ParameterError("sizing", inputs.sizing, "'demand' or 'nodes'")
    if inputs.ip_version not in (4, 6):
        raise ParameterError("ip_version", inputs.ip_version, "4 or 6")
    return inputs.replace(
        link_rate_bps=_pos_input("link_rate_bps", inputs.link_rate_bps),
        msg_size_bytes=_int_input("msg_size_bytes", inputs.msg_size_bytes, 1),
        streams=_int_input("streams", inputs.streams, 1),
        pods_per_node=_int_input("pods_per_node", inputs.pods_per_node, 0),
        load_per_pod_bps=_pos_input("load_per_pod_bps", inputs.load_per_pod_bps),
        cores=_int_input("cores", inputs.cores, 1),
        cpu_clock_hz=(None if inputs.cpu_clock_hz in (None, 0)
                      else _pos_input("cpu_clock_hz", inputs.cpu_clock_hz)),
        reference_clock_hz=(None if inputs.reference_clock_hz in (None, 0)
                            else _pos_input("reference_clock_hz", inputs.reference_clock_hz)),
        latency_target_p99_s=_pos_input("latency_target_p99_s", inputs.latency_target_p99_s),
        node_count=_int_input("node_count", inputs.node_count, 0),
        total_demand_bps=_pos_input("total_demand_bps", inputs.total_demand_bps, allow_zero=True),
        pod_mtu_bytes=(None if inputs.pod_mtu_bytes in (None, 0) else inputs.pod_mtu_bytes),
        params_file=(inputs.params_file or None),
    )


_PARAMS_CACHE: dict = {}


def load_params(params_file=None):
    """:class:`~cnimodel.params.ModelParams` from a JSON file (cached by name and mtime).

    None gives ``ModelParams()`` (cited defaults).  A missing or unreadable file
    raises :class:`ParameterError` naming ``params_file``.
    """
    from ..params import ModelParams

    if not params_file:
        if None not in _PARAMS_CACHE:
            _PARAMS_CACHE[None] = ModelParams()
        return _PARAMS_CACHE[None]
    p = _FsPath(params_file).expanduser()
    try:
        key = (str(p.resolve()), p.stat().st_mtime_ns)
    except OSError as exc:
        raise ParameterError("params_file", str(params_file), "an existing ModelParams JSON file",
                             exc.strerror or "") from None
    if key not in _PARAMS_CACHE:
        try:
            text = p.read_text()
        except (OSError, UnicodeDecodeError) as exc:
            raise ParameterError("params_file", str(params_file), "a readable JSON file",
                                 str(exc)) from None
        try:
            _PARAMS_CACHE[key] = ModelParams.from_json(text)
        except CnimodelError:
            raise
        except (ValueError, TypeError, KeyError) as exc:  # malformed JSON / fields
            raise ParameterError("params_file", str(params_file), "a ModelParams JSON file",
                                 str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
    return _PARAMS_CACHE[key]


#: CPU-time parameters of :class:`~cnimodel.params.ModelParams` that scale with 1 / clock
#: (a fixed number of cycles per packet and per byte).
CPU_TIME_FIELDS = ("hop_cpu_s", "cpu_per_byte_s", "cpu_per_wire_packet_s", "cpu_per_call_s")


def scale_cpu_clock(params, cpu_clock_hz, reference_clock_hz):
    """Parameters for a CPU at ``cpu_clock_hz`` from ones measured at ``reference_clock_hz``.

    Per-packet and per-byte CPU times (:data:`CPU_TIME_FIELDS`) are multiplied by
    ``reference_clock_hz / cpu_clock_hz``: the same cycles per packet on a faster
    or slower core.  Latency parameters are left as calibrated.

    >>> from cnimodel.params import ModelParams
    >>> p = scale_cpu_clock(ModelParams(), 4.0e9, 2.0e9)
    >>> p.cpu_per_byte_s / ModelParams().cpu_per_byte_s
    0.5
    """
    f = _pos_input("cpu_clock_hz", cpu_clock_hz)
    f0 = _pos_input("reference_clock_hz", reference_clock_hz)
    k = f0 / f
    return params.replace(hop_cpu_s={h: v * k for h, v in params.hop_cpu_s.items()},
                          cpu_per_byte_s=params.cpu_per_byte_s * k,
                          cpu_per_wire_packet_s=params.cpu_per_wire_packet_s * k,
                          cpu_per_call_s=params.cpu_per_call_s * k)


def _params_for(inputs: PlannerInputs, params=None):
    """Parameters for the inputs and a note ("" or why the clock is ignored)."""
    if params is None:
        params = load_params(inputs.params_file)
    if inputs.cpu_clock_hz is None:
        return params, ""
    ref = inputs.reference_clock_hz or getattr(params, "cpu_clock_hz", None)
    if not ref:
        return params, ("CPU clock ignored: the parameters do not record the clock their CPU "
                        "costs were measured at; set the parameters' clock")
    key = ("clock", id(params), float(inputs.cpu_clock_hz), float(ref))
    hit = _PARAMS_CACHE.get(key)
    if hit is None or hit[0] is not params:
        hit = _PARAMS_CACHE[key] = (params, scale_cpu_clock(params, inputs.cpu_clock_hz, ref))
    return hit[1], ""


# --------------------------------------------------------------------------- result
@dataclass
class PlannerResult:
    """Outputs of one planner evaluation.

    Attributes
    ----------
    inputs : PlannerInputs
        The (validated) inputs.
    table : pandas.DataFrame
        One row per path (index: path name, baseline first); columns in SI units,
        see :data:`METRICS`.
    curve : pandas.DataFrame
        Latency-vs-load curves: ``path``, ``utilisation``, ``offered_bps``,
        ``latency_mean_s``, ``latency_p99_s``.
    warnings : list of str
        One line per finding (MTU misconfiguration, saturation, target missed).
    """

    inputs: PlannerInputs
    table: pd.DataFrame
    curve: pd.DataFrame
    warnings: list = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON-ready scenario: inputs, per-path results (SI units), warnings."""
        rows = []
        for path, r in self.table.iterrows():
            d = {"path": path}
            for k, v in r.items():
                if isinstance(v, (np.floating, float)):
                    v = None if not math.isfinite(float(v)) and not math.isinf(float(v)) else float(v)
                    if v is not None and math.isinf(v):
                        v = "inf"
                elif isinstance(v, np.integer):
                    v = int(v)
                elif isinstance(v, np.bool_):
                    v = bool(v)
                d[k] = v
            rows.append(d)
        return {"inputs": self.inputs.to_dict(), "quantile": QUANTILE, "paths": rows,
                "warnings": list(self.warnings)}

    def to_json(self, **kw) -> str:
        """The scenario as JSON text (see :meth:`to_dict`)."""
        return json.dumps(self.to_dict(), **kw)

    def to_csv(self) -> str:
        """The scenario as CSV text: one row per path, inputs repeated as columns."""
        df = self.table.reset_index().rename(columns={"index": "path"})
        for k, v in self.inputs.to_dict().items():
            df[f"input_{k}"] = v
        df["warnings"] = [" | ".join(w for w in self.warnings if w.startswith(p + ":"))
                          for p in df["path"]]
        return df.to_csv(index=False)


#: Table rows shown by the dashboard: (column, label, unit).
METRICS = (
    ("encap", "encapsulation", ""),
    ("pod_mtu_bytes", "pod MTU", "B"),
    ("mss_bytes", "MSS", "B"),
    ("goodput_bound_bps", "line-rate goodput bound", "Gbit/s"),
    ("throughput_bps", "goodput (capacity)", "Gbit/s"),
    ("bound", "binding bound", ""),
    ("offered_bps", "offered load per node", "Gbit/s"),
    ("utilisation", "utilisation", "%"),
    ("latency_mean_s", "mean latency at offered load", "us"),
    ("latency_p99_s", "p99 latency at offered load", "us"),
    ("cpu_cores_used", "network CPU at offered load", "cores"),
    ("max_utilisation", "max utilisation within p99 target", "%"),
    ("max_pods_per_node", "max pods per node within p99 target", "pods"),
    ("nodes_needed", "nodes needed", "nodes"),
    ("max_demand_bps", "max demand on the nodes", "Gbit/s"),
)


def format_value(column: str, value) -> str:
    """Display text of one table cell (units converted for reading only).

    >>> format_value("throughput_bps", 9.4151e9), format_value("latency_p99_s", 61.25e-6)
    ('9.415', '61.2')
    >>> format_value("latency_p99_s", float("inf")), format_value("nodes_needed", float("nan"))
    ('saturated', 'n/a')
    """
    if isinstance(value, str):
        return value or "-"
    if value is None:
        return "n/a"
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(v):
        return "n/a"
    if math.isinf(v):
        return "saturated" if column.startswith("latency") else "inf"
    if column.endswith("_bps"):
        return f"{v / 1e9:.3f}"
    if column.endswith("_s"):
        return f"{v * 1e6:.1f}"
    if column in ("utilisation", "max_utilisation"):
        return f"{v * 100:.1f}"
    if column == "cpu_cores_used":
        return f"{v:.2f}"
    return f"{v:.0f}"


# --------------------------------------------------------------------------- compute
def _encaps(inputs):
    return [inputs.overlay_encap if p == "overlay" else get_path(p).encap for p in PATH_NAMES]


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


def _path_stage(params, inputs):
    """Everything that does not depend on pods, load, target or sizing (cached).

    Byte model, capacity (bulk ``streams`` on ``cores``), network CPU at capacity,
    the latency-vs-utilisation curves.
    """
    from ..predict import predict

    paths = list(PATH_NAMES)
    encaps = _encaps(inputs)
    mtu = float(inputs.underlay_mtu_bytes)
    # Same-node paths (bridge) never cross the NIC: no link bound, no serialization.
    same_node = np.array([get_path(p).same_node for p in paths])
    common = dict(path=paths, encap=encaps, underlay_mtu_bytes=mtu,
                  link_rate_bps=np.where(same_node, np.inf, float(inputs.link_rate_bps)),
                  ip_version=int(inputs.ip_version), msg_size_bytes=float(inputs.msg_size_bytes))
    # byte model: MTU findings.  The host path has no pods: its MTU is the underlay's.
    byte = overhead.summarize(path=paths, encap=encaps, underlay_mtu_bytes=mtu,
                              link_rate_bps=float(inputs.link_rate_bps),
                              ip_version=common["ip_version"], on_misconfig="flag")
    pod = None
    if inputs.pod_mtu_bytes is not None:
        pod = np.where(np.asarray(paths) == "host", byte["max_pod_mtu_bytes"],
                       float(inputs.pod_mtu_bytes))
        byte = overhead.summarize(path=paths, encap=encaps, underlay_mtu_bytes=mtu,
                                  link_rate_bps=float(inputs.link_rate_bps),
                                  ip_version=common["ip_version"], pod_mtu_bytes=pod,
                                  on_misconfig="flag")
        common["pod_mtu_bytes"] = pod
    bad_mtu = np.asarray(byte["mtu_misconfigured"], bool)
    byte = dict(byte, goodput_bps=np.where(same_node, np.nan, byte["goodput_bps"]))

    # One model call: a bulk row per path (capacity, binding bound, CPU at capacity), then
    # request/response rows on the utilisation grid (the latency-vs-load curves).
    grid = capacity.utilisation_grid(CURVE_POINTS, CURVE_MAX_UTILISATION)
    n, g = len(paths), len(grid)
    rows = {k: (np.concatenate([np.asarray(v, dtype=object if k in ("path", "encap") else float),
                                np.repeat(np.asarray(v, dtype=object if k in ("path", "encap") else float), g)])
                if not np.isscalar(v) else v) for k, v in common.items()}
    rows.update(test=np.array(["stream"] * n + ["rr"] * (n * g), dtype=object),
                load=np.concatenate([np.zeros(n), np.tile(grid, n)]),
                streams=np.concatenate([np.full(n, float(inputs.streams)), np.ones(n * g)]),
                cores=float(inputs.cores))
    df = predict(params, **rows)
    stream = df.iloc[:n]
    cap = np.asarray(stream["throughput_bps"], float)
    cap = np.where(bad_mtu | ~(cap > 0), np.nan, cap)
    cpu_at_cap = np.asarray(stream["cpu_cores_used"], float)
    mean = np.asarray(df["latency_mean_s"], float)[n:].reshape(n, g)
    p99 = np.asarray(df["latency_p99_s"], float)[n:].reshape(n, g)
    curve = pd.DataFrame({
        "path": pd.array(np.repeat(np.asarray(paths, dtype=object), g), dtype=object),
        "utilisation": np.tile(grid, n),
        "offered_bps": (grid[None, :] * np.nan_to_num(cap)[:, None]).ravel(),
        "latency_mean_s": mean.ravel(),
        "latency_p99_s": p99.ravel(),
    })
    return dict(paths=paths, encaps=encaps, common=common, byte=byte, bad_mtu=bad_mtu, cap=cap,
                bound=np.where(bad_mtu, "MTU", np.asarray(stream["bound"], dtype=object)),
                cpu_at_cap=np.where(np.isnan(cap), np.nan, cpu_at_cap), curve=curve)


def _path_key(inputs):
    return (inputs.link_rate_bps, inputs.underlay_mtu_bytes, inputs.pod_mtu_bytes, inputs.ip_version,
            inputs.overlay_encap, inputs.msg_size_bytes, inputs.streams, inputs.cores)


def _target_stage(params, inputs, a):
    """Largest utilisation within the p99 target per path (:func:`cnimodel.latency.saturation_load`)."""
    from .. import latency

    # rr_latency takes no pod MTU (a request below the MSS does not depend on it).
    scen = {k: v for k, v in a["common"].items() if k not in ("path", "msg_size_bytes", "pod_mtu_bytes")}
    rho_max = np.asarray(latency.saturation_load(
        params, path=a["paths"], target_s=float(inputs.latency_target_p99_s), quantile=QUANTILE,
        msg_size_bytes=float(inputs.msg_size_bytes), test="rr", **scen), float)
    return np.where(np.isnan(a["cap"]), np.nan, rho_max)


def compute(inputs: PlannerInputs, params=None) -> PlannerResult:
    """Evaluate the planner for one set of inputs (all five paths at once).

    Parts that do not depend on the changed input are memoised: moving the
    pods-per-node or load slider evaluates one latency row per path.

    Parameters
    ----------
    inputs : PlannerInputs
    params : cnimodel.params.ModelParams, optional
        Overrides ``inputs.params_file``.

    Returns
    -------
    PlannerResult

    Raises
    ------
    CnimodelError
        An input out of range (the message names it).
    """
    from .. import latency
    from ..predict import predict

    inputs = validate(inputs)
    params, note = _params_for(inputs, params)
    a = _PATH_STAGE.get(params, _path_key(inputs), lambda: _path_stage(params, inputs))
    rho_max = _TARGET_STAGE.get(params, (_path_key(inputs), inputs.latency_target_p99_s),
                                lambda: _target_stage(params, inputs, a))
    paths, cap, byte, bad_mtu = a["paths"], a["cap"], a["byte"], a["bad_mtu"]
    known = ~np.isnan(cap)

    offered = float(inputs.pods_per_node) * float(inputs.load_per_pod_bps)
    rho = np.asarray(capacity.utilisation(offered, np.where(known, cap, np.inf)))
    rho = np.where(known, rho, np.nan)
    sat = rho >= 1
    ok = known & ~sat

    # latency at the offered load (rows at rho >= 1 are not asked: the models reject them).
    # rr_latency gives predict()'s numbers without building a DataFrame; it takes no pod MTU.
    load = np.where(ok, rho, 0.0)
    if "pod_mtu_bytes" in a["common"]:
        rr = predict(params, test="rr", load=load, **a["common"])
    else:
        rr = latency.rr_latency(params, load=load, test="rr", **a["common"])
    lat_mean = np.where(ok, rr["latency_mean_s"], np.where(sat, np.inf, np.nan))
    lat_p99 = np.where(ok, rr["latency_p99_s"], np.where(sat, np.inf, np.nan))

    zero = lambda x: np.where(np.isnan(x), 0.0, x)  # noqa: E731
    max_pods = np.asarray(capacity.max_pods_per_node(zero(cap), inputs.load_per_pod_bps, zero(rho_max)),
                          float)
    max_pods = np.where(known, max_pods, np.nan)
    demand = (float(inputs.total_demand_bps) if inputs.sizing == "demand"
              else float(inputs.node_count) * offered)
    nodes = np.asarray(capacity.nodes_needed(demand, inputs.load_per_pod_bps, zero(max_pods)), float)
    nodes = np.where(known, nodes, np.nan)
    max_demand = np.asarray(capacity.max_demand_bps(inputs.node_count, inputs.load_per_pod_bps,
                                                    zero(max_pods)), float)
    max_demand = np.where(known, max_demand, np.nan)
    # network CPU: linear in the carried load (a saturated path carries its capacity)
    cpu = np.asarray(capacity.network_cpu_cores(zero(a["cpu_at_cap"]), zero(rho)), float)
    cpu = np.where(known, cpu, np.nan)

    table = pd.DataFrame({
        "encap": pd.array(a["encaps"], dtype=object),
        "pod_mtu_bytes": np.asarray(byte["pod_mtu_bytes"], float),
        "mss_bytes": np.asarray(byte["mss_bytes"], float),
        "goodput_bound_bps": np.asarray(byte["goodput_bps"], float),
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
        "mtu_misconfigured": bad_mtu,
        "saturated": sat,
    }, index=pd.Index(paths, name="path"))

    warnings = [note] if note else []
    for i, p in enumerate(paths):
        if bad_mtu[i]:
            warnings.append(
                f"{p}: MTU misconfiguration: pod MTU {int(byte['pod_mtu_bytes'][i])} B exceeds the "
                f"{int(byte['max_pod_mtu_bytes'][i])} B an underlay MTU of {int(inputs.underlay_mtu_bytes)} B "
                f"carries with {a['encaps'][i]}: large packets fragment or are black-holed")
    warnings += capacity.saturation_messages([p for p, k in zip(paths, known) if k], offered, cap[known])
    for i, p in enumerate(paths):
        if known[i] and max_pods[i] < inputs.pods_per_node and not sat[i]:
            if max_pods[i] == 0:
                warnings.append(f"{p}: p99 target {inputs.latency_target_p99_s * 1e6:g} us "
                                f"missed even at zero load")
            else:
                warnings.append(f"{p}: {inputs.pods_per_node} pods per node exceed the "
                                f"{int(max_pods[i])} that meet the p99 target")
        if inputs.sizing == "nodes" and nodes[i] > inputs.node_count:
            warnings.append(f"{p}: the demand of {inputs.node_count} nodes x {inputs.pods_per_node} pods "
                            f"needs {format_value('nodes_needed', nodes[i])} nodes within the p99 target")

    # the curves depend on the network inputs only: shared between results (do not modify)
    return PlannerResult(inputs=inputs, table=table, curve=a["curve"], warnings=warnings)


# --------------------------------------------------------------------------- state
class PlannerModel:
    """Planner state: current inputs, last valid result, status line.

    Parameters
    ----------
    inputs : PlannerInputs, optional
        Initial inputs (defaults); evaluated at construction.
    params : ModelParams, optional
        Parameters overriding ``inputs.params_file``.

    Attributes
    ----------
    result : PlannerResult or None
        The last valid result (kept when an update fails).
    status : str
        One line: the error of the last update, or its warnings' summary, or "".
    status_kind : {"ok", "warning", "error"}
    version : int
        Incremented by every update, valid or not (the page shows it so a
        browser can tell when an update has been drawn).
    """

    def __init__(self, inputs: PlannerInputs | None = None, params=None):
        self.inputs = inputs or PlannerInputs()
        self.params = params
        self.result: PlannerResult | None = None
        self.status = ""
        self.status_kind = "ok"
        self.version = 0
        self.update(self.inputs)

    def update(self, inputs: PlannerInputs | None = None, **changes) -> bool:
        """Evaluate new inputs; True when valid.

        On a :class:`~cnimodel.errors.CnimodelError` the previous result stays,
        ``status`` holds the error's one-line message and ``status_kind`` is ``"error"``.
        """
        self.version += 1
        try:
            new = (inputs or self.inputs).replace(**changes) if changes else (inputs or self.inputs)
            self.inputs = new
            result = compute(new, self.params)
        except CnimodelError as exc:
            self.status = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            self.status_kind = "error"
            return False
        self.result = result
        if result.warnings:
            self.status_kind = "warning"
            n = len(result.warnings)
            self.status = f"{n} warning{'s' if n > 1 else ''}: " + result.warnings[0] + (
                " (more below)" if n > 1 else "")
        else:
            self.status_kind = "ok"
            self.status = ""
        return True

    def export(self, file, format=None) -> str:
        """Write the last valid scenario to ``file`` as CSV or JSON (by suffix); return the text."""
        if self.result is None:
            raise ParameterError("result", None, "a valid planner result", "nothing to export")
        fmt = (format or _FsPath(str(file)).suffix.lstrip(".") or "json").lower()
        if fmt not in ("csv", "json"):
            raise ParameterError("format", fmt, "'csv' or 'json'")
        text = self.result.to_csv() if fmt == "csv" else self.result.to_json(indent=1)
        _FsPath(file).write_text(text)
        return text

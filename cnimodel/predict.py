"""What-if prediction over a grid of scenarios, in the units of the measured tidy schema.

:func:`predict` evaluates the latency model (:mod:`cnimodel.latency`) and the throughput
model (:mod:`cnimodel.throughput`) for every row of a scenario table and returns a tidy
frame whose measured-quantity columns have the names of :mod:`cnimodel.io.schema`
(``throughput_bps``, ``latency_mean_s``, ``transactions_per_s``, ``mss_bytes``, ...), so a
measured dataset and its prediction sit side by side.

Vectorized: rows are grouped by path (a few unique names); hop sums are a hop-count
matrix times the cost vector, indexed back to the rows; no Python loop over rows.

Examples
--------
>>> from cnimodel.predict import predict
>>> df = predict(path=["host", "overlay"], underlay_mtu_bytes=1500, link_rate_bps=10e9)
>>> df[["path", "mss_bytes", "bound"]].to_string(index=False)
'   path  mss_bytes bound\\n   host     1448.0  link\\noverlay     1398.0  link'
>>> round(float(df.throughput_bps.iloc[1]) / 1e9, 3)
9.09
>>> predict(path="host", test="rr", load=1.0)
Traceback (most recent call last):
...
cnimodel.errors.ParameterError: invalid load=1.0: allowed 0 <= rho < 1 (a queue at rho >= 1 is unstable)
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import overhead as ov
from .errors import ParameterError
from .latency import _sojourn, check_load
from .params import ModelParams
from .paths import HOP_KINDS, get_path
from .throughput import BOUNDS, mathis_bps, pftk_bps

__all__ = ["predict", "SCENARIO_DEFAULTS", "OUTPUT_COLUMNS", "WIRE_KINDS"]

#: Scenario columns and their defaults (NaN: see :func:`predict`).
SCENARIO_DEFAULTS = {
    "path": None, "underlay_mtu_bytes": 1500.0, "encap": None, "pod_mtu_bytes": np.nan,
    "link_rate_bps": 10e9, "accounting": "wire", "ip_version": 4, "protocol": "tcp",
    "test": "stream", "msg_size_bytes": np.nan, "response_size_bytes": np.nan, "streams": 1,
    "load": 0.0, "cores": np.nan, "offload": True, "loss_rate": 0.0, "extra_rtt_s": 0.0,
    "retransmit_fraction": 0.0, "shaper_burst_bytes": np.nan, "wire_kind": "nic",
}
#: Columns :func:`predict` adds.
OUTPUT_COLUMNS = ("max_pod_mtu_bytes", "pod_mtu_bytes", "mss_bytes", "throughput_bps", "bound", "goodput_bound_bps",
                  "cpu_bound_bps", "latency_mean_s", "latency_p50_s", "latency_p90_s",
                  "latency_p99_s", "transactions_per_s", "cpu_cores_used", "mtu_misconfigured")
_TESTS = ("stream", "rr", "crr")
_HOPS = tuple(HOP_KINDS)
_BOUND_CATS = ("",) + BOUNDS


# --------------------------------------------------------------------------- columns
def _is_scalar(v):
    return isinstance(v, (str, bytes)) or v is None or np.ndim(v) == 0


def _factorize(name, v):
    """(codes or 0, uniques) of a scalar or 1-d array of labels; Categorical fast path."""
    if _is_scalar(v):
        return np.int64(0), [v]
    if isinstance(v, pd.Series) and isinstance(v.dtype, pd.CategoricalDtype):
        return v.cat.codes.to_numpy(), list(v.cat.categories)
    if isinstance(v, pd.Categorical):
        return np.asarray(v.codes), list(v.categories)
    if not isinstance(v, pd.Series):
        v = np.asarray(v, dtype=object)
    codes, uniq = pd.factorize(v, use_na_sentinel=False)
    return np.asarray(codes), list(uniq)


def _columns(scenarios, columns):
    """Scenario columns as 0-d values or 1-d arrays of one common length n, plus n and the frame."""
    frame = None
    cols = {}
    if scenarios is not None:
        if isinstance(scenarios, pd.DataFrame):
            frame = scenarios.reset_index(drop=True)
            cols.update({k: frame[k] for k in frame.columns})
        elif isinstance(scenarios, dict):
            cols.update(scenarios)
        else:
            raise ParameterError("scenarios", type(scenarios).__name__, "a DataFrame or a dict of columns")
    cols.update(columns)
    if cols.get("path") is None:
        raise ParameterError("path", None, "a path name (column 'path')")
    shapes = {k: np.shape(v) for k, v in cols.items() if not _is_scalar(v)}
    for k, s in shapes.items():
        if len(s) != 1:
            raise ParameterError(k, f"array of shape {s}", "a scalar or a 1-d column")
    lens = {s[0] for s in shapes.values()}
    if len(lens) > 1:
        raise ParameterError("scenarios", sorted(lens), "columns of one common length")
    n = lens.pop() if lens else 1
    out = {}
    for k, v in cols.items():
        if isinstance(v, pd.Series):
            v = v.reset_index(drop=True)
            if not isinstance(v.dtype, pd.CategoricalDtype) and v.dtype.kind in "biufcmM":
                v = v.to_numpy()
        elif isinstance(v, (list, tuple)):
            v = np.asarray(v, dtype=object if any(isinstance(x, str) or x is None for x in v) else None)
        out[k] = _fill_default(k, v)
    return out, n, frame


#: Columns whose missing values (NaN / None) take the default (``link_rate_bps`` NaN = unshaped).
_FILL = ("underlay_mtu_bytes", "accounting", "ip_version", "protocol", "test", "streams", "load",
         "offload", "loss_rate", "extra_rtt_s", "retransmit_fraction", "wire_kind")
#: Send size of a TCP stream when ``msg_size_bytes`` is NaN: iperf3's default ``-l`` for TCP
#: (128 KiB, iperf3(1) manual) [bytes].
DEFAULT_SEND_BYTES = 131072.0
#: Kinds of wire between the nodes (:func:`predict`, column ``wire_kind``).
WIRE_KINDS = ("nic", "veth")


def _fill_default(k, v):
    if k not in _FILL or _is_scalar(v):
        if k in _FILL and _is_scalar(v) and (v is None or (not isinstance(v, str) and pd.isna(v))):
            return SCENARIO_DEFAULTS[k]
        return v
    if isinstance(v, pd.Series):
        return v.fillna(SCENARIO_DEFAULTS[k]) if v.hasnans else v
    a = np.asarray(v)
    if a.dtype.kind == "f":
        miss = np.isnan(a)
    elif a.dtype.kind == "O":
        miss = pd.isna(a)
    else:
        return v
    if miss.any():
        a = a.copy()
        a[miss] = SCENARIO_DEFAULTS[k]
    return a


def _num(name, v, default):
    if v is None:
        v = default
    try:
        a = np.asarray(v, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(name, v if _is_scalar(v) else "array", "numbers") from None
    return a


def _first_bad(name, a, ok, allowed):
    ok = np.asarray(ok)
    if not ok.all():
        bad = np.broadcast_to(a, ok.shape)[~ok].flat[0]
        raise ParameterError(name, bad.item() if hasattr(bad, "item") else bad, allowed)


def _bool(name, v):
    if _is_scalar(v):
        if isinstance(v, (bool, np.bool_)) or v in (0, 1):
            return np.bool_(bool(v))
        raise ParameterError(name, v, "True or False")
    a = np.asarray(v)
    if a.dtype == bool:
        return a
    try:
        f = a.astype(float)
    except (TypeError, ValueError):
        raise ParameterError(name, a.flat[0], "True or False") from None
    _first_bad(name, f, np.isin(f, (0.0, 1.0)), "True or False")
    return f.astype(bool)


def _uniform(a):
    """A 0-d value when every element of ``a`` is equal (saves per-row work), else ``a``."""
    a = np.asarray(a)
    if a.ndim and a.size and (a == a.flat[0]).all():
        return a.flat[0]
    return a


def _any(a):
    return bool(np.any(a))


def _w(cond, a, b):
    """``np.where`` that skips the per-row work when ``cond`` is a scalar."""
    if np.ndim(cond) == 0:
        return a if cond else b
    return np.where(cond, a, b)


# --------------------------------------------------------------------------- design
class _Design:
    """Everything about the scenarios that does not depend on the parameters."""

    def __init__(self, cols, n):
        g = lambda k: cols.get(k, SCENARIO_DEFAULTS[k])  # noqa: E731
        self.n = n
        self.cats = {}
        # paths: per unique path a row of hop counts
        self.codes, uniq = _factorize("path", g("path"))
        self.paths = [get_path(u) for u in uniq]
        cu = np.array([[p.count(h) for h in _HOPS] for p in self.paths], dtype=float)
        tun = np.zeros_like(cu)
        for i, p in enumerate(self.paths):
            if "encap" in p.hops and "decap" in p.hops:
                a, b = p.hops.index("encap"), len(p.hops) - 1 - p.hops[::-1].index("decap")
                for h in p.hops[a:b + 1]:
                    tun[i, _HOPS.index(h)] += 1
        self.counts_u, self.tun_u = cu, tun
        self.n_wire = cu[:, _HOPS.index("wire")][self.codes]
        self.no_wire = _uniform(self.n_wire == 0) if np.ndim(self.n_wire) else bool(self.n_wire == 0)
        self.n_nf = cu[:, _HOPS.index("netfilter")][self.codes]
        # MTU-sized packets exist only where a path crosses a NIC: a veth wire and same-node
        # paths carry the GSO super-packets whole (docs/models.md, "Wire packets")
        wc, wu = _factorize("wire_kind", g("wire_kind"))
        wu = [str(w).lower() for w in wu]
        for w in wu:
            if w not in WIRE_KINDS:
                raise ParameterError("wire_kind", w, "'nic' or 'veth'")
        nic = np.array([w == "nic" for w in wu])[wc] if len(wu) > 1 else wu[0] == "nic"
        self.cats["wire_kind"] = (wc, wu)
        self.wire_pkt = _uniform(np.where(self.n_wire > 0, nic, False).astype(float))
        # tests and protocols
        tc, tu = _factorize("test", g("test"))
        tu = [str(t).lower() for t in tu]
        for t in tu:
            if t not in _TESTS:
                raise ParameterError("test", t, "'stream', 'rr' or 'crr'")
        self.test = np.array([_TESTS.index(t) for t in tu])[tc] if len(tu) > 1 else _TESTS.index(tu[0])
        self.cats.update({"path": (self.codes, [p.name for p in self.paths]), "test": (tc, tu)})
        pc, pu = _factorize("protocol", g("protocol"))
        pu = [str(t).lower() for t in pu]
        for t in pu:
            if t not in ("tcp", "udp"):
                raise ParameterError("protocol", t, "'tcp' or 'udp'")
        self.udp = _uniform(np.array([t == "udp" for t in pu])[pc]) if len(pu) > 1 else pu[0] == "udp"
        self.cats["protocol"] = (pc, pu)
        if np.any(self.udp & (self.test == 2)):
            raise ParameterError("test", "crr", "'stream' or 'rr' with protocol 'udp'")
        # numbers
        self.streams = _num("streams", g("streams"), 1)
        _first_bad("streams", self.streams, np.isfinite(self.streams) & (self.streams >= 1), ">= 1")
        self.cores = _num("cores", g("cores"), np.nan)
        _first_bad("cores", self.cores, np.isnan(self.cores) | (self.cores > 0), "> 0 (or NaN: one per stream)")
        self.load = check_load(_num("load", g("load"), 0.0))
        self.loss = _num("loss_rate", g("loss_rate"), 0.0)
        _first_bad("loss_rate", self.loss, np.isfinite(self.loss) & (self.loss >= 0) & (self.loss < 1), "0 <= p < 1")
        burst = _num("shaper_burst_bytes", g("shaper_burst_bytes"), np.nan)
        _first_bad("shaper_burst_bytes", burst, np.isnan(burst) | (burst >= 0), ">= 0 bytes (NaN: a physical link)")
        self.burst = _uniform(np.where(np.isnan(burst), 0.0, burst)) if np.ndim(burst) else \
            (0.0 if np.isnan(burst) else float(burst))
        self.rtx = _num("retransmit_fraction", g("retransmit_fraction"), 0.0)
        _first_bad("retransmit_fraction", self.rtx, np.isfinite(self.rtx) & (self.rtx >= 0) & (self.rtx < 1),
                   "0 <= fraction < 1")
        self.extra = _num("extra_rtt_s", g("extra_rtt_s"), 0.0)
        _first_bad("extra_rtt_s", self.extra, np.isfinite(self.extra) & (self.extra >= 0), ">= 0 s")
        rate = _num("link_rate_bps", g("link_rate_bps"), 10e9)
        _first_bad("link_rate_bps", rate, np.isnan(rate) | (rate > 0), "> 0 bit/s (NaN or inf: unshaped)")
        self.rate = np.where(np.isnan(rate), np.inf, rate)
        self.offload = _uniform(_bool("offload", g("offload")))
        msg = _num("msg_size_bytes", g("msg_size_bytes"), np.nan)
        _first_bad("msg_size_bytes", msg, np.isnan(msg) | ((msg >= 0) & np.isfinite(msg)), ">= 0 bytes")
        resp = _num("response_size_bytes", g("response_size_bytes"), np.nan)
        _first_bad("response_size_bytes", resp, np.isnan(resp) | ((resp >= 0) & np.isfinite(resp)), ">= 0 bytes")
        self.msg_raw = msg
        self.msg = np.where(np.isnan(msg), 1.0, msg)
        self.send = _uniform(np.where(np.isnan(msg), DEFAULT_SEND_BYTES, np.maximum(msg, 1.0)))
        self.resp = self.msg if np.isnan(resp).all() else np.where(np.isnan(resp), self.msg, resp)
        self._bytes(cols, g)

    def _bytes(self, cols, g):
        """Byte model (cnimodel.overhead) on the unique (path, encap, MTUs, IP, accounting)
        combinations, gathered back to the rows."""
        enc_u = [p.encap for p in self.paths]
        enc_override = cols.get("encap")
        if enc_override is None or (_is_scalar(enc_override) and pd.isna(enc_override)):
            ecodes, euniq = pd.factorize(np.asarray(enc_u, dtype=object))
            ecode_rows = np.asarray(ecodes)[self.codes]
            self.cats["encap"] = (ecode_rows, list(euniq))
        else:
            e = enc_override if _is_scalar(enc_override) else np.asarray(enc_override, dtype=object)
            if not _is_scalar(e):
                miss = pd.isna(e)
                if miss.any():
                    e = np.where(miss, np.asarray(enc_u, dtype=object)[self.codes], e)
            ecode_rows, euniq = _factorize("encap", e)
        acc_codes, acc_u = _factorize("accounting", g("accounting"))
        for a in acc_u:
            ov.framing_bytes(a)  # validates
        self.cats["accounting"] = (acc_codes, [str(a) for a in acc_u])
        keys = [(self.codes, len(self.paths)), (ecode_rows, len(euniq)), (acc_codes, len(acc_u))]
        num_u = {}
        for name, default in (("underlay_mtu_bytes", 1500.0), ("pod_mtu_bytes", np.nan),
                              ("ip_version", 4.0)):
            v = _num(name, g(name), default)
            if v.ndim == 0:
                num_u[name] = (np.int64(0), v.reshape(1))
            else:
                codes, uniq = pd.factorize(v, use_na_sentinel=False)
                num_u[name] = (np.asarray(codes), np.asarray(uniq, float))
            keys.append((num_u[name][0], len(num_u[name][1])))
        combo = np.int64(0)
        for codes, size in keys:
            combo = combo * size + codes
        if np.ndim(combo) == 0:
            grp, first = np.int64(0), np.zeros(1, dtype=np.int64)
        else:
            grp, uniq = pd.factorize(combo)
            grp = np.asarray(grp)
            first = np.empty(len(uniq), dtype=np.int64)
            first[grp[::-1]] = np.arange(len(grp) - 1, -1, -1)
        pick = lambda codes: np.broadcast_to(codes, (self.n,))[first] if np.ndim(codes) else np.zeros(len(first), int)  # noqa: E731
        enc = np.asarray(euniq, dtype=object)[pick(ecode_rows)]
        under = num_u["underlay_mtu_bytes"][1][pick(num_u["underlay_mtu_bytes"][0])]
        pod_req = num_u["pod_mtu_bytes"][1][pick(num_u["pod_mtu_bytes"][0])]
        ipv = num_u["ip_version"][1][pick(num_u["ip_version"][0])]
        acc = np.asarray(acc_u, dtype=object)[pick(acc_codes)]
        pod = None
        if not np.isnan(pod_req).all():
            maxpod = under - ov.encap_overhead_bytes(enc, ov._ip_version("ip_version", ipv))
            pod = np.where(np.isnan(pod_req), maxpod, pod_req)
        r = ov.summarize(encap=enc, underlay_mtu_bytes=under, ip_version=ipv, protocol="tcp",
                         accounting="wire", pod_mtu_bytes=pod, on_misconfig="flag", _skip_rate=True)
        extra = np.array([ov.framing_bytes(a) - ov.framing_bytes("wire") for a in acc], float)
        frame = np.asarray(r["frame_bytes"], float) + extra
        pod_g = np.asarray(r["pod_mtu_bytes"], float)
        mss_g = np.asarray(r["payload_per_packet_bytes"], float)
        udp_max_g = pod_g - ov.transport_header_bytes("udp", ipv)
        take = lambda a: a[grp]  # noqa: E731
        self.pod, self.mss = take(pod_g), take(mss_g)
        self.max_pod = take(np.asarray(r["max_pod_mtu_bytes"], float))
        mis = np.asarray(r["mtu_misconfigured"], bool)
        self.misconfig = take(mis) if mis.any() else False
        udp_max = take(udp_max_g)
        self.tcp_ovh = take(frame - mss_g)               # headers + encap + framing per packet
        self.udp_ovh = take(frame - udp_max_g)
        eff_tcp = take(np.where(mis, np.nan, mss_g / frame))
        if _any(self.udp):
            self.udp_d = np.where(np.isnan(self.msg_raw), udp_max, np.clip(self.msg_raw, 1, udp_max))
            self.payload = _w(self.udp, udp_max, self.mss)
            self.ovh = _w(self.udp, self.udp_ovh, self.tcp_ovh)
            self.eff = _w(self.udp, self.udp_d / (self.udp_d + self.udp_ovh), eff_tcp)
        else:
            self.udp_d = udp_max
            self.payload, self.ovh, self.eff = self.mss, self.tcp_ovh, eff_tcp

    def wire_bytes(self, m):
        """Bytes charged on the link for a message of m bytes (ceil(m / payload) packets)."""
        return m + np.maximum(1.0, np.ceil(m / self.payload)) * self.ovh


# --------------------------------------------------------------------------- evaluation
def _evaluate(params, d: _Design, queue=None, lean=False):
    """All model outputs for a design (flat arrays or 0-d values); ``lean`` (True or a
    quantile such as 0.5): only the mean latency (or that quantile, returned under the same
    key) and throughput (what a calibration needs)."""
    p = params if params is not None else ModelParams()
    if not isinstance(p, ModelParams):
        raise ParameterError("params", type(p).__name__, "a cnimodel.params.ModelParams")
    qn = queue or p.queue
    lat_u = d.counts_u @ np.array([p.hop_latency_s[h] for h in _HOPS])
    cpu_vec = np.array([p.hop_cpu_s[h] for h in _HOPS])
    cpu_u = d.counts_u @ cpu_vec
    hop_lat, c_all = lat_u[d.codes], cpu_u[d.codes]
    c_tun = 0.0 if p.tunnel_offload else (d.tun_u @ cpu_vec)[d.codes]
    nan, inf = np.nan, np.inf
    test = d.test
    has_lat = _any(np.asarray(test) > 0)
    has_stream = _any(np.asarray(test) == 0)
    crr = _uniform(test == 2) if np.ndim(test) else test == 2
    is_lat = _w(d.misconfig, False, test > 0) if np.ndim(d.misconfig) == 0 else (test > 0) & ~d.misconfig
    is_stream = _w(d.misconfig, False, test == 0) if np.ndim(d.misconfig) == 0 else (test == 0) & ~d.misconfig
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_rate = _uniform(np.where(np.isinf(d.rate), 0.0, 8.0 / d.rate))
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
        zero = _w(crr, rr0 + p.crr_setup_rtts * rtt + p.crr_connection_s + p.crr_conntrack_s * d.n_nf, rr0)
        fixed = _w(crr, fixed * (1.0 + p.crr_setup_rtts), fixed)
        service = _w(is_lat, zero - fixed, nan)         # NaN propagates to the other rows
        lean_q = () if lean is True or not lean else (float(lean),)
        q = _sojourn(service, d.load, qn, p.service_cv2, fixed, lean_q if lean else (0.5, 0.9, 0.99))
        out["latency_mean_s"] = q["mean_s"] if not lean_q else q[next(k for k in q if k != "mean_s")]
        if lean:
            return _lean_throughput(p, d, out, c_all, c_tun, rtt, is_stream, has_stream)
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
        return _lean_throughput(p, d, out, c_all, c_tun, rtt, is_stream, has_stream)
    # ---- throughput bounds
    c_byte, seg, c_wire = _cpu_cost(p, d, c_all, c_tun)
    per_stream_cpu = 8.0 / c_byte
    cores = d.cores
    if np.ndim(cores) or np.isnan(cores):
        cores = _w(np.isnan(cores), p.cpu_cores if p.cpu_cores else d.streams, cores)
    ncpu = np.minimum(d.streams, cores)
    cpu_all = per_stream_cpu * ncpu
    link = d.rate * d.eff if not _any(d.rtx) else d.rate * d.eff * (1.0 - d.rtx)
    link = _w(d.no_wire, np.inf, link)          # same-node paths cross no link
    if has_stream:
        cpu = _w(d.udp, inf, cpu_all)
        pkt = _w(d.udp, cpu_all, inf)
        window = _w(d.udp, inf, d.streams * (8.0 * p.tcp_window_bytes) / rtt)
        if not _any(d.loss):
            loss = inf
        else:
            if p.loss_model == "pftk":
                lb = pftk_bps(d.mss, rtt, d.loss, b=p.pftk_b, t_rto_s=p.rto_factor * rtt)
            else:
                lb = mathis_bps(d.mss, rtt, d.loss, c=p.mathis_c)
            loss = _w(d.udp, inf, d.streams * lb)
        tput, which = link, 0
        for i, b in enumerate((cpu, window, loss, pkt), start=1):  # ties keep the earlier bound
            if np.ndim(b) == 0 and b == inf:
                continue
            lower = b < tput
            if not lower.any():
                continue
            which = np.where(lower, i, which)
            tput = np.where(lower, b, tput)
        out["throughput_bps"] = _w(is_stream, tput, nan)
        out["bound_code"] = _w(is_stream, np.asarray(which) + 1, 0)
    else:
        out["throughput_bps"], out["bound_code"], window, loss = nan, 0, inf, inf
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
        per_tx = _w(crr, per_tx + 2 * p.crr_setup_rtts * (c_all + c_wire)
                    + p.crr_connection_s, per_tx)
        cores_lat = out["transactions_per_s"] * per_tx
        out["cpu_cores_used"] = _w(is_stream, cores_stream, cores_lat) if has_stream else cores_lat
    else:
        out["cpu_cores_used"] = cores_stream
    out["pod_mtu_bytes"] = d.pod
    out["max_pod_mtu_bytes"] = d.max_pod
    out["mss_bytes"] = _w(d.udp, nan, d.mss)
    out["mtu_misconfigured"] = d.misconfig
    return out


def _cpu_cost(p, d, c_all, c_tun):
    """``(c_byte, seg, c_wire)``: CPU per payload byte of a bulk stream (module docstring of
    :mod:`cnimodel.throughput`), the (super-)packet payload and the per-wire-packet cost."""
    seg = _w(d.offload, np.maximum(p.gso_bytes, d.mss), d.mss)
    c_wire = p.cpu_per_wire_packet_s * d.wire_pkt
    c_byte = p.cpu_per_byte_s + p.cpu_per_call_s / d.send + (c_all - c_tun) / seg + (c_wire + c_tun) / d.mss
    if _any(d.udp):
        c_byte = _w(d.udp, p.cpu_per_byte_s + (c_all + c_wire) / d.udp_d, c_byte)
    return c_byte, seg, c_wire


def _lean_throughput(p, d, out, c_all, c_tun, rtt, is_stream, has_stream):
    """Throughput only (same formulas as :func:`_evaluate`), for the calibration."""
    out["rtt_s"] = rtt
    c_byte = _cpu_cost(p, d, c_all, c_tun)[0]
    cores = d.cores
    if np.ndim(cores) or np.isnan(cores):
        cores = _w(np.isnan(cores), p.cpu_cores if p.cpu_cores else d.streams, cores)
    out["cpu_cost_per_byte_s"] = c_byte
    out["link_bps"] = _w(d.no_wire, np.inf, d.rate * d.eff * (1.0 - d.rtx))
    out["ncpu8"] = 8.0 * np.minimum(d.streams, cores)
    out["window_bits"] = d.streams * (8.0 * p.tcp_window_bytes)
    out["udp"] = d.udp
    if not has_stream:
        out["throughput_bps"] = np.nan
        return out
    with np.errstate(divide="ignore", invalid="ignore"):
        tput = np.minimum(out["link_bps"], out["ncpu8"] / c_byte)
        tput = _w(d.udp, tput, np.minimum(tput, out["window_bits"] / rtt))
    if _any(d.loss):
        if p.loss_model == "pftk":
            lb = pftk_bps(d.mss, rtt, d.loss, b=p.pftk_b, t_rto_s=p.rto_factor * rtt)
        else:
            lb = mathis_bps(d.mss, rtt, d.loss, c=p.mathis_c)
        tput = _w(d.udp, tput, np.minimum(tput, d.streams * lb))
    out["throughput_bps"] = _w(is_stream, tput, np.nan)
    return out


def _evaluate_frame(params, cols, queue=None):
    """Evaluate columns that may be arrays of any broadcastable shapes (flattened)."""
    arrs = {k: v for k, v in cols.items() if not _is_scalar(v)}
    if arrs:
        arrs_np = {k: (np.asarray(v, dtype=object) if isinstance(v, (list, tuple)) else np.asarray(v))
                   for k, v in arrs.items()}
        shape = np.broadcast_shapes(*(a.shape for a in arrs_np.values()))
        cols = {**cols, **{k: np.broadcast_to(a, shape).ravel() for k, a in arrs_np.items()}}
    c, n, _ = _columns(None, cols)
    d = _Design(c, n)
    out = _evaluate(params, d, queue)
    return {k: np.broadcast_to(v, (n,)) if np.ndim(v) == 0 else v for k, v in out.items()}


def predict(params=None, scenarios=None, **columns) -> pd.DataFrame:
    """Predict throughput, latency and CPU for every scenario row.

    Parameters
    ----------
    params : ModelParams, optional
        Default ``ModelParams()`` (cited defaults); a fitted one from :func:`cnimodel.calibrate.fit`.
    scenarios : DataFrame or dict of columns, optional
        One row per scenario; ``columns`` keyword arguments add or override columns
        (scalars broadcast).  Columns (defaults in :data:`SCENARIO_DEFAULTS`):

        - ``path`` (required): name of a registered path or a :class:`~cnimodel.paths.Path`;
        - ``underlay_mtu_bytes`` [bytes]; ``encap`` (override of the path's encapsulation);
          ``pod_mtu_bytes`` [bytes] (configured; NaN: largest allowed, a larger one is flagged
          in ``mtu_misconfigured`` and gives NaN predictions);
        - ``link_rate_bps`` [bit/s] (NaN or inf: unshaped, no link bound / serialization);
          ``accounting`` ('wire' | 'l2'); ``ip_version`` (4 | 6); ``protocol`` ('tcp' | 'udp');
        - ``test`` ('stream' | 'rr' | 'crr'); ``msg_size_bytes`` [bytes] (rr/crr request;
          UDP datagram; TCP stream: the send size, one ``send()`` call each; NaN: 1 byte for
          rr, the largest datagram for UDP, 128 KiB (iperf3's default) for a TCP stream);
          ``response_size_bytes`` [bytes] (default = request);
        - ``streams`` [1]; ``cores`` [1] (NaN: one per stream); ``offload`` (TSO/GSO/GRO);
        - ``load`` utilisation rho of the path's bottleneck, ``0 <= rho < 1`` [1];
        - ``loss_rate`` [1] (random loss, for the loss bound); ``extra_rtt_s`` [s];
        - ``retransmit_fraction`` [1]: share of transmitted segments that are retransmissions
          (an observed input, e.g. iperf3 ``retransmits``); they occupy the link, so the link
          bound becomes ``link_rate_bps * efficiency * (1 - retransmit_fraction)``;
        - ``shaper_burst_bytes`` [bytes]: the link is a token-bucket shaper (``tc tbf``) with this
          bucket: a message's first ``burst`` wire bytes leave without waiting for tokens
          (NaN: a physical link, every byte serialized at ``link_rate_bps``);
        - ``wire_kind`` ('nic' | 'veth'): what connects the nodes.  A NIC receives MTU-sized
          frames (``cpu_per_wire_packet_s`` each, even with TSO/GRO); a veth wire, like a
          same-node path, carries the GSO super-packets whole, so that cost is not charged.
        Same-node paths (no ``wire`` hop) have no link bound and no serialization.

    Returns
    -------
    DataFrame
        The scenario columns (defaults filled in) followed by ``max_pod_mtu_bytes`` (the
        largest pod MTU the underlay carries after encapsulation), ``pod_mtu_bytes``, ``mss_bytes``
        [bytes], ``throughput_bps`` [bit/s] (stream rows), ``bound`` ('link' | 'cpu' | 'window'
        | 'loss' | 'packet_rate'; '' for rr/crr rows), ``goodput_bound_bps``, ``cpu_bound_bps``
        [bit/s], ``latency_mean_s``, ``latency_p50_s``, ``latency_p90_s``, ``latency_p99_s`` [s]
        and ``transactions_per_s`` [1/s] (rr/crr rows), ``cpu_cores_used`` [cores],
        ``mtu_misconfigured`` (bool), ``service_s`` [s] (queue service time).  Columns of a
        ``scenarios`` frame that carry these names (a measured dataset) are kept as
        ``<name>_measured``, so measured and predicted sit side by side.

    Examples
    --------
    >>> df = predict(path="overlay", test="rr", load=[0.0, 0.5, 0.9])
    >>> bool(df.latency_p99_s.is_monotonic_increasing)
    True
    """
    c, n, frame = _columns(scenarios, columns)
    d = _Design(c, n)
    out = _evaluate(params, d)
    data = {}
    for k in list(SCENARIO_DEFAULTS) + [k for k in (frame.columns if frame is not None else ())
                                        if k not in SCENARIO_DEFAULTS] + list(c):
        if k in data or k in OUTPUT_COLUMNS:
            continue
        if k in d.cats:
            codes, cats = d.cats[k]
            if len(set(cats)) == len(cats) and all(isinstance(x, str) for x in cats):
                data[k] = pd.Categorical.from_codes(np.broadcast_to(codes, (n,)), categories=cats)
                continue
        v = c.get(k, SCENARIO_DEFAULTS.get(k))
        if k == "encap" and (v is None or (_is_scalar(v) and pd.isna(v))):
            v = np.asarray([p.encap for p in d.paths], dtype=object)[np.broadcast_to(d.codes, (n,))]
        data[k] = _full(v, n)
    if frame is not None:  # measured values of a dataset frame stay, beside the predictions
        for k in OUTPUT_COLUMNS + ("service_s",):
            if k in frame.columns and k not in SCENARIO_DEFAULTS:
                data[f"{k}_measured"] = frame[k].to_numpy()
    for k in OUTPUT_COLUMNS + ("service_s",):
        if k == "bound":
            data[k] = pd.Categorical.from_codes(np.broadcast_to(out["bound_code"], (n,)),
                                                categories=list(_BOUND_CATS))
        else:
            data[k] = np.broadcast_to(out[k], (n,))
    return pd.DataFrame(data, copy=False)


def _full(v, n):
    if isinstance(v, (pd.Categorical,)):
        return v
    if isinstance(v, pd.Series):
        return v.array
    if _is_scalar(v):
        if isinstance(v, str) or v is None:
            return pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=[v]) \
                if v is not None else np.full(n, None, dtype=object)
        return np.full(n, v)
    return np.asarray(v)

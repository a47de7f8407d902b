"""The fittable rows of a tidy dataset and their scenario frame (what :func:`~cnimodel.calibrate.fit`
compares the model with).

One definition of a fittable row (:func:`fittable_rows`): a request/response (TCP or UDP RR,
TCP CRR) with a positive mean latency (or a transaction rate), or a TCP bulk stream with a
positive throughput (UDP streams are excluded: iperf3 offers a fixed rate); see
:data:`QUANTITIES`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..overhead import encap_overhead_bytes
from ..paths import get_path

__all__ = ["QUANTITIES", "LAB_SHAPER_BURST_BYTES", "prepare", "fittable_rows", "measured_values"]

#: Quantities that can be fitted: (label, test, protocol, measured column).
QUANTITIES = (
    ("tcp_rr_latency", "rr", "tcp", "latency_mean_s"),
    ("udp_rr_latency", "rr", "udp", "latency_mean_s"),
    ("tcp_crr_latency", "crr", "tcp", "latency_mean_s"),
    ("tcp_stream_throughput", "stream", "tcp", "throughput_bps"),
)
#: Bucket of the ``tc tbf`` shaper of every dataset ``cnimodel lab`` wrote before it recorded
#: the ``shaper_burst_bytes`` label (1 MiB, ``TbfShaper.burst_bytes`` in cnimodel/lab/topology.py;
#: a test keeps the two equal) [bytes].
LAB_SHAPER_BURST_BYTES = float(1 << 20)


def prepare(df: pd.DataFrame, *, accounting=None, quantities=None, shaper_burst_bytes=None,
            latency_stat="mean") -> tuple:
    """Scenario frame and measured values of the fittable rows of a tidy dataset.

    Returns ``(scenarios, measured, quantity)``: ``scenarios`` has the :func:`predict`
    columns (``underlay_mtu_bytes``, ``link_rate_bps`` (NaN: unshaped), ``accounting``,
    ``pod_mtu_bytes`` from the measured ``pmtu_bytes`` or ``mss_bytes + 52`` of the same
    path and condition, ``encap`` when labelled, ``retransmit_fraction`` of TCP stream rows
    from ``retransmits / (segments delivered + retransmits)``) plus the label columns.
    """
    if not isinstance(df, pd.DataFrame):
        raise ParameterError("dataset", type(df).__name__, "a tidy DataFrame")
    for col in ("path", "test"):
        if col not in df:
            raise ParameterError("dataset column", col, "present (tidy schema)")
    d = df.reset_index(drop=True)
    meas, qname, test, proto = measured_values(d, quantities, latency_stat)
    ok = qname.notna() & np.isfinite(meas) & (meas > 0)
    d, meas, qname = d[ok].reset_index(drop=True), meas[ok].reset_index(drop=True), qname[ok].reset_index(drop=True)
    if d.empty:
        raise ParameterError("dataset", "no fittable rows",
                             "rows with test rr/crr and latency_mean_s, or tcp stream throughput_bps")
    sc = pd.DataFrame({"path": d["path"].astype(str).to_numpy(), "test": test[ok].to_numpy(),
                       "protocol": proto[ok].to_numpy()})
    shaped = _shaped(d)
    for col, default in (("underlay_mtu_bytes", 1500.0), ("link_rate_bps", np.nan),
                         ("msg_size_bytes", np.nan), ("streams", 1.0)):
        sc[col] = pd.to_numeric(d[col], errors="coerce").to_numpy(dtype=float) if col in d else default
    sc["underlay_mtu_bytes"] = sc["underlay_mtu_bytes"].fillna(1500.0)
    sc["streams"] = sc["streams"].fillna(1.0)
    # TCP stream rows keep their send size (netperf -m / "Local Send Size"); UDP stream rows
    # are modelled with full datagrams
    sc.loc[(sc.test == "stream") & (sc.protocol == "udp"), "msg_size_bytes"] = np.nan
    if shaper_burst_bytes is not None:  # shaped rows: a token bucket, not a physical link
        sc["shaper_burst_bytes"] = np.where(np.isfinite(sc["link_rate_bps"]), float(shaper_burst_bytes), np.nan)
    elif "shaper_burst_bytes" in d:
        sc["shaper_burst_bytes"] = pd.to_numeric(d["shaper_burst_bytes"], errors="coerce").to_numpy(dtype=float)
    elif shaped is not None:
        sc["shaper_burst_bytes"] = np.where(shaped & np.isfinite(sc["link_rate_bps"]), LAB_SHAPER_BURST_BYTES, np.nan)
    if "response_size_bytes" in d:
        sc["response_size_bytes"] = pd.to_numeric(d["response_size_bytes"], errors="coerce").to_numpy()
    if accounting is not None:
        sc["accounting"] = accounting
    elif "accounting" in d:
        sc["accounting"] = d["accounting"].fillna("wire").astype(str).to_numpy()
    elif shaped is not None:  # cnimodel lab datasets: tc tbf counts L2 bytes
        sc["accounting"] = np.where(shaped, "l2", "wire")
    if "wire_kind" in d:  # a dataset label (cnimodel lab: veth)
        sc["wire_kind"] = d["wire_kind"].astype(object).where(d["wire_kind"].notna(), "nic").to_numpy()
    if "encap" in d:
        sc["encap"] = d["encap"].astype(object).where(d["encap"].notna(), None).to_numpy()
    sc["pod_mtu_bytes"] = _measured_pod_mtu(d, sc)
    if "pod_mtu_bytes" in d:  # a dataset label (the configured pod MTU) wins over the reading
        lab = pd.to_numeric(d["pod_mtu_bytes"], errors="coerce").to_numpy(dtype=float)
        sc["pod_mtu_bytes"] = np.where(np.isfinite(lab), lab, sc["pod_mtu_bytes"])
    sc["retransmit_fraction"] = _retransmit_fraction(d, sc)
    for col in ("netfilter_rules", "node_cores", "rx_queues"):  # dataset labels of the regimes
        if col in d:
            sc[col] = pd.to_numeric(d[col], errors="coerce").to_numpy(dtype=float)
    if "netfilter_rules" in d:  # rows of conditions without the label: no rules
        sc["netfilter_rules"] = np.nan_to_num(sc["netfilter_rules"].to_numpy(dtype=float), nan=0.0)
    for col in ("csum_offload", "rx_flow_entropy"):
        if col in d:
            sc[col] = d[col].astype(object).where(d[col].notna(), None).to_numpy()
    labels = [c for c in ("condition", "session", "cni", "repetition", "source_file") if c in d]
    for c in labels:
        sc[c] = d[c].to_numpy()
    if "session" not in sc and "condition" in sc:
        sc["session"] = sc["condition"]
    return sc, meas.to_numpy(dtype=float), qname.to_numpy(dtype=object)


def _shaped(d):
    """Boolean array from a ``shaped`` label (written by ``cnimodel lab``), else None."""
    if "shaped" not in d:
        return None
    v = d["shaped"]
    if v.dtype == object or str(v.dtype) in ("string", "str"):
        return v.astype(str).str.lower().isin(("true", "1", "yes")).to_numpy()
    return v.fillna(False).astype(bool).to_numpy()


def _retransmit_fraction(d, sc):
    """Retransmitted / transmitted segments of TCP stream rows (0 where not measured)."""
    need = ("retransmits", "duration_s", "throughput_bps")
    if not all(c in d for c in need):
        return 0.0
    rtx = pd.to_numeric(d["retransmits"], errors="coerce").to_numpy(dtype=float)
    dur = pd.to_numeric(d["duration_s"], errors="coerce").to_numpy(dtype=float)
    tp = pd.to_numeric(d["throughput_bps"], errors="coerce").to_numpy(dtype=float)
    mss = pd.to_numeric(d["mss_bytes"], errors="coerce").to_numpy(dtype=float) if "mss_bytes" in d \
        else np.full(len(d), np.nan)
    mss = np.where(np.isfinite(mss) & (mss > 0), mss, 1448.0)
    segs = tp * dur / 8.0 / mss
    with np.errstate(invalid="ignore", divide="ignore"):
        f = rtx / (segs + rtx)
    ok = np.isfinite(f) & (f >= 0) & (f < 1) & (sc["test"].to_numpy() == "stream")
    return np.where(ok, f, 0.0)


def _measured_pod_mtu(d, sc):
    """Pod MTU seen by the measurement (pmtu, else MSS + 52) per path and condition; NaN if none."""
    pm = pd.to_numeric(d["pmtu_bytes"], errors="coerce") if "pmtu_bytes" in d else pd.Series(np.nan, index=d.index)
    if "mss_bytes" in d:
        mss = pd.to_numeric(d["mss_bytes"], errors="coerce")
        pm = pm.fillna(mss.where(mss > 500) + 52.0)
    keys = [sc["path"], sc["underlay_mtu_bytes"]] + ([d["condition"].astype(str).to_numpy()]
                                                     if "condition" in d else [])
    grp = pd.DataFrame({"pm": pm.to_numpy(), **{f"k{i}": k for i, k in enumerate(keys)}})
    med = grp.groupby([f"k{i}" for i in range(len(keys))], dropna=False)["pm"].transform("median")
    out = med.to_numpy(dtype=float)
    # never beyond what the underlay carries: a too-large reading would flag a misconfiguration
    path_enc = sc["path"].map(lambda p: get_path(p).encap)
    enc = path_enc if "encap" not in sc else sc["encap"].where(sc["encap"].map(
        lambda e: isinstance(e, str)), path_enc)
    ovh = enc.map({e: encap_overhead_bytes(e) for e in pd.unique(enc)}).to_numpy(dtype=float)
    maxpod = sc["underlay_mtu_bytes"].to_numpy() - ovh
    return np.where(np.isfinite(out) & (out <= maxpod) & (out >= 576), out, np.nan)


def measured_values(d, quantities=None, latency_stat="mean"):
    """``(measured, quantity, test, protocol)`` Series of a tidy frame ``d`` (index kept).

    ``quantity`` is the :data:`QUANTITIES` label of each row (NA where the row is not a fitted
    kind); ``measured`` its value: ``latency_mean_s`` (or ``latency_p50_s`` with
    ``latency_stat="p50"``; a missing mean latency falls back to ``1 / transactions_per_s``)
    or ``throughput_bps``.
    """
    if latency_stat not in ("mean", "p50"):
        raise ParameterError("latency_stat", latency_stat, "'mean' or 'p50'")
    test = d["test"].astype("string").str.lower()
    proto = d["protocol"].astype("string").str.lower() if "protocol" in d else pd.Series("tcp", index=d.index)
    proto = proto.fillna("tcp")
    wanted = [q for q in QUANTITIES if quantities is None or q[0] in quantities]
    meas = pd.Series(np.nan, index=d.index)
    qname = pd.Series(pd.NA, index=d.index, dtype="object")
    for label, t, pr, col in wanted:
        m = (test == t) & (proto == pr)
        if col == "latency_mean_s" and latency_stat == "p50":
            col = "latency_p50_s"
        if col not in d:
            continue
        v = pd.to_numeric(d[col], errors="coerce")
        if col == "latency_mean_s" and "transactions_per_s" in d:
            v = v.fillna(1.0 / pd.to_numeric(d["transactions_per_s"], errors="coerce"))
        meas = meas.where(~m.fillna(False), v)
        qname = qname.where(~m.fillna(False), label)
    return meas, qname, test, proto


def fittable_rows(df, quantities=None, latency_stat="mean"):
    """The rows of ``df`` that :func:`prepare` (and so the calibration) uses: a fitted kind
    (:data:`QUANTITIES`) with a finite positive measured value.

    >>> import pandas as pd
    >>> df = pd.DataFrame({"path": "host", "test": ["rr", "crr", "stream", "stream"],
    ...                    "protocol": ["tcp", "udp", "tcp", "udp"],
    ...                    "latency_mean_s": [50e-6, 60e-6, None, None],
    ...                    "throughput_bps": [None, None, 9e9, 1e9]})
    >>> fittable_rows(df)[["test", "protocol"]].values.tolist()
    [['rr', 'tcp'], ['stream', 'tcp']]
    """
    if "test" not in df.columns:
        return df.iloc[0:0]
    meas, qname, _, _ = measured_values(df, quantities, latency_stat)
    ok = qname.notna() & np.isfinite(meas) & (meas > 0)
    return df[ok.to_numpy()]

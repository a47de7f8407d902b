"""The tidy schema every reader returns: one row per measured run.

Defined once here; ``docs/data-dictionary.md`` is generated from / kept in sync
with :data:`COLUMNS`.  Units are SI base units and every name carries its unit.
Missing values are NaN (or None / NaT for text and time), never 0.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Column", "COLUMNS", "COLUMN_NAMES", "INTERVAL_COLUMNS", "empty_frame", "conform"]


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str          # pandas dtype: "string", "float64", "Int64", "datetime64[ns, UTC]", "boolean"
    unit: str           # "" for dimensionless / labels
    description: str


COLUMNS: tuple = (
    Column("path", "string", "", "data path label: host, bridge, overlay, routing, underlay or user label"),
    Column("tool", "string", "", "iperf3, iperf2, netperf, k8s-netperf, knb, flent"),
    Column("tool_version", "string", "", "version string reported by the tool, if any"),
    Column("test", "string", "", "stream (bulk), rr (request/response), crr (connect/request/response)"),
    Column("protocol", "string", "", "tcp or udp"),
    Column("direction", "string", "", "send (local side sends), receive (local receives, iperf3 -R), bidir"),
    Column("streams", "Int64", "", "parallel streams / connections"),
    Column("msg_size_bytes", "float64", "byte", "application message (request) size; NaN for bulk defaults"),
    Column("duration_s", "float64", "s", "measured duration (omitted intervals excluded)"),
    Column("throughput_bps", "float64", "bit/s", "goodput; for UDP the RECEIVED rate"),
    Column("transactions_per_s", "float64", "1/s", "request/response transactions (or connections for crr) per second"),
    Column("latency_mean_s", "float64", "s", "mean round-trip / transaction latency (never send-call time)"),
    Column("latency_p50_s", "float64", "s", "median transaction latency"),
    Column("latency_p90_s", "float64", "s", "90th percentile transaction latency"),
    Column("latency_p99_s", "float64", "s", "99th percentile transaction latency"),
    Column("retransmits", "float64", "", "TCP retransmitted segments"),
    Column("lost_fraction", "float64", "", "UDP datagrams lost / sent, 0..1"),
    Column("jitter_s", "float64", "s", "UDP jitter (RFC 3550)"),
    Column("mss_bytes", "float64", "byte", "TCP maximum segment size (payload per segment)"),
    Column("pmtu_bytes", "float64", "byte", "path MTU seen by the sender (iperf3 pmtu)"),
    Column("cpu_local_fraction", "float64", "", "local CPU utilisation, fraction of the machine (1.0 = all cores)"),
    Column("cpu_remote_fraction", "float64", "", "remote CPU utilisation, fraction of the machine"),
    Column("timestamp", "datetime64[ns, UTC]", "", "start time of the run"),
    Column("source_file", "string", "", "file the row was read from"),
    Column("format", "string", "", "reader that produced the row (iperf3, netperf-omni-csv, ...)"),
    Column("record", "Int64", "", "index of the run within its file (0 for single-run files)"),
)

COLUMN_NAMES: tuple = tuple(c.name for c in COLUMNS)

#: Per-interval frame (optional second output of readers that have intervals).
INTERVAL_COLUMNS: tuple = (
    Column("source_file", "string", "", "file"),
    Column("record", "Int64", "", "run index within the file"),
    Column("stream", "string", "", "stream id or 'sum'"),
    Column("start_s", "float64", "s", "interval start, relative to test start"),
    Column("end_s", "float64", "s", "interval end"),
    Column("throughput_bps", "float64", "bit/s", "interval throughput"),
    Column("retransmits", "float64", "", "retransmits in the interval"),
    Column("rtt_s", "float64", "s", "smoothed RTT at interval end (iperf3 rtt is in microseconds)"),
    Column("snd_cwnd_bytes", "float64", "byte", "congestion window"),
    Column("omitted", "boolean", "", "interval inside iperf3 --omit"),
)


def empty_frame(columns=COLUMNS):
    """An empty DataFrame with the schema's columns and dtypes."""
    import pandas as pd

    return pd.DataFrame({c.name: pd.Series(dtype=c.dtype) for c in columns})


def conform(df, columns=COLUMNS):
    """Return ``df`` with every schema column present (NaN-filled), schema dtypes, schema
    columns first and any extra label columns (``condition``, ``cni`` ...) kept after them."""
    import pandas as pd

    out = df.copy()
    for c in columns:
        if c.name not in out:
            out[c.name] = pd.Series([np.nan] * len(out), index=out.index, dtype="float64")
        if c.dtype.startswith("datetime"):
            out[c.name] = pd.to_datetime(out[c.name], utc=True)
        else:
            out[c.name] = out[c.name].astype(c.dtype)
    names = [c.name for c in columns]
    return out[names + [k for k in out.columns if k not in names]]

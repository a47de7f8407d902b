"""Reader of iperf 2 CSV output (``-y C``), 2.0.x and the 2.1+ enhanced form with a header line.

One row per transfer: the whole-test summary line of each transfer id (the line
starting at 0.0 that spans the longest interval; iperf prints it last).  With
``-P N`` the ``id -1`` (SUM) summary gives the row and ``streams=N``; without a
SUM line the per-stream summaries are added up.  A UDP server report (fields
``jitter_ms, lost, total, lost_percent, out_of_order`` after the 9 base fields)
gives the RECEIVER's rate, ``lost_fraction`` and ``jitter_s``.

Columns are located by header names when the enhanced header line is present,
else by the documented 2.0 positions, and every line is checked (the interval
field must read ``start-end``).  ``direction`` (from the first line): ``receive`` when the local port
is lower than the remote one (the server side, port 5001 by default), else
``send``.  ``protocol`` is ``udp`` when UDP report fields are present, else
``tcp`` (2.0 CSV does not say; a client-only UDP file without its server report
would read as tcp: label it in dataset.yaml).  The CSV time stamp is the host's
local time without zone; it is stored as if UTC.
"""
from __future__ import annotations

import calendar
import re
import time

from ..errors import DataFormatError
from . import _common as C

__all__ = ["read_iperf2", "parse_iperf2"]

_ALIASES = {
    "time": ("time", "timestamp"), "local_port": ("srcport", "src_port", "local_port"),
    "remote_port": ("dstport", "dst_port", "remote_port"),
    "id": ("transferid", "transfer_id", "id"), "interval": ("interval",),
    "istart": ("istart", "interval_start"), "iend": ("iend", "interval_end"),
    "bytes": ("bytes", "transfer"), "bps": ("speed", "bits_per_second", "bandwidth", "bitrate"),
    "jitter_ms": ("jitter", "jitter_ms"), "lost": ("lost", "lostdatagrams", "lost_datagrams"),
    "total": ("total", "datagrams", "total_datagrams"), "retry": ("tcpretry", "retry", "retransmits"),
    "rtt_us": ("tcprtt", "rtt"),
}
_POS = {"time": 0, "local_port": 2, "remote_port": 4, "id": 5, "interval": 6, "bytes": 7,
        "bps": 8, "jitter_ms": 9, "lost": 10, "total": 11}
_INTERVAL = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*-\s*(-?\d+(?:\.\d+)?)\s*$")


def read_iperf2(path_or_buffer, source: str | None = None):
    """Read iperf 2 ``-y C`` CSV into the tidy schema.

    Examples
    --------
    >>> csv = (b"20200316143919,10.0.0.1,34002,10.0.0.2,5001,3,0.0-1.0,1250000,10000000\\n"
    ...        b"20200316143920,10.0.0.1,34002,10.0.0.2,5001,3,0.0-2.0,2500000,9999000\\n")
    >>> r = read_iperf2(csv).iloc[0]
    >>> print(r.protocol, r.direction, r.throughput_bps, r.duration_s)
    tcp send 9999000.0 2.0
    """
    from .schema import frame_from_rows

    data, name = C.read_bytes(path_or_buffer, source)
    return frame_from_rows(parse_iperf2(data, name))


def _columns(header):
    low = [h.strip().lower().replace(" ", "") for h in header]
    pos = {}
    for key, names in _ALIASES.items():
        for n in names:
            if n in low:
                pos[key] = low.index(n)
                break
    return pos


def parse_iperf2(data: bytes, name: str) -> list:
    lines = C.text(data, name).splitlines()
    pos, enhanced = dict(_POS), False
    recs = []
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        f = line.split(",")
        if not f[0].strip()[:1].isdigit():
            if recs or enhanced:
                raise DataFormatError(name, f"line {lineno}", "an iperf2 CSV report line",
                                      found=repr(line[:60]))
            pos, enhanced = _columns(f), True
            missing = [k for k in ("id", "bytes", "bps") if k not in pos]
            if missing or not ("interval" in pos or "istart" in pos):
                raise DataFormatError(name, "line 1", "an iperf2 CSV header naming transferid, "
                                      "interval (or istart/iend), bytes and speed columns",
                                      found=repr(line[:80]))
            continue
        recs.append(_record(f, pos, name, lineno, enhanced))
    if not recs:
        raise DataFormatError(name, "line 1", "iperf2 CSV report lines (-y C)", found="none")
    return _rows(recs, name, "iperf2-enhanced" if enhanced else "iperf2-csv")


def _record(f, pos, name, lineno, enhanced):
    where = f"line {lineno}"

    def field(key, required=True):
        i = pos.get(key)
        if i is None or i >= len(f) or f[i].strip() == "":
            if required:
                raise DataFormatError(name, where, f"the {key} field (column {i + 1 if i is not None else '?'})",
                                      found=f"{len(f)} fields")
            return None
        return f[i].strip()

    if len(f) < 9 and not enhanced:
        raise DataFormatError(name, where, "at least 9 comma-separated fields (iperf2 -y C)",
                              found=f"{len(f)}")
    if "interval" in pos or not enhanced:
        m = _INTERVAL.match(field("interval"))
        if not m:
            raise DataFormatError(name, where + " field 7", "an interval 'start-end'",
                                  found=repr(field("interval")))
        t0, t1 = float(m.group(1)), float(m.group(2))
    else:
        t0 = C.fnum(field("istart"), name, where + " istart")
        t1 = C.fnum(field("iend"), name, where + " iend")
    r = {"t0": t0, "t1": t1, "line": lineno,
         "id": field("id"),
         "bytes": C.fnum(field("bytes"), name, where + " bytes"),
         "bps": C.fnum(field("bps"), name, where + " bits_per_second"),
         "lport": C.fnum(field("local_port", False) or "nan", name, where + " port"),
         "rport": C.fnum(field("remote_port", False) or "nan", name, where + " port"),
         "time": field("time", False)}
    udp = (not enhanced and len(f) >= 14) or (enhanced and field("lost", False) is not None)
    if udp:
        r["jitter_ms"] = C.fnum(field("jitter_ms"), name, where + " jitter_ms")
        r["lost"] = C.fnum(field("lost"), name, where + " lost")
        r["total"] = C.fnum(field("total"), name, where + " total")
    if enhanced and field("retry", False) is not None:
        r["retry"] = C.fnum(field("retry"), name, where + " tcpretry")
    return r


def _stamp(s):
    if not s or not s[:14].isdigit() or len(s) < 14:
        return None
    try:
        return float(calendar.timegm(time.strptime(s[:14], "%Y%m%d%H%M%S")))
    except ValueError:
        return None


def _summary(recs):
    best = None
    for r in recs:
        if r["t0"] == 0.0 and (best is None or r["t1"] >= best["t1"]):
            best = r
    return best


def _rows(recs, name, fmt):
    by_id = {}
    for r in recs:
        by_id.setdefault(r["id"], []).append(r)
    udp_any = any("lost" in r for r in recs)
    if "-1" in by_id:
        sums = [_summary(by_id["-1"])]
        streams = len([k for k in by_id if k != "-1"])
    else:
        sums = [_summary(v) for v in by_id.values()]
        streams = len(sums)
    if any(s is None for s in sums):
        raise DataFormatError(name, f"line {recs[-1]['line']}", "a whole-test summary line "
                              "(interval starting at 0.0) for every transfer", found="none")
    # UDP: prefer the receiver's (server report) line of each transfer
    if udp_any:
        rep = [r for r in recs if "lost" in r and r["t0"] == 0.0]
        if rep:
            sums = [max(rep, key=lambda r: r["t1"])] if "-1" not in by_id else sums
    first = sums[0]
    row = C.base_row("iperf2", fmt, name, 0)
    row.update(test="stream", protocol="udp" if udp_any else "tcp", streams=streams,
               direction="receive" if recs[0]["lport"] < recs[0]["rport"] else "send",
               throughput_bps=sum(s["bps"] for s in sums),
               duration_s=max(s["t1"] - s["t0"] for s in sums), timestamp=_stamp(recs[0]["time"]))
    if "lost" in first:
        tot = sum(s["total"] for s in sums)
        row["lost_fraction"] = sum(s["lost"] for s in sums) / tot if tot > 0 else None
        row["jitter_s"] = first["jitter_ms"] / 1000.0
    if "retry" in first:
        row["retransmits"] = sum(s.get("retry", 0.0) for s in sums)
    return [row]

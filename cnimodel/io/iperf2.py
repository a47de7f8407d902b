"""Reader of iperf 2 CSV output (``-y C``): 2.0.x, 2.1.x and the 2.2+ form with a header line.

What the versions print (checked against real 2.1.8 output, ``tests/data/io/README.md``):

* every line: ``time, addr, port, addr, port, transfer id, interval, bytes,
  bits_per_second`` (bytes in bytes, rates in bit/s); UDP lines add ``jitter_ms,
  lost, total, lost_percent, out_of_order``.  2.1.x ``-e`` adds milliseconds to the
  time; 2.1.9+ prefixes the time with the UTC offset (``+0000:``); 2.2+ prints a
  header line (``time,srcaddress,...,istart,iend,bytes,speed,...``, UDP counts
  named ``jitter, errors, datagrams``) and splits the interval into ``istart, iend``.
* which address comes first: 2.0 prints the local end first; 2.1+ prints the
  SENDER of the data first, on both sides (so a 2.1+ server's file looks like its client's).
* 2.1.8 prints no SUM (``id -1``) lines in CSV, even with ``-P`` or ``--sum-only``;
  its UDP client does not print the server's report (only ``total = -1`` in its
  own summary line); the time of a summary without ``-i`` is 1970-01-01 (unset).
* a server of ``-d`` / ``-r`` prints a text banner (``-----``, ``Client connecting
  to ...``) into its CSV output: skipped.
* 2.2+ prints one header per kind of report (a bidirectional run: a write and a
  read header): each line is read with the latest header of its width.

One row per direction of a transfer: the whole-test summary line of each stream (the
line starting at 0.0 that reaches the end of the stream's intervals; iperf prints it
last).  Streams of one direction are added up (``streams=N``), or, if the file
has SUM lines and one direction only, the SUM summary gives the row.
``direction``: the first stream's ports decide (the lower port, the server's
5001, first -> ``receive``, else ``send``); a stream printed with the addresses
swapped goes the other way (``-d``, ``-r``, ``--full-duplex``: two rows, ``bidir=True``
when the two directions' lines interleave).  So the direction is the local side's
for 2.0 files and for client files of every version; a 2.1+ SERVER file reads as
its client's view (``send`` for a plain test): label it in dataset.yaml.

UDP: the row's rate, ``lost_fraction`` and ``jitter_s`` come only from a
RECEIVER's report (the server's file, the 2.0 client's relayed server report, a
``-R`` client): a sender's own report (2.1.8 client, 2.2 client with a
``writecnt`` header) gives NaN for all three, never the sent rate.  With several
streams: rates and lost / total counts are added, jitter is their mean.
``protocol`` is ``udp`` when UDP fields are present, else ``tcp`` (a 2.0 UDP
client file without the server report reads as tcp: label it in dataset.yaml).
``retransmits`` from a 2.2+ header's ``tcpretry`` (4294967295 = not measured).
``timestamp``: iperf stamps each line when it reports (the interval's end), so
the start is the first stamp minus that line's interval end; without an offset
prefix the local time is stored as if UTC.  One file holds one test: a server's
output that collected several client runs reads as their streams added up.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from ..errors import DataFormatError
from . import _common as C

__all__ = ["read_iperf2", "parse_iperf2"]

_ALIASES = {
    "time": ("time", "timestamp"), "src_ip": ("srcaddress", "srcaddr", "src_ip"),
    "src_port": ("srcport", "src_port", "local_port"),
    "dst_ip": ("dstaddr", "dstaddress", "dst_ip"), "dst_port": ("dstport", "dst_port", "remote_port"),
    "id": ("transferid", "transfer_id", "id"), "interval": ("interval",),
    "istart": ("istart", "interval_start"), "iend": ("iend", "interval_end"),
    "bytes": ("bytes", "transfer"), "bps": ("speed", "bits_per_second", "bandwidth", "bitrate"),
    "jitter_ms": ("jitter", "jitter_ms"), "lost": ("errors", "lost", "lostdatagrams", "lost_datagrams"),
    "total": ("datagrams", "total", "total_datagrams"), "retry": ("tcpretry", "retry", "retransmits"),
    "writecnt": ("writecnt",),
}
_POS = {"time": 0, "src_ip": 1, "src_port": 2, "dst_ip": 3, "dst_port": 4, "id": 5, "interval": 6,
        "bytes": 7, "bps": 8, "jitter_ms": 9, "lost": 10, "total": 11}
_INTERVAL = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*-\s*(-?\d+(?:\.\d+)?)\s*$")
_TIME = re.compile(r"^\s*(?:([+-])(\d\d)(\d\d):)?(\d{14})(\.\d+)?\s*$")
_ID = re.compile(r"^-?\d{1,12}$")
_DATA_START = re.compile(r"^\s*[+-]?\d")
_BANNER = re.compile(r"^-{20,}\s*$")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_UINT32_MAX = 4294967295.0  # iperf 2.2 prints (uint32_t) -1 for a TCP counter it could not read


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
    headers = {}  # 2.2+: field count -> column positions of the latest header of that width
    pos = None
    recs = []
    in_banner = False
    for lineno, line in enumerate(C.text(data, name).splitlines(), 1):
        if _BANNER.match(line):  # iperf's text settings block (-d / -r servers print it)
            in_banner = not in_banner
            continue
        if not line.strip():
            continue
        f = line.split(",")
        data_line = bool(_DATA_START.match(f[0]))
        if in_banner:
            if data_line and len(f) >= 9:
                raise DataFormatError(name, f"line {lineno}", "the line of dashes closing iperf's "
                                      "text banner before the CSV lines", found=C.describe(line))
            continue
        if data_line:
            recs.append(_record(f, headers.get(len(f), pos) or _POS, name, lineno, bool(headers)))
            continue
        if f[0].strip().lower() not in _ALIASES["time"]:
            raise DataFormatError(name, f"line {lineno}", "an iperf2 CSV report line or header",
                                  found=C.describe(line))
        pos = headers[len(f)] = _columns(f)  # a 2.2+ header: applies to the lines after it
        if any(k not in pos for k in ("id", "bytes", "bps")) or not ("interval" in pos or "istart" in pos):
            raise DataFormatError(name, f"line {lineno}", "an iperf2 CSV header naming transferid, "
                                  "interval (or istart/iend), bytes and speed columns",
                                  found=C.describe(line))
    if not recs:
        raise DataFormatError(name, "line 1", "iperf2 CSV report lines (-y C)", found="none")
    return _rows(recs, name, "iperf2-enhanced" if headers else "iperf2-csv")


def _record(f, pos, name, lineno, header):
    where = f"line {lineno}"

    def field(key, required=True):
        i = pos.get(key)
        if i is None or i >= len(f) or f[i].strip() == "":
            if required:
                raise DataFormatError(name, where, f"the {key} field (column {i + 1 if i is not None else '?'})",
                                      found=f"{len(f)} fields")
            return None
        return f[i].strip()

    def number(key, required=True):
        v = field(key, required)
        return None if v is None else C.fnum(v, name, f"{where} {key}")

    if len(f) < 9 and not header:
        raise DataFormatError(name, where, "at least 9 comma-separated fields (iperf2 -y C)",
                              found=f"{len(f)}")
    if "interval" in pos:
        m = _INTERVAL.match(field("interval"))
        if not m:
            raise DataFormatError(name, f"{where} field {pos['interval'] + 1}", "an interval 'start-end'",
                                  found=C.describe(field("interval")))
        t0, t1 = float(m.group(1)), float(m.group(2))
    else:
        t0, t1 = number("istart"), number("iend")
    tid = field("id")
    if not _ID.match(tid):
        raise DataFormatError(name, f"{where} transferid", "an integer transfer id", found=C.describe(tid))
    r = {"t0": t0, "t1": t1, "line": lineno, "id": int(tid), "bytes": number("bytes"), "bps": number("bps"),
         "flow": tuple(field(k, False) for k in ("src_ip", "src_port", "dst_ip", "dst_port")),
         "ports": (_port(field("src_port", False)), _port(field("dst_port", False))),
         "time": _stamp(field("time", False), name, where)}
    # headerless UDP lines: jitter and lost percent printed with a decimal point (%.3f);
    # the extra fields of 2.1.9+ TCP -e lines are integers
    if (header and "lost" in pos and "total" in pos) or \
            (not header and len(f) >= 14 and "." in f[9] and "." in f[12]):
        r["jitter_ms"], r["lost"], r["total"] = number("jitter_ms"), number("lost"), number("total")
        # a receiver's count of datagrams; the sender's own summary says -1, a 2.2 sender has writecnt
        r["receiver"] = r["total"] > 0 and not (header and "writecnt" in pos)
    if header and "retry" in pos:
        v = number("retry", False)
        r["retry"] = C.NAN if v is None or v < 0 or v >= _UINT32_MAX else v
    return r


def _port(s):
    try:
        p = int(s)
    except (TypeError, ValueError):
        return None
    return p if p > 0 else None


def _stamp(s, name, where):
    """Epoch seconds of a CSV time field, or None (absent, or iperf's unset 1970 time)."""
    if s is None:
        return None
    m = _TIME.match(s)
    if not m:
        raise DataFormatError(name, f"{where} time", "a time YYYYMMDDHHMMSS[.mmm] "
                              "(optionally after a +hhmm: offset)", found=C.describe(s))
    d = m.group(4)
    try:
        t = datetime(int(d[:4]), int(d[4:6]), int(d[6:8]), int(d[8:10]), int(d[10:12]), int(d[12:]),
                     tzinfo=timezone.utc)
    except ValueError:
        raise DataFormatError(name, f"{where} time", "a valid date and time",
                              found="a date that does not exist") from None
    if abs(t - _EPOCH) < timedelta(days=2):  # 2.1.8 stamps a summary without -i with its unset time
        return None
    secs = t.timestamp() + float(m.group(5) or 0.0)
    if m.group(1):  # local time at offset +hhmm: UTC = local - offset
        secs -= (1 if m.group(1) == "+" else -1) * (int(m.group(2)) * 3600 + int(m.group(3)) * 60)
    return secs


def _summary(recs, name):
    """The whole-test summary line of one stream (a 2.0 client's relayed UDP server
    report when the stream has one), checked to reach the end of its interval lines."""
    udp = [r for r in recs if "lost" in r]
    if udp and len(udp) < len(recs):  # 2.0 UDP client: own TCP-form lines + the server's report
        recs = udp
    best = None
    for r in recs:
        if r["t0"] == 0.0 and (best is None or r["t1"] >= best["t1"]):
            best = r
    if best is None or best["t1"] + 0.05 < max(r["t1"] for r in recs):
        last = recs[-1]
        raise DataFormatError(name, f"line {last['line']}", "a whole-test summary line (interval from "
                              f"0.0 to the end) of transfer {last['id']}", found="none (truncated?)")
    return best


def _port_rule(group):
    sport, dport = group["ports"]
    if sport is None or dport is None:
        return None
    return "receive" if sport < dport else "send"


def _directions(streams):
    """Set the direction of each stream group (see the module docstring); return the
    directions present, the first stream's (lowest transfer id) first."""
    known = [g for g in streams if None not in g["ports"]]
    ref = min(known or streams, key=lambda g: (g["id"], g["first"]))
    ref_dir = _port_rule(ref) or "send"
    other = "receive" if ref_dir == "send" else "send"
    for g in streams:
        if g is ref:
            g["dir"] = ref_dir
        elif g["flow"][0] == ref["flow"][2] and g["flow"][0] != ref["flow"][0]:
            g["dir"] = other  # addresses swapped: the opposite direction
        else:
            g["dir"] = _port_rule(g) or ref_dir
    return [d for d in (ref_dir, other) if any(g["dir"] == d for g in streams)]


def _rows(recs, name, fmt):
    groups = {}
    for r in recs:
        g = groups.setdefault((r["id"], r["flow"]), {"id": r["id"], "flow": r["flow"], "ports": r["ports"],
                                                     "first": r["line"], "recs": []})
        g["recs"].append(r)
    streams = [g for g in groups.values() if g["id"] >= 0]
    sums = [g for g in groups.values() if g["id"] < 0]
    dirs = _directions(streams) if streams else [_port_rule(sums[0]) or "send"]
    for g in sums:
        g["dir"] = dirs[0]
    udp = any("lost" in r for r in recs)
    interleaved = len(dirs) == 2 and _interleaved(streams, dirs)
    rows = []
    for k, d in enumerate(dirs):
        mine = [g for g in streams if g["dir"] == d]
        use = sums if (sums and len(dirs) == 1) else mine  # SUM lines only when unambiguous
        tops = [_summary(g["recs"], name) for g in use]
        row = C.base_row("iperf2", fmt, name, k)
        row.update(test="stream", protocol="udp" if udp else "tcp", direction=d,
                   streams=len(mine) or None, throughput_bps=sum(t["bps"] for t in tops),
                   duration_s=max(t["t1"] - t["t0"] for t in tops),
                   timestamp=_start([r for g in (mine or use) for r in g["recs"]]))
        if interleaved:
            row["bidir"] = True
        if udp:
            _udp(row, tops)
        if all("retry" in t for t in tops):
            row["retransmits"] = sum(t["retry"] for t in tops)
        rows.append(row)
    return rows


def _interleaved(streams, dirs):
    """True when a line of the second direction comes before the first direction's last line."""
    lines = {d: [r["line"] for g in streams if g["dir"] == d for r in g["recs"]] for d in dirs}
    return min(lines[dirs[1]]) < max(lines[dirs[0]])


def _udp(row, tops):
    if not all(t.get("receiver") for t in tops):  # a sender's report: the received figures are unknown
        row.update(throughput_bps=C.NAN, lost_fraction=C.NAN, jitter_s=C.NAN)
        return
    total = sum(t["total"] for t in tops)
    row["lost_fraction"] = sum(t["lost"] for t in tops) / total
    row["jitter_s"] = sum(t["jitter_ms"] for t in tops) / len(tops) / 1000.0


def _start(recs):
    """Start time: a line is stamped when reported (at its interval's end)."""
    for r in sorted(recs, key=lambda r: r["line"]):
        if r["time"] is not None:
            return r["time"] - r["t1"]
    return None

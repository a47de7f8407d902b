"""Reader of qperf text output (0.4.x): ``tcp_lat`` / ``udp_lat`` / ``tcp_bw`` / ``udp_bw``
(and the other ``*_lat`` / ``*_bw`` tests), plain, ``-v`` / ``-vv`` and ``-oo`` sweeps.

Each ``test:`` header starts one result (one row; ``record`` counts them in file order, so a
``-oo msg_size:...`` sweep gives one row per size), followed by indented ``name = value unit``
lines.  Units as qperf prints them: powers of ten for rates and byte counts (``KB``, ``MB/sec``,
``K/sec``: checked on the real sweep here, 78.5 K/sec x 1,024 bytes = 80.4 MB/sec), ``KiB``
for message sizes (with the exact count in parentheses), ``ns``/``us``/``ms``/``sec`` for times.

* ``*_lat``: qperf's ``latency`` is ONE-WAY, half the measured round trip (qperf(1): "one way
  latency"); the schema's ``latency_mean_s`` is a round trip, so it is multiplied by 2.
  ``test="rr"``.  ``msg_rate`` counts messages in both directions, so it is not stored as a
  transaction rate.
* ``*_bw``: ``test="stream"``; ``throughput_bps`` = ``bw`` x 8 (TCP) or the RECEIVER's
  ``recv_bw`` x 8 (UDP; ``send_bw`` is the sender's); ``lost_fraction`` = 1 - recv_msgs /
  send_msgs when ``-vv`` prints both counts.
* ``msg_size_bytes`` only when printed (``-v``): qperf does not print the size of a plain
  result, so a plain ``-oo`` sweep has NaN sizes rather than guessed ones.
* ``time`` -> ``duration_s``; ``loc_cpus_used`` / ``send_cpus_used`` (``% cpus``, 100 = one core)
  -> ``cpu_local_cores``, ``rem_cpus_used`` / ``recv_cpus_used`` -> ``cpu_remote_cores``.
* ``failed to connect`` and other error lines: a DataFormatError quoting qperf.

Examples
--------
>>> rows = parse_qperf(b"tcp_lat:\\n    latency  =  107 us\\ntcp_bw:\\n    bw  =  699 MB/sec\\n", "q.txt")
>>> [(r["test"], r.get("latency_mean_s"), r.get("throughput_bps")) for r in rows]
[('rr', 0.000214, None), ('stream', None, 5592000000.0)]
"""
from __future__ import annotations

import re

from ..errors import DataFormatError
from . import _common as C

__all__ = ["read_qperf", "parse_qperf", "looks_like_qperf"]

_HEADER = re.compile(r"^([a-z]+)_(lat|bw):\s*$")
_FIELD = re.compile(r"^\s+([a-z_]+)\s*=\s*(-?[\d.,]+)\s*(.*?)\s*$")
_SCALE = {"": 1.0, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}
_TIME = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "sec": 1.0}
_BYTES = {"bytes": 1.0, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12, "KiB": 1024.0,
          "MiB": 1024.0 ** 2, "GiB": 1024.0 ** 3}


def looks_like_qperf(head: bytes) -> bool:
    """True when the first line is a qperf test header (``tcp_lat:``) followed by a field line
    or qperf's error."""
    lines = head.split(b"\n", 2)
    return len(lines) >= 2 and bool(re.match(rb"^[a-z]+_(?:lat|bw):\s*$", lines[0])) and \
        bool(re.match(rb"^(?:\s+[a-z_]+\s*=|\S+: )", lines[1]))


def read_qperf(path_or_buffer, source: str | None = None):
    """Read one qperf output file into the tidy schema (see module doc)."""
    from .schema import frame_from_rows

    data, name = C.read_bytes(path_or_buffer, source)
    return frame_from_rows(parse_qperf(data, name))


def _value(num: str, unit: str, name: str, where: str):
    """(value in SI base units, unit kind) of one qperf field."""
    v = C.fnum(num.replace(",", ""), name, where)
    unit = unit.split(" (")[0].strip()  # "1 KiB (1,024)": the exact count follows
    if unit in _TIME:
        return v * _TIME[unit], "s"
    if unit in _BYTES:
        return v * _BYTES[unit], "bytes"
    if unit.endswith("B/sec") and unit[:-5] in _SCALE:
        return v * _SCALE[unit[:-5]] * 8, "bps"
    if unit.endswith("b/sec") and unit[:-5] in _SCALE:  # -ub: bits per second
        return v * _SCALE[unit[:-5]], "bps"
    if unit.endswith("/sec") and unit[:-4] in _SCALE:
        return v * _SCALE[unit[:-4]], "rate"
    if unit == "% cpus":
        return v / 100.0, "cores"
    if unit in ("", "sec/GB"):
        return v, unit or "count"
    raise DataFormatError(name, where, "a qperf unit (ns/us/ms/sec, bytes/KB/MB/KiB, MB/sec, "
                          "K/sec, % cpus, sec/GB)", found=f"another unit ({C.describe(unit)})")


def _expect(fields, key, kind, name, where):
    if key not in fields:
        return None
    v, k = fields[key]
    if k != kind:
        raise DataFormatError(name, where, f"{key} in {kind} units", found=k)
    return v


def _row(test, kind, fields, name, rec, where):
    row = C.base_row("qperf", "qperf", name, rec)
    row.update(protocol=test, streams=1, direction="send", series=f"{test}_{kind}")
    size = _expect(fields, "msg_size", "bytes", name, where)
    if size is not None:
        row["msg_size_bytes"] = size
    t = _expect(fields, "time", "s", name, where)
    if t is not None:
        row["duration_s"] = t
    for loc, rem in (("loc_cpus_used", "rem_cpus_used"), ("send_cpus_used", "recv_cpus_used")):
        if loc in fields:
            row["cpu_local_cores"] = _expect(fields, loc, "cores", name, where)
        if rem in fields:
            row["cpu_remote_cores"] = _expect(fields, rem, "cores", name, where)
    if kind == "lat":
        lat = _expect(fields, "latency", "s", name, where)
        if lat is None:
            raise DataFormatError(name, where, f"a 'latency = ...' line in {test}_lat", found="none")
        row.update(test="rr", latency_mean_s=2 * lat)  # one-way -> round trip
        return row
    row["test"] = "stream"
    key = "bw" if "bw" in fields else "recv_bw"
    bps = _expect(fields, key, "bps", name, where)
    if bps is None:
        raise DataFormatError(name, where, f"a 'bw' or 'recv_bw' line in {test}_bw",
                              found="none" if "send_bw" not in fields else "send_bw only (the "
                              "sender's rate, not goodput)")
    row["throughput_bps"] = bps
    sent = _expect(fields, "send_msgs", "count", name, where)
    recv = _expect(fields, "recv_msgs", "count", name, where)
    if sent and recv is not None:
        if recv > sent:
            raise DataFormatError(name, where, "recv_msgs <= send_msgs", found=f"{recv:g} > {sent:g}")
        row["lost_fraction"] = 1 - recv / sent
    return row


def parse_qperf(data: bytes, name: str) -> list:
    """Rows of qperf text output, one per test result."""
    txt = C.text(data, name).replace("\r\n", "\n")
    rows, cur, fields, start = [], None, {}, 0

    def flush():
        if cur is not None:
            if not fields:
                raise DataFormatError(name, f"line {start}", f"result lines after '{cur[0]}_{cur[1]}:'",
                                      found="none (truncated)")
            rows.append(_row(cur[0], cur[1], fields, name, len(rows), f"line {start}"))

    for lineno, line in enumerate(txt.split("\n"), 1):
        if not line.strip():
            continue
        m = _HEADER.match(line)
        if m:
            flush()
            cur, fields, start = (m.group(1), m.group(2)), {}, lineno
            continue
        f = _FIELD.match(line)
        if f and cur is not None:
            if f.group(1) in fields:
                raise DataFormatError(name, f"line {lineno}", "each field once per result",
                                      found="a field named twice")
            fields[f.group(1)] = _value(f.group(2), f.group(3), name, f"line {lineno}")
            continue
        raise DataFormatError(name, f"line {lineno}", "a qperf result line (test: / name = value)",
                              found=f"qperf's {msg}" if cur and (msg := C.tool_message(
                                  line, known_only=True)) else C.describe(line))
    flush()
    if not rows:
        raise DataFormatError(name, "line 1", "a qperf test header such as 'tcp_lat:'", found="none")
    return rows

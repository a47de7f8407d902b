"""Reader of netperf 2.7 output: classic text tables and omni output (``-o``, ``-O``, ``-k``).

Classic tests: TCP_STREAM (and TCP_MAERTS), UDP_STREAM, TCP_RR, TCP_CRR, UDP_RR, with or
without the banner (``-P 0``), with ``-f`` units, CPU columns (``-c -C``) and the
``-v 2`` round-trip block.  Omni: CSV (``-o``, the line of human-readable names is
required; a wrapped banner or name line is joined back), columns (``-O``) and
KEY=VALUE (``-k``).  Also PerfKit Benchmarker's stored results (a JSON list of
output line lists).

Units (netperf ``-f``): ``m``/``g``/``k`` = 10^6/10^9/10^3 bit/s, ``M``/``G``/``K`` =
2^20/2^30/2^10 BYTES/s; the unit is read from the output (``THROUGHPUT_UNITS`` or
the table header).  Without a header (``-P 0``) the default ``-f m`` is assumed.
*_LATENCY selectors are microseconds.  CPU utilisation is netperf's percentage of
the whole machine -> ``cpu_local_fraction = util / 100``; -1 (not measured) -> NaN.

Latency goes to ``latency_*`` only for request/response tests (rr, crr): in
*_STREAM tests the latency selectors time send calls, not round trips, and are
dropped.  ``latency_mean_s`` is MEAN_LATENCY, else RT_LATENCY (netperf's
elapsed time / transactions, printed by ``-v 2`` as "RoundTrip Latency"); it is
never derived by cnimodel.  UDP_STREAM throughput is the RECEIVER's (remote line
of the classic table, REMOTE_RECV_THROUGHPUT in omni when selected, else THROUGHPUT).
"""
from __future__ import annotations

import csv
import re

from ..errors import DataFormatError
from . import _common as C

__all__ = ["read_netperf", "parse_netperf", "throughput_unit"]

#: omni human-readable names (``-o`` / ``-O`` headers) -> selector names.
HUMAN = {
    "Throughput": "THROUGHPUT", "Throughput Units": "THROUGHPUT_UNITS",
    "Mean Latency Microseconds": "MEAN_LATENCY",
    "50th Percentile Latency Microseconds": "P50_LATENCY",
    "90th Percentile Latency Microseconds": "P90_LATENCY",
    "99th Percentile Latency Microseconds": "P99_LATENCY",
    "Round Trip Latency usec/tran": "RT_LATENCY", "Transaction Rate Tran/s": "TRANSACTION_RATE",
    "Request Size Bytes": "REQUEST_SIZE", "Response Size Bytes": "RESPONSE_SIZE",
    "Local Send Size": "LOCAL_SEND_SIZE", "Remote Recv Size": "REMOTE_RECV_SIZE",
    "Protocol": "PROTOCOL", "Direction": "DIRECTION", "Elapsed Time (sec)": "ELAPSED_TIME",
    "Local CPU Util %": "LOCAL_CPU_UTIL", "Remote CPU Util %": "REMOTE_CPU_UTIL",
    "Local CPU Count": "LOCAL_CPU_COUNT", "Remote CPU Count": "REMOTE_CPU_COUNT",
    "Transport MSS bytes": "TRANSPORT_MSS",
    "Local Transport Retransmissions": "LOCAL_TRANSPORT_RETRANS",
    "Remote Transport Retransmissions": "REMOTE_TRANSPORT_RETRANS",
    "Local Send Throughput": "LOCAL_SEND_THROUGHPUT", "Remote Recv Throughput": "REMOTE_RECV_THROUGHPUT",
    "Local Recv Throughput": "LOCAL_RECV_THROUGHPUT", "Remote Send Throughput": "REMOTE_SEND_THROUGHPUT",
    "Minimum Latency Microseconds": "MIN_LATENCY", "Maximum Latency Microseconds": "MAX_LATENCY",
    "Stddev Latency Microseconds": "STDDEV_LATENCY", "Command Line": "COMMAND_LINE",
}

_BANNER = re.compile(r"(?:MIGRATED\s+)?(TCP|UDP|SCTP|OMNI)\s+(.*?)\s*TEST from", re.S)
_TESTS = {"STREAM": "stream", "MAERTS": "stream", "REQUEST/RESPONSE": "rr",
          "Connect/Request/Response": "crr", "Send": "stream", "Recv": "stream", "Send|Recv": "rr"}
_KEYVAL = re.compile(r"^([A-Z][A-Z0-9_]*)=(.*)$")
_NUM = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|^-?nan$", re.I)


def _selectors(sel) -> str:
    """The selector names of ``sel`` that look like netperf's (upper-case words), the others
    counted, never quoted."""
    names = [k for k in sel if re.fullmatch(r"[A-Z][A-Z0-9_]{0,39}", k)]
    other = len(sel) - len(names)
    return ("selectors " + ", ".join(names[:8]) if names else "no selector") + \
        (f" and {other} other field{'s' if other > 1 else ''}" if other else "")


def throughput_unit(unit: str):
    """``(kind, factor)`` of a netperf throughput unit: kind ``"bps"`` (factor to bit/s)
    or ``"tps"`` (transactions/s).

    >>> throughput_unit("10^6bits/s"), throughput_unit("KBytes/sec"), throughput_unit("Trans/s")
    (('bps', 1000000.0), ('bps', 8192.0), ('tps', 1.0))
    """
    u = unit.strip()
    if u.lower().startswith(("trans", "tran/", "per sec")):
        return "tps", 1.0
    m = re.fullmatch(r"10\^(\d{1,2})bits/s(?:ec)?", u)
    if m:
        return "bps", 10.0 ** int(m.group(1))
    m = re.fullmatch(r"([KMG]?)Bytes/s(?:ec)?", u)
    if m:
        return "bps", 8.0 * {"": 1, "K": 2 ** 10, "M": 2 ** 20, "G": 2 ** 30}[m.group(1)]
    return None, None


def read_netperf(path_or_buffer, source: str | None = None):
    """Read netperf output (classic or omni) into the tidy schema.

    Examples
    --------
    >>> out = b'''MIGRATED TCP REQUEST/RESPONSE TEST from 0.0.0.0 () port 0 AF_INET to 1.2.3.4 () port 0 AF_INET
    ... THROUGHPUT=20000.00
    ... THROUGHPUT_UNITS=Trans/s
    ... MEAN_LATENCY=49.80
    ... P99_LATENCY=81
    ... '''
    >>> r = read_netperf(out).iloc[0]
    >>> print(r.test, r.transactions_per_s, r.latency_mean_s, r.latency_p99_s)
    rr 20000.0 4.98e-05 8.1e-05
    """
    from .schema import frame_from_rows

    data, name = C.read_bytes(path_or_buffer, source)
    return frame_from_rows(parse_netperf(data, name))


def parse_netperf(data: bytes, name: str) -> list:
    txt = C.text(data, name)
    if txt.lstrip().startswith("["):
        return _pkb(data, name)
    return [_parse_text(txt, name, 0, None)]


def _pkb(data, name):
    doc = C.loads(data, name)
    if not isinstance(doc, list) or not doc:
        raise DataFormatError(name, "top level", "a non-empty JSON list of netperf outputs",
                              found=type(doc).__name__)
    rows = []
    for i, item in enumerate(doc):
        if isinstance(item, list) and all(isinstance(s, str) for s in item):
            item = "\n".join(item)
        if not isinstance(item, str):
            raise DataFormatError(name, f"[{i}]", "a netperf output (string or list of lines)",
                                  found=type(item).__name__)
        rows.append(_parse_text(item, name, i, "netperf-pkb-json", where=f"[{i}] "))
    return rows


# ----------------------------------------------------------------------------- dispatch
def _parse_text(txt, name, record, fmt, where=""):
    lines = [ln.rstrip() for ln in txt.splitlines()]
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines:
        raise DataFormatError(name, where + "line 1", "netperf output", found="an empty file")
    banner, body_start = _banner(lines)
    body = lines[body_start:]
    kv = [_KEYVAL.match(ln) for ln in body if ln.strip()]
    if kv and all(kv):
        sel = {m.group(1): m.group(2).strip() for m in kv}
        return _omni(sel, banner, name, record, fmt or "netperf-omni-keyval", where)
    if any("," in ln for ln in body):
        return _omni(_omni_csv(body, body_start, name, where), banner, name, record,
                     fmt or "netperf-omni-csv", where)
    nonempty = [(i, ln) for i, ln in enumerate(body) if ln.strip()]
    if nonempty and nonempty[-1][0] > 0 and _is_data(nonempty[-1][1]):
        # -O: column names above one value line; most names are omni output names
        d, data_line = nonempty[-1]
        names = _slice_cols([ln for ln in body[:d] if ln.strip()], data_line)
        if sum(" ".join(n.split()) in HUMAN for n in names) * 2 >= len(names):
            return _omni(_omni_cols(body, nonempty, name, where, body_start), banner, name, record,
                         fmt or "netperf-omni-columns", where)
    return _classic(body, body_start, banner, name, record, fmt or "netperf-classic", where)


def _banner(lines):
    if not (lines[0].startswith("MIGRATED") or " TEST from " in lines[0]):
        return None, 0
    text = lines[0]
    k = 1
    # a banner wrapped by a log viewer continues until a line mentions AF_INET / conf. / burst
    if not re.search(r" to \S.*AF_\w+", text) and len(lines) > 1 and "," not in lines[1] \
            and not _KEYVAL.match(lines[1]) and not _is_data(lines[1]):
        text += " " + lines[1]
        k = 2
    return text, k


def _test_of(banner, name, where):
    if banner is None:
        return None, None
    m = _BANNER.search(banner)
    if not m:
        raise DataFormatError(name, where + "line 1", "a netperf banner 'MIGRATED <PROTO> <TEST> "
                              "TEST from ...'", found=C.describe(banner))
    proto, kind = m.group(1), m.group(2).strip()
    test = _TESTS.get(kind)
    return (None if proto == "OMNI" else proto.lower()), test


# ----------------------------------------------------------------------------- omni
def _is_data(line):
    toks = line.split()
    return bool(toks) and _NUM.match(toks[0]) is not None


def _omni_csv(body, offset, name, where):
    idx = [i for i, ln in enumerate(body) if ln.strip()]
    data_i = [i for i in idx if _NUM.match(next(csv.reader([body[i]]), [""])[0].strip() or "x")]
    if not data_i:
        raise DataFormatError(name, where + f"line {offset + (idx[-1] if idx else 0) + 1}",
                              "an omni CSV value line (numbers)", found="none")
    d = data_i[0]
    head = " ".join(body[i].strip() for i in idx if i < d and not body[i].startswith(("Histogram",)))
    if not head:
        raise DataFormatError(name, where + f"line {offset + d + 1}", "the omni CSV name line "
                              "before the values (netperf -o without -P 0)", found="values only")
    names = [h.strip() for h in next(csv.reader([head]))]
    vals = next(csv.reader([body[d]]))
    if len(vals) != len(names):
        vals = _reconcile(vals, names)
    if len(vals) != len(names):
        raise DataFormatError(name, where + f"line {offset + d + 1}",
                              f"{len(names)} comma-separated values (one per name)",
                              found=f"{len(vals)}")
    return {HUMAN.get(n, n): v.strip() for n, v in zip(names, vals)}


def _reconcile(vals, names):
    """Two real netperf quirks, repaired only when unambiguous: an unknown selector prints
    no name but an empty value (drop empty values if that makes the counts match); some
    2.7 builds print trailing -1 placeholders with no name (drop them if all are -1)."""
    nonempty = [v for v in vals if v.strip() != ""]
    if len(nonempty) == len(names):
        return nonempty
    extra = vals[len(names):]
    if len(vals) > len(names) and all(v.strip() == "-1" for v in extra):
        return vals[: len(names)]
    return vals


def _slice_cols(header_lines, data_line):
    starts = [m.start() for m in re.finditer(r"\S+", data_line)]
    names = []
    for j, s in enumerate(starts):
        e = starts[j + 1] if j + 1 < len(starts) else None
        parts = [ln[s:e].strip() for ln in header_lines]
        names.append(" ".join(p for p in parts if p))
    return names


def _omni_cols(body, nonempty, name, where, offset):
    d, data_line = nonempty[-1]
    header = [ln for ln in body[:d] if ln.strip()]
    names = _slice_cols(header, data_line)
    vals = data_line.split()
    if len(vals) != len(names):
        raise DataFormatError(name, where + f"line {offset + d + 1}", "one value per -O column",
                              found=f"{len(vals)} values for {len(names)} columns")
    return {HUMAN.get(" ".join(n.split()), n): v for n, v in zip(names, vals)}


def _sel_num(sel, key, name, where):
    v = sel.get(key)
    if v is None or v == "":
        return None
    return C.fnum(v.strip('"'), name, where + key)


def _omni(sel, banner, name, record, fmt, where):
    proto, test = _test_of(banner, name, where)
    row = C.base_row("netperf", fmt, name, record)
    row["tool_version"] = None
    p = sel.get("PROTOCOL")
    if p:
        proto = p.strip().lower()
    d = sel.get("DIRECTION", "").strip()
    cmd = sel.get("COMMAND_LINE", "")
    m = re.search(r"-t\s+(\w+)", cmd)
    if test is None and m:
        test = {"TCP_CRR": "crr", "TCP_RR": "rr", "UDP_RR": "rr"}.get(m.group(1).upper(),
                                                                       "stream" if "STREAM" in m.group(1).upper() else None)
    if test is None and d:
        test = _TESTS.get(d)
    unit = sel.get("THROUGHPUT_UNITS")
    if "THROUGHPUT" not in sel and "TRANSACTION_RATE" not in sel:
        raise DataFormatError(name, where + "THROUGHPUT", "the THROUGHPUT selector in netperf "
                              "omni output", found=_selectors(sel))
    if test is None and unit:
        test = "rr" if throughput_unit(unit)[0] == "tps" else "stream"
    row.update(protocol=proto, test=test, streams=1)
    row["direction"] = "receive" if d == "Recv" or "MAERTS" in (banner or "") else "send"
    if "THROUGHPUT" in sel:
        if not unit:
            raise DataFormatError(name, where + "THROUGHPUT_UNITS", "the unit of THROUGHPUT",
                                  found="missing")
        kind, f = throughput_unit(unit)
        if kind is None:
            raise DataFormatError(name, where + "THROUGHPUT_UNITS", "10^Nbits/s, [KMG]Bytes/s "
                                  "or Trans/s", found=f"another unit ({C.describe(unit)})")
        key = "THROUGHPUT"
        if kind == "bps" and proto == "udp" and sel.get("REMOTE_RECV_THROUGHPUT"):
            key = "REMOTE_RECV_THROUGHPUT"
        v = _sel_num(sel, key, name, where)
        row["throughput_bps" if kind == "bps" else "transactions_per_s"] = v * f
    if "TRANSACTION_RATE" in sel and test in ("rr", "crr"):  # in *_STREAM tests it means nothing
        row["transactions_per_s"] = _sel_num(sel, "TRANSACTION_RATE", name, where)
    if test in ("rr", "crr"):
        for key, col in (("MEAN_LATENCY", "latency_mean_s"), ("P50_LATENCY", "latency_p50_s"),
                         ("P90_LATENCY", "latency_p90_s"), ("P99_LATENCY", "latency_p99_s")):
            v = _sel_num(sel, key, name, where)
            if v is not None:
                row[col] = C.neg_missing(v) / 1e6
        if row.get("latency_mean_s") is None and "RT_LATENCY" in sel:
            row["latency_mean_s"] = C.neg_missing(_sel_num(sel, "RT_LATENCY", name, where)) / 1e6
        size = _sel_num(sel, "REQUEST_SIZE", name, where)
    else:
        size = _sel_num(sel, "LOCAL_SEND_SIZE", name, where)
    row["msg_size_bytes"] = None if size is None else C.neg_missing(size)
    for key, col in (("ELAPSED_TIME", "duration_s"), ("TRANSPORT_MSS", "mss_bytes"),
                     ("LOCAL_TRANSPORT_RETRANS", "retransmits")):
        v = _sel_num(sel, key, name, where)
        if v is not None:
            row[col] = C.neg_missing(v)
    for side in ("LOCAL", "REMOTE"):
        v = _sel_num(sel, f"{side}_CPU_UTIL", name, where)
        if v is not None:
            v = C.neg_missing(v)
            row[f"cpu_{side.lower()}_fraction"] = v / 100
            n = _sel_num(sel, f"{side}_CPU_COUNT", name, where)
            if n and n > 0:
                row[f"cpu_{side.lower()}_cores"] = v / 100 * n
    return row


# ----------------------------------------------------------------------------- classic
def _classic(body, offset, banner, name, record, fmt, where):
    proto, test = _test_of(banner, name, where)
    rows = []
    for i, ln in enumerate(body):
        if _is_data(ln):
            toks = ln.split()
            rows.append((i, [C.fnum(t, name, where + f"line {offset + i + 1} ") for t in toks]))
        elif rows and ln.strip():
            break  # a later block (-v 2 round-trip, histogram)
    if not rows:
        raise DataFormatError(name, where + f"line {offset + len(body)}", "a netperf result table "
                              "(classic text or omni output)", found="no line of numbers")
    unit_hdr = " ".join(body[: rows[0][0]])
    first = rows[0][1]
    if test is None:  # -P 0: recognise the table by its shape
        if len(rows) >= 2 and len(first) in (6, 8) and len(rows[1][1]) in (4, 6):
            test, proto = "stream", "udp"
        elif len(rows) >= 2 and len(rows[1][1]) == 2:
            test = "rr"
        elif len(first) in (5, 9):
            test = "stream"
        else:
            raise DataFormatError(name, where + f"line {offset + rows[0][0] + 1}", "a netperf "
                                  "classic result line (TCP_STREAM, UDP_STREAM or *_RR)",
                                  found=f"{len(first)} numbers")
    row = C.base_row("netperf", fmt, name, record)
    row.update(protocol=proto, test=test, streams=1,
               direction="receive" if banner and "MAERTS" in banner else "send")
    loc = where + f"line {offset + rows[0][0] + 1}"

    def need(vals, n, what):
        if len(vals) < n:
            raise DataFormatError(name, loc, f"{n} numbers on the {what} line", found=f"{len(vals)}")

    if test == "stream" and proto == "udp":
        need(first, 6, "UDP_STREAM local")
        if len(rows) < 2:
            raise DataFormatError(name, loc, "the UDP_STREAM remote (receiver) line", found="none")
        remote = rows[1][1]
        need(remote, 4, "UDP_STREAM remote")
        kind, f = _classic_unit(unit_hdr)
        row.update(msg_size_bytes=first[1], duration_s=first[2], throughput_bps=remote[3] * f)
        row["lost_fraction"] = (first[3] - remote[2]) / first[3] if first[3] > 0 else None
        if len(first) >= 8:
            row["cpu_local_fraction"] = C.neg_missing(first[6]) / 100
        if len(remote) >= 6:
            row["cpu_remote_fraction"] = C.neg_missing(remote[4]) / 100
    elif test == "stream":
        need(first, 5, "TCP_STREAM")
        kind, f = _classic_unit(unit_hdr)
        row.update(msg_size_bytes=first[2], duration_s=first[3], throughput_bps=first[4] * f)
        if len(first) >= 7:
            row["cpu_local_fraction"] = C.neg_missing(first[5]) / 100
            row["cpu_remote_fraction"] = C.neg_missing(first[6]) / 100
    else:
        need(first, 6, "request/response")
        row.update(msg_size_bytes=first[2], duration_s=first[4], transactions_per_s=first[5])
        if len(first) >= 8:
            row["cpu_local_fraction"] = C.neg_missing(first[6]) / 100
            row["cpu_remote_fraction"] = C.neg_missing(first[7]) / 100
        rt = _roundtrip_block(body, name, where, offset)
        if rt is not None:
            row["latency_mean_s"] = rt
    return row


def _classic_unit(header):
    m = re.search(r"(10\^\d+bits/s(?:ec)?|[KMG]?Bytes/s(?:ec)?)", header)
    if not m:
        return "bps", 1e6  # -P 0: netperf's default -f m
    return throughput_unit(m.group(1))


def _roundtrip_block(body, name, where, offset):
    """``-v 2`` RR block: 'Alignment Offset RoundTrip ... usec/Tran' then one value line."""
    for i, ln in enumerate(body):
        if "usec/Tran" in ln:
            for j in range(i + 1, len(body)):
                if _is_data(body[j]):
                    vals = body[j].split()
                    if len(vals) < 5:
                        raise DataFormatError(name, where + f"line {offset + j + 1}",
                                              "8 numbers in the -v 2 round-trip block",
                                              found=f"{len(vals)}")
                    return C.neg_missing(C.fnum(vals[4], name, where + f"line {offset + j + 1} ")) / 1e6
    return None

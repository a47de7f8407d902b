"""Reader of iperf3 ``-J`` / ``--json`` output (iperf 3.1 to 3.17+).

Handled: TCP and UDP, ``-P N`` (one row with the sum, ``streams=N``), ``-R``
(``direction="receive"``), ``--bidir`` (two rows, ``bidir=True``) in the 3.7-3.10
duplicate-key form and the 3.11+ ``*_bidir_reverse`` form, ``--json-stream``
(3.17+, one event per line), files holding the document twice (3.16/3.17),
error documents (raised as :class:`~cnimodel.errors.DataFormatError` with
iperf3's message) and omitted intervals (``--omit``; the end sums iperf3
prints already exclude them).

Units (DOMAIN.md sec. 5): ``bits_per_second`` bit/s; ``rtt``, ``mean_rtt`` ...
MICROseconds; ``jitter_ms`` ms; ``cpu_utilization_percent`` is the process's
CPU time over wall time (100 = one core busy, above 100 with 3.16+
threads), so it is stored as ``cpu_local_cores = host_total / 100`` and
``cpu_local_fraction`` stays NaN (iperf3 does not print the core count).

Which number lands where
------------------------
* ``throughput_bps``: TCP ``end.sum_received`` (delivered goodput; falls back to
  ``sum_sent``); UDP the RECEIVER's rate ``end.sum_received`` (3.11+), before
  3.11 ``end.sum.bits_per_second * (1 - lost_packets / packets)``, since
  ``end.sum.bits_per_second`` is the sender's rate.
* ``retransmits`` from ``sum_sent``; ``lost_fraction``, ``jitter_s`` from the receiver.
* ``rtt_mean_s`` / ``rtt_min_s`` / ``rtt_max_s``: the sender streams' kernel RTT
  during the bulk transfer (never ``latency_*``: that is for transactions).
* ``mss_bytes``: ``start.tcp_mss`` (``-M``) else ``start.tcp_mss_default``;
  ``pmtu_bytes``: largest per-stream ``pmtu`` of the last non-omitted interval.
* ``msg_size_bytes``: ``blksize`` for UDP (datagram payload) and for TCP when it
  differs from the 128 KiB default, else NaN.
"""
from __future__ import annotations

import json
import re

from ..errors import DataFormatError
from . import _common as C

__all__ = ["read_iperf3", "parse_iperf3"]

_TCP_DEFAULT_BLKSIZE = 131072
_LEAD = re.compile(rb"(?:\s|\xef\xbb\xbf)*")


def read_iperf3(path_or_buffer, intervals: bool = False, source: str | None = None):
    """Read one iperf3 JSON file into the tidy schema.

    Parameters
    ----------
    path_or_buffer : str, os.PathLike, bytes or file object
        iperf3 ``-J`` output (``.gz`` accepted).
    intervals : bool
        Also return the per-interval frame (:data:`~cnimodel.io.schema.INTERVAL_COLUMNS`).

    Returns
    -------
    pandas.DataFrame or (DataFrame, DataFrame)

    Examples
    --------
    >>> doc = (b'{"start": {"version": "iperf 3.12", "test_start": {"protocol": "TCP",'
    ...        b' "num_streams": 1, "reverse": 0, "blksize": 131072}, "tcp_mss_default": 1448},'
    ...        b' "intervals": [], "end": {"sum_sent": {"seconds": 10, "bits_per_second": 9.4e9,'
    ...        b' "retransmits": 3}, "sum_received": {"seconds": 10, "bits_per_second": 9.41e9}}}')
    >>> df = read_iperf3(doc)
    >>> r = df.iloc[0]
    >>> print(r.protocol, r.direction, r.throughput_bps, r.mss_bytes)
    tcp send 9410000000.0 1448.0
    """
    from .schema import INTERVAL_COLUMNS, frame_from_rows

    data, name = C.read_bytes(path_or_buffer, source)
    rows, ivals = parse_iperf3(data, name, intervals=intervals)
    df = frame_from_rows(rows)
    if intervals:
        return df, frame_from_rows(ivals, INTERVAL_COLUMNS)
    return df


# ----------------------------------------------------------------------------- loading
def _dup_hook(pairs):
    """object_pairs_hook keeping pre-3.11 --bidir duplicate keys: the 2nd copy -> *_bidir_reverse."""
    out = {}
    for k, v in pairs:
        if k in out:
            k = k + "_bidir_reverse"
        out[k] = v
    return out


def _json_stream(txt: str, name: str) -> dict:
    doc = {"start": None, "intervals": [], "end": None}
    for lineno, line in enumerate(txt.splitlines(), 1):
        if not line.strip():
            continue
        try:
            ev = json.loads(line)
        except RecursionError:
            raise DataFormatError(name, f"line {lineno}", "a JSON event object",
                                  found="nesting too deep") from None
        except json.JSONDecodeError as exc:
            raise DataFormatError(name, f"line {lineno} column {exc.colno}",
                                  "one JSON event object per line (--json-stream)", found=exc.msg) from None
        if not isinstance(ev, dict) or "event" not in ev:
            raise DataFormatError(name, f"line {lineno}", 'an object {"event": ..., "data": ...}',
                                  found=type(ev).__name__ if not isinstance(ev, dict) else "no 'event' key")
        kind, payload = ev.get("event"), ev.get("data")
        if kind == "start":
            doc["start"] = payload
        elif kind == "interval":
            doc["intervals"].append(payload)
        elif kind == "end":
            doc["end"] = payload
        elif kind == "error":
            doc["error"] = payload
    if doc["start"] is None and "error" not in doc:
        raise DataFormatError(name, "start event", "a 'start' event (--json-stream)", found="none")
    if doc["end"] is None and "error" not in doc:
        raise DataFormatError(name, "end event", "an 'end' event (--json-stream): the run did not "
                              "finish or the file is truncated", found="none")
    return doc


def _documents(data: bytes, name: str) -> list:
    i = _LEAD.match(data).end()
    if i >= len(data):
        raise DataFormatError(name, "line 1", "an iperf3 JSON document", found="an empty file")
    if data.startswith(b'{"event"', i):
        return [_json_stream(C.text(data, name), name)]
    try:
        return [C.loads(data, name)]
    except DataFormatError as first:
        txt = C.text(data, name)
        dec = json.JSONDecoder()
        docs, i = [], 0
        n = len(txt)
        while True:
            while i < n and txt[i].isspace():
                i += 1
            if i >= n:
                break
            try:
                doc, i = dec.raw_decode(txt, i)
            except (json.JSONDecodeError, RecursionError):
                if docs:  # a complete document followed by a broken one
                    line = txt.count("\n", 0, i) + 1
                    raise DataFormatError(name, f"line {line}", "another complete iperf3 JSON "
                                          "document (file holds several)", found="a truncated or "
                                          "invalid one") from None
                raise first from None
            docs.append(doc)
        if len(docs) <= 1:
            raise first
        uniq = []
        for d in docs:  # 3.16/3.17 print the same document twice
            if d not in uniq:
                uniq.append(d)
        return uniq


# ----------------------------------------------------------------------------- rows
_PMTU = re.compile(rb'"pmtu":\s*(\d+)')


def _summary_doc(data: bytes):
    """The document WITHOUT its intervals array (plus the last interval's pmtu values), parsed
    from iperf3's own layout; None whenever the layout is not exactly that (caller parses all).

    Used by ``load_dataset(..., validate_intervals=False)``: the bytes of the interval array
    are then not parsed, hence not validated."""
    if not data.startswith((b'{\n\t"start":', b'{\r\n\t"start":')):  # CRLF: captured via a tty
        return None
    i = data.find(b'\n\t"intervals":\t[')
    j = data.rfind(b'\n\t"end":\t{')
    if i < 0 or j < i or data.find(b'\n\t"start":', 12) != -1:  # printed twice: parse all
        return None
    last = data.rfind(b'"streams":', i, j)
    tail = data[last:j] if last > 0 else b""
    if b'"omitted":\ttrue' in tail:
        return None
    try:
        doc = C.loads(data[:i] + data[j:], "<summary>")
    except DataFormatError:
        return None
    if not isinstance(doc, dict):
        return None
    doc["intervals"] = [{"streams": [{"pmtu": int(v)} for v in _PMTU.findall(tail)]}]
    return doc


def parse_iperf3(data: bytes, name: str, intervals: bool = False, validate_intervals: bool = True):
    """Rows (list of dict) and interval rows of iperf3 JSON bytes; see module doc.

    ``validate_intervals=False`` (and ``intervals=False``) skips parsing the interval array
    when the file has iperf3's own layout: about 3x less JSON to parse, but a corrupted
    byte inside that array then goes unnoticed."""
    doc = None if validate_intervals or intervals else _summary_doc(data)
    docs = [doc] if doc is not None else _documents(data, name)
    rows, ivals = [], []
    for rec, doc in enumerate(docs):
        if not isinstance(doc, dict):
            raise DataFormatError(name, "top level", "a JSON object", found=type(doc).__name__)
        if "error" in doc:
            raise DataFormatError(name, "error", "a completed iperf3 run",
                                  found=f"iperf3 reported error {str(doc['error'])[:200]!r}")
        end = C.dig(doc, "end", name)
        if _needs_dup_parse(end):
            if len(docs) == 1:
                try:
                    doc = json.loads(C.text(data, name), object_pairs_hook=_dup_hook)
                except (ValueError, RecursionError) as exc:
                    raise DataFormatError(name, "document", "valid JSON", found=str(exc)[:120]) from None
            end = C.dig(doc, "end", name)
        try:
            rows.extend(_fast_rows(doc, end, name, rec))
        except _Slow:
            rows.extend(_doc_rows(doc, end, name, rec))
        if intervals:
            ivals.extend(_interval_rows(doc, name, rec))
    return rows, ivals


class _Slow(Exception):
    """Internal: the fast path met something unusual; the careful path takes over."""


def _n(v):
    t = type(v)
    if t is float or t is int:
        return v
    if v is None:
        return None
    raise _Slow


def _fast_rows(doc, end, name, rec):
    """Straight-line extraction for the common case (one direction, 3.11+ sums, TCP or UDP).

    Same results as :func:`_doc_rows` (tests compare both); raises :class:`_Slow` for anything
    else, so that :func:`_doc_rows` produces the row or a precise error."""
    try:
        if "sum_sent_bidir_reverse" in end or "sum_received_bidir_reverse" in end:
            raise _Slow
        start = doc["start"]
        ts = start["test_start"]
        proto = ts["protocol"].lower()
        nstreams = ts["num_streams"]
        recv = end["sum_received"]
        sent = end["sum_sent"]
        if type(nstreams) is not int or not 0 <= nstreams < 1 << 31 or type(recv) is not dict \
                or type(sent) is not dict:
            raise _Slow
        version = start.get("version")
        tstamp = start.get("timestamp")
        row = {"tool": "iperf3", "format": "iperf3", "source_file": name, "record": rec,
               "tool_version": version.rpartition(" ")[2] or None if type(version) is str else None,
               "test": "stream", "protocol": proto, "streams": nstreams,
               "direction": "receive" if ts.get("reverse") else "send",
               "timestamp": _n(tstamp.get("timesecs")) if type(tstamp) is dict else None,
               "throughput_bps": _n(recv["bits_per_second"]), "duration_s": _n(recv["seconds"])}
        blk = _n(ts.get("blksize"))
        if proto == "tcp":
            if blk != _TCP_DEFAULT_BLKSIZE:
                row["msg_size_bytes"] = blk
            mss = _n(start.get("tcp_mss", start.get("tcp_mss_default")))
            row["mss_bytes"] = mss or None
            if "retransmits" in sent:
                row["retransmits"] = _n(sent["retransmits"])
            streams = end.get("streams")
            if type(streams) is list and streams:
                means, mins, maxs = [], [], []
                for st in streams:
                    snd = st["sender"]
                    if "mean_rtt" in snd and snd.get("sender") is not False:
                        means.append(_n(snd["mean_rtt"]))
                        mins.append(_n(snd["min_rtt"]))
                        maxs.append(_n(snd["max_rtt"]))
                if means and max(means) > 0:
                    row["rtt_mean_s"] = sum(means) / len(means) / 1e6
                    row["rtt_min_s"] = min(mins) / 1e6
                    row["rtt_max_s"] = max(maxs) / 1e6
        elif proto == "udp":
            row["msg_size_bytes"] = blk
            lp = _n(recv["lost_percent"])
            row["lost_fraction"] = None if lp is None else lp / 100.0
            if "jitter_ms" in recv:
                j = _n(recv["jitter_ms"])
                row["jitter_s"] = None if j is None else j / 1000.0
        else:
            raise _Slow
        cpu = end.get("cpu_utilization_percent")
        if type(cpu) is dict:
            lc, rc = _n(cpu.get("host_total")), _n(cpu.get("remote_total"))
            row["cpu_local_cores"] = None if lc is None else lc / 100.0
            row["cpu_remote_cores"] = None if rc is None else rc / 100.0
        row["pmtu_bytes"] = _pmtu(doc.get("intervals"), name)
        return [row]
    except (KeyError, TypeError, AttributeError, ValueError):
        raise _Slow from None


def _needs_dup_parse(end) -> bool:
    if "sum_sent_bidir_reverse" in end or "sum_bidir_reverse" in end:
        return False
    streams = end.get("streams")
    if not isinstance(streams, list) or len(streams) < 2:
        return False
    flags = set()
    for s in streams:
        if isinstance(s, dict):
            side = s.get("sender") if isinstance(s.get("sender"), dict) else s.get("udp")
            if isinstance(side, dict):
                flags.add(side.get("sender"))
    return len(flags) > 1


def _doc_rows(doc, end, name, rec):
    try:
        start = doc["start"]
        ts = start["test_start"]
        proto = ts.get("protocol")
    except (KeyError, TypeError, AttributeError):
        start = C.dig(doc, "start", name)
        ts = C.dig(doc, "start.test_start", name)
        proto = ts.get("protocol")
    if type(start) is not dict or type(ts) is not dict:
        C.dig(doc, "start.test_start", name)
    if not isinstance(proto, str):
        raise DataFormatError(name, "start.test_start.protocol", "TCP, UDP or SCTP", found=repr(proto))
    proto = proto.lower()
    nstreams = ts.get("num_streams")
    if isinstance(nstreams, bool) or not isinstance(nstreams, int) or not 0 <= nstreams < 1 << 31:
        raise DataFormatError(name, "start.test_start.num_streams", "a stream count (integer)",
                              found=repr(nstreams)[:40])
    reverse = bool(ts.get("reverse"))
    version = start.get("version")
    if isinstance(version, str):
        version = version.rpartition(" ")[2] or None
    else:
        version = None
    tstamp = start.get("timestamp")
    tsecs = tstamp.get("timesecs") if type(tstamp) is dict else None
    base = {"tool": "iperf3", "format": "iperf3", "source_file": name, "record": rec,
            "tool_version": version, "test": "stream", "protocol": proto, "streams": nstreams,
            "timestamp": C.num(tsecs, name, "start.timestamp.timesecs")}
    blk = C.num(ts.get("blksize"), name, "start.test_start.blksize")
    if proto == "udp" or blk != _TCP_DEFAULT_BLKSIZE:
        base["msg_size_bytes"] = blk
    if proto == "tcp":
        mss = start.get("tcp_mss", start.get("tcp_mss_default"))
        base["mss_bytes"] = C.num(mss, name, "start.tcp_mss_default")
        if mss == 0:
            base["mss_bytes"] = None
    cpu = end.get("cpu_utilization_percent")
    if isinstance(cpu, dict):
        base["cpu_local_cores"] = C.num(cpu.get("host_total"), name,
                                        "end.cpu_utilization_percent.host_total") / 100.0
        base["cpu_remote_cores"] = C.num(cpu.get("remote_total"), name,
                                         "end.cpu_utilization_percent.remote_total") / 100.0
    base["pmtu_bytes"] = _pmtu(doc.get("intervals"), name)
    bidir = "sum_sent_bidir_reverse" in end or "sum_received_bidir_reverse" in end or \
        "sum_bidir_reverse" in end
    rows = []
    dirs = [("", "receive" if reverse else "send")]
    if bidir:
        dirs = [("", "send"), ("_bidir_reverse", "receive")]
    for suffix, direction in dirs:
        row = dict(base)
        row["direction"] = direction
        if bidir:
            row["bidir"] = True
        if proto == "udp":
            _udp(row, end, suffix, name)
        else:
            _tcp(row, end, suffix, name)
        if not bidir or suffix == "":
            _rtt(row, end, name, want_sender=not bidir or suffix == "")
        rows.append(row)
    return rows


def _pick(end, key, suffix, name):
    v = end.get(key + suffix)
    if v is None:
        return None
    if not isinstance(v, dict):
        raise DataFormatError(name, f"end.{key}{suffix}", "a JSON object", found=type(v).__name__)
    return v


def _tcp(row, end, suffix, name):
    sent = _pick(end, "sum_sent", suffix, name)
    recv = _pick(end, "sum_received", suffix, name)
    if recv is None and sent is None:
        s = _pick(end, "sum", suffix, name)
        if s is None:
            raise DataFormatError(name, f"end.sum_received{suffix}", "the TCP end summary "
                                  "(sum_sent / sum_received)", found="missing")
        recv = sent = s
    main, where = (recv, "sum_received") if recv is not None else (sent, "sum_sent")
    row["throughput_bps"] = C.num(main.get("bits_per_second"), name,
                                  f"end.{where}{suffix}.bits_per_second")
    row["duration_s"] = C.num(main.get("seconds"), name, f"end.{where}{suffix}.seconds")
    if sent is not None and "retransmits" in sent:
        row["retransmits"] = C.num(sent["retransmits"], name, f"end.sum_sent{suffix}.retransmits")


def _udp(row, end, suffix, name):
    recv = _pick(end, "sum_received", suffix, name)
    if recv is not None:
        where = f"end.sum_received{suffix}"
        bps = C.num(recv.get("bits_per_second"), name, where + ".bits_per_second")
    else:  # before 3.11: end.sum is the SENDER's rate; scale by the receiver's delivery ratio
        recv = _pick(end, "sum", suffix, name)
        if recv is None:
            raise DataFormatError(name, f"end.sum_received{suffix}", "the UDP end summary "
                                  "(sum_received, or sum before 3.11)", found="missing")
        where = f"end.sum{suffix}"
        bps = C.num(recv.get("bits_per_second"), name, where + ".bits_per_second")
        pk = C.num(recv.get("packets"), name, where + ".packets")
        lost = C.num(recv.get("lost_packets"), name, where + ".lost_packets")
        bps = bps * (pk - lost) / pk if pk > 0 else C.NAN
    row["throughput_bps"] = bps
    row["duration_s"] = C.num(recv.get("seconds"), name, where + ".seconds")
    lp = recv.get("lost_percent")
    if lp is not None:
        row["lost_fraction"] = C.num(lp, name, where + ".lost_percent") / 100.0
    else:
        pk = C.num(recv.get("packets"), name, where + ".packets")
        lost = C.num(recv.get("lost_packets"), name, where + ".lost_packets")
        row["lost_fraction"] = lost / pk if pk > 0 else C.NAN
    if "jitter_ms" in recv:
        row["jitter_s"] = C.num(recv["jitter_ms"], name, where + ".jitter_ms") / 1000.0


def _rtt(row, end, name, want_sender=True):
    streams = end.get("streams")
    if not isinstance(streams, list):
        return
    means, mins, maxs = [], [], []
    for i, s in enumerate(streams):
        snd = s.get("sender") if isinstance(s, dict) else None
        if not isinstance(snd, dict) or "mean_rtt" not in snd or snd.get("sender") is False:
            continue
        where = f"end.streams[{i}].sender"
        means.append(C.num(snd.get("mean_rtt"), name, where + ".mean_rtt"))
        mins.append(C.num(snd.get("min_rtt"), name, where + ".min_rtt"))
        maxs.append(C.num(snd.get("max_rtt"), name, where + ".max_rtt"))
    if means and max(means) > 0:  # rtt is microseconds; 0 = not reported (e.g. the -R side)
        row["rtt_mean_s"] = sum(means) / len(means) / 1e6
        row["rtt_min_s"] = min(mins) / 1e6
        row["rtt_max_s"] = max(maxs) / 1e6


def _pmtu(intervals, name):
    if not isinstance(intervals, list):
        return None
    for iv in reversed(intervals):
        streams = iv.get("streams") if isinstance(iv, dict) else None
        if not isinstance(streams, list) or not streams:
            continue
        if isinstance(streams[0], dict) and streams[0].get("omitted") is True:
            continue
        vals = [s.get("pmtu") for s in streams if isinstance(s, dict)]
        vals = [v for v in vals if isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0]
        return float(max(vals)) if vals else None
    return None


def _interval_rows(doc, name, rec):
    out = []
    ivs = doc.get("intervals")
    if not isinstance(ivs, list):
        return out
    for k, iv in enumerate(ivs):
        if not isinstance(iv, dict):
            raise DataFormatError(name, f"intervals[{k}]", "a JSON object", found=type(iv).__name__)
        items = [(str(s.get("socket")), s) for s in iv.get("streams") or [] if isinstance(s, dict)]
        for key in ("sum", "sum_bidir_reverse"):
            if isinstance(iv.get(key), dict):
                items.append((key, iv[key]))
        for sid, s in items:
            where = f"intervals[{k}]"
            rtt = s.get("rtt")
            out.append({
                "source_file": name, "record": rec, "stream": sid,
                "start_s": C.num(s.get("start"), name, where + ".start"),
                "end_s": C.num(s.get("end"), name, where + ".end"),
                "throughput_bps": C.num(s.get("bits_per_second"), name, where + ".bits_per_second"),
                "retransmits": C.num(s.get("retransmits"), name, where + ".retransmits"),
                "rtt_s": None if rtt is None else C.num(rtt, name, where + ".rtt") / 1e6,
                "snd_cwnd_bytes": C.num(s.get("snd_cwnd"), name, where + ".snd_cwnd"),
                "omitted": bool(s.get("omitted", False)),
            })
    return out

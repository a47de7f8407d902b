"""Reader of iperf3 ``-J`` / ``--json`` output (iperf 3.1 to 3.17+).

Handled: TCP and UDP, ``-P N`` (one row with the sum, ``streams=N``), ``-R``
(``direction="receive"``), ``--bidir`` (two rows, ``bidir=True``) in the 3.7-3.10
duplicate-key form and the 3.11+ ``*_bidir_reverse`` form, ``--json-stream``
(3.17+, one event per line), files holding the document twice (3.16/3.17),
error documents (raised as :class:`~cnimodel.errors.DataFormatError` with
iperf3's message) and omitted intervals (``--omit``; the end sums iperf3
prints already exclude them).

Units (iperf3's ``src/iperf_api.c``): ``bits_per_second`` bit/s; ``rtt``, ``mean_rtt`` ...
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
from .iperf3_careful import TCP_DEFAULT_BLKSIZE as _TCP_DEFAULT_BLKSIZE, TCP_RECEIVED_MIN_FRACTION, \
    doc_rows, interval_rows, last_pmtu
from .iperf3_docs import HARMLESS_KEYS, check_keys, documents, note_repeated

__all__ = ["read_iperf3", "parse_iperf3"]



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


# ----------------------------------------------------------------------------- rows
_PMTU = re.compile(rb'"pmtu":\s*(\d+)')


def _summary_ranges(data: bytes):
    """``[(0, i), (j, len)]``: the bytes of iperf3's own layout outside the intervals array, or
    None when the file does not have exactly that layout."""
    if not data.startswith((b'{\n\t"start":', b'{\r\n\t"start":')):  # CRLF: captured via a tty
        return None
    i = data.find(b'\n\t"intervals":\t[')
    j = data.rfind(b'\n\t"end":\t{')
    if i < 0 or j < i or data.find(b'\n\t"start":', 12) != -1:  # printed twice: parse all
        return None
    return [(0, i), (j, len(data))]


def _keys_once(data, doc, name, findings) -> bool:
    """True when no object of ``doc`` (ONE document parsed from all of ``data``) holds a key
    twice (iperf3's per-stream copies of :data:`~cnimodel.io.iperf3_docs.HARMLESS_KEYS`
    aside, reported): :func:`~cnimodel.io._common.duplicate_screen` of the parts rows are
    read from.  In iperf3's own layout the interval array is left out (only its last
    ``pmtu`` values are used; ``intervals=True`` checks every key); its bytes are most of a
    long run's file."""
    ranges = None
    if type(doc) is dict and data.startswith((b'{\n\t"start":', b'{\r\n\t"start":')):
        i = data.find(b'\n\t"intervals":\t[')
        j = data.rfind(b'\n\t"end":\t{')
        if 0 < i < j:
            ranges = [(0, i), (j, len(data))]
            doc = {k: v for k, v in doc.items() if k != "intervals"}
    maybe, repeated = C.duplicate_screen(data, doc, ranges, HARMLESS_KEYS, b'"intervals":')
    if not maybe:
        note_repeated(findings, name, repeated)
    return not maybe


def _summary_doc(data: bytes, name: str = "<summary>", findings=None):
    """The document WITHOUT its intervals array (plus the last interval's pmtu values), parsed
    from iperf3's own layout; None whenever the layout is not exactly that (caller parses all).

    Used by ``load_dataset(..., validate_intervals=False)``: the bytes of the interval array
    are then not parsed, hence not validated."""
    ranges = _summary_ranges(data)
    if ranges is None:
        return None
    (_, i), (j, _) = ranges
    last = data.rfind(b'"streams":', i, j)
    tail = data[last:j] if last > 0 else b""
    if b'"omitted":\ttrue' in tail:
        return None
    summary = data[:i] + data[j:]
    try:
        doc = C.loads(summary, "<summary>", unique_keys=False)
    except DataFormatError:
        return None
    if not isinstance(doc, dict) or not _keys_once(summary, doc, name, findings):
        return None
    doc["intervals"] = [{"streams": [{"pmtu": int(v)} for v in _PMTU.findall(tail)]}]
    return doc


def parse_iperf3(data: bytes, name: str, intervals: bool = False, validate_intervals: bool = True,
                 records: bool = False, findings: list | None = None):
    """Rows (list of dict) and interval rows of iperf3 JSON bytes; see module doc.

    ``validate_intervals=False`` (and ``intervals=False``) skips parsing the interval array
    when the file has iperf3's own layout: about 3x less JSON to parse, but a corrupted
    byte (or a duplicate key) inside that array then goes unnoticed.  ``records=True``: the
    rows of the common case may come as tuples (:data:`RECORD_LAYOUT`), which
    ``frame_from_rows`` reads faster.  ``findings``: a list that receives what the file
    holds but is not read (:mod:`cnimodel.io.iperf3_docs`: text around the document ...)."""
    doc = None
    if not intervals:  # the common case first: one document, the fast path
        if not validate_intervals:
            doc = _summary_doc(data, name, findings)
        elif data.startswith(b"{") and not data.startswith(b'{"event"'):
            try:  # what documents() would parse first; it parses again only when this fails
                doc = C.LOADS(data)
            except (ValueError, RecursionError):
                pass
            if doc is not None and not _keys_once(data, doc, name, findings):
                doc = None  # the loop below names the duplicated key (or reads 3.7-3.10 --bidir)
        if doc is not None:
            try:
                end = doc["end"]
                if "error" not in doc and type(end) is dict and not (
                        len(end.get("streams") or ()) > 1 and _needs_dup_parse(end)):
                    recs = _fast_records(doc, end, name, 0)
                    return (recs if records else _as_rows(recs)), []
            except (_Slow, KeyError, TypeError):
                pass  # anything unusual: the loop below, with the same document
    docs = [(doc, None)] if doc is not None else documents(data, name, findings)
    rows, ivals = [], []
    for rec, (doc, raw) in enumerate(docs):
        if not isinstance(doc, dict):
            raise DataFormatError(name, "top level", "a JSON object", found=type(doc).__name__)
        if "error" in doc:
            raise DataFormatError(name, "error", "a completed iperf3 run",
                                  found=f"iperf3's {C.tool_message(doc['error'])}")
        end = doc.get("end")
        if type(end) is not dict:
            end = C.dig(doc, "end", name)  # raises the precise error
        bidir_copies = check_keys(raw, doc, name, "", findings) if raw is not None else False
        if _needs_dup_parse(end) or bidir_copies:
            if len(docs) == 1:
                text = raw if isinstance(raw, str) else C.text(data, name)
                try:
                    doc = json.loads(text, object_pairs_hook=_dup_hook)
                except (ValueError, RecursionError):
                    raise DataFormatError(name, "document", "valid JSON",
                                          found="a document that does not parse twice alike") from None
            end = C.dig(doc, "end", name)
        try:
            rows.extend(_fast_rows(doc, end, name, rec))
        except _Slow:
            rows.extend(doc_rows(doc, end, name, rec))
        if intervals:
            ivals.extend(interval_rows(doc, name, rec))
    return rows, ivals


class _Slow(Exception):
    """Internal: the fast path met something unusual; the careful path takes over."""


#: exact types the fast path accepts where a number may stand (JSON null included); a bool,
#: string or container there sends the document to the careful path and its precise error
_NUMERIC = frozenset((int, float, type(None)))
#: the fast path's rows are tuples of these schema columns (NaN or None = missing; NaN where
#: the reader decides, as it converts to float64 faster), plus constants:
#: ``frame_from_rows(..., layout=RECORD_LAYOUT)`` reads them without a dict per row
RECORD_FIELDS = ("source_file", "record", "tool_version", "protocol", "streams", "direction",
                 "bidir", "timestamp", "msg_size_bytes", "mss_bytes", "cpu_local_cores",
                 "cpu_remote_cores", "pmtu_bytes", "rtt_mean_s", "rtt_min_s", "rtt_max_s",
                 "throughput_bps", "duration_s", "retransmits", "lost_fraction", "jitter_s")
RECORD_LAYOUT = (RECORD_FIELDS, {"tool": "iperf3", "format": "iperf3", "test": "stream"})
NAN = C.NAN
_NO_RTT = (NAN, NAN, NAN)


def _fast_rows(doc, end, name, rec):
    """:func:`_fast_records` as row dicts."""
    return _as_rows(_fast_records(doc, end, name, rec))


def _as_rows(records):
    consts = RECORD_LAYOUT[1]
    return [dict(zip(RECORD_FIELDS, r), **consts) for r in records]


def _fast_records(doc, end, name, rec):
    """Straight-line extraction for the common case: iperf3 3.11+ layout, TCP or UDP, one
    direction or ``--bidir`` in the 3.11+ ``*_bidir_reverse`` form; rows as tuples
    (:data:`RECORD_LAYOUT`).

    Same results as :func:`~cnimodel.io.iperf3_careful.doc_rows` (tests compare both); raises :class:`_Slow` for anything
    else (a key missing, a value of another type), so that :func:`~cnimodel.io.iperf3_careful.doc_rows` produces the rows
    or a precise error.  Values are type-checked before any arithmetic.  Written for speed:
    plain subscripts and ``type(v) in _NUMERIC`` (cheaper here than helpers or comprehensions)."""
    num = _NUMERIC
    try:
        start = doc["start"]
        ts = start["test_start"]
        proto = ts["protocol"].lower()
        nstreams = ts["num_streams"]
        version = start["version"]
        tsecs = start["timestamp"]["timesecs"]
        blk = ts["blksize"]
        cpu = end["cpu_utilization_percent"]
        lc = cpu["host_total"]
        rc = cpu["remote_total"]
        streams = end["streams"]
        if type(version) is not str or type(nstreams) is not int or not 0 <= nstreams < 1 << 31 \
                or type(tsecs) not in num or type(blk) not in num or type(lc) not in num \
                or type(rc) not in num or "sum_bidir_reverse" in end:
            raise _Slow
        if proto == "tcp":
            mss = start.get("tcp_mss", start.get("tcp_mss_default"))
            if type(mss) not in num:
                raise _Slow
            mss = mss or NAN
            msg = NAN if blk == _TCP_DEFAULT_BLKSIZE else blk
            rtt = _fast_rtt(streams)
        elif proto == "udp":
            for st in streams:
                if "sender" in st:  # an RTT on a UDP stream: the careful path decides
                    raise _Slow
            mss, msg, rtt = NAN, blk, _NO_RTT
        else:
            raise _Slow
        lc = NAN if lc is None else lc / 100.0
        rc = NAN if rc is None else rc / 100.0
        pmtu = _fast_pmtu(doc.get("intervals"))
        version = version.rpartition(" ")[2] or None
        if "sum_sent_bidir_reverse" in end or "sum_received_bidir_reverse" in end:
            return [(name, rec, version, proto, nstreams, "send", True, tsecs, msg, mss, lc, rc,
                     pmtu) + rtt + _fast_sums(proto, end["sum_sent"], end["sum_received"]),
                    (name, rec, version, proto, nstreams, "receive", True, tsecs, msg, mss, lc,
                     rc, pmtu) + _NO_RTT  # the RTT belongs to the first row only
                    + _fast_sums(proto, end["sum_sent_bidir_reverse"],
                                 end["sum_received_bidir_reverse"])]
        return [(name, rec, version, proto, nstreams,
                 "receive" if ts.get("reverse") else "send", None, tsecs, msg, mss, lc, rc,
                 pmtu) + rtt + _fast_sums(proto, end["sum_sent"], end["sum_received"])]
    except (KeyError, IndexError, TypeError, AttributeError, ValueError):
        raise _Slow from None


def _fast_sums(proto, sent, recv):
    """``(throughput_bps, duration_s, retransmits, lost_fraction, jitter_s)`` of one direction."""
    num = _NUMERIC
    bps = recv["bits_per_second"]
    secs = recv["seconds"]
    if proto == "tcp":
        rb, sb = recv.get("bytes"), sent.get("bytes")
        if rb == 0 or (type(rb) in num and type(sb) in num and rb is not None and sb is not None
                       and rb < TCP_RECEIVED_MIN_FRACTION * sb):
            raise _Slow  # the receiver contradicts its sender: the careful path says why
        retr = sent.get("retransmits")  # absent and null are both missing
        if type(bps) not in num or type(secs) not in num or type(retr) not in num:
            raise _Slow
        return bps, secs, retr, NAN, NAN
    lp = recv["lost_percent"]
    jit = recv.get("jitter_ms")
    if lp is None or type(lp) not in num or type(bps) not in num or type(secs) not in num \
            or type(jit) not in num:
        raise _Slow  # no lost_percent: the careful path derives it from packets
    return bps, secs, NAN, lp / 100.0, NAN if jit is None else jit / 1000.0


def _fast_rtt(streams):
    """``(mean, min, max)`` sender RTT [s] as :func:`_rtt` computes it (NaN when it sets none)
    for a list of streams that each have a ``sender`` object (else an exception)."""
    num = _NUMERIC
    if type(streams) is not list:
        raise _Slow
    if len(streams) == 1:  # the common case, without lists
        snd = streams[0]["sender"]
        if "mean_rtt" not in snd or snd.get("sender") is False:
            return _NO_RTT
        mean = snd["mean_rtt"]
        lo = snd["min_rtt"]
        hi = snd["max_rtt"]
        if type(mean) not in num or type(lo) not in num or type(hi) not in num:
            raise _Slow
        return (mean / 1e6, lo / 1e6, hi / 1e6) if mean > 0 else _NO_RTT  # null: TypeError
    means, mins, maxs = [], [], []
    for st in streams:
        snd = st["sender"]
        if "mean_rtt" in snd and snd.get("sender") is not False:
            mean = snd["mean_rtt"]
            lo = snd["min_rtt"]
            hi = snd["max_rtt"]
            if type(mean) not in num or type(lo) not in num or type(hi) not in num:
                raise _Slow
            means.append(mean)
            mins.append(lo)
            maxs.append(hi)
    if means and max(means) > 0:  # a null among them: TypeError, careful path
        return sum(means) / len(means) / 1e6, min(mins) / 1e6, max(maxs) / 1e6
    return _NO_RTT


def _fast_pmtu(intervals):
    """:func:`~cnimodel.io.iperf3_careful.last_pmtu` (NaN for None) with a shortcut for the
    common case: the last interval not omitted, its streams objects with an integer ``pmtu`` or none."""
    try:
        streams = intervals[-1]["streams"]
        if type(streams) is list and streams[0].get("omitted") is not True:
            best = 0
            for st in streams:
                v = st.get("pmtu")
                if type(v) is int and v < 1 << 53:
                    if v > best:
                        best = v
                elif v is not None:
                    break  # a float, a bool ...: the general path
            else:
                return float(best) if best else NAN
    except (KeyError, IndexError, TypeError, AttributeError):
        pass
    v = last_pmtu(intervals, None)
    return NAN if v is None else v


def _needs_dup_parse(end) -> bool:
    streams = end.get("streams")
    if not isinstance(streams, list) or len(streams) < 2 \
            or "sum_sent_bidir_reverse" in end or "sum_bidir_reverse" in end:
        return False
    try:  # the common case: every stream has a sender object with a sender flag
        return len({s["sender"]["sender"] for s in streams}) > 1
    except (KeyError, TypeError):
        pass
    flags = set()
    for s in streams:
        if isinstance(s, dict):
            side = s.get("sender") if isinstance(s.get("sender"), dict) else s.get("udp")
            if isinstance(side, dict):
                flags.add(side.get("sender"))
    return len(flags) > 1

"""The careful path of the iperf3 reader: every field checked, errors name their location.

:func:`cnimodel.io.iperf3.parse_iperf3` tries its fast path first (tuples straight from
the parsed document); anything unusual there (a missing key, an unexpected type, ``--bidir``,
old layouts) comes here, where each value goes through :func:`cnimodel.io._common.num`
so a malformed file raises a :class:`~cnimodel.errors.DataFormatError` naming the file,
the JSON location and what was expected.  The rules of which number lands where are the
reader module's (see :mod:`cnimodel.io.iperf3`); the units are iperf3's own
(``src/iperf_api.c``: ``rtt``/``mean_rtt`` in microseconds, ``jitter_ms`` in ms).

Examples
--------
>>> last_pmtu([{"streams": [{"pmtu": 1500}, {"pmtu": 9000}]}], "x.json")
9000.0
"""
from __future__ import annotations

from ..errors import DataFormatError
from . import _common as C

__all__ = ["doc_rows", "interval_rows", "last_pmtu", "zero_receiver", "TCP_DEFAULT_BLKSIZE"]

#: iperf3's default TCP write size (``DEFAULT_TCP_BLKSIZE`` in ``src/iperf.h``: 128 KiB) [bytes]
TCP_DEFAULT_BLKSIZE = 131072


def doc_rows(doc, end, name, rec):
    """Rows (dicts) of one iperf3 document, every field checked (one per direction)."""
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
    if not isinstance(proto, str) or proto.lower() not in ("tcp", "udp", "sctp"):
        raise DataFormatError(name, "start.test_start.protocol", "TCP, UDP or SCTP",
                              found=C.describe(proto))
    proto = proto.lower()
    nstreams = ts.get("num_streams")
    if isinstance(nstreams, bool) or not isinstance(nstreams, int) or not 0 <= nstreams < 1 << 31:
        raise DataFormatError(name, "start.test_start.num_streams", "a stream count (integer)",
                              found=C.describe(nstreams))
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
    if proto == "udp" or blk != TCP_DEFAULT_BLKSIZE:
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
    base["pmtu_bytes"] = last_pmtu(doc.get("intervals"), name)
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


#: a completed TCP run whose receiver counted less than this fraction of the bytes its sender
#: sent contradicts itself: TCP delivers every byte, and at the end of a run only what is in
#: flight (one window) can be missing, far less than half except in runs shorter than the
#: path's round trip.  iperf3 3.9 prints 0 or a fraction for fixed-size ``-n`` runs.
TCP_RECEIVED_MIN_FRACTION = 0.5


def zero_receiver(received, sent, name, where, tcp: bool = True):
    """The receiver-contradicts-sender quirk: 0 bytes received while bytes were sent and no
    error, or (TCP) less than :data:`TCP_RECEIVED_MIN_FRACTION` of them.  A
    DataFormatError, never a throughput of 0 or of a fraction (docs/data-dictionary.md,
    "Quality checks").  UDP may lose datagrams: there only a TCP run is checked."""
    if not tcp or type(sent) not in (int, float) or type(received) not in (int, float) \
            or not sent > 0:
        return
    if received == 0:
        raise DataFormatError(name, where, "the receiver's byte count of a completed run",
                              found=f"0 bytes received while the sender reports {sent:g} bytes "
                              "sent and no error (a known iperf3 misreport, e.g. 3.9 with -n); "
                              "not read as throughput 0")
    if received < TCP_RECEIVED_MIN_FRACTION * sent:
        raise DataFormatError(name, where, "a TCP receiver's byte count close to its sender's",
                              found=f"{received:g} bytes received of {sent:g} sent, no error: less "
                              "than half, which TCP cannot deliver in a completed run (the run "
                              "ended before its data arrived, e.g. -n shorter than one round "
                              "trip, or iperf3 misreported as 3.9 does with -n); not read as "
                              "throughput")


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
    if recv is not None and sent is not None and recv is not sent:
        zero_receiver(recv.get("bytes"), sent.get("bytes"), name, f"end.sum_received{suffix}.bytes")
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


def last_pmtu(intervals, name):
    """Largest positive per-stream ``pmtu`` of the last interval not omitted, as float, or None."""
    if not isinstance(intervals, list):
        return None
    for iv in reversed(intervals):
        streams = iv.get("streams") if isinstance(iv, dict) else None
        if not isinstance(streams, list) or not streams:
            continue
        if isinstance(streams[0], dict) and streams[0].get("omitted") is True:
            continue
        vals = [s.get("pmtu") for s in streams if isinstance(s, dict)]
        vals = [v for v in vals if isinstance(v, (int, float)) and not isinstance(v, bool)
                and 0 < v <= 1e308]  # an int beyond the float range is no MTU either
        return float(max(vals)) if vals else None
    return None


def interval_rows(doc, name, rec):
    """Per-interval rows of one iperf3 document (streams and sums), every field checked."""
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

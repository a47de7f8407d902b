"""Reader of sockperf client text output (ping-pong, under-load, throughput; 2.x-3.x).

Colour escapes (``ESC[2;35m``) and CRLF line ends (a terminal log) are removed first.

Half or full round trip
-----------------------
sockperf prints HALF the round trip by default (``avg-latency``, ``Summary: Latency is``,
percentiles: each sample is its measured round trip divided by 2); with ``--full-rtt`` it
prints the round trip (``avg-rtt``, ``Summary: Round trip is``).  The schema's ``latency_*_s``
columns are ROUND TRIPS for every tool, so half-round-trip values are multiplied by 2
(exact: sockperf halves every sample before its statistics) and ``--full-rtt`` values are
kept as printed.  Nothing is stored as a one-way latency.

* ping-pong / under-load: ``test="rr"``, ``series`` the mode; ``latency_mean_s`` (avg),
  ``latency_stddev_s`` (std-dev), ``latency_p50/p90/p99_s`` (percentile lines),
  ``latency_min_s`` / ``latency_max_s`` (``<MIN>`` / ``<MAX>`` observation), ``duration_s``
  the ``[Valid Duration]`` run time; ping-pong only: ``transactions_per_s`` = received
  messages / valid run time (one message in flight) and ``lost_fraction`` = dropped /
  sent.  Under load sockperf answers only every Nth message, so neither is a rate there.
* 3.1 prints ``avg-lat=`` (half the round trip, as ``avg-latency=`` in 3.7); 3.10 adds
  ``mean-ad``, ``median-ad`` ... and a confidence interval after the ``std-dev``.  An excerpt
  without the ``[ 0] IP = ... # TCP`` header leaves ``protocol`` missing; a short log prefix
  before each line (``[STDOUT] sockperf: ...``) is read through.
* throughput mode: sockperf measures the SENDER only.  TCP: ``throughput_bps`` = message
  rate x message size x 8 (its ``Mbps`` figure is in units of 2^20 bit/s, so it is not used);
  UDP: the sender's rate is not goodput (the receiver's count is on the server), so the
  file is rejected with that reason rather than read as a received rate.
* ``No messages were received from the server``: a DataFormatError with sockperf's message.

Examples
--------
>>> rows = parse_sockperf(b"sockperf: == version #3.7 ==\\n[ 0] IP = 198.18.0.1 PORT = 11111 # UDP\\n"
...     b"sockperf: [Valid Duration] RunTime=1.500 sec; SentMessages=3000; ReceivedMessages=3000\\n"
...     b"sockperf: ====> avg-latency=9.000 (std-dev=1.000)\\n"
...     b"sockperf: # dropped messages = 0; # duplicated messages = 0; # out-of-order messages = 0\\n"
...     b"sockperf: Summary: Latency is 9.000 usec\\n", "s.txt")
>>> rows[0]["latency_mean_s"], rows[0]["transactions_per_s"]  # round trip = 2 x 9 us
(1.8e-05, 2000.0)
"""
from __future__ import annotations

import re

from ..errors import DataFormatError
from . import _common as C

__all__ = ["read_sockperf", "parse_sockperf", "looks_like_sockperf"]

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_VERSION = re.compile(r"== version #(\S+?) ==")
_PROTO = re.compile(r"^\[\s*\d+\] IP = \S+\s+PORT =\s*\d+ # (TCP|UDP)", re.M)
_VALID = re.compile(r"\[Valid Duration\] RunTime=([\d.]+) sec; SentMessages=(\d+); "
                    r"ReceivedMessages=(\d+)")
# 3.1: "avg-lat= 1.403 (std-dev=0.677)"; 3.7: "avg-latency=9.0 (std-dev=1.0)"; 3.10 adds
# ", mean-ad=..., 99.0% ci=[...]" after the std-dev
_AVG = re.compile(r"====> avg-(lat|latency|rtt)=\s*([\d.]+) \(std-dev=\s*([\d.]+)[,)]")
_DROPPED = re.compile(r"# dropped messages = (\d+);")
_SUMMARY = re.compile(r"Summary: (Latency|Round trip) is\s+([\d.]+) usec")
_PCT = re.compile(r"---> percentile\s+([\d.]+) =\s*([\d.]+)")
_EXTREME = re.compile(r"---> <(MIN|MAX)> observation =\s*([\d.]+)")
_RATE = re.compile(r"Summary: Message Rate is (\d+) \[msg/sec\]")
_MSGSIZE = re.compile(r"using msg-size=(\d+)")
_SENT = re.compile(r"Total of (\d+) messages sent in ([\d.]+) sec")
_NOREPLY = re.compile(r"sockperf: (No messages were received[^\n]*)")
_ERROR = re.compile(r"sockperf: (ERROR[^\n]*)")
_US = 1e-6
_PCTS = {"50.000": "latency_p50_s", "90.000": "latency_p90_s", "99.000": "latency_p99_s"}


_MARK = re.compile(rb"^[^\n]{0,40}?sockperf: (?:==|\[|====>|Summary|Total|---> )", re.M)


def looks_like_sockperf(head: bytes) -> bool:
    """True for sockperf output: its ``sockperf: `` prefixed lines in the first bytes, also
    behind a short log prefix (``[STDOUT] sockperf: ...``)."""
    return head.startswith(b"sockperf") or b"\nsockperf: " in head[:400] or \
        _MARK.search(head, 0, 2000) is not None


def read_sockperf(path_or_buffer, source: str | None = None):
    """Read one sockperf client output file into the tidy schema (see module doc)."""
    from .schema import frame_from_rows

    data, name = C.read_bytes(path_or_buffer, source)
    return frame_from_rows(parse_sockperf(data, name))


def _line(txt, pos):
    return f"line {txt.count(chr(10), 0, pos) + 1}"


def parse_sockperf(data: bytes, name: str) -> list:
    """Rows (one) of a sockperf client's text output."""
    txt = _ANSI.sub("", C.text(data, name)).replace("\r\n", "\n")
    for rx in (_NOREPLY, _ERROR):
        m = rx.search(txt)
        if m:
            raise DataFormatError(name, _line(txt, m.start()), "a completed sockperf run",
                                  found=f"sockperf's {C.tool_message(m.group(1))}")
    proto = _PROTO.search(txt)  # absent from an excerpt of the statistics: protocol unknown
    row = C.base_row("sockperf", "sockperf", name)
    version = _VERSION.search(txt)
    row.update(tool_version=version.group(1) if version else None, streams=1, direction="send",
               protocol=proto.group(1).lower() if proto else None)
    rate = _RATE.search(txt)
    if rate is not None:
        return [_throughput(row, txt, name, rate)]
    avg = _AVG.search(txt)
    if avg is None:
        raise DataFormatError(name, "end of file", "sockperf's '====> avg-latency=... (std-dev=...)' "
                              "line (ping-pong / under-load) or its Message Rate summary "
                              "(throughput)", found="neither: the run was cut short")
    scale = _US if avg.group(1) == "rtt" else 2 * _US  # half round trip -> round trip
    where = _line(txt, avg.start())
    row["latency_mean_s"] = C.fnum(avg.group(2), name, where) * scale
    row["latency_stddev_s"] = C.fnum(avg.group(3), name, where) * scale
    summ = _SUMMARY.search(txt)
    if summ and (summ.group(1) == "Round trip") != (avg.group(1) == "rtt"):
        raise DataFormatError(name, _line(txt, summ.start()), "a summary of the same kind as "
                              f"avg-{avg.group(1)}", found=f"a '{summ.group(1)} is' summary")
    for m in _PCT.finditer(txt):
        col = _PCTS.get(m.group(1))
        if col:
            row[col] = C.fnum(m.group(2), name, _line(txt, m.start())) * scale
    for m in _EXTREME.finditer(txt):
        row["latency_min_s" if m.group(1) == "MIN" else "latency_max_s"] = \
            C.fnum(m.group(2), name, _line(txt, m.start())) * scale
    valid = _VALID.search(txt)
    row.update(test="rr", series="ping-pong")
    if valid:
        secs, sent, recv = (C.fnum(valid.group(k), name, _line(txt, valid.start())) for k in (1, 2, 3))
        row["duration_s"] = secs
        if recv > sent:
            raise DataFormatError(name, _line(txt, valid.start()), "ReceivedMessages <= SentMessages",
                                  found=f"{recv:g} received of {sent:g} sent")
        dropped = _DROPPED.search(txt)
        lost = int(dropped.group(1)) if dropped else 0
        # the file does not name the mode: under load sockperf answers only every Nth message,
        # so far more messages are unanswered than dropped; a ping-pong answers every one
        if sent - recv > lost + 1:
            row["series"] = "under-load"
        elif secs > 0 and sent > 0:
            row["transactions_per_s"] = recv / secs
            row["lost_fraction"] = lost / sent if dropped else C.NAN
    return [row]


def _throughput(row, txt, name, rate):
    where = _line(txt, rate.start())
    if row["protocol"] == "udp":
        raise DataFormatError(name, where, "a received rate", found="sockperf throughput mode over "
                              "UDP, which reports only the SENDER's message rate (the receiver's "
                              "count is on the server); not read as goodput")
    size = _MSGSIZE.search(txt)
    if size is None:
        raise DataFormatError(name, where, "the 'using msg-size=N' note giving the message size",
                              found="none")
    msg = float(size.group(1))
    row.update(test="stream", series="throughput", msg_size_bytes=msg,
               throughput_bps=float(rate.group(1)) * msg * 8)
    sent = _SENT.search(txt)
    if sent:
        row["duration_s"] = C.fnum(sent.group(2), name, _line(txt, sent.start()))
    return row

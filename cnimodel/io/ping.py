"""Reader of ping (iputils, busybox-like summaries) and fping text output: the baseline RTT.

One row per target: ``test="rr"`` (one echo in flight at a time), ``protocol="icmp"``,
``latency_mean_s`` / ``latency_min_s`` / ``latency_max_s`` the ROUND-TRIP times ping prints
(milliseconds in the file), ``latency_stddev_s`` iputils' ``mdev``, ``lost_fraction`` from the
transmitted / received counts, ``msg_size_bytes`` the ICMP payload (``-s``).

* ping: the summary (``N packets transmitted, M received``, ``rtt min/avg/max/mdev = ...``)
  gives the row; without a summary (interrupted before it) the per-packet ``time=`` lines
  give mean/min/max, and the loss stays NaN (what was sent is unknown).  ``-D`` timestamps
  are read into ``timestamp``.
* fping: ``-c`` / ``-C`` per-target summaries (``xmt/rcv/%loss = ...``) or the ``-C`` list
  of times (``-`` = lost); ``-e`` (``is alive (0.025 ms)``): one sample.
* Errors (``ping: ...``, no reply line and no summary) are a DataFormatError describing
  the tool's message in fixed words (:func:`cnimodel.io._common.tool_message`), never quoting it.

Examples
--------
>>> rows = parse_ping(b"PING 198.18.0.1 (198.18.0.1) 56(84) bytes of data.\\n\\n"
...     b"--- 198.18.0.1 ping statistics ---\\n"
...     b"5 packets transmitted, 5 received, 0% packet loss, time 819ms\\n"
...     b"rtt min/avg/max/mdev = 0.020/0.048/0.064/0.015 ms\\n", "p.txt")
>>> rows[0]["latency_mean_s"], rows[0]["lost_fraction"], rows[0]["msg_size_bytes"]
(4.8e-05, 0.0, 56.0)
"""
from __future__ import annotations

import re

from ..errors import DataFormatError
from . import _common as C

__all__ = ["read_ping", "parse_ping", "parse_fping", "looks_like_ping", "looks_like_fping"]

_HEAD = re.compile(r"^PING (\S+) \(([^)]*)\) (\d+)\(\d+\) bytes of data\.", re.M)
_REPLY = re.compile(r"^(?:\[(\d+(?:\.\d+)?)\] )?\d+ bytes from [^:]+: icmp_seq=(\d+) "
                    r"(?:ident=\d+ )?ttl=\d+ time=([\d.]+) ms", re.M)
_STATS = re.compile(r"^(\d+) packets transmitted, (\d+) (?:packets )?received,", re.M)
_RTT = re.compile(r"^(?:rtt|round-trip) min/avg/max(?:/(?:mdev|stddev))? = "
                  r"([\d.]+)/([\d.]+)/([\d.]+)(?:/([\d.]+))? ms", re.M)
_FP_SUM = re.compile(r"^(\S+)\s+: xmt/rcv/%loss = (\d+)/(\d+)/\d+%"
                     r"(?:, min/avg/max = ([\d.]+)/([\d.]+)/([\d.]+))?\s*$", re.M)
_FP_PKT = re.compile(r"^(\S+)\s+: \[\d+\], (\d+) bytes, ([\d.]+) ms \(", re.M)
# one token after another, separated by required blanks: no nested quantifier to backtrack on
_FP_LIST = re.compile(r"^(\S+)[ \t]+: ((?:[\d.]+|-)(?:[ \t]+(?:[\d.]+|-))*)[ \t]*$", re.M)
_FP_ALIVE = re.compile(r"^(\S+) is alive \(([\d.]+) ms\)", re.M)
_MS = 1e-3


_HEAD_B = re.compile(rb"^PING \S+ \([^)\n]*\) \d+\(\d+\) bytes of data\.", re.M)


def looks_like_ping(head: bytes) -> bool:
    """True for iputils ping output (``PING host (addr) N(M) bytes of data.``, also after a
    few lines of other text such as a console prompt, or its ``ping: `` error)."""
    return (head.startswith(b"PING ") and b"bytes of data" in head[:300]) or \
        head.startswith(b"ping: ") or _HEAD_B.search(head, 0, 2000) is not None


def looks_like_fping(head: bytes) -> bool:
    """True for fping output (its per-target ``host : [i], ...``, ``xmt/rcv`` or ``is alive``)."""
    first = head.split(b"\n", 1)[0]
    return bool(re.match(rb"^\S+\s+: (?:\[\d+\], \d+ bytes|xmt/rcv/%loss|[\d.]+ |- )", first)
                or re.match(rb"^\S+ is (?:alive|unreachable)", first))


def read_ping(path_or_buffer, source: str | None = None):
    """Read one ping or fping output file into the tidy schema (see module doc)."""
    from .schema import frame_from_rows

    data, name = C.read_bytes(path_or_buffer, source)
    rows = parse_fping(data, name) if looks_like_fping(data.lstrip()) else parse_ping(data, name)
    return frame_from_rows(rows)


def _base(name, fmt, rec, target):
    row = C.base_row(fmt, fmt, name, rec)
    row.update(test="rr", protocol="icmp", direction="send", streams=1, series=target)
    return row


def _ms(s, name, where):
    return C.fnum(s, name, where) * _MS


def _line(txt, pos):
    return f"line {txt.count(chr(10), 0, pos) + 1}"


def parse_ping(data: bytes, name: str) -> list:
    """Rows of iputils ping text (one run per file)."""
    txt = C.text(data, name).replace("\r\n", "\n")
    head = _HEAD.search(txt)
    if head is None:
        err = re.search(r"^ping: (.*)$", txt, re.M)
        raise DataFormatError(name, "line 1", "ping output (PING host (address) N(M) bytes of data.)",
                              found=f"ping's {C.tool_message(err.group(1))}" if err else
                              C.describe(data))
    row = _base(name, "ping", 0, head.group(2))
    row["msg_size_bytes"] = float(head.group(3))
    replies = list(_REPLY.finditer(txt))
    stats, rtt = _STATS.search(txt), _RTT.search(txt)
    if replies and replies[0].group(1):
        row["timestamp"] = C.fnum(replies[0].group(1), name, _line(txt, replies[0].start()))
    if stats:
        sent, recv = int(stats.group(1)), int(stats.group(2))
        if sent == 0 or recv > sent:
            raise DataFormatError(name, _line(txt, stats.start()), "received <= transmitted > 0",
                                  found=f"{recv} received of {sent} transmitted")
        row["lost_fraction"] = (sent - recv) / sent
        if recv and rtt is None:
            raise DataFormatError(name, _line(txt, stats.end()), "the rtt min/avg/max line after "
                                  f"{recv} replies", found="none (truncated summary)")
        if recv and len(replies) > recv:
            raise DataFormatError(name, _line(txt, stats.start()), "no more reply lines than "
                                  "the summary's received count", found=f"{len(replies)} > {recv}")
    if rtt:
        lo, avg, hi = (_ms(rtt.group(k), name, _line(txt, rtt.start())) for k in (1, 2, 3))
        row.update(latency_min_s=lo, latency_mean_s=avg, latency_max_s=hi)
        if rtt.group(4):
            row["latency_stddev_s"] = _ms(rtt.group(4), name, _line(txt, rtt.start()))
    elif replies:  # interrupted before the summary: the replies themselves
        times = [_ms(m.group(3), name, _line(txt, m.start())) for m in replies]
        row.update(latency_min_s=min(times), latency_max_s=max(times),
                   latency_mean_s=sum(times) / len(times))
    elif not stats:
        raise DataFormatError(name, "end of file", "reply lines or the ping statistics summary",
                              found="neither (the run was cut short)")
    return [row]


def parse_fping(data: bytes, name: str) -> list:
    """Rows of fping text: one per target, from its summaries, ``-C`` lists or ``-e`` lines."""
    txt = C.text(data, name).replace("\r\n", "\n")
    rows, seen = [], {}

    def row_for(target):
        if target not in seen:
            seen[target] = _base(name, "fping", len(rows), target)
            rows.append(seen[target])
        return seen[target]

    sizes = {}
    for m in _FP_PKT.finditer(txt):
        sizes.setdefault(m.group(1), float(m.group(2)) - 8)  # fping prints ICMP bytes (8 header)
    sums = list(_FP_SUM.finditer(txt))
    for m in sums:
        where = _line(txt, m.start())
        r = row_for(m.group(1))
        if "lost_fraction" in r:
            raise DataFormatError(name, where, "one summary per target", found="a second one for a target")
        sent, recv = int(m.group(2)), int(m.group(3))
        if sent == 0 or recv > sent:
            raise DataFormatError(name, where, "received <= transmitted > 0",
                                  found=f"{recv} received of {sent} transmitted")
        r["lost_fraction"] = (sent - recv) / sent
        if m.group(4):
            r.update(latency_min_s=_ms(m.group(4), name, where), latency_mean_s=_ms(m.group(5), name, where),
                     latency_max_s=_ms(m.group(6), name, where))
        elif recv:
            raise DataFormatError(name, where, f"min/avg/max after {recv} replies", found="none")
    if not sums:
        for m in _FP_LIST.finditer(txt):  # -C N -q: the times of each target, "-" for a loss
            where = _line(txt, m.start())
            vals = m.group(2).split()
            times = [_ms(v, name, where) for v in vals if v != "-"]
            r = row_for(m.group(1))
            r["lost_fraction"] = (len(vals) - len(times)) / len(vals)
            if times:
                mean = sum(times) / len(times)
                r.update(latency_min_s=min(times), latency_max_s=max(times), latency_mean_s=mean)
        for m in _FP_ALIVE.finditer(txt):  # -e: one echo
            r = row_for(m.group(1))
            r["latency_mean_s"] = _ms(m.group(2), name, _line(txt, m.start()))
    if not rows:
        raise DataFormatError(name, "line 1", "fping per-target results (xmt/rcv/%loss summaries, "
                              "-C lists or 'is alive (x ms)')", found=C.describe(data))
    for target, r in seen.items():
        if target in sizes:
            r["msg_size_bytes"] = sizes[target]
    return rows

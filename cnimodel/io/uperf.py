"""Reader of uperf's text output (the master side, 1.0.x), as k8s-netperf runs it.

k8s-netperf runs ``uperf -v -a -R -i 1 -m PROFILE -P PORT`` through a terminal (CRLF line
ends; its ``pkg/drivers/uperf.go``); other wrappers run ``uperf -m PROFILE`` with or without
``-a`` (every statistic), ``-R`` (raw ``timestamp_ms:... name:... nr_bytes:... nr_ops:...``
lines instead of the human ones) or ``-f`` / ``-t`` (flowop and transaction tables).  Real
outputs: ``tests/data/io/public/gobench-uperf/`` (provenance in ``tests/data/io/README.md``).

What the file says and where each number comes from
---------------------------------------------------
* ``Starting N threads running profile:NAME``: ``streams`` = N, ``series`` = NAME.
* The test: the flowop table (``-f`` / ``-a``): write-like flowops only (write, send, sendto,
  sendfile) = a stream the master SENDS (``direction="send"``), read-like only (read, recv,
  recvfrom) = a stream it receives, both = request/response (``test="rr"``, one write and
  one read per transaction).  Without the table, a profile name with a ``stream`` / ``rr``
  token (k8s-netperf's ``stream-tcp-16384-1``, ``rr-tcp-64-1``) gives the test; a stream's
  direction then stays unknown and the file is rejected with that reason (the received rate
  cannot be told from the sent one).  ``protocol``: a ``tcp`` / ``udp`` / ``sctp`` token of
  the profile name, else missing (uperf does not print it).
* ``throughput_bps`` (stream): the RECEIVING side's rate in ``Run Statistics`` (the slave
  rows when the master writes, summed over slaves; the master row when it reads): the
  schema's throughput is goodput.  uperf counts each side's own flowops and the two counts
  can differ (its ``Difference(%)`` line); a difference above 1 % is a finding (the
  sender's count is not kept).  ``duration_s``: that row's time.
* rr (write and read flowops): rejected with that reason.  No real uperf request/response
  output was available to check the transaction table's numbers against, so none is read
  (k8s-netperf's own rr numbers come from its CSV, :mod:`cnimodel.io.k8s_netperf`).
* Units (uperf ``src/print.c``): bytes with binary prefixes (``GB`` = 2^30), bits with
  decimal ones (``Gb/s`` = 10^9 bit/s); times ``ns`` / ``us`` / ``ms`` / ``s``.
* Errors: a non-zero ``Errors`` column, uperf's ``** ... Cannot connect`` / ``Error``
  lines without results, or no ``Total`` line (the run did not finish): a
  :class:`~cnimodel.errors.DataFormatError` describing it (never quoting the file).

Examples
--------
>>> from pathlib import Path
>>> p = Path(__file__).parents[2] / "tests/data/io/public/gobench-uperf/uperf-TtfgkpeEav-m-iperf.txt"
>>> r = parse_uperf(p.read_bytes(), "u.txt")[0]
>>> r["test"], r["direction"], r["streams"], r["throughput_bps"], r["duration_s"]
('stream', 'send', 1, 15510000000.0, 32.33)
"""
from __future__ import annotations

import re

from ..errors import DataFormatError
from . import _common as C
from .schema import Finding

__all__ = ["parse_uperf", "looks_like_uperf"]

_START = re.compile(r"^Starting (\d+) (?:threads|processes) running profile:(\S+?) \.\.\.", re.M)
_TOTAL = re.compile(r"^Total\s+([\d.]+)\s*([KMGT]?B)\s*/\s*([\d.]+)\(s\)\s*=", re.M)
_RAW = re.compile(r"^timestamp_ms:([\d.]+) name:(\S+) nr_bytes:(\d+) nr_ops:(\d+)\s*$", re.M)
_RUN_HEAD = re.compile(r"^Hostname\s+Time\s+Data\s+Throughput\s+Operations\s+Errors\s*$", re.M)
_RUN_ROW = re.compile(r"^(\S+)\s+([\d.]+)s\s+([\d.]+)([KMGT]?B)\s+([\d.]+)([KMGT]?b)/s\s+(\d+)\s+"
                      r"([\d.]+)\s*$")
_TABLE_ROW = re.compile(r"^(\S+)\s+(\d+)\s+([\d.]+)(ns|us|ms|s)\s+")
_FAIL = re.compile(r"^\*\* .*(?:Cannot connect|[Ee]rror|[Ff]ailed|[Aa]borted).*$", re.M)
_BIN = {"B": 1.0, "KB": 2.0 ** 10, "MB": 2.0 ** 20, "GB": 2.0 ** 30, "TB": 2.0 ** 40}
_DEC = {"b": 1.0, "Kb": 1e3, "Mb": 1e6, "Gb": 1e9, "Tb": 1e12}
_TIME = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
_WRITES = frozenset(("write", "send", "sendto", "sendfile", "sendfilev"))
_READS = frozenset(("read", "recv", "recvfrom"))
_DIFF_FINDING = 0.01  # master and slave counts further apart than this: reported


def looks_like_uperf(head: bytes) -> bool:
    """True for uperf's master output (its ``Starting N threads running profile:`` line)."""
    return re.search(rb"^Starting \d+ (?:threads|processes) running profile:", head, re.M) is not None


def _line(txt, pos, base=0):
    return f"line {txt.count(chr(10), 0, pos) + 1 + base}"


def _table(txt, header, name, base=0):
    """Rows ``name -> (count, avg [s], where)`` of the table whose header line starts with
    ``header`` (``Txn`` or ``Flowop``), or None when the file has no such table."""
    m = re.search(rf"^{header}\s+Count\s+avg\s+cpu\s+max\s+min\s*$", txt, re.M)
    if m is None:
        return None
    out = {}
    pos = m.end() + 1
    for line in txt[pos:].split("\n"):
        if line.startswith("---"):
            continue
        r = _TABLE_ROW.match(line)
        if r is None:
            break
        where = _line(txt, txt.find(line, pos), base)
        out[r.group(1)] = (int(r.group(2)), C.fnum(r.group(3), name, where) * _TIME[r.group(4)], where)
    return out


def _run_stats(txt, name, base=0):
    """``[(host, time [s], bytes, bit/s, operations, errors, where), ...]`` of ``Run Statistics``."""
    m = _RUN_HEAD.search(txt)
    if m is None:
        return []
    out = []
    for line in txt[m.end() + 1:].split("\n"):
        if line.startswith("---"):
            continue
        r = _RUN_ROW.match(line.rstrip())
        if r is None:
            break
        where = _line(txt, m.end() + 1 + txt[m.end() + 1:].find(line), base)
        out.append((r.group(1), C.fnum(r.group(2), name, where),
                    C.fnum(r.group(3), name, where) * _BIN[r.group(4)],
                    C.fnum(r.group(5), name, where) * _DEC[r.group(6)], int(r.group(7)),
                    C.fnum(r.group(8), name, where), where))
    return out


def _kind(flowops, profile):
    """``(test, direction)`` from the flowop names, else from the profile name's tokens."""
    if flowops:
        names = {k.lower() for k in flowops}
        w, r = bool(names & _WRITES), bool(names & _READS)
        if w and r:
            return "rr", "send"
        if w or r:
            return "stream", "send" if w else "receive"
    tokens = set(re.split(r"[-_.]", profile.lower()))
    if "rr" in tokens:
        return "rr", "send"
    if "stream" in tokens:
        return "stream", None
    return None, None


def _block(txt, off, block, name, rec, findings):
    start = _START.match(block)
    nthr, profile = int(start.group(1)), start.group(2)
    where0 = _line(txt, off)
    base = txt.count("\n", 0, off)
    raw = list(_RAW.finditer(block))
    total = _TOTAL.search(block) or next((m for m in raw if m.group(2) == "Total"), None)
    if total is None:
        fail = _FAIL.search(block)
        raise DataFormatError(name, where0, "uperf's Total line after the run",
                              found=f"uperf's {C.tool_message(fail.group(0))}" if fail else
                              "none: the run did not finish or the file is truncated")
    stats = _run_stats(block, name, base)
    for host, _, _, _, _, errors, where in stats:
        if errors > 0:
            raise DataFormatError(name, where, "a run without errors (Run Statistics, Errors 0)",
                                  found=f"{errors:g} errors on {'the master' if host == 'master' else 'a slave'}")
    flowops = _table(block, "Flowop", name, base)
    test, direction = _kind(flowops, profile)
    tokens = set(re.split(r"[-_.]", profile.lower()))
    row = C.base_row("uperf", "uperf", name, rec)
    row.update(series=profile, streams=nthr, test=test, direction=direction,
               protocol=next((p for p in ("tcp", "udp", "sctp") if p in tokens), None))
    if test is None or direction is None:
        raise DataFormatError(name, where0, "uperf's flowop table (run with -f or -a) or a profile "
                              "name saying stream / rr", found="neither: whether the master sent, "
                              "received or exchanged messages is unknown, so no rate is the received one")
    if test == "stream":
        master = [s for s in stats if s[0] == "master"]
        slaves = [s for s in stats if s[0] != "master"]
        recv = slaves if direction == "send" else master
        send = master if direction == "send" else slaves
        if not recv:
            raise DataFormatError(name, where0, "the receiving side's row in uperf's Run Statistics",
                                  found="none (only the sender's count; not read as goodput)")
        row["throughput_bps"] = sum(s[3] for s in recv)
        row["duration_s"] = max(s[1] for s in recv)
        got, sent = sum(s[2] for s in recv), sum(s[2] for s in send)
        if send and sent > 0 and abs(sent - got) > _DIFF_FINDING * sent and findings is not None:
            findings.append(Finding(name, f"record {rec}, {recv[0][6]}", f"uperf's sender counted "
                                    f"{100 * (sent - got) / sent:+.1f}% bytes against its receiver "
                                    "(each side counts its own flowops); the receiver's count is "
                                    "kept, the sender's is not"))
        return row
    # rr: no real uperf request/response output was found to check its transaction numbers
    # against (tests/data/io/README.md); rather than guess, the file is rejected with that reason
    raise DataFormatError(name, where0, "a uperf stream run (cnimodel reads uperf streams only)",
                          found="a request/response profile (write and read flowops): its "
                          "transaction rate and latency are not read, as no real output of "
                          "that kind was available to check them against")


def parse_uperf(data: bytes, name: str, findings: list | None = None) -> list:
    """Rows of uperf master output: one per ``Starting ... profile`` run (see module doc)."""
    txt = C.text(data, name).replace("\r\n", "\n")
    starts = [m.start() for m in _START.finditer(txt)]
    if not starts:
        raise DataFormatError(name, "line 1", "uperf output ('Starting N threads running "
                              "profile:NAME ...')", found=C.describe(data))
    rows = []
    for rec, (a, b) in enumerate(zip(starts, starts[1:] + [len(txt)])):
        rows.append(_block(txt, a, txt[a:b], name, rec, findings))
    return rows

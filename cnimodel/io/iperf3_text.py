"""Reader of iperf3's human text output (client and server side, 3.x).

A file may hold several tests (a server without ``-1`` prints one block per test; each
``Connecting to host`` / ``Server listening`` block is one ``record``).  Only the summary
lines after the last ``- - -`` separator of a block give numbers (they already exclude
``--omit`` intervals, which iperf3 marks ``(omitted)``); interval lines are not read.

Which number lands where (the same rules as the JSON reader, :mod:`cnimodel.io.iperf3`):
* ``throughput_bps``: the ``receiver`` line (``[SUM]`` with ``-P N``); a file with only the
  ``sender`` line (a server that sent, ``-R``) gives the sender's rate for TCP, and is rejected
  for UDP (a sender's rate is not the received rate).  ``retransmits`` from the TCP sender line;
  UDP ``lost_fraction`` and ``jitter_s`` from the receiver line.
* ``direction`` is the CLIENT's view, as in the JSON reader: ``Reverse mode`` (client file) or
  a server file whose test only sent -> ``receive``; ``--bidir`` (``[TX-C]``/``[RX-C]``,
  ``[TX-S]``/``[RX-S]`` roles): two rows, ``bidir=True``.
* Units (iperf3 ``src/units.c``): bits with decimal prefixes (``Kbits/sec`` = 10^3 bit/s ...),
  Bytes with binary prefixes (``KBytes`` = 2^10 bytes, ``KBytes/sec`` = 2^10 B/s ...).  A rate
  printed with fewer than 2 significant digits (``-f t``: ``0.01 Tbits/sec``) is too coarse
  to be a measurement and is rejected, not rounded into one.
* ``-V``: ``iperf 3.x`` version, ``Time:`` timestamp, ``TCP MSS``, block size, the CPU line
  (``local/sender 17.2%`` -> ``cpu_local_cores`` 0.172).
* ``iperf3: error - ...`` anywhere: a DataFormatError with iperf3's message.  A receiver that
  reports 0 bytes while the sender sent some: rejected (``zero_receiver``).
"""
from __future__ import annotations

import calendar
import re
import time

from ..errors import DataFormatError
from . import _common as C
from .iperf3_careful import TCP_DEFAULT_BLKSIZE, zero_receiver
from .schema import Finding

__all__ = ["read_iperf3_text", "parse_iperf3_text", "looks_like_iperf3_text"]

_BLOCK = re.compile(r"^(?:Connecting to host |Server listening on )", re.M)
_SUMLINE = re.compile(
    r"^\[\s*(\d+|SUM)\](?:\[(TX|RX)-([CS])\])?\s+([\d.]+)-\s*([\d.]+)\s+sec\s+([\d.]+)\s+([KMGT]?)Bytes"
    r"\s+([\d.]+)\s+([KMGT]?)(bits|Bytes)/sec\s+(.*?)\s*(sender|receiver)\s*$", re.M)
_UDP_TAIL = re.compile(r"^([\d.]+) ms\s+(\d+)/(\d+) \(([^)]*)%\)$")
_ERROR = re.compile(r"^iperf3: error - (.*)$", re.M)
_VERSION = re.compile(r"^iperf (3\.[\w.+-]+)", re.M)
_TIME = re.compile(r"^Time: \w{3}, (\d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2}) (?:GMT|UTC)", re.M)
_MSS = re.compile(r"TCP MSS: (\d+)")
_START = re.compile(r"^Starting Test: protocol: (\w+), (\d+) streams, (\d+) byte blocks", re.M)
_CPU = re.compile(r"^CPU Utilization: local/\w+ ([\d.]+)% .*remote/\w+ ([\d.]+)%", re.M)
_BIN = {"": 1.0, "K": 2.0 ** 10, "M": 2.0 ** 20, "G": 2.0 ** 30, "T": 2.0 ** 40}
_DEC = {"": 1.0, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}


def looks_like_iperf3_text(head: bytes) -> bool:
    """True for iperf3 text: its ``Connecting to host`` / ``Server listening on`` opening (after
    ``-V`` lines), its error line, or a summary line."""
    return bool(re.search(rb"^(?:Connecting to host \S+, port \d+|Server listening on \d+|"
                          rb"iperf3: error - )", head[:2000], re.M)) or \
        (head.startswith(b"iperf 3.") and b"Connecting to host" in head[:3000])


def read_iperf3_text(path_or_buffer, source: str | None = None):
    """Read one iperf3 text output file into the tidy schema (see module doc)."""
    from .schema import frame_from_rows

    data, name = C.read_bytes(path_or_buffer, source)
    return frame_from_rows(parse_iperf3_text(data, name))


def _line(txt, pos):
    return f"line {txt.count(chr(10), 0, pos) + 1}"


def _sig_digits(s: str) -> int:
    return len(s.replace(".", "").lstrip("0"))


def _summary(m, txt, off, name):
    where = _line(txt, off + m.start())
    secs = C.fnum(m.group(5), name, where) - C.fnum(m.group(4), name, where)
    nbytes = C.fnum(m.group(6), name, where) * _BIN[m.group(7)]
    rate_s = m.group(8)
    if _sig_digits(rate_s) < 2 and nbytes > 0:
        raise DataFormatError(name, where, "a bitrate with at least 2 significant digits",
                              found=f"a bitrate with {_sig_digits(rate_s)} significant digit "
                              f"in {m.group(9)}{m.group(10)}/sec (too coarse, e.g. -f t); "
                              "not read as a measurement")
    rate = C.fnum(rate_s, name, where)
    bps = rate * _DEC[m.group(9)] if m.group(10) == "bits" else rate * _BIN[m.group(9)] * 8
    out = {"id": m.group(1), "role": m.group(2), "side": m.group(12), "bps": bps,
           "secs": secs, "bytes": nbytes, "where": where}
    tail = m.group(11)
    u = _UDP_TAIL.match(tail)
    if u:
        lost, total = int(u.group(2)), int(u.group(3))
        out.update(udp=True, jitter=C.fnum(u.group(1), name, where) / 1e3,
                   lost=lost / total if total > 0 else C.NAN)
    elif tail.strip().isdigit():
        out["retr"] = float(tail)
    elif tail.strip():
        raise DataFormatError(name, where, "retransmits (TCP) or 'jitter ms lost/total (x%)' (UDP)",
                              found=C.describe(tail))
    return out


def _block_rows(txt, off, block, name, rec, meta, findings=None):
    seps = [m.end() for m in re.finditer(r"^- - - - .*$", block, re.M)]
    if not seps:
        raise DataFormatError(name, _line(txt, off), "the summary after iperf3's '- - -' line",
                              found="none: the test did not finish or the file is truncated")
    tail = block[seps[-1]:]
    sums = [_summary(m, txt, off + seps[-1], name) for m in _SUMLINE.finditer(tail)]
    if not sums:
        raise DataFormatError(name, _line(txt, off + seps[-1]), "sender / receiver summary lines",
                              found="none")
    client = block.startswith("Connecting")
    reverse = "Reverse mode" in block
    roles = sorted({s["role"] for s in sums if s["role"]})
    groups = [(r, [s for s in sums if s["role"] == r]) for r in roles] if roles else [(None, sums)]
    rows = []
    for role, ss in groups:
        ids = {s["id"] for s in ss if s["id"] != "SUM"}
        pick = [s for s in ss if s["id"] == "SUM"] or ss if len(ids) > 1 else ss
        if len(ids) > 1 and not any(s["id"] == "SUM" for s in ss):
            raise DataFormatError(name, ss[0]["where"], f"[SUM] lines for the {len(ids)} streams",
                                  found="none")
        snd = next((s for s in pick if s["side"] == "sender"), None)
        rcv = next((s for s in pick if s["side"] == "receiver"), None)
        udp = any(s.get("udp") for s in ss)
        row = dict(meta, tool="iperf3", format="iperf3-text", source_file=name, record=rec,
                   test="stream", protocol="udp" if udp else "tcp", streams=len(ids))
        if role:
            row["bidir"] = True
            sends = role == "TX"  # the local side transmits; stored as the client's view
            row["direction"] = ("send" if sends else "receive") if client else \
                ("receive" if sends else "send")
        elif client:
            row["direction"] = "receive" if reverse else "send"
        else:
            row["direction"] = "receive" if rcv is None else "send"
        if rcv is not None and snd is not None:
            zero_receiver(rcv["bytes"], snd["bytes"], name, rcv["where"], tcp=not udp)
        main = rcv or snd
        if rcv is None and udp:
            if role and len(groups) > 1 and findings is not None:
                # --bidir server (or client) file: the flow this side SENT has only its sender
                # line; its received rate is in the other side's file.  Keep the other flow.
                findings.append(Finding(name, f"record {rec}, {snd['where']}", "UDP --bidir flow "
                                        f"sent by this side ([{role}-{'C' if client else 'S'}]): only "
                                        "its sender line is here (the received rate is in the "
                                        "other side's output); that flow is not kept"))
                continue
            raise DataFormatError(name, snd["where"], "a UDP receiver line", found="only the sender's "
                                  "line (the received rate is in the other side's output)")
        row.update(throughput_bps=main["bps"], duration_s=main["secs"])
        if snd is not None and "retr" in snd:
            row["retransmits"] = snd["retr"]
        if udp and rcv is not None:
            row.update(lost_fraction=rcv["lost"], jitter_s=rcv["jitter"])
        rows.append(row)
    return rows


def _meta(block, name):
    meta = {}
    v = _VERSION.search(block)
    if v:
        meta["tool_version"] = v.group(1)
    t = _TIME.search(block)
    if t:
        try:
            meta["timestamp"] = float(calendar.timegm(time.strptime(t.group(1), "%d %b %Y %H:%M:%S")))
        except ValueError:
            raise DataFormatError(name, "Time: line", "a date like 'Fri, 04 Dec 2026 00:49:33 GMT'",
                                  found="a date that does not exist") from None
    mss = _MSS.search(block)
    if mss:
        meta["mss_bytes"] = float(mss.group(1))
    st = _START.search(block)
    if st and st.group(1).upper() == "UDP" or st and int(st.group(3)) != TCP_DEFAULT_BLKSIZE:
        meta["msg_size_bytes"] = float(st.group(3))
    cpu = _CPU.search(block)
    if cpu:
        meta["cpu_local_cores"] = float(cpu.group(1)) / 100
        meta["cpu_remote_cores"] = float(cpu.group(2)) / 100
    return meta


def parse_iperf3_text(data: bytes, name: str, findings: list | None = None) -> list:
    """Rows of iperf3 text output: one per test (two for --bidir).

    ``findings``: a list to which what the file holds but no row keeps is appended
    (:class:`~cnimodel.io.schema.Finding`): a UDP ``--bidir`` flow with only its sender's line."""
    txt = C.text(data, name).replace("\r\n", "\n")
    err = _ERROR.search(txt)
    if err:
        raise DataFormatError(name, _line(txt, err.start()), "a completed iperf3 run",
                              found=f"iperf3's 'iperf3: error - ...' line, an "
                              f"{C.tool_message(err.group(1))}: the run failed")
    starts = [m.start() for m in _BLOCK.finditer(txt)]
    if not starts:
        raise DataFormatError(name, "line 1", "iperf3 text ('Connecting to host ...' or 'Server "
                              "listening on ...')", found=C.describe(data))
    head = _meta(txt[:starts[0]], name)  # -V lines before the first block
    rows = []
    for a, b in zip(starts, starts[1:] + [len(txt)]):
        block = txt[a:b]
        if block.startswith("Server listening") and not _SUMLINE.search(block) and \
                "- - - -" not in block and b == len(txt):
            break  # a server still waiting for its next test: nothing to read
        rec = rows[-1]["record"] + 1 if rows else 0
        rows.extend(_block_rows(txt, a, block, name, rec, {**head, **_meta(block, name)}, findings))
    if not rows:
        raise DataFormatError(name, "end of file", "at least one finished test", found="none")
    return rows

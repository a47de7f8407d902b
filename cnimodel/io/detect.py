"""Format detection from content and :func:`read`, the one entry point for a single file.

Detection looks at the first bytes (64 KiB at most) of the decompressed content,
never only at the file name, in this order: tar archive -> knb; JSON object with
``"event"`` or ``"start"`` -> iperf3 (also after other text: iperf3's own layout ``{`` + newline + tab + ``"start":``);
JSON with ``FLENT_VERSION`` / ``x_values`` ->
flent; JSON or YAML with ``generator: knb`` -> knb; a JSON list of netperf outputs
-> netperf (PerfKit); netperf banner, ``KEY=VALUE`` selectors or a classic table
-> netperf; a CSV header with ``Profile`` and ``Throughput Metric`` ->
k8s-netperf; iperf2 report lines (``YYYYMMDDHHMMSS,...,start-end,...``) or the
enhanced header -> iperf2; ``PING host (address) N(M) bytes of data.`` -> ping;
iperf3 text (``Connecting to host``, ``Server listening on``, ``iperf3: error -``) ->
iperf3-text; ``sockperf:`` lines -> sockperf; a ``tcp_lat:`` / ``udp_bw:`` header -> qperf; fping's per-target lines (``host : [0], 64 bytes, ...``, ``xmt/rcv/%loss``) -> fping;
``Starting N threads running profile:`` -> uperf.
"""
from __future__ import annotations

import re

from ..errors import DataFormatError
from . import _common as C
from .flent import parse_flent
from .iperf2 import parse_iperf2
from .iperf3 import parse_iperf3
from .k8s_netperf import parse_k8s_netperf
from .knb import parse_knb
from .netperf import parse_netperf
from .iperf3_text import looks_like_iperf3_text, parse_iperf3_text
from .qperf import looks_like_qperf, parse_qperf
from .sockperf import looks_like_sockperf, parse_sockperf
from .ping import looks_like_fping, looks_like_ping, parse_fping, parse_ping
from .uperf import looks_like_uperf, parse_uperf

__all__ = ["read", "sniff", "FORMATS", "parse_bytes"]

#: format name -> parser(data: bytes, source: str) -> list of row dicts
FORMATS = {
    "iperf3": parse_iperf3,
    "iperf2": parse_iperf2,
    "netperf": parse_netperf,
    "k8s-netperf": parse_k8s_netperf,
    "knb": parse_knb,
    "flent": parse_flent,
    "ping": parse_ping,
    "fping": parse_fping,
    "sockperf": parse_sockperf,
    "qperf": parse_qperf,
    "iperf3-text": parse_iperf3_text,
    "uperf": parse_uperf,
}

_IPERF2 = re.compile(rb"(?:[+-]\d{4}:)?\d{14}(?:\.\d+)?,[^,\n]*,[^,\n]*,[^,\n]*,[^,\n]*,-?\d+,")
#: The text block an iperf2 -d / -r server prints into its CSV output before the data lines.
_IPERF2_BANNER = re.compile(rb"-{20,}\r?\n(?:[^\n]*\n){1,12}?-{20,}\r?\n")
_KEYVAL = re.compile(rb"^[A-Z][A-Z0-9_]*=", re.M)
_NUMLINE = re.compile(rb"^[ \t]*[-+]?\d[\d.eE+-]*(?:[ \t]+[-+]?[\d.][\d.eE+-]*)*[ \t]*\r?$")
_LEAD = re.compile(rb"(?:\s|\xef\xbb\xbf)*")
_IBD = re.compile(rb"^\d+\t[^\n]*\t=[\d.]+\+")


def sniff(data: bytes) -> str | None:
    """Name of the format of ``data`` (decompressed bytes), or None.

    >>> sniff(b'{"start": {"version": "iperf 3.16"}, "intervals": [], "end": {}}')
    'iperf3'
    >>> sniff(b"THROUGHPUT=941.2\\nTHROUGHPUT_UNITS=10^6bits/s\\n")
    'netperf'
    >>> sniff(b"hello") is None
    True
    """
    if data.startswith(b'{\n\t"start":'):  # iperf3's own cJSON layout: the common case, no scan
        return "iperf3"
    if len(data) > 262 and data[257:262] == b"ustar":
        return "knb"
    i = 0 if data[:1] == b"{" else _LEAD.match(data).end()  # no copy of the (possibly large) content
    if data[i:i + 1] == b"{":
        first = data[i:i + 200]
        if b'"event"' in first or b'"start"' in first:
            return "iperf3"

        def has(tok):
            return data.find(tok, i, i + 65536) != -1

        if has(b'"FLENT_VERSION"') or has(b'"x_values"') or has(b'"SERIES_META"'):
            return "flent"
        if has(b'"knb"') or (b'"metadata"' in first and has(b'"pod2pod"')):
            return "knb"
        if has(b'"intervals"') and has(b'"end"'):
            return "iperf3"
        return None
    head = data[i:i + 65536]
    s = head
    if b'{\n\t"start":\t{' in head or b'{\r\n\t"start":\t{' in head:
        return "iperf3"  # iperf3's own JSON layout after other text (a console log, a warning)
    if s.startswith(b"[") and (b"TEST from" in head or b"Throughput" in head):
        return "netperf"  # a JSON list of netperf outputs (PerfKit); other "[" text goes on
    if s.startswith(b"metadata:") and (b"knb" in head or b"pod2pod" in head):
        return "knb"
    if s.startswith(b"MIGRATED") or b" TEST from " in s[:400] or _KEYVAL.match(s):
        return "netperf"
    if looks_like_iperf3_text(s):
        return "iperf3-text"
    if looks_like_uperf(s):
        return "uperf"
    if looks_like_qperf(s):
        return "qperf"
    if looks_like_sockperf(s):
        return "sockperf"
    if looks_like_ping(s):
        return "ping"
    if looks_like_fping(s):
        return "fping"
    first_line = s.split(b"\n", 1)[0]
    if b"Profile" in first_line and b"Throughput Metric" in first_line:
        return "k8s-netperf"
    banner = _IPERF2_BANNER.match(s)
    if _IPERF2.match(s, banner.end() if banner else 0) or \
            (first_line.lower().startswith(b"time,") and b"transferid" in first_line.lower()):
        return "iperf2"
    lines = [ln for ln in s.split(b"\n")[:12] if ln.strip()]
    if lines and all(_NUMLINE.match(ln) for ln in lines) and len(lines[0].split()) >= 5:
        return "netperf"  # classic table printed with -P 0
    return None


def _describe_unknown(data: bytes, name: str) -> DataFormatError:
    s = data.lstrip()[:60]
    if _IBD.match(data.lstrip()):
        return DataFormatError(name, "line 1", "a benchmark output cnimodel reads ("
                               + ", ".join(FORMATS) + ")",
                               found="an ibdbench/knb summary TSV (unlabelled columns; read the "
                               ".knbdata archive it was made from instead)")
    return DataFormatError(name, "first bytes", "the content of one of the formats tried: "
                           + ", ".join(FORMATS), found=C.describe(data) if s else "an empty file")


#: readers that report what they drop from a file they read (``findings=`` list of
#: :class:`~cnimodel.io.schema.Finding`)
_REPORTING = frozenset(("iperf3", "iperf3-text", "uperf"))


def parse_bytes(data: bytes, name: str, format: str | None = None, intervals: bool = False,
                validate_intervals: bool = True, records: bool = False, findings: list | None = None):
    """Rows (and interval rows) of decompressed ``data``: the engine of :func:`read`.

    ``records=True``: iperf3 rows may come as tuples (``iperf3.RECORD_LAYOUT``).
    ``findings``: a list the readers append to what they read but did not keep
    (:class:`~cnimodel.io.schema.Finding`)."""
    fmt = format or sniff(data)
    if fmt is None:
        raise _describe_unknown(data, name)
    if fmt not in FORMATS:
        from ..errors import ParameterError

        raise ParameterError("format", fmt, "one of " + ", ".join(FORMATS))
    try:
        if fmt == "iperf3":
            return parse_iperf3(data, name, intervals, validate_intervals, records, findings)
        if fmt in _REPORTING:
            return FORMATS[fmt](data, name, findings=findings), []
        return FORMATS[fmt](data, name), []
    except DataFormatError:
        raise
    except (KeyError, IndexError, TypeError, ValueError, AttributeError, RecursionError,
            OverflowError, UnicodeError) as exc:  # safety net: the readers raise precise errors
        raise DataFormatError(name, "content", f"a readable {fmt} file",
                              found=f"{type(exc).__name__} ({C.describe(str(exc))})") from exc


def read(path_or_buffer, format: str | None = None, intervals: bool = False):
    """Read one benchmark output file into the tidy schema, detecting its format.

    Parameters
    ----------
    path_or_buffer : str, os.PathLike, bytes or file object
        The file (``.gz`` accepted for every format).
    format : str, optional
        Force a reader: ``iperf3``, ``iperf2``, ``netperf``, ``k8s-netperf``, ``knb``,
        ``flent``, ``ping``, ``fping``, ``sockperf``, ``qperf``, ``iperf3-text``, ``uperf``.  Default: detected from the content.
    intervals : bool
        Also return the per-interval frame (iperf3 only; empty for other formats).

    Returns
    -------
    pandas.DataFrame, or (DataFrame, DataFrame) with ``intervals=True``

    The schema check (:func:`cnimodel.io.schema.check_frame`) runs on the rows: rows it
    does not keep are listed in ``df.attrs["findings"]`` (:class:`~cnimodel.io.schema.Finding`).

    Raises
    ------
    DataFormatError
        No row passes the schema check (the first finding is the message), or the content is no known format (the message lists the formats tried) or is
        broken (file, location and what was expected).

    Examples
    --------
    >>> import io
    >>> df = read(io.StringIO("THROUGHPUT=941.5\\nTHROUGHPUT_UNITS=10^6bits/s\\nPROTOCOL=TCP\\n"))
    >>> r = df.iloc[0]
    >>> print(r.tool, r.protocol, r.test, r.throughput_bps)
    netperf tcp stream 941500000.0
    >>> read(io.BytesIO(b"just notes"))
    Traceback (most recent call last):
    ...
    cnimodel.errors.DataFormatError: <buffer>: at first bytes: expected the content of one of the formats tried: iperf3, iperf2, netperf, k8s-netperf, knb, flent, ping, fping, sockperf, qperf, iperf3-text, uperf, found 10 bytes of text
    """
    from .schema import INTERVAL_COLUMNS, check_frame, frame_from_rows

    data, name = C.read_bytes(path_or_buffer)
    noted = []
    rows, ivals = parse_bytes(data, name, format, intervals, findings=noted)
    df, findings = check_frame(frame_from_rows(rows))
    if findings and not len(df):  # nothing the schema check keeps: the file gives no measurement
        f = findings[0]
        raise DataFormatError(name, f.location, "a row the schema check keeps", found=f.reason)
    df.attrs["findings"] = noted + findings
    if intervals:
        return df, frame_from_rows(ivals, INTERVAL_COLUMNS)
    return df

"""The iperf3 JSON documents of a file, whatever surrounds them.

What real files hold besides one clean document (each handled here, each reported):

* text before or after the document: a shell prompt and the command (a console log), a
  ``warning: ...`` line iperf3 prints to stdout before ``-J`` output (esnet/iperf#1223),
  ``iperf3: error - ...`` after it (esnet/iperf#1631), terminal escapes typed into a log;
  the lines are not read and become a :class:`~cnimodel.io.schema.Finding` (counted, never
  quoted);
* lines inside the document that are not JSON (a log line written into the middle of a
  captured stdout+stderr): in iperf3's own layout (cJSON: one value per line, every line
  inside the document indented by a tab) a line without that indent cannot belong to it, so
  it is removed before parsing, and reported; anything else that does not parse is an error
  with its line and column;
* the document printed twice (3.16/3.17), several documents (a server without ``-1``),
  ``--json-stream`` (one event object per line, 3.17);
* a key held twice by one object: an error naming the key path, except the 3.7-3.10
  ``--bidir`` form (``end.sum_sent`` / ``end.sum_received`` / ``end.sum`` /
  ``intervals[N].sum`` printed a second time for the reverse direction), which the reader
  reads as two directions.

Examples
--------
>>> found = []
>>> docs = documents(b'$ iperf3 -c h -J\\n{"start": {}, "end": {}}\\n$ \\n', "x.txt", found)
>>> len(docs), found[0].location, found[0].reason.split(";")[0]
(1, 'lines 1, 3', '2 lines of other text around the JSON document')
"""
from __future__ import annotations

import bisect
import json
import re

from ..errors import DataFormatError
from . import _common as C
from .schema import Finding

__all__ = ["documents", "check_keys", "note_repeated", "BIDIR_DUPLICATES", "HARMLESS_KEYS"]

_LEAD = re.compile(rb"(?:\s|\xef\xbb\xbf)*")
#: the keys 3.7-3.10 print twice under ``--bidir`` (the second copy: the reverse direction)
BIDIR_DUPLICATES = re.compile(r"end\.(?:sum_sent|sum_received|sum)|intervals\[\d+\]\.sum")
#: where an iperf3 document may start inside other text: "{" then its first top-level key
_START = re.compile(r'\{\s*"(?:start|error|title|test_start)"\s*:')
_MAX_FOREIGN = 200  # lines removed from inside one document at most


#: keys iperf3 prints once per stream in ``start`` (esnet/iperf#856, 3.12 ``-P N`` / ``--bidir``):
#: their copies may differ and the reader does not use them, so they are reported, not an error
HARMLESS_KEYS = ("sock_bufsize", "sndbuf_actual", "rcvbuf_actual")


def check_keys(raw, doc, name: str, where: str = "", findings: list | None = None) -> bool:
    """Check ``doc`` (parsed from ``raw``, bytes or text) for keys held twice by one object.

    A key whose copies differ is an error naming its path (which value iperf3 meant is
    ambiguous), except the 3.7-3.10 ``--bidir`` copies (:data:`BIDIR_DUPLICATES`: returns
    True, the caller parses again keeping both) and :data:`HARMLESS_KEYS`; copies with
    the same value and the harmless keys are reported in ``findings``.  False: no duplicate."""
    rb = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    maybe, repeated = C.duplicate_screen(rb, doc, ignore=HARMLESS_KEYS, ignore_before=b'"intervals":')
    if not maybe:
        note_repeated(findings, name, repeated, where)
        return False
    dups = C.duplicate_keys(raw if isinstance(raw, str) else raw.decode("utf-8", "replace"))
    bidir = [p for p, _ in dups if BIDIR_DUPLICATES.fullmatch(p)]
    noted = [p for p, same in dups if p not in bidir and (same or p.rpartition(".")[2] in HARMLESS_KEYS)]
    other = [p for p, _ in dups if p not in bidir and p not in noted]
    if other:
        raise C.duplicate_key_error(name, [where + p for p in other])
    if noted:
        _note(findings, name, where + ", ".join(noted[:5]) + (" ..." if len(noted) > 5 else ""),
              f"{len(noted)} key{'s' if len(noted) > 1 else ''} held more than once by one JSON "
              "object (the same value each time, or a key iperf3 prints once per stream that "
              "cnimodel does not read); read once")
    return bool(bidir)


def note_repeated(findings, name: str, keys, where: str = "") -> None:
    """The finding for iperf3's per-stream copies of :data:`HARMLESS_KEYS` (cheap path)."""
    if keys:
        _note(findings, name, where + ", ".join(f"start.{k}" for k in keys), f"{len(keys)} key"
              f"{'s' if len(keys) > 1 else ''} iperf3 prints once per stream (esnet/iperf#856), "
              "held more than once by one JSON object; not read by cnimodel")


def _json_stream(txt: str, name: str, findings=None) -> dict:
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
        check_keys(line, ev, name, f"line {lineno}: ", findings)
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


def documents(data: bytes, name: str, findings: list | None = None) -> list:
    """``[(document, its text), ...]`` of an iperf3 JSON file (see module doc); what is
    dropped around or inside the documents is appended to ``findings``."""
    i = 0 if data.startswith(b"{") else _LEAD.match(data).end()
    if i >= len(data):
        raise DataFormatError(name, "line 1", "an iperf3 JSON document", found="an empty file")
    if data.startswith(b'{"event"', i):
        return [(_json_stream(C.text(data, name), name, findings), None)]
    try:
        return [(C.loads(data, name, unique_keys=False), data)]
    except DataFormatError as first:
        docs = _scan(C.text(data, name), name, first, findings)
    uniq = []
    for d in docs:  # 3.16/3.17 print the same document twice
        if all(d[0] != u[0] for u in uniq):
            uniq.append(d)
    return uniq


def _lines_text(nums) -> str:
    nums = sorted(nums)
    if len(nums) == 1:
        return f"line {nums[0]}"
    if nums == list(range(nums[0], nums[-1] + 1)):
        return f"lines {nums[0]}-{nums[-1]}" if len(nums) > 2 else f"lines {nums[0]} and {nums[1]}"
    shown = ", ".join(map(str, nums[:5])) + (" ..." if len(nums) > 5 else "")
    return f"lines {shown}"


def _scan(txt: str, name: str, first: DataFormatError, findings) -> list:
    """Documents found in ``txt`` one after the other; other text is reported, not read."""
    dec = json.JSONDecoder()
    docs, outside, pos, last, n = [], [], 0, 0, len(txt)
    line_at = _LineIndex(txt)
    while pos < n:
        m = _START.search(txt, pos)
        if m is None:
            break
        a = m.start()
        try:
            doc, b = dec.raw_decode(txt, a)
            removed, body = [], None
        except (json.JSONDecodeError, RecursionError) as exc:
            doc, b, removed, body = _repair(txt, a, exc, name, line_at, bool(docs))
        if not (isinstance(doc, dict) and (isinstance(doc.get("start"), dict) or "error" in doc)):
            pos = a + 1  # a nested object, not a document: look further
            continue
        outside.extend(line_at.lines_with_text(txt, last, a))
        if removed:
            _note(findings, name, _lines_text(removed), f"{len(removed)} line"
                  f"{'s' if len(removed) > 1 else ''} inside the JSON document that are not part "
                  "of it (not iperf3's layout: another program's output written into the capture);"
                  " removed before parsing, not read")
        body = txt[a:b] if body is None else body
        docs.append((doc, body))
        pos = last = b
    if not docs:
        raise first
    outside.extend(line_at.lines_with_text(txt, last, n))
    if outside:
        err = any("iperf3: error" in txt[line_at.start(k):line_at.start(k + 1)] for k in outside)
        _note(findings, name, _lines_text(outside), f"{len(outside)} line"
              f"{'s' if len(outside) > 1 else ''} of other text around the JSON document"
              + ("; among them iperf3's 'iperf3: error - ...' line (the run reported an error after "
                 "its results)" if err else "") + "; not read")
    return docs


def _repair(txt, a, exc, name, line_at, after_doc):
    """Parse the document at ``a`` without the lines inside it that cannot be iperf3's
    (no tab indent, not a brace): ``(doc, end, removed line numbers)``."""
    removed = set()
    err = exc
    for _ in range(_MAX_FOREIGN):
        pos = getattr(err, "pos", None)
        k = line_at.line_of(pos) if isinstance(pos, int) else None
        line = txt[line_at.start(k):line_at.start(k + 1)] if k is not None else ""
        bare = line.rstrip("\r\n")
        if k is None or k == line_at.line_of(a) or bare.startswith("\t") or bare in ("}", "{", ""):
            break  # broken JSON itself, not a foreign line: the precise error below
        removed.add(k)
        kept = "".join(txt[line_at.start(j):line_at.start(j + 1)] if j not in removed else ""
                       for j in range(line_at.line_of(a), line_at.line_of(len(txt)) + 1))
        offset = a - line_at.start(line_at.line_of(a))
        try:
            doc, b = json.JSONDecoder().raw_decode(kept, offset)
        except (json.JSONDecodeError, RecursionError) as e2:
            err = e2
            err.pos = _map_back(e2.pos, kept, line_at, line_at.line_of(a), removed) \
                if isinstance(getattr(e2, "pos", None), int) else None
            continue
        end_line = kept.count("\n", 0, b)
        end = _original_offset(line_at, line_at.line_of(a), removed, end_line) + \
            (b - (kept.rfind("\n", 0, b) + 1))
        return doc, end, [j + 1 for j in removed], kept[offset:b]
    pos = getattr(err, "pos", None)
    where = "document" if not isinstance(pos, int) else \
        f"line {line_at.line_of(pos) + 1} column {pos - line_at.start(line_at.line_of(pos)) + 1}"
    if isinstance(err, json.JSONDecodeError):
        raise DataFormatError(name, where, "another complete iperf3 JSON document" if after_doc
                              else "valid JSON", found=err.msg) from None
    raise DataFormatError(name, where, "valid JSON", found="nesting too deep") from None


def _original_offset(line_at, first_line, removed, kept_line):
    """Offset in the original text of the start of the ``kept_line``-th kept line."""
    j, seen = first_line, 0
    while True:
        if j not in removed:
            if seen == kept_line:
                return line_at.start(j)
            seen += 1
        j += 1


def _map_back(pos, kept, line_at, first_line, removed):
    """Offset in the original text of offset ``pos`` of the text without ``removed`` lines."""
    kl = kept.count("\n", 0, pos)
    col = pos - (kept.rfind("\n", 0, pos) + 1)
    return _original_offset(line_at, first_line, removed, kl) + col


class _LineIndex:
    """Line starts of a text: line of an offset, start offset of a line (0-based)."""

    def __init__(self, txt):
        self.starts = [0] + [m.end() for m in re.finditer("\n", txt)]
        self.n = len(txt)

    def line_of(self, pos):
        return bisect.bisect_right(self.starts, pos) - 1

    def start(self, k):
        return self.starts[k] if k < len(self.starts) else self.n

    def lines_with_text(self, txt, a, b):
        """Line numbers (1-based) of the lines in ``txt[a:b]`` with anything but blanks."""
        if not txt[a:b].strip():
            return []
        out = []
        for k in range(self.line_of(a), self.line_of(max(a, b - 1)) + 1):
            s, e = max(a, self.start(k)), min(b, self.start(k + 1))
            if txt[s:e].strip():
                out.append(k + 1)
        return out


def _note(findings, name, location, reason):
    if findings is not None:
        findings.append(Finding(name, location, reason))

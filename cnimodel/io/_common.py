"""Shared helpers of the readers: byte loading, JSON, numbers, precise errors."""
from __future__ import annotations

import json
import math
import os
import re

from ..errors import DataFormatError
from .access import DEFAULT_LIMITS, Limits, describe, gunzip_capped, read_guarded, unquoted

try:  # orjson is optional (extra "fast"); json is the fallback
    import orjson as _orjson
except ImportError:  # pragma: no cover - exercised only without orjson
    _orjson = None

NAN = float("nan")
#: the JSON parser :func:`loads` tries first (orjson when installed)
LOADS = json.loads if _orjson is None else _orjson.loads


def source_name(src) -> str:
    """Human name of a path or buffer for error messages."""
    if isinstance(src, (str, os.PathLike)):
        return os.fspath(src)
    name = getattr(src, "name", None)
    return name if isinstance(name, str) else "<buffer>"


def read_bytes(src, source: str | None = None) -> tuple[bytes, str]:
    """Return ``(raw bytes, source name)`` of a path, text or binary buffer or bytes.

    gzip content (magic ``1f 8b``) is decompressed whatever the file name.
    """
    name = source or source_name(src)
    if isinstance(src, (str, os.PathLike)):
        return read_file(src, name), name
    if isinstance(src, (bytes, bytearray, memoryview)):
        data = bytes(src)
    elif hasattr(src, "read"):
        data = src.read()
        if isinstance(data, str):
            data = data.encode("utf-8")
        elif not isinstance(data, (bytes, bytearray)):
            raise DataFormatError(name, "read()", "str or bytes", found=type(data).__name__)
    else:
        raise DataFormatError(name, "argument", "a path, bytes or an open file",
                              found=type(src).__name__)
    if data.startswith(b"\x1f\x8b"):
        data = gunzip(data, name)
    return bytes(data), name


def read_file(path, name: str, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """Bytes of the file at ``path``; gzip content decompressed (``name`` names it in errors).

    The one guarded access of :mod:`cnimodel.io.access`: regular files only, size and
    decompressed-size caps (``limits``).  A directory or special file is a
    :class:`DataFormatError` naming its kind; a missing or unreadable file the
    :class:`OSError` ``open`` raises.
    """
    return read_guarded(path, name, limits)


def gunzip(data: bytes, name: str, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """Decompress gzip ``data`` within ``limits.max_decompressed_bytes``."""
    return gunzip_capped(data, name, limits.max_decompressed_bytes)


def text(data: bytes, name: str) -> str:
    """Decode UTF-8 (BOM tolerated); invalid bytes are a DataFormatError with their offset."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataFormatError(name, f"line {line} (byte {exc.start})", "UTF-8 text",
                              found="an invalid UTF-8 byte") from exc


# only right after a key's closing quote and colon (or in an array): never inside a string value
_BARE_NAN = re.compile(rb'((?:"\s*:|[\[,])\s*)(?:-?nan|-?NaN|-?inf(?:inity)?|-?Infinity)(?=\s*[,}\]])')
_EMPTY_VALUE = re.compile(rb'("\s*:\s*)(?=[,}])')


def _json_error(name: str, exc: json.JSONDecodeError) -> DataFormatError:
    return DataFormatError(name, f"line {exc.lineno} column {exc.colno}", "valid JSON",
                           found=exc.msg)


def loads(data: bytes, name: str, recover: bool = False, unique_keys: bool = True):
    """Parse JSON (orjson when installed).

    With ``recover=True``, the two unambiguous faults real tools write are
    repaired before giving up: bare ``nan`` / ``inf`` tokens and empty values
    (``"user": ,``) become ``null`` (read as NaN).  Anything else raises a
    :class:`DataFormatError` with line and column.  ``unique_keys``: an object holding
    a key twice is a :class:`DataFormatError` naming the key path
    (:func:`duplicate_key_error`), never the last value kept silently.

    >>> loads(b'{"a": {"b": 1, "b": 2}}', "x.json")
    Traceback (most recent call last):
    ...
    cnimodel.errors.DataFormatError: x.json: at a.b: expected each key once per JSON object, found the key twice with different values; a parser would keep the last one silently, so the file is not read
    """
    try:
        return _unique(LOADS(data), data, name, unique_keys)
    except (ValueError, RecursionError) as exc:
        if isinstance(exc, DataFormatError):
            raise
        first = exc
    if recover:
        fixed = _EMPTY_VALUE.sub(rb"\1null", _BARE_NAN.sub(rb"\1null", data))
        if fixed != data:
            try:
                return _unique(json.loads(fixed), fixed, name, unique_keys)
            except DataFormatError:
                raise
            except (ValueError, RecursionError):
                pass
    try:  # a precise message from the stdlib decoder (line, column)
        json.loads(data)
    except json.JSONDecodeError as exc:
        raise _json_error(name, exc) from None
    except (ValueError, RecursionError) as exc:
        raise DataFormatError(name, "document", "valid JSON", found=str(exc)[:200]) from None
    raise DataFormatError(name, "document", "valid JSON", found=str(first)[:200])


# ----------------------------------------------------------------------------- duplicate keys


def may_have_duplicate_keys(raw: bytes, doc) -> bool:
    """Cheap screen: False only when the JSON ``raw`` parsed as ``doc`` has no duplicate key
    (a parser keeps the last of two equal keys, silently); see :func:`duplicate_screen`.

    >>> may_have_duplicate_keys(b'{"a": 1, "b": {"c": 2}}', {"a": 1, "b": {"c": 2}})
    False
    >>> may_have_duplicate_keys(b'{"a": 1, "a": 2}', {"a": 2})
    True
    """
    return duplicate_screen(raw, doc)[0]


def duplicate_screen(raw: bytes, doc, ranges=None, ignore=(), ignore_before: bytes = b"") -> tuple:
    """``(maybe, repeated)``: ``maybe`` is False only when the JSON text ``raw`` (the parts
    ``ranges``, ``[(start, end), ...]``, when ``doc`` was parsed from those alone) holds no
    key twice in one object, leaving aside the key names ``ignore``; ``repeated`` lists the
    ignored names the text holds more often than ``doc`` does.

    A colon stands in JSON text only after a key or inside a string, and the parsed
    document printed again holds the same strings: a key lost to a duplicate makes it print
    fewer colons (blanks do not matter).  A colon written ``\\u003a`` could hide one: then
    ``maybe`` is True and :func:`duplicate_keys` (exact, slower) decides, as for every count
    that differs.

    >>> duplicate_screen(b'{"a": 1, "s": 1, "s": 2}', {"a": 1, "s": 2}, ignore=("s",))
    (False, ['s'])
    >>> duplicate_screen(b'{"a" : 1, "a"\\t: 2}', {"a": 2})[0]
    True
    """
    ranges = ranges or [(0, len(raw))]
    if _orjson is None or any(raw.find(b"\\u003", a, b) >= 0 for a, b in ranges):
        return True, []
    try:
        printed = _orjson.dumps(doc)
    except (TypeError, ValueError):  # an integer beyond 64 bits, a NaN from the fallback ...
        return True, []
    n_raw, n_doc = sum(raw.count(b":", a, b) for a, b in ranges), printed.count(b":")
    repeated = []
    if n_raw == n_doc:  # the common case: every key once
        return False, repeated
    # the ignored names are counted before ``ignore_before`` only (where a tool prints them;
    # one printed elsewhere is not subtracted, so the counts differ and the exact check runs)
    cut_raw = raw.find(ignore_before) if ignore_before else -1
    cut_doc = printed.find(ignore_before) if ignore_before else -1
    for k in ignore:
        tok = b'"' + k.encode() + b'":'
        r = sum(raw.count(tok, a, min(b, cut_raw) if cut_raw >= 0 else b) for a, b in ranges)
        d = printed.count(tok, 0, cut_doc if cut_doc >= 0 else len(printed))
        n_raw, n_doc = n_raw - r, n_doc - d
        if r > d:
            repeated.append(k)
    return n_raw != n_doc, repeated


class _Pairs(dict):
    """A JSON object that remembers the keys it held more than once (``dups``: key -> True
    when every copy had the same value)."""

    __slots__ = ("dups",)


def _pairs_hook(pairs):
    out = _Pairs(pairs)
    out.dups = {}
    if len(out) != len(pairs):
        for k, v in pairs:
            if k in out.dups or sum(1 for q, _ in pairs if q == k) > 1:
                out.dups[k] = out.dups.get(k, True) and v == out[k]
    return out


def duplicate_keys(text: str) -> list:
    """``[(key path, same value), ...]`` for every key an object of the JSON ``text`` holds
    more than once (``end.sum_sent``, ``intervals[3].sum``), object by object in document
    order; ``same`` is True when every copy holds the same value.  [] when there is none.

    >>> duplicate_keys('{"end": {"sum": {"bytes": 1, "bytes": 2}}, "x": [{"k": 1, "k": 1}]}')
    [('end.sum.bytes', False), ('x[0].k', True)]
    """
    try:
        doc = json.loads(text, object_pairs_hook=_pairs_hook)
    except (ValueError, RecursionError):
        return []
    out = []
    stack = [("", doc)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, _Pairs):
            out.extend((f"{path}.{k}" if path else k, same) for k, same in node.dups.items())
            stack.extend((f"{path}.{k}" if path else k, v) for k, v in reversed(node.items()))
        elif isinstance(node, list):
            stack.extend((f"{path}[{i}]", v) for i, v in reversed(list(enumerate(node))))
    return out


def _unique(doc, raw: bytes, name: str, check: bool):
    """``doc`` itself, after the duplicate-key check of ``raw`` when ``check``: a key held
    twice with different values is an error (which one the tool meant is ambiguous); with
    the same value it is harmless and the document is read."""
    if check and may_have_duplicate_keys(raw, doc):
        differ = [p for p, same in duplicate_keys(raw.decode("utf-8", "replace")) if not same]
        if differ:
            raise duplicate_key_error(name, differ)
    return doc


def duplicate_key_error(name: str, paths: list) -> DataFormatError:
    """The error for a document whose objects hold a key twice with different values (paths
    from :func:`duplicate_keys`): which value the tool meant is ambiguous."""
    more = f" (and {len(paths) - 1} more)" if len(paths) > 1 else ""
    return DataFormatError(name, paths[0], "each key once per JSON object",
                           found=f"the key twice with different values{more}; a parser would "
                           "keep the last one silently, so the file is not read")


def dig(obj, path: str, name: str, kind=dict):
    """``obj[a][b]...`` for ``path="a.b"``; a DataFormatError naming the key path if absent."""
    cur = obj
    walked = []
    for key in path.split("."):
        walked.append(key)
        if not isinstance(cur, dict) or key not in cur:
            where = ".".join(walked[:-1]) or "top level"
            raise DataFormatError(name, ".".join(walked), f"key {key!r} in {where}",
                                  found="missing" if isinstance(cur, dict) else type(cur).__name__)
        cur = cur[key]
    if kind is not None and not isinstance(cur, kind):
        kname = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise DataFormatError(name, path, f"a JSON {kname}", found=type(cur).__name__)
    return cur


def opt(obj, path: str, default=None):
    """Like :func:`dig` but returns ``default`` when any key is missing."""
    cur = obj
    for key in path.split("."):
        if not isinstance(cur, dict):
            return default
        cur = cur.get(key, default)
        if cur is default:
            return default
    return cur


_INT_FLOAT_MAX = int(1.7976931348623157e308)  # the largest integer float() accepts


def num(value, name: str, where: str, missing=None):
    """A number as float: None (JSON null, missing) -> NaN; anything non-numeric is an error."""
    t = type(value)
    if t is float:
        return value
    if t is int:
        if -_INT_FLOAT_MAX <= value <= _INT_FLOAT_MAX:
            return float(value)
        raise DataFormatError(name, where, "a number within the float range",
                              found=f"an integer of {len(str(abs(value)))} digits")
    if value is None:
        return NAN if missing is None else missing
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise DataFormatError(name, where, "a number", found=describe(value))
    try:
        return float(value)
    except OverflowError:  # an int subclass beyond the float range
        raise DataFormatError(name, where, "a number within the float range",
                              found="an integer beyond it") from None


def fnum(text_value: str, name: str, where: str) -> float:
    """Parse a number printed by a tool; ``-nan`` / ``nan`` -> NaN."""
    try:
        v = float(text_value)
    except (TypeError, ValueError):
        raise DataFormatError(name, where, "a number", found=describe(text_value)) from None
    return v


#: phrases of tools' error messages -> what an error says, in our words (errors and skip
#: reasons describe a file's content, they never quote it: issue 16)
_TOOL_MESSAGES = (
    ("connection refused", "connection refused"), ("no route to host", "no route to host"),
    ("network is unreachable", "network unreachable"), ("unable to connect", "could not connect"),
    ("failed to connect", "could not connect"), ("can't connect", "could not connect"),
    ("cannot connect", "could not connect"), ("not known", "host name not resolved"),
    ("unknown host", "host name not resolved"), ("resolve", "host name not resolved"),
    ("timed out", "timed out"), ("timeout", "timed out"), ("busy", "the server was busy"),
    ("interrupt", "interrupted"), ("permission denied", "permission denied"),
    ("closed unexpectedly", "the connection closed unexpectedly"),
    ("reset by peer", "connection reset"), ("no messages were received", "no reply from the server"),
    ("broadcast", "a broadcast address"), ("unable to receive", "results not received"),
    ("unable to send", "could not send"), ("invalid argument", "invalid argument"),
)


def tool_message(msg, known_only: bool = False):
    """An error a tool printed, described in fixed words, never quoted (``known_only``: None
    when no known phrase is in it).

    >>> tool_message("unable to connect to server: Connection refused")
    'error message (connection refused; could not connect)'
    >>> tool_message("PRIVATE-KEY-abc")
    'error message of 15 characters (not shown)'
    """
    low = str(msg).lower()
    hits = list(dict.fromkeys(d for k, d in _TOOL_MESSAGES if k in low))
    if hits:
        return f"error message ({'; '.join(hits)})"
    return None if known_only else f"error message of {len(str(msg))} characters (not shown)"


def neg_missing(v: float) -> float:
    """netperf prints -1 for 'not measured': map negative values to NaN."""
    return NAN if (v != v or v < 0) else v


def isnan(v) -> bool:
    return isinstance(v, float) and math.isnan(v)


def base_row(tool: str, fmt: str, source: str, record: int = 0) -> dict:
    return {"tool": tool, "format": fmt, "source_file": source, "record": record}

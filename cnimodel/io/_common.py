"""Shared helpers of the readers: byte loading, JSON, numbers, precise errors."""
from __future__ import annotations

import json
import math
import os
import re

from ..errors import DataFormatError
from .access import DEFAULT_LIMITS, Limits, describe, gunzip_capped, read_guarded

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


def loads(data: bytes, name: str, recover: bool = False):
    """Parse JSON (orjson when installed).

    With ``recover=True``, the two unambiguous faults real tools write are
    repaired before giving up: bare ``nan`` / ``inf`` tokens and empty values
    (``"user": ,``) become ``null`` (read as NaN).  Anything else raises a
    :class:`DataFormatError` with line and column.
    """
    try:
        return LOADS(data)
    except (ValueError, RecursionError) as exc:
        first = exc
    if recover:
        fixed = _EMPTY_VALUE.sub(rb"\1null", _BARE_NAN.sub(rb"\1null", data))
        if fixed != data:
            try:
                return json.loads(fixed)
            except (ValueError, RecursionError):
                pass
    try:  # a precise message from the stdlib decoder (line, column)
        json.loads(data)
    except json.JSONDecodeError as exc:
        raise _json_error(name, exc) from None
    except (ValueError, RecursionError) as exc:
        raise DataFormatError(name, "document", "valid JSON", found=str(exc)[:200]) from None
    raise DataFormatError(name, "document", "valid JSON", found=str(first)[:200])


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


def num(value, name: str, where: str, missing=None):
    """A number as float: None (JSON null, missing) -> NaN; anything non-numeric is an error."""
    t = type(value)
    if t is float:
        return value
    if t is int:
        return float(value)
    if value is None:
        return NAN if missing is None else missing
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise DataFormatError(name, where, "a number", found=describe(value))
    return float(value)


def fnum(text_value: str, name: str, where: str) -> float:
    """Parse a number printed by a tool; ``-nan`` / ``nan`` -> NaN."""
    try:
        v = float(text_value)
    except (TypeError, ValueError):
        raise DataFormatError(name, where, "a number", found=describe(text_value)) from None
    return v


def neg_missing(v: float) -> float:
    """netperf prints -1 for 'not measured': map negative values to NaN."""
    return NAN if (v != v or v < 0) else v


def isnan(v) -> bool:
    return isinstance(v, float) and math.isnan(v)


def base_row(tool: str, fmt: str, source: str, record: int = 0) -> dict:
    return {"tool": tool, "format": fmt, "source_file": source, "record": record}

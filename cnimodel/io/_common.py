"""Shared helpers of the readers: byte loading, JSON, numbers, precise errors."""
from __future__ import annotations

import gzip
import json
import math
import os
import re
import zlib

from ..errors import DataFormatError

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


_os_open, _os_read, _os_close = os.open, os.read, os.close
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
_CHUNK = 1 << 16


def read_file(path, name: str) -> bytes:
    """Bytes of the file at ``path``; gzip content decompressed (``name`` names it in errors).

    Plain ``os.open`` / ``os.read`` calls, without a Python file object (half the cost of
    reading a small file), until ``read`` returns nothing.  On any :class:`OSError` the
    file is read again with :func:`open`, so that every error is exactly the one
    ``open(path, "rb").read()`` raises (a directory is a :class:`DataFormatError`).
    """
    try:
        fd = _os_open(path, _OPEN_FLAGS)
        try:
            data = _os_read(fd, _CHUNK)
            if data:
                more = _os_read(fd, _CHUNK)
                if more:
                    parts = [data, more]
                    while more:
                        more = _os_read(fd, _CHUNK << 4)
                        parts.append(more)
                    data = b"".join(parts)
        finally:
            _os_close(fd)
    except OSError:
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except IsADirectoryError as exc:
            raise DataFormatError(name, "file", "a regular file", found="a directory") from exc
    return gunzip(data, name) if data.startswith(b"\x1f\x8b") else data


def gunzip(data: bytes, name: str) -> bytes:
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataFormatError(name, "gzip stream", "a complete gzip file", found=str(exc)) from exc


def text(data: bytes, name: str) -> str:
    """Decode UTF-8 (BOM tolerated); invalid bytes are a DataFormatError with their offset."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataFormatError(name, f"line {line} (byte {exc.start})", "UTF-8 text",
                              found=repr(data[exc.start: exc.start + 8])) from exc


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
        raise DataFormatError(name, where, "a number", found=repr(value)[:60])
    return float(value)


def fnum(text_value: str, name: str, where: str) -> float:
    """Parse a number printed by a tool; ``-nan`` / ``nan`` -> NaN."""
    try:
        v = float(text_value)
    except (TypeError, ValueError):
        raise DataFormatError(name, where, "a number", found=repr(text_value)[:60]) from None
    return v


def neg_missing(v: float) -> float:
    """netperf prints -1 for 'not measured': map negative values to NaN."""
    return NAN if (v != v or v < 0) else v


def isnan(v) -> bool:
    return isinstance(v, float) and math.isnan(v)


def base_row(tool: str, fmt: str, source: str, record: int = 0) -> dict:
    return {"tool": tool, "format": fmt, "source_file": source, "record": record}

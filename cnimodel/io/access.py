"""The one guarded file access of the readers: regular files only, bounded bytes, bounded gunzip.

Every reader opens a user's file through :func:`read_guarded` (``_common.read_file`` calls
it), so the rules hold for ``cnimodel read``, :func:`cnimodel.io.read` and
:func:`cnimodel.io.load_dataset` alike:

* Only regular files are read.  The file is opened with ``O_NONBLOCK`` (a named pipe
  opens at once instead of blocking until a writer appears) and checked with ``fstat``
  on the opened descriptor: a fifo, socket, character or block device (``/dev/zero``,
  a terminal) is a :class:`~cnimodel.errors.DataFormatError` naming its kind.
* At most ``max_bytes`` are read (default :data:`MAX_FILE_BYTES`, 1 GiB); a larger
  file is refused before any byte is read.  Reading stops at the cap even when the size
  changes while it is read.
* gzip content (magic ``1f 8b``, whatever the file name) is decompressed in chunks
  and stopped at ``max_decompressed_bytes`` (default :data:`MAX_DECOMPRESSED_BYTES`,
  1 GiB): a gzip bomb is refused, with the cap in the message, instead of filling memory.
* Error messages describe the file (its kind, its size); they never quote its content.

Symlinks are resolved by the caller that knows the dataset root
(:func:`inside_root`, used by :func:`cnimodel.io.load_dataset`).
"""
from __future__ import annotations

import os
import re
import stat
import zlib

from ..errors import DataFormatError

__all__ = ["MAX_FILE_BYTES", "MAX_DECOMPRESSED_BYTES", "Limits", "read_guarded", "gunzip_capped",
           "kind_of", "inside_root", "display_path", "describe"]

#: Default cap on the bytes read from one file [bytes]: 1 GiB, over a thousand times the
#: largest benchmark output in data/ and tests/data (a 657 KB flent.gz of the shared corpus).
MAX_FILE_BYTES = 1 << 30
#: Default cap on the decompressed size of one compressed input [bytes]: 1 GiB (as for plain files).
MAX_DECOMPRESSED_BYTES = 1 << 30

_FLAGS = (os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
          | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
_CHUNK = 1 << 16
_BIG_CHUNK = 1 << 20


class Limits:
    """The caps of one read (``None`` for a field: its module default).

    >>> Limits(max_bytes=10).max_bytes, Limits().max_decompressed_bytes == MAX_DECOMPRESSED_BYTES
    (10, True)
    """

    __slots__ = ("max_bytes", "max_decompressed_bytes")

    def __init__(self, max_bytes=None, max_decompressed_bytes=None):
        for label, v in (("max_bytes", max_bytes), ("max_decompressed_bytes", max_decompressed_bytes)):
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v <= 0):
                from ..errors import ParameterError

                raise ParameterError(label, v, "a positive whole number of bytes")
        self.max_bytes = MAX_FILE_BYTES if max_bytes is None else max_bytes
        self.max_decompressed_bytes = (MAX_DECOMPRESSED_BYTES if max_decompressed_bytes is None
                                       else max_decompressed_bytes)


DEFAULT_LIMITS = Limits()


def kind_of(mode: int) -> str:
    """Human name of a file type from ``st_mode``.

    >>> kind_of(stat.S_IFIFO), kind_of(stat.S_IFCHR)
    ('a named pipe (fifo)', 'a character device')
    """
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe (fifo)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISREG, "a regular file")):
        if test(mode):
            return name
    return "a special file"


def _mib(n: int) -> str:
    return f"{n / (1 << 20):.0f} MiB" if n >= (1 << 20) else f"{n} bytes"


def read_guarded(path, name: str, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """Bytes of the regular file at ``path`` (gzip content decompressed, both capped).

    Raises
    ------
    DataFormatError
        Not a regular file (kind named), larger than ``limits.max_bytes``, or gzip
        content beyond ``limits.max_decompressed_bytes``.
    OSError
        The file cannot be opened or read (missing, permission denied).
    """
    fd = os.open(path, _FLAGS)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise DataFormatError(name, "file", "a regular file", found=kind_of(st.st_mode))
        cap = limits.max_bytes
        if st.st_size > cap:
            raise DataFormatError(name, "file size", f"at most {_mib(cap)} (the max_bytes cap)",
                                  found=_mib(st.st_size))
        data = os.read(fd, _CHUNK)
        if data:
            more = os.read(fd, _CHUNK)
            if more:
                parts, total = [data, more], len(data) + len(more)
                while more:
                    if total > cap:
                        raise DataFormatError(name, "file size", f"at most {_mib(cap)} (the "
                                              "max_bytes cap)", found="more (the file grew)")
                    more = os.read(fd, _BIG_CHUNK)
                    total += len(more)
                    parts.append(more)
                data = b"".join(parts)
    finally:
        os.close(fd)
    if data.startswith(b"\x1f\x8b"):
        return gunzip_capped(data, name, limits.max_decompressed_bytes)
    return data


def gunzip_capped(data: bytes, name: str, cap: int = MAX_DECOMPRESSED_BYTES) -> bytes:
    """Decompress gzip ``data`` (concatenated members too), refusing more than ``cap`` bytes out.

    >>> import gzip
    >>> gunzip_capped(gzip.compress(b"abc"), "x")
    b'abc'
    >>> gunzip_capped(gzip.compress(b"a" * 100), "x", cap=10)
    Traceback (most recent call last):
    ...
    cnimodel.errors.DataFormatError: x: at gzip stream: expected at most 10 bytes decompressed (the max_decompressed_bytes cap), found more
    """
    out, total, buf = [], 0, data
    try:
        while buf:
            d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            while not d.eof:
                chunk = d.decompress(buf, min(_BIG_CHUNK * 16, cap - total + 1))
                total += len(chunk)
                if total > cap:
                    raise DataFormatError(name, "gzip stream", f"at most {_mib(cap)} decompressed "
                                          "(the max_decompressed_bytes cap)", found="more")
                out.append(chunk)
                buf = d.unconsumed_tail
                if not chunk and not buf:
                    break
            if not d.eof:
                raise DataFormatError(name, "gzip stream", "a complete gzip file",
                                      found="the stream ends early")
            buf = d.unused_data
            if buf and not buf.startswith(b"\x1f\x8b"):
                break  # trailing garbage after the last member: ignored, as gzip(1) does
    except zlib.error as exc:
        raise DataFormatError(name, "gzip stream", "a complete gzip file", found=str(exc)) from exc
    return b"".join(out)


def inside_root(path: str, root_real: str) -> bool:
    """True when ``path``, all symlinks resolved, lies under the real directory ``root_real``.

    >>> inside_root("/etc/passwd", "/etc"), inside_root("/etc/passwd", "/usr")
    (True, False)
    """
    real = os.path.realpath(path)
    return real == root_real or real.startswith(root_real.rstrip(os.sep) + os.sep)


def display_path(path) -> str:
    """``path`` as printable text: bytes that are not UTF-8 shown as ``\\xNN`` escapes.

    >>> display_path(b"dir/r\\xe9sult.json")
    'dir/r\\\\xe9sult.json'
    """
    raw = os.fsencode(path)
    return raw.decode("utf-8", "backslashreplace")


def describe(value) -> str:
    """What ``value`` (bytes or text from a user's file) looks like, without quoting it.

    Skip reasons and errors end up in reports: they name the kind and size of what was
    found, never the content (a linked private key must not reach a report).

    >>> describe(b"-----BEGIN OPENSSH PRIVATE KEY-----"), describe(b"\\x00\\x01"), describe("1.2.3")
    ('35 bytes of text', '2 bytes of binary data', 'a text of 5 characters')
    >>> describe(b""), describe(None), describe([1])
    ('nothing', 'null', 'a list')
    """
    if isinstance(value, (bytes, bytearray, memoryview)):
        value = bytes(value)
        if not value:
            return "nothing"
        printable = sum(1 for b in value[:512] if b >= 32 or b in (9, 10, 13))
        kind = "text" if printable == len(value[:512]) else "binary data"
        return f"{len(value)} bytes of {kind}"
    if isinstance(value, str):
        return f"a text of {len(value)} characters" if value else "an empty text"
    if value is None:
        return "null"
    return {"bool": "a boolean", "dict": "a mapping", "list": "a list", "int": "an integer",
            "float": "a number"}.get(type(value).__name__, f"a {type(value).__name__}")


_QUOTED = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"|`[^`\n]*`")


def unquoted(message: str) -> str:
    """A parser's message (YAML, CSV ...) with every quoted part of the file it names
    replaced: such messages quote what they stumbled on (``found undefined tag '!x'``).

    >>> unquoted("could not determine a constructor for the tag '!secret-value'")
    'could not determine a constructor for the tag (a quoted part, not shown)'
    """
    return _QUOTED.sub("(a quoted part, not shown)", " ".join(str(message).split()))

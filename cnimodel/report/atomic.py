"""Atomic file writes: write a temporary file in the target directory, then ``os.replace``.

A reader (or an interrupted batch) therefore sees either the previous complete file
or the new complete file, never a half-written one.  Temporary files are named
``.cnimodel-tmp-*`` so that a later batch can remove the leftovers of a killed one
(:func:`remove_stale_temporaries`).
"""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

__all__ = ["TMP_PREFIX", "atomic_path", "write_text", "write_bytes", "remove_stale_temporaries"]

#: Prefix of every temporary file the report writes.
TMP_PREFIX = ".cnimodel-tmp-"


@contextmanager
def atomic_path(target, suffix: str = ""):
    """Yield a temporary path beside ``target``; on success move it onto ``target``.

    On an exception the temporary file is removed and ``target`` is left untouched.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_path(d / "a.txt") as tmp:
    ...     _ = tmp.write_text("done")
    >>> (d / "a.txt").read_text(), [p.name for p in d.iterdir()]
    ('done', ['a.txt'])
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=TMP_PREFIX + target.name + ".", suffix=suffix,
                                dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_bytes(target, data: bytes) -> Path:
    """Write ``data`` to ``target`` atomically (fsync before the rename)."""
    target = Path(target)
    with atomic_path(target) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    return target


def write_text(target, text: str) -> Path:
    """Write UTF-8 ``text`` to ``target`` atomically."""
    return write_bytes(target, text.encode("utf-8"))


def remove_stale_temporaries(directory) -> list:
    """Remove ``.cnimodel-tmp-*`` files left in ``directory`` by a killed batch; return them."""
    d = Path(directory)
    if not d.is_dir():
        return []
    gone = []
    for p in d.glob(TMP_PREFIX + "*"):
        if p.is_file():
            p.unlink()
            gone.append(p)
    return gone

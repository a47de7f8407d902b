"""The fingerprint of a dataset: one SHA-256 over the names and contents of its files.

Every regular file under the dataset directory counts (benchmark outputs, ``dataset.yaml``,
``manifest.json``, notes), walked in sorted order without following symbolic links to
directories; a symbolic link to a file counts with its target's content.  Two copies of
a dataset in different places have the same fingerprint; changing one byte, a label in
``dataset.yaml`` or a file name gives another.  A single-file dataset is hashed alone.

>>> import pathlib, tempfile
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "host").mkdir(), (d / "host" / "a.json").write_text("{}")
>>> fp = dataset_fingerprint(d)
>>> len(fp), fp == dataset_fingerprint(d)
(64, True)
>>> _ = (d / "host" / "a.json").write_text("{ }")
>>> fp == dataset_fingerprint(d)
False
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from ..errors import DataFormatError

__all__ = ["dataset_fingerprint", "dataset_files"]

_CHUNK = 1 << 20
#: Temporaries of an interrupted atomic write never count (``cnimodel.report.atomic``).
_SKIP_PREFIX = ".cnimodel-tmp-"


def dataset_files(root) -> list:
    """Relative POSIX names of the files that make up the dataset ``root``, sorted."""
    root = Path(root)
    if root.is_file():
        return [root.name]
    if not root.is_dir():
        raise DataFormatError(str(root), "dataset", "a dataset directory or file", found="nothing there")
    names = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        rel = Path(dirpath).relative_to(root)
        for f in sorted(filenames):
            p = Path(dirpath) / f
            if f.startswith(_SKIP_PREFIX) or not p.is_file():
                continue
            names.append((rel / f).as_posix())
    return sorted(names)


def dataset_fingerprint(root) -> str:
    """Hex SHA-256 over (name, size, SHA-256 of content) of every file of the dataset."""
    root = Path(root)
    outer = hashlib.sha256(b"cnimodel-dataset-fingerprint-1\0")
    base = root.parent if root.is_file() else root
    for name in dataset_files(root):
        inner = hashlib.sha256()
        size = 0
        with open(base / name, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                inner.update(chunk)
                size += len(chunk)
        outer.update(name.encode("utf-8", "surrogateescape") + b"\0")
        outer.update(f"{size}\0".encode() + inner.digest())
    return outer.hexdigest()

"""Loading a report's dataset, optionally with a ``dataset.yaml`` kept outside it.

A read-only dataset (the shared corpus, a colleague's share) cannot receive a
``dataset.yaml``; :func:`load` then builds a throw-away mirror of the directory tree
whose files are symbolic links to the originals (nothing is copied), puts the labels
file at its root as ``dataset.yaml``, loads it with :func:`cnimodel.io.load_dataset`
and maps every ``source_file`` back to the original path.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from ..errors import DataFormatError

__all__ = ["load"]


def load(dataset, labels_file=None, intervals: bool = False, strict: bool = False):
    """:func:`cnimodel.io.load_dataset` of ``dataset``, with ``labels_file`` (a dataset.yaml)
    applied at its root when given.  Returns what ``load_dataset`` returns."""
    from ..io import load_dataset

    if not labels_file:
        return load_dataset(dataset, strict=strict, intervals=intervals)
    root = Path(dataset).resolve()
    labels = Path(labels_file)
    if not root.is_dir():
        raise DataFormatError(str(dataset), "directory", "an existing dataset directory", found="none")
    if not labels.is_file():
        raise DataFormatError(str(labels_file), "file", "a dataset.yaml labels file", found="none")
    if (root / "dataset.yaml").exists():
        raise DataFormatError(str(root / "dataset.yaml"), "file", "no dataset.yaml at the root when "
                              "labels_file is given (it would be replaced silently)", found="one")
    tmp = Path(tempfile.mkdtemp(prefix="cnimodel-labels-"))
    try:
        mirror = tmp / root.name
        for dirpath, dirnames, filenames in os.walk(root):
            rel = Path(dirpath).relative_to(root)
            (mirror / rel).mkdir(parents=True, exist_ok=True)
            for f in filenames:
                os.symlink(Path(dirpath) / f, mirror / rel / f)
        shutil.copyfile(labels, mirror / "dataset.yaml")
        out = load_dataset(mirror, strict=strict, intervals=intervals)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    prefix, orig = str(mirror), str(root)

    def back(s):
        return s if not isinstance(s, str) or not s.startswith(prefix) else orig + s[len(prefix):]

    frames = out[:-1]
    for f in frames:
        if "source_file" in f.columns:
            f["source_file"] = f["source_file"].map(back).astype(f["source_file"].dtype)
    rep = out[-1]
    rep.root = orig
    rep.skipped = [type(s)(back(s.path), s.reason) for s in rep.skipped]
    rep.ignored = [back(p) for p in rep.ignored]
    return out

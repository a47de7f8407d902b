"""Loading a report's dataset, optionally with a ``dataset.yaml`` kept outside it.

A read-only dataset (the shared corpus, a colleague's share) cannot receive a
``dataset.yaml``; :func:`load` passes the labels file to
:func:`cnimodel.io.load_dataset` as its ``config``, applied at the dataset root.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import DataFormatError
from ..io import load_dataset

__all__ = ["load"]


def load(dataset, labels_file=None, intervals: bool = False, strict: bool = False):
    """:func:`cnimodel.io.load_dataset` of ``dataset``, with ``labels_file`` (a dataset.yaml)
    applied at its root when given.  Returns what ``load_dataset`` returns."""
    if labels_file and not Path(labels_file).is_file():
        raise DataFormatError(str(labels_file), "file", "a dataset.yaml labels file", found="none")
    return load_dataset(dataset, strict=strict, intervals=intervals, config=labels_file or None)

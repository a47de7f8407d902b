"""``load_dataset``: every benchmark file of a dataset directory, as one tidy frame.

Layout and ``dataset.yaml`` format: docs/architecture.md ("Dataset layout").

Which files are read (the ignore rule)
--------------------------------------
* Ignored by rule (listed in ``report.ignored``, never an error): hidden names
  (``.*``) and names starting with ``_`` or ``~``; ``dataset.yaml``,
  ``manifest.json``; notes, commands, scripts, images and notebooks, by suffix:
  ``.md .rst .cmd .sh .py .ipynb .png .jpg .jpeg .svg .pdf .html .prom .yaml .yml .toml
  .ini .cfg .stderr .err .pid`` (YAML only when the name ends in ``.knbdata.yaml`` is
  it read); ``README*``, ``LICENSE*``, ``NOTES*``; and every glob listed under
  ``ignore:`` in a ``dataset.yaml`` above the file.
* Every other file is read; one whose content is no known format, or is broken, is
  skipped and named in ``report.skipped`` with the reason (``strict=True`` raises
  the first such :class:`~cnimodel.errors.DataFormatError` instead).

Labels
------
The ``path`` label of a file is the first directory level under the innermost
directory holding a ``dataset.yaml`` (or under ``directory`` itself).  ``labels:``
of a ``dataset.yaml`` apply to its whole subtree (outer first, inner override);
then every ``files:`` entry whose glob (relative to that dataset.yaml; ``*``
stays within one directory level, ``**`` crosses levels) matches applies, in
order.  A label named like a schema column (``path``, ``protocol`` ...) overwrites
the reader's value; other labels become columns after the schema columns
(``condition, underlay_mtu_bytes, link_rate_bps, encap, cni, repetition,
node_pair`` first, then user labels in first-seen order).
"""
from __future__ import annotations

import fnmatch
import gc
import operator
import os
import re
from dataclasses import dataclass, field

from ..errors import DataFormatError
from . import _common as C
from . import access as A
from .detect import parse_bytes
from .iperf3 import RECORD_LAYOUT
from .safeyaml import load_yaml

__all__ = ["load_dataset", "LoadReport", "Skipped", "is_ignored"]

LABEL_ORDER = ("condition", "underlay_mtu_bytes", "link_rate_bps", "encap", "cni", "repetition",
               "node_pair")
IGNORED_SUFFIXES = (".md", ".rst", ".cmd", ".sh", ".py", ".ipynb", ".png", ".jpg", ".jpeg", ".svg",
                    ".pdf", ".html", ".prom", ".yaml", ".yml", ".toml", ".ini", ".cfg", ".stderr",
                    ".err", ".pid")
IGNORED_NAMES = ("dataset.yaml", "manifest.json")
IGNORED_PREFIXES = (".", "_", "~", "README", "LICENSE", "NOTES")
_NAME = operator.attrgetter("name")


# each suffix is one extension (one dot, leading): "ends with one" is "last extension in the set"
_IGNORED_EXTENSIONS = frozenset(IGNORED_SUFFIXES)
assert all(s.rfind(".") == 0 for s in IGNORED_SUFFIXES)


def is_ignored(filename: str) -> bool:
    """True when the ignore rule (module doc) excludes a file name.

    >>> [is_ignored(n) for n in ("dus-client.cmd", "dus-client.json", "a.knbdata.yaml", "notes.md")]
    [True, False, False, True]
    """
    if filename in IGNORED_NAMES or filename.startswith(IGNORED_PREFIXES):
        return True
    low = filename.lower()
    if low[low.rfind("."):] not in _IGNORED_EXTENSIONS:  # rfind -1: the last character, no dot
        return False
    return not low.endswith((".knbdata.yaml", ".knbdata.yml"))


@dataclass(frozen=True)
class Skipped:
    """A file that was not read, and why."""

    path: str
    reason: str


@dataclass
class LoadReport:
    """What :func:`load_dataset` did: files read, rows, files skipped (with reasons), ignored."""

    root: str
    files_read: int = 0
    rows: int = 0
    skipped: list = field(default_factory=list)
    ignored: list = field(default_factory=list)
    #: what was read but not kept, with the reason (:class:`~cnimodel.io.schema.Finding`): what
    #: a reader dropped from a file it read (a flow without its receiver's report, a duplicate
    #: JSON key ...), then rows the schema check (``schema.check_frame``) did not keep
    findings: list = field(default_factory=list)

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame({"path": [s.path for s in self.skipped],
                             "reason": [s.reason for s in self.skipped]}, dtype="string")

    def __str__(self):
        lines = [f"{self.root}: {self.files_read} files read, {self.rows} rows, "
                 f"{len(self.skipped)} skipped, {len(self.ignored)} ignored by rule, "
                 f"{len(self.findings)} findings (not kept)"]
        lines += [f"  skipped {s.path}: {s.reason}" for s in self.skipped]
        lines += [f"  not kept {f.path} ({f.location}): {f.reason}" for f in self.findings]
        return "\n".join(lines)


def _glob_re(pattern: str):
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            if i < len(pattern) and pattern[i] == "/":
                i += 1
            continue
        out.append("[^/]*" if ch == "*" else "[^/]" if ch == "?" else re.escape(ch))
        i += 1
    return re.compile("".join(out) + r"\Z")


def _load_yaml(path, root_real=None, follow_symlinks=False):
    if root_real is not None and not follow_symlinks and not A.inside_root(path, root_real):
        raise DataFormatError(A.display_path(path), "file", "a dataset.yaml inside the dataset",
                              found="a symbolic link to a file outside it")
    return _parse_config(load_yaml(path, "valid dataset.yaml"), A.display_path(path))


def _parse_config(doc, path):
    """Validate a parsed dataset.yaml document (``path`` names it in errors)."""
    doc = doc or {}
    if not isinstance(doc, dict):
        raise DataFormatError(path, "top level", "a mapping (labels, files, ignore)",
                              found=type(doc).__name__)
    labels = doc.get("labels") or {}
    if not isinstance(labels, dict):
        raise DataFormatError(path, "labels", "a mapping label -> value", found=type(labels).__name__)
    files = []
    for i, ent in enumerate(doc.get("files") or []):
        if not isinstance(ent, dict) or not isinstance(ent.get("glob"), str) \
                or not isinstance(ent.get("labels") or {}, dict):
            raise DataFormatError(path, f"files[{i}]", "{glob: <pattern>, labels: {...}}",
                                  found=C.describe(ent))
        files.append((_glob_re(ent["glob"]), dict(ent.get("labels") or {})))
    ignore = doc.get("ignore") or []
    if not isinstance(ignore, list) or not all(isinstance(g, str) for g in ignore):
        raise DataFormatError(path, "ignore", "a list of glob strings", found=C.describe(ignore))
    unknown = set(doc) - {"labels", "files", "ignore"}
    if unknown:
        raise DataFormatError(path, sorted(unknown)[0], "only the keys labels, files, ignore",
                              found=", ".join(sorted(unknown)))
    return {"labels": labels, "files": files, "ignore": ignore}


def load_dataset(directory, strict: bool = False, intervals: bool = False,
                 validate_intervals: bool = True, config=None, *, max_bytes: int | None = None,
                 max_decompressed_bytes: int | None = None, follow_symlinks: bool = False):
    """Read every benchmark file under ``directory`` into ONE tidy frame.

    Parameters
    ----------
    directory : str or os.PathLike
        Dataset root (see the module doc for labels and the ignore rule).
    strict : bool
        Raise the first :class:`~cnimodel.errors.DataFormatError` instead of skipping.
    intervals : bool
        Also return the per-interval frame (iperf3 files).
    validate_intervals : bool
        Default True: every byte of every file is parsed and validated.  False: the
        interval arrays of iperf3 files (most of their bytes) are not parsed when
        ``intervals=False`` and the file has iperf3's own layout, which is about twice
        as fast on large datasets; a corrupted byte inside an interval array then goes
        unnoticed (the start and end objects, which give every row value, are parsed).
    config : str, os.PathLike or dict, optional
        A ``dataset.yaml`` kept outside the dataset (a file path, or the parsed mapping),
        applied at ``directory`` as if it were its root ``dataset.yaml``, for datasets
        you cannot write to (a read-only share, the shared corpus).  A ``dataset.yaml``
        inside the directory still applies, on top of it.
    max_bytes : int, optional
        Largest file read [bytes]; default :data:`cnimodel.io.access.MAX_FILE_BYTES`
        (1 GiB).  A larger file is skipped with the reason.
    max_decompressed_bytes : int, optional
        Largest decompressed size of a gzip file [bytes]; default
        :data:`cnimodel.io.access.MAX_DECOMPRESSED_BYTES` (1 GiB).  Beyond it the file is
        skipped with the reason (a gzip bomb never fills memory).
    follow_symlinks : bool
        Default False: a symbolic link whose target lies outside ``directory`` is skipped
        with the reason (its content is never read).  True reads such targets too.
        Symbolic links to directories are never walked.

    Which entries are skipped (with the reason, never an exception; ``strict=True``
    raises instead): special files (named pipes, sockets, devices: never opened in a
    blocking way), files over the caps, symlinks leaving the dataset, unreadable files
    and unreadable subdirectories.  Names that are not UTF-8 are read and shown with
    ``\\xNN`` escapes.  Reasons describe the content (kind, size), never quote it.

    Returns
    -------
    (DataFrame, LoadReport) or (DataFrame, DataFrame, LoadReport) with ``intervals=True``

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> (d / "overlay").mkdir()
    >>> _ = (d / "overlay" / "rr.txt").write_text("THROUGHPUT=20000\\nTHROUGHPUT_UNITS=Trans/s\\n")
    >>> _ = (d / "overlay" / "broken.json").write_text('{"start": ')
    >>> _ = (d / "overlay" / "run.cmd").write_text("netperf -t TCP_RR")
    >>> df, report = load_dataset(d)
    >>> df[["path", "transactions_per_s"]].values.tolist()
    [['overlay', 20000.0]]
    >>> [(pathlib.Path(s.path).name, s.reason.split(":")[-1].strip()) for s in report.skipped]
    [('broken.json', 'expected valid JSON, found Expecting value')]
    """
    from .schema import INTERVAL_COLUMNS, check_frame, frame_from_rows

    root = os.fspath(directory)
    if isinstance(root, bytes):
        root = os.fsdecode(root)
    if not os.path.isdir(root):
        raise DataFormatError(A.display_path(root), "directory", "an existing dataset directory",
                              found="none")
    limits = A.Limits(max_bytes, max_decompressed_bytes)
    root_real = os.path.realpath(root)
    show = A.display_path
    report = LoadReport(root=show(root))
    rows, ivals = [], []
    runs = [(0, None)]  # (first row, labels): rows from there on carry these labels
    nread = 0
    noted = []  # what readers dropped from files they read (schema.Finding)
    if config is None:
        outer = None
    elif isinstance(config, dict):
        outer = _parse_config(config, "<config>")
    else:
        outer = _load_yaml(os.fspath(config))

    def skip(path, reason):
        report.skipped.append(Skipped(show(path), reason))

    def walk(dirpath, rel_parts, ctx):
        # ctx: (labels dict, list of (yaml_dir_rel_parts, cfg)), innermost root depth
        nonlocal nread
        labels, cfgs, root_depth = ctx
        if not rel_parts and outer is not None:
            labels = {**labels, **outer["labels"]}
            cfgs = cfgs + [(0, outer)]
        ypath = os.path.join(dirpath, "dataset.yaml")
        if os.path.lexists(ypath):
            cfg = _load_yaml(ypath, root_real, follow_symlinks)
            labels = {**labels, **cfg["labels"]}
            cfgs = cfgs + [(len(rel_parts), cfg)]
            root_depth = len(rel_parts)
        try:
            with os.scandir(dirpath) as it:
                entries = sorted(it, key=_NAME)
        except OSError as exc:
            if strict or not rel_parts:
                raise DataFormatError(show(dirpath), "directory", "a readable directory",
                                      found=exc.strerror or str(exc)) from None
            skip(dirpath, f"cannot read directory: {exc.strerror or exc}")
            return
        ignores = [(d, g) for d, cfg in cfgs for g in cfg["ignore"]]
        fentries = [(d, rx, fl) for d, cfg in cfgs for rx, fl in cfg["files"]]
        depth = len(rel_parts) + 1 - root_depth
        dir_labels = {"path": rel_parts[root_depth]} if depth >= 2 else {}
        dir_labels.update(labels)
        file_labels = {}  # indices of the matching files: entries -> labels, shared by the files
        for e in entries:
            name = e.name
            try:
                is_dir = e.is_dir(follow_symlinks=False)
                is_link = e.is_symlink()
            except OSError:
                is_dir = is_link = False
            if is_dir:
                if name.startswith((".", "_")):
                    continue
                walk(e.path, rel_parts + [name], (labels, cfgs, root_depth))
                continue
            path = e.path
            parts = rel_parts + [name] if (ignores or fentries) else None
            if is_ignored(name) or (ignores and any(
                    fnmatch.fnmatchcase("/".join(parts[d:]), g) or fnmatch.fnmatchcase(name, g)
                    for d, g in ignores)):
                report.ignored.append(show(path))
                continue
            shown = show(path)
            try:
                if is_link:
                    if os.path.isdir(path):
                        raise DataFormatError(shown, "file", "a file (symbolic links to "
                                              "directories are not walked)",
                                              found="a symbolic link to a directory")
                    if not follow_symlinks and not A.inside_root(path, root_real):
                        raise DataFormatError(shown, "file", "a file inside the dataset "
                                              "(follow_symlinks=True / --follow-symlinks reads it)",
                                              found="a symbolic link to a file outside it")
                fnoted = []  # kept only when the file is read
                frows, fivals = parse_bytes(C.read_file(path, shown, limits), shown, None,
                                            intervals, validate_intervals, True, fnoted)
            except DataFormatError as exc:
                if strict:
                    raise
                msg = str(exc)
                skip(path, msg[len(shown) + 2:] if msg.startswith(shown + ": ") else msg)
                continue
            except OSError as exc:
                if strict:
                    raise DataFormatError(shown, "file", "a readable file",
                                          found=exc.strerror or str(exc)) from None
                skip(path, f"cannot read: {exc.strerror or exc}")
                continue
            lab = dir_labels
            if fentries:
                hits = tuple(i for i, (d, rx, _) in enumerate(fentries)
                             if rx.match("/".join(parts[d:])))
                lab = file_labels.get(hits)
                if lab is None:
                    lab = file_labels[hits] = dict(dir_labels)
                    for i in hits:
                        lab.update(fentries[i][2])
            if lab is not runs[-1][1] and frows:
                runs.append((len(rows), lab))
            rows.extend(frows)
            noted.extend(fnoted)
            if fivals:
                ivals.extend(fivals)
            nread += 1

    gc_was_enabled = gc.isenabled()
    gc.disable()  # parsed documents and rows are acyclic and freed by refcount: no GC passes
    try:
        walk(root, [], ({}, [], 0))
        ends = [start for start, _ in runs[2:]] + [len(rows)]
        labels = [(end - start, lab) for (start, lab), end in zip(runs[1:], ends)]
        df = frame_from_rows(rows, extra_order=LABEL_ORDER, labels=labels, layout=RECORD_LAYOUT)
        df, found = check_frame(df)
        report.findings = noted + found
        idf = frame_from_rows(ivals, INTERVAL_COLUMNS) if intervals else None
        del rows[:], ivals[:]  # freed now: not traversed by the first collection after enable()
    finally:
        if gc_was_enabled:
            gc.enable()
    report.files_read = nread
    report.rows = len(df)
    if intervals:
        return df, idf, report
    return df, report

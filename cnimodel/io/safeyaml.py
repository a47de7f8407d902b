"""The one YAML loader of cnimodel: no aliases, bounded size, one-line errors.

Every YAML file cnimodel reads (``dataset.yaml``, ``cnimodel report -p``/``--params``
files, ``--paths`` files) goes through :func:`load_yaml` / :func:`loads_yaml`:

* PyYAML's safe loader (no Python objects are built from tags);
* anchors and aliases (``&a`` / ``*a``) are refused where they appear: a 1 KB file
  whose nested aliases expand to 10^9 items (the "billion laughs") fails at once
  instead of running for ever; cnimodel's own YAML never needs them;
* at most :data:`MAX_YAML_BYTES` of input (read through the readers' guarded access:
  regular files only);
* every error is one line naming the file, the line and the problem.
"""
from __future__ import annotations

import yaml

from ..errors import DataFormatError
from .access import Limits, display_path, read_guarded, unquoted

__all__ = ["load_yaml", "loads_yaml", "MAX_YAML_BYTES"]

#: Largest YAML input cnimodel parses [bytes]: 16 MiB, far above any configuration file.
MAX_YAML_BYTES = 16 << 20
_LIMITS = Limits(max_bytes=MAX_YAML_BYTES, max_decompressed_bytes=MAX_YAML_BYTES)

class _NoAliasLoader(yaml.SafeLoader):
    """SafeLoader that refuses anchors and aliases at the first one it meets."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed",
                                              event.start_mark)
        event = self.peek_event()
        if getattr(event, "anchor", None) is not None:
            raise yaml.composer.ComposerError(None, None, "anchors (&name) are not allowed",
                                              event.start_mark)
        return super().compose_node(parent, index)


def loads_yaml(text, name: str = "<yaml>", what: str = "valid YAML"):
    """Parse YAML ``text`` (str or bytes); errors are one-line :class:`DataFormatError`.

    >>> loads_yaml("labels: {condition: a}")
    {'labels': {'condition': 'a'}}
    >>> loads_yaml("a: &x [1, 2]\\nb: *x", "d.yaml")
    Traceback (most recent call last):
    ...
    cnimodel.errors.DataFormatError: d.yaml: at line 1 column 4: expected valid YAML, found anchors (&name) are not allowed
    """
    if isinstance(text, (bytes, bytearray)) and len(text) > MAX_YAML_BYTES:
        raise DataFormatError(name, "file size", f"at most {MAX_YAML_BYTES} bytes of YAML",
                              found=f"{len(text)} bytes")
    try:
        return yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1} column {mark.column + 1}" if mark else "document"
        problem = " ".join(str(exc.problem or exc.context or "invalid YAML").split())
        raise DataFormatError(name, where, what, found=unquoted(problem)[:160]) from None
    except (yaml.YAMLError, RecursionError, ValueError) as exc:
        raise DataFormatError(name, "document", what,
                              found=unquoted(exc)[:160] or type(exc).__name__) from None


def load_yaml(path, what: str = "valid YAML"):
    """Parse the YAML file at ``path`` (regular file, at most :data:`MAX_YAML_BYTES`).

    Raises
    ------
    DataFormatError
        Unreadable, not a regular file, too large, or not valid alias-free YAML.
    """
    name = display_path(path)
    try:
        data = read_guarded(path, name, _LIMITS)
    except OSError as exc:
        raise DataFormatError(name, "file", "a readable YAML file",
                              found=exc.strerror or type(exc).__name__) from None
    return loads_yaml(data, name, what)

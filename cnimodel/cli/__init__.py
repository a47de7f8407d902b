"""Command-line interface: ``cnimodel <subcommand> ...``.

Each subcommand lives in its own module of this package and exposes
``register(subparsers)``, which adds its parser and sets ``func`` (called with
the parsed arguments, returns the exit status).  Errors a user can cause
(bad arguments, bad files) print one line on stderr and exit with status 2.
"""
from __future__ import annotations

import argparse
import importlib
import signal
import sys

from ..errors import CnimodelError
from ._types import number

#: Subcommand modules, in the order ``cnimodel --help`` lists them.
COMMAND_MODULES = ("overhead", "read", "lab", "model", "explain", "report", "compare", "history", "planner", "plan")


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose errors are one line and exit status 2 (no usage dump); every
    ``type=float`` flag refuses NaN (``_types.number``)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.register("type", float, number)

    def error(self, message):  # noqa: D401 - argparse API
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__

    parser = _Parser(prog="cnimodel", description="Model and measure Kubernetes container-network "
                     "data paths (host, bridge, overlay, routing, underlay).")
    parser.add_argument("--version", action="version", version=f"cnimodel {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in COMMAND_MODULES:
        try:
            mod = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
            continue  # subcommand not built yet in this source tree
        mod.register(sub)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except CnimodelError as exc:
        print(f"cnimodel {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a user's path that cannot be read or written: one line
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"cnimodel {args.command}: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # more Ctrl-C now: the exit status stays 130
        print(f"cnimodel {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

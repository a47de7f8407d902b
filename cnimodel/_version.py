"""The installed package's version (layer 0: anything may import it).

Examples
--------
>>> isinstance(__version__, str)
True
"""
from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("cnimodel")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]

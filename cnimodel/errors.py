"""Exception hierarchy of cnimodel.

Every error cnimodel raises on purpose derives from :class:`CnimodelError`, so a
caller can catch the whole family with one ``except`` clause.  Subclasses carry
the structured facts a user needs to fix the input (parameter name, value and
allowed range; or file, location and what was expected).
"""
from __future__ import annotations

__all__ = [
    "CnimodelError",
    "ParameterError",
    "MTUMisconfigurationError",
    "DataFormatError",
    "LabError",
    "FitError",
    "ReportError",
]


class CnimodelError(Exception):
    """Base class of every error raised by cnimodel."""


class ParameterError(CnimodelError, ValueError):
    """An input parameter is outside its allowed range or of an unknown kind.

    Parameters
    ----------
    name : str
        Name of the offending parameter, e.g. ``"underlay_mtu_bytes"``.
    value : object
        The value that was given (for arrays: the first offending element).
    allowed : str
        Human-readable description of the allowed values, e.g. ``">= 68"``.
    """

    def __init__(self, name: str, value, allowed: str, detail: str = ""):
        self.name = name
        self.value = value
        self.allowed = allowed
        self.detail = detail
        msg = f"invalid {name}={value!r}: allowed {allowed}"
        if detail:
            msg += f" ({detail})"
        super().__init__(msg)


class MTUMisconfigurationError(CnimodelError, ValueError):
    """A pod MTU exceeds what the underlay carries after encapsulation.

    Such a configuration fragments large packets or black-holes them (when
    DF is set, as for TCP with PMTU discovery); throughput computed through it
    would be meaningless, so cnimodel reports it instead.
    """

    def __init__(self, pod_mtu_bytes, max_pod_mtu_bytes, underlay_mtu_bytes, encap):
        self.pod_mtu_bytes = pod_mtu_bytes
        self.max_pod_mtu_bytes = max_pod_mtu_bytes
        self.underlay_mtu_bytes = underlay_mtu_bytes
        self.encap = encap
        super().__init__(
            f"pod MTU {pod_mtu_bytes} B exceeds the {max_pod_mtu_bytes} B that an "
            f"underlay MTU of {underlay_mtu_bytes} B carries with encapsulation "
            f"{encap!r}: large packets will be fragmented or black-holed; set the pod "
            f"MTU to at most {max_pod_mtu_bytes} B"
        )


class DataFormatError(CnimodelError, ValueError):
    """A benchmark file cannot be read as the expected format.

    Parameters
    ----------
    source : str
        File name (or ``"<buffer>"``) that was being read.
    location : str
        Where in the file: a key path (``"end.sum_received"``) or ``"line 12"``.
    expected : str
        What was expected at that location.
    """

    def __init__(self, source: str, location: str, expected: str, found: str | None = None):
        self.source = source
        self.location = location
        self.expected = expected
        self.found = found
        msg = f"{source}: at {location}: expected {expected}"
        if found is not None:
            msg += f", found {found}"
        super().__init__(msg)


class LabError(CnimodelError, RuntimeError):
    """The measurement lab cannot run (missing privilege, tool or kernel feature) or failed."""


class FitError(CnimodelError, RuntimeError):
    """A calibration did not converge; ``result`` holds the optimizer's result object."""

    def __init__(self, message: str, result=None):
        self.result = result
        super().__init__(message)


class ReportError(CnimodelError, RuntimeError):
    """A report run failed (bad dataset, bad parameter or notebook error)."""

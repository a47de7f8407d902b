"""cnimodel: analytical models and measurements of Kubernetes container-network data paths."""
from ._version import __version__
from . import encap, overhead, paths
from .errors import (CnimodelError, DataFormatError, FitError, LabError,
                     MTUMisconfigurationError, ParameterError, ReportError)
from .paths import PATH_NAMES, Path, get_path, register_path
from .io import read, load_dataset
from . import latency, throughput
from .params import ModelParams
from .predict import predict
from .calibrate import fit, cross_validate


__all__ = ["__version__", "encap", "overhead", "paths", "Path", "PATH_NAMES", "get_path",
           "register_path", "CnimodelError", "ParameterError", "MTUMisconfigurationError",
           "DataFormatError", "LabError", "FitError", "ReportError"]
__all__ += ["latency", "throughput", "ModelParams", "predict", "fit", "cross_validate"]
__all__ += ["read", "load_dataset"]

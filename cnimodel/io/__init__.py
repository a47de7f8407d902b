"""Readers of benchmark outputs into one tidy schema, and dataset loading.

* :func:`read` - one file, format detected from its content;
* :func:`load_dataset` - a dataset directory (labels from folders and ``dataset.yaml``);
* ``read_<format>`` - one reader per format;
* :data:`COLUMNS` - the schema (``docs/data-dictionary.md``).
"""
from .dataset import LoadReport, Skipped, load_dataset
from .detect import FORMATS, read, sniff
from .flent import read_flent
from .iperf2 import read_iperf2
from .iperf3 import read_iperf3
from .k8s_netperf import read_k8s_netperf
from .knb import read_knb
from .netperf import read_netperf
from .ping import read_ping
from .iperf3_text import read_iperf3_text
from .qperf import read_qperf
from .sockperf import read_sockperf
from .schema import COLUMN_NAMES, COLUMNS, INTERVAL_COLUMNS

__all__ = ["read", "load_dataset", "sniff", "FORMATS", "LoadReport", "Skipped", "read_iperf3",
           "read_iperf2", "read_netperf", "read_k8s_netperf", "read_knb", "read_flent", "read_ping", "read_sockperf", "read_qperf", "read_iperf3_text", "COLUMNS",
           "COLUMN_NAMES", "INTERVAL_COLUMNS"]

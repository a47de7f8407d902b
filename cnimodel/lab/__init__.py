"""Network-namespace lab: real measurements of the five data paths on one machine.

``cnimodel lab run --out DIR`` builds two "nodes" joined by a veth "wire"
(optionally shaped with ``tc tbf``), pods for the host / bridge / overlay /
routing / underlay paths, runs iperf3 and netperf between them and saves the
raw output with a manifest (docs/lab.md).  ``cnimodel lab clean`` removes the
leftovers of an interrupted run.  Needs root, iperf3 and netperf.

Modules: :mod:`.naming` (prefix, 198.18.0.0/15 checks), :mod:`.preflight`,
:mod:`.topology`, :mod:`.plan`, :mod:`.runner`, :mod:`.manifest`, :mod:`.cleanup`.
"""
from .cleanup import LabInterrupted, clean, lab_namespaces
from .plan import Condition, LabConfig, parse_rate
from .runner import estimate_seconds, run_lab

__all__ = ["LabConfig", "Condition", "parse_rate", "run_lab", "estimate_seconds", "clean",
           "lab_namespaces", "LabInterrupted"]

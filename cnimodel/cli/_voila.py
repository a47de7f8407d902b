"""What ``cnimodel planner`` gives Voila: a Host-header check, kernel culling and a kernel cap.

Voila serves every page from a fresh kernel and, left alone, answers any ``Host``
header (a DNS-rebinding page could drive the planner) and keeps the kernel of every
closed page.  :func:`write_config` writes the ``voila.json`` that turns on
jupyter_server's own protections:

* ``allow_remote_access: false`` with ``local_hostnames``: a request whose ``Host`` is
  not a loopback address or one of the listed names gets 403;
* ``MappingKernelManager.cull_idle_timeout`` / ``cull_interval`` with
  ``cull_connected: false``: the kernel of a page that was closed is shut down once idle
  for :data:`DEFAULT_CULL_IDLE_S`;
* :class:`cnimodel.cli._voila_manager.CappedKernelManager` (its own module, imported only by the
  Voila server: jupyter_server costs every other command 2-3 s of start-up): at most :data:`DEFAULT_MAX_KERNELS` kernels at once; a
  page load beyond it gets 503 instead of another ~150 MB kernel.
"""
from __future__ import annotations

import json
from pathlib import Path

__all__ = ["DEFAULT_CULL_IDLE_S", "DEFAULT_MAX_KERNELS", "write_config"]

#: Idle time after which the kernel of a closed page is shut down [s].
DEFAULT_CULL_IDLE_S = 300
#: Largest number of kernels (open pages) served at once.
DEFAULT_MAX_KERNELS = 8


def write_config(directory, hostnames, cull_idle_s=DEFAULT_CULL_IDLE_S,
                 max_kernels=DEFAULT_MAX_KERNELS) -> Path:
    """Write ``directory/voila.json`` (Voila reads it from ``JUPYTER_CONFIG_DIR``)."""
    cull = max(1, int(cull_idle_s))
    doc = {
        "Voila": {"tornado_settings": {"allow_remote_access": False,
                                       "local_hostnames": sorted(set(hostnames))}},
        "VoilaConfiguration": {"multi_kernel_manager_class": f"{__name__}_manager.CappedKernelManager"},
        "MappingKernelManager": {"cull_idle_timeout": cull, "cull_interval": max(1, min(cull, 60)),
                                 "cull_connected": False, "cull_busy": False},
        "CappedKernelManager": {"max_kernels": int(max_kernels), "cull_idle_timeout": cull,
                                "cull_interval": max(1, min(cull, 60)), "cull_connected": False,
                                "cull_busy": False},
    }
    path = Path(directory) / "voila.json"
    path.write_text(json.dumps(doc, indent=1))
    return path

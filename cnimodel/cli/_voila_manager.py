"""The kernel manager of ``cnimodel planner``'s Voila server (see :mod:`cnimodel.cli._voila`).

Kept out of :mod:`cnimodel.cli._voila` so that only the Voila process imports jupyter_server.
"""
from __future__ import annotations

from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado import web
from traitlets import Integer

from ._voila import DEFAULT_MAX_KERNELS

__all__ = ["CappedKernelManager"]


class CappedKernelManager(AsyncMappingKernelManager):
    """A mapping kernel manager that refuses a new kernel beyond ``max_kernels`` (503)."""

    max_kernels = Integer(DEFAULT_MAX_KERNELS, config=True, help="largest number of kernels")

    async def start_kernel(self, *args, **kwargs):
        if kwargs.get("kernel_id") is None and len(self.list_kernel_ids()) >= self.max_kernels:
            raise web.HTTPError(503, f"the planner serves at most {self.max_kernels} pages at "
                                "once; close a page or wait for idle ones to be culled")
        return await super().start_kernel(*args, **kwargs)

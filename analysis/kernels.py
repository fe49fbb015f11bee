"""Kernels for chapter runs: tracked, so an interrupted build can stop them at once, and quiet.

jupyter_client interrupts (SIGINT) every kernel before it shuts it down; a kernel that is between
two messages then logs "[IPKernelApp] ERROR | KeyboardInterrupt caught in kernel" into the build
log although the chapter succeeded. A finished chapter has nothing to interrupt, so the manager
below skips that interrupt during shutdown.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading

from jupyter_client.manager import AsyncKernelManager

_live: set[AsyncKernelManager] = set()
_lock = threading.Lock()
_stop = threading.Event()


class ChapterKernelManager(AsyncKernelManager):
    """papermill's kernel manager for chapters (passed as ``kernel_manager_class``)."""

    async def _async_post_start_kernel(self, **kw) -> None:
        await super()._async_post_start_kernel(**kw)
        with _lock:
            _live.add(self)
        if _stop.is_set():  # started while the build was being stopped
            _kill(self)

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        with _lock:
            _live.discard(self)
        await super()._async_cleanup_resources(restart=restart)

    async def _async_interrupt_kernel(self) -> None:
        if self.shutting_down:  # see the module docstring
            return
        await super()._async_interrupt_kernel()


def _kill(km: AsyncKernelManager) -> None:
    """SIGKILL the kernel's process group (each kernel runs in its own session)."""
    group = getattr(km.provisioner, "pgid", None) or getattr(km.provisioner, "pid", None)
    if group:
        with contextlib.suppress(ProcessLookupError, PermissionError):  # already gone
            os.killpg(group, signal.SIGKILL)


def stop_all() -> int:
    """Kill every running chapter kernel and refuse new ones; returns how many were running."""
    _stop.set()
    with _lock:
        running = list(_live)
    for km in running:
        _kill(km)
    return len(running)


def reset() -> None:
    """Allow kernels again (at the start of a build)."""
    _stop.clear()

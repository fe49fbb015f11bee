"""Warm kernels for chapter runs: each worker thread owns one kernel that has imported the
chapters' packages once, and runs chapter after chapter in it with a fresh namespace.

A kernel start plus the imports of pandas, geopandas, matplotlib and the package costs about 3 s;
a chapter's own work 0.3–2 s. A fresh kernel per chapter would pay the 3 s twelve times. Between
two chapters the kernel's namespace is cleared (``%reset -f``) and its figures closed, so a chapter
sees only its own variables; modules stay imported, and the package's per-process caches of the
prepared results are valid for the whole build (one build, one data version). nbval in the test
suite runs every notebook in a fresh kernel of its own, which proves the chapters do not depend on
what ran before them.

Kernels are tracked, so an interrupted build can kill them at once, and quiet: jupyter_client
interrupts (SIGINT) a kernel before it shuts it down, which makes an idle kernel log
"KeyboardInterrupt caught in kernel" although the chapter succeeded; the manager skips that.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import os
import queue
import signal
import threading
from collections.abc import Callable
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines

WARM_UP = "import analysis.pages, analysis.city_pages"  # what every chapter imports, paid once per kernel
RESET = "import matplotlib.pyplot as _plt\n_plt.close('all')\n%reset -f"  # one reset: it runs a full gc
START_TIMEOUT = 60

_live: set[AsyncKernelManager] = set()
_lock = threading.Lock()
_stop = threading.Event()


class ChapterKernelManager(AsyncKernelManager):
    """The manager of a warm kernel: tracked (stoppable on Ctrl-C) and quiet at shutdown."""

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


class WarmEngine(NBClientEngine):
    """papermill's nbclient engine on a kernel that is already running (``km``) through its
    connected client (``kc``); both stay with their owner."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, start_timeout=START_TIMEOUT, execution_timeout=None, **kw):
        client = PapermillNotebookClient(
            nb_man, km=kw["km"], kernel_name=kernel_name, startup_timeout=start_timeout, timeout=execution_timeout
        )
        # the kernel's own connected client: a new one would wait 0.2 s for IOPub to settle
        client.kc = kw["kc"]
        client.kc.allow_stdin = False
        return client.execute()


papermill_engines.register("warm", WarmEngine)


class WarmKernel:
    """One started kernel with the chapters' imports done; used by one thread only."""

    def __init__(self, kernel_name: str, cwd: Path):
        self.km = ChapterKernelManager(kernel_name=kernel_name)
        # the kernel's start-up notice about local TCP transport is noise in the build log
        run_sync(self.km.start_kernel)(cwd=str(cwd), extra_arguments=["--IPKernelApp.log_level=ERROR"])
        # one connected client for the set-up, the resets and the chapters (connecting costs 0.2 s)
        self.kc = self.km.client()
        self.kc.start_channels()
        run_sync(self.kc.wait_for_ready)(timeout=START_TIMEOUT)
        self.run(WARM_UP)

    def run(self, code: str) -> None:
        """Execute code quietly; raises RuntimeError if it fails."""
        reply = run_sync(self.kc.execute_interactive)(
            code, store_history=False, timeout=START_TIMEOUT, output_hook=lambda m: None
        )
        content = reply["content"]
        if content["status"] != "ok":
            raise RuntimeError(f"kernel set-up failed: {content.get('ename')}: {content.get('evalue')}")

    def reset(self) -> None:
        self.run(RESET)

    def shutdown(self) -> None:
        self.kc.stop_channels()
        run_sync(self.km.shutdown_kernel)(now=True)


class KernelPool:
    """Worker threads, each starting a warm kernel at once and then running submitted jobs
    ``fn(kernel, *args)`` in it. A job that fails discards its kernel (the next job starts a new
    one), so a crashed or confused kernel never runs another chapter."""

    def __init__(self, workers: int, kernel_name: str, cwd: Path):
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._start = lambda: WarmKernel(kernel_name, cwd)
        self._threads = [threading.Thread(target=self._work, daemon=True) for _ in range(workers)]
        for t in self._threads:
            t.start()

    def submit(self, fn: Callable, *args) -> cf.Future:
        fut: cf.Future = cf.Future()
        self._jobs.put((fut, fn, args))
        return fut

    def _work(self) -> None:
        kernel = None
        try:
            kernel = self._start()
        except Exception:  # noqa: BLE001 - the first job retries and reports the error
            kernel = None
        while (job := self._jobs.get()) is not None:
            fut, fn, args = job
            if not fut.set_running_or_notify_cancel():
                continue
            try:
                kernel = kernel or self._start()
                fut.set_result(fn(kernel, *args))
            except BaseException as err:  # noqa: BLE001 - handed to the caller through the future
                if not fut.done():
                    fut.set_exception(err)
                kernel = _discard(kernel)
        _discard(kernel)

    def close(self, cancel: bool = False) -> None:
        """Stop the workers (after the queued jobs, or cancelling them) and their kernels."""
        if cancel:
            with contextlib.suppress(queue.Empty):
                while True:
                    job = self._jobs.get_nowait()
                    if job is not None:
                        job[0].cancel()
        for _ in self._threads:
            self._jobs.put(None)

    def join(self, timeout: float | None = None) -> None:
        for t in self._threads:
            t.join(timeout)


def _discard(kernel: WarmKernel | None) -> None:
    if kernel is not None:
        with contextlib.suppress(Exception):
            kernel.shutdown()


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

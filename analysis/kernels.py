"""Warm kernels for chapter runs: each worker thread owns one kernel that has imported the
chapters' packages once, and runs chapter after chapter in it with a fresh namespace.

A kernel start plus the imports of pandas, geopandas, matplotlib and the package costs about 3 s;
a chapter's own work 0.3–2 s. A fresh kernel per chapter would pay the 3 s twelve times. Between
two chapters the kernel's namespace is cleared (``%reset -f``) and its figures closed, so a chapter
sees only its own variables; modules stay imported, and the package's per-process caches of the
prepared results are valid for the whole build (one build, one data version). nbval in the test
suite runs every notebook in a fresh kernel of its own, which proves the chapters do not depend on
what ran before them.

Kernels outlive the build (parked, see Parking and WarmKernel.adopt) unless switched off
(build.kernel_idle_minutes): the next build in the checkout adopts them if nothing it depends on
(code, interpreter, lock file, environment) changed, and they first forget the package's caches,
so a planner's second build pays no kernel start. A parked kernel exits by itself after the idle
time or when its parking file is removed (``make clean``).

Kernels are tracked, so an interrupted build can kill them at once, and quiet: jupyter_client
interrupts (SIGINT) a kernel before it shuts it down, which makes an idle kernel log
"KeyboardInterrupt caught in kernel" although the chapter succeeded; the manager skips that.
"""

from __future__ import annotations

import collections
import concurrent.futures as cf
import contextlib
import functools
import json
import os
import signal
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync

WARM_UP = "import analysis.pages, analysis.city_pages"  # what every chapter imports, paid once per kernel
# Between chapters: figures closed, namespace cleared (one reset: it runs a full gc), then what
# survives (modules, the prepared results) frozen, so that the next full gc, at the next reset and
# in the chapter, skips it: 0.01 s instead of 0.2 s.
RESET = "import matplotlib.pyplot as _plt\n_plt.close('all')\n%reset -f\nimport gc\ngc.freeze()\ndel gc"
START_TIMEOUT = 60
# What the site step needs in a kernel (Jupyter Book, Sphinx and the book's extensions set up, about
# 1.5 s): done while the build prepares its data, and when the kernel is parked.
PREPARE = "import analysis.build as _b\n_b.import_sphinx()\ndel _b"
ADOPT_TIMEOUT = 15  # a parked kernel that does not answer within this is replaced
# The caches of the package hold one build's data: a parked kernel forgets them when a build adopts it.
FORGET = "import analysis, gc\ngc.unfreeze()\nanalysis.forget_caches()\ndel analysis, gc"
# A parked kernel exits when its parking file is removed (`make clean`) or has not been touched for
# `idle` seconds, and removes its connection file; the thread is started once per kernel.
WATCH = """
def _watch(path, connection, idle):
    import os, time
    start, seen = time.time(), False
    while True:
        time.sleep(1)
        try:
            last, seen = max(start, os.path.getmtime(path)), True
        except OSError:
            if seen:
                break
            last = start
        if time.time() - last > idle:
            break
    try:
        os.remove(connection)
    except OSError:
        pass
    os._exit(0)
import builtins, threading
if not getattr(builtins, "_udsatte_watched", False):
    builtins._udsatte_watched = True
    threading.Thread(target=_watch, args=({path!r}, {connection!r}, {idle!r}), daemon=True).start()
del builtins, threading, _watch
"""

_live: dict[AsyncKernelManager, int] = {}  # kernel manager -> the kernel's process (group) id
_lock = threading.Lock()
_stop = threading.Event()


class ChapterKernelManager(AsyncKernelManager):
    """The manager of a warm kernel: tracked (stoppable on Ctrl-C) and quiet at shutdown."""

    async def _async_post_start_kernel(self, **kw) -> None:
        await super()._async_post_start_kernel(**kw)
        with _lock:
            _live[self] = self.provisioner.pid
        if _stop.is_set():  # started while the build was being stopped
            _kill(self.provisioner.pid)

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        with _lock:
            _live.pop(self, None)
        await super()._async_cleanup_resources(restart=restart)

    @property
    def has_kernel(self) -> bool:
        # an adopted kernel (owns_kernel=False) is running although this manager did not start it;
        # nbclient would start another one otherwise
        return not self.owns_kernel or super().has_kernel

    async def _async_interrupt_kernel(self) -> None:
        if self.shutting_down:  # see the module docstring
            return
        await super()._async_interrupt_kernel()


@functools.cache
def warm_engine() -> str:
    """Register "warm", papermill's nbclient engine on a kernel that is already running (``km``)
    through its connected client (``kc``), both staying with their owner; returns its name.
    papermill is imported here, not with this module (0.3 s), so that the kernels start sooner."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines

    class WarmEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(
            cls, nb_man, kernel_name, start_timeout=START_TIMEOUT, execution_timeout=None, **kw
        ):
            client = PapermillNotebookClient(
                nb_man, km=kw["km"], kernel_name=kernel_name, startup_timeout=start_timeout, timeout=execution_timeout
            )
            # the kernel's own connected client: a new one would wait 0.2 s for IOPub to settle
            client.kc = kw["kc"]
            client.kc.allow_stdin = False
            return client.execute()

    papermill_engines.register("warm", WarmEngine)
    return "warm"


@dataclass(frozen=True)
class Parking:
    """Where a build leaves its warm kernels for the next build in this checkout, and for how long.
    A kernel is adopted only by a build with the same tag (code, interpreter, lock file, folder and
    environment); any other build replaces it."""

    folder: Path
    tag: str
    idle: float  # seconds a parked kernel waits for the next build before it exits

    def path(self, slot: int) -> Path:
        return self.folder / f"kernel-{slot}.json"


class WarmKernel:
    """One started kernel with the chapters' imports done; used by one thread only. Made by
    ``start`` (a new kernel) or ``adopt`` (one a previous build parked)."""

    def __init__(self, km: AsyncKernelManager, pid: int, timeout: float = START_TIMEOUT):
        self.km, self.pid = km, pid
        # one connected client for the set-up, the resets and the chapters (connecting costs 0.2 s)
        self.kc = km.client()
        self.kc.start_channels()
        try:
            run_sync(self.kc.wait_for_ready)(timeout=timeout)
        except BaseException:
            self.shutdown()
            raise

    @classmethod
    def start(cls, kernel_name: str, cwd: Path, keep: bool = False) -> WarmKernel:
        """A new kernel; keep: one that may outlive this process (parked), so it is not tied to it
        and does not hold its output streams open."""
        km = ChapterKernelManager(kernel_name=kernel_name)
        extra = {"independent": True, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL} if keep else {}
        # the kernel's start-up notice about local TCP transport is noise in the build log
        run_sync(km.start_kernel)(cwd=str(cwd), extra_arguments=["--IPKernelApp.log_level=ERROR"], **extra)
        kernel = cls(km, km.provisioner.pid)
        kernel.run(WARM_UP)
        return kernel

    @classmethod
    def adopt(cls, parking: Parking, slot: int, kernel_name: str) -> WarmKernel | None:
        """The kernel parked in this slot, the package's caches emptied, or None (none parked,
        another tag, gone or not answering: a kernel found but not adopted is killed)."""
        path = parking.path(slot)
        record = _parked(path)
        if record is None or record["tag"] != parking.tag:
            if record is not None:
                _end(record)
            path.unlink(missing_ok=True)
            return None
        pid, connection = record["pid"], record["connection"]
        km = ChapterKernelManager(kernel_name=kernel_name, owns_kernel=False)
        km.load_connection_info(connection)
        km.connection_file = connection["file"]  # the kernel's own (it was started with it)
        with _lock:
            _live[km] = pid
        try:
            kernel = cls(km, pid, timeout=ADOPT_TIMEOUT)
            kernel.run(FORGET)  # its namespace is cleared before each chapter (reset)
        except Exception:  # noqa: BLE001 - replaced by a new kernel
            _end(record)
            path.unlink(missing_ok=True)
            return None
        path.touch()
        return kernel

    def run(self, code: str) -> None:
        """Execute code quietly; raises RuntimeError if it fails."""
        self.output(code)

    def output(self, code: str, timeout: float = 600) -> str:
        """Execute code and return what it printed; raises RuntimeError if it fails."""
        printed: list[str] = []

        def hook(msg: dict) -> None:
            if msg["header"]["msg_type"] == "stream":
                printed.append(msg["content"]["text"])

        reply = run_sync(self.kc.execute_interactive)(code, store_history=False, timeout=timeout, output_hook=hook)
        content = reply["content"]
        if content["status"] != "ok":
            raise RuntimeError(f"kernel code failed: {content.get('ename')}: {content.get('evalue')}")
        return "".join(printed)

    def reset(self) -> None:
        self.run(RESET)

    def park(self, parking: Parking, slot: int) -> None:
        """Leave the kernel running for the next build: start its watch, write its parking file."""
        info = self.km.get_connection_info(session=False)
        connection = {k: v.decode() if isinstance(v, bytes) else v for k, v in info.items()}
        connection["file"] = self.km.connection_file
        path = parking.path(slot)
        self.run(WATCH.format(path=str(path), connection=self.km.connection_file, idle=parking.idle))
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)
        # the connection key lets its holder run code in the kernel: readable by this user only
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", encoding="utf-8") as f:
            json.dump({"tag": parking.tag, "pid": self.pid, "connection": connection}, f)
        os.replace(tmp, path)
        self.kc.execute(PREPARE, silent=True)  # not waited for: the kernel imports while it waits
        self.kc.stop_channels()
        with _lock:
            _live.pop(self.km, None)

    def shutdown(self) -> None:
        with contextlib.suppress(Exception):
            self.kc.stop_channels()
        if self.km.owns_kernel:  # started by this process
            run_sync(self.km.shutdown_kernel)(now=True)
        else:  # adopted: nothing to wait for, it is idle
            _kill(self.pid)
            with _lock:
                _live.pop(self.km, None)


class KernelPool:
    """Worker threads, each with a warm kernel (adopted from ``parking`` or started at once) that
    runs submitted jobs ``fn(kernel, *args)``. A job that fails discards its kernel (the next job
    starts a new one), so a crashed or confused kernel never runs another chapter. A job submitted
    with ``prepared=True`` runs in the kernel that ran ``submit_prepare`` (the site step after the
    chapters). After the last job the kernels are parked (given ``parking``) or shut down."""

    def __init__(self, workers: int, kernel_name: str, cwd: Path, parking: Parking | None = None):
        self._name, self._cwd, self._parking = kernel_name, cwd, parking
        self._park = True
        self._ready = threading.Condition()
        self._jobs: collections.deque = collections.deque()  # for any worker; None: stop
        self._own: list[collections.deque] = [collections.deque() for _ in range(workers)]  # for one
        self._prepared: int | None = None  # the slot whose kernel runs or ran PREPARE
        self._threads = [threading.Thread(target=self._work, args=(slot,), daemon=True) for slot in range(workers)]
        for t in self._threads:
            t.start()

    def submit(self, fn: Callable, *args, prepared: bool = False) -> cf.Future:
        fut: cf.Future = cf.Future()
        with self._ready:
            slot = self._prepared if prepared else None
            (self._jobs if slot is None else self._own[slot]).append((fut, fn, args))
            self._ready.notify_all()
        return fut

    def _next(self, slot: int):
        with self._ready:
            while not (self._own[slot] or self._jobs):
                self._ready.wait()
            return (self._own[slot] or self._jobs).popleft()

    def submit_prepare(self) -> cf.Future:
        """Queue PREPARE (e.g. while the build prepares its data); later jobs submitted with
        ``prepared=True`` go to the kernel that ran it."""
        return self.submit(_prepare)

    def _obtain(self, slot: int) -> WarmKernel:
        if self._parking is not None:
            kernel = WarmKernel.adopt(self._parking, slot, self._name)
            if kernel is not None:
                return kernel
        return WarmKernel.start(self._name, self._cwd, keep=self._parking is not None)

    def _work(self, slot: int) -> None:
        kernel = None
        try:
            kernel = self._obtain(slot)
        except Exception:  # noqa: BLE001 - the first job retries and reports the error
            kernel = None
        while (job := self._next(slot)) is not None:
            fut, fn, args = job
            if not fut.set_running_or_notify_cancel():
                continue
            if fn is _prepare:
                with self._ready:
                    self._prepared = slot
            try:
                kernel = kernel or self._obtain(slot)
                if self._parking is not None:  # in use, not idle (no file yet for a new kernel)
                    with contextlib.suppress(FileNotFoundError):
                        os.utime(self._parking.path(slot))
                fut.set_result(fn(kernel, *args))
            except BaseException as err:  # noqa: BLE001 - handed to the caller through the future
                if not fut.done():
                    fut.set_exception(err)
                kernel = _discard(kernel)
        if kernel is not None and self._parking is not None and self._park and not _stop.is_set():
            try:
                kernel.park(self._parking, slot)
                return
            except Exception:  # noqa: BLE001 - not worth keeping
                pass
        _discard(kernel)

    def close(self, cancel: bool = False, park: bool = True) -> None:
        """Stop the workers after the queued jobs, or cancelling them; their kernels are parked
        (given parking and park) or shut down."""
        self._park = park
        with self._ready:
            if cancel:
                for jobs in (self._jobs, *self._own):
                    while jobs:
                        if (job := jobs.popleft()) is not None:
                            job[0].cancel()
            self._jobs.extend([None] * len(self._threads))
            self._ready.notify_all()

    def join(self, timeout: float | None = None) -> None:
        for t in self._threads:
            t.join(timeout)


def _prepare(kernel: WarmKernel) -> None:
    kernel.run(PREPARE)


def _discard(kernel: WarmKernel | None) -> None:
    if kernel is not None:
        with contextlib.suppress(Exception):
            kernel.shutdown()


def _kill(pid: int | None) -> None:
    """SIGKILL a kernel's process group (each kernel runs in a session of its own)."""
    if pid:
        with contextlib.suppress(ProcessLookupError, PermissionError):  # already gone
            os.killpg(pid, signal.SIGKILL)


def alive(pid: int) -> bool:
    """Whether the process runs (a zombie, killed but not yet reaped, does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _is_kernel(pid: int, connection_file: str) -> bool:
    """Whether pid is a live kernel started with that connection file (not a reused process id)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return alive(pid) and bool(connection_file) and connection_file.encode() in cmdline


def _end(record: dict) -> None:
    """Kill a parked kernel and remove its connection file (its watch would have, had it exited)."""
    _kill(record["pid"])
    Path(record["connection"]["file"]).unlink(missing_ok=True)


def _parked(path: Path) -> dict | None:
    """A parking file's record (tag, pid, connection) if its kernel is alive, else None."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        record["pid"] = int(record["pid"])
        alive = _is_kernel(record["pid"], record["connection"].get("file", ""))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return record if alive else None


def end_parked(folder: Path) -> int:
    """Kill the kernels parked in folder and remove their files; returns how many were alive."""
    ended = 0
    for path in folder.glob("kernel-*.json"):
        if (record := _parked(path)) is not None:
            _end(record)
            ended += 1
        path.unlink(missing_ok=True)
    return ended


def stop_all() -> int:
    """Kill every running chapter kernel and refuse new ones; returns how many were running."""
    _stop.set()
    with _lock:
        running = list(_live.values())
    for pid in running:
        _kill(pid)
    return len(running)


def reset() -> None:
    """Allow kernels again (at the start of a build)."""
    _stop.clear()

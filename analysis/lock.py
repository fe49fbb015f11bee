"""One build per checkout: an exclusive fcntl lock on .cache/build.lock, which holds the owner's pid.

The kernel releases the lock when the process ends, however it ends, so a killed build never
leaves a stale lock behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from . import paths
from .errors import BuildError


def lock_file() -> Path:
    return paths.CACHE / "build.lock"


def _owner(fd: int) -> str:
    os.lseek(fd, 0, os.SEEK_SET)
    return os.read(fd, 32).decode(errors="replace").strip() or "unknown"


@contextlib.contextmanager
def exclusive(path: Path | None = None, wait: bool = False, log=print) -> Iterator[None]:
    """Hold the build lock; another holder is an error, or is waited for with wait=True."""
    path = path or lock_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = _owner(fd)
            if not wait:
                raise BuildError(
                    f"another build is running (pid {owner})", hint="wait for it to finish, or add --wait"
                ) from None
            log(f"waiting for the other build (pid {owner}) to finish ...")
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock

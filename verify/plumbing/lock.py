"""An exclusive lock on an output directory, so two runs never write into one.

``stl verify --out DIR`` and ``stl sweep --out FILE`` hold the lock for as long as they
run. A second run into the same place is refused at once with one line naming the
process that holds it. The lock is an ``fcntl.flock`` on ``DIR/.stl.lock``: the kernel
releases it when its process ends, however it ends (``kill -9`` included), so a
crashed run never leaves a stale lock behind. Where ``fcntl`` is missing (Windows) the
lock file is created exclusively and holds the process id; a file whose process is
gone counts as released.

>>> import tempfile
>>> d = tempfile.mkdtemp()
>>> with DirectoryLock(d):
...     try:
...         DirectoryLock(d).acquire()
...     except InputError as exc:
...         print(exc.argument)
--out
"""

from __future__ import annotations

import os
from pathlib import Path

from stl.verify.errors import InputError

LOCK_NAME = ".stl.lock"

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


class DirectoryLock:
    """Exclusive lock on ``directory`` (created if missing); a context manager."""

    def __init__(self, directory: str | os.PathLike, argument: str = "--out", name: str = LOCK_NAME):
        self.directory = Path(directory)
        self.argument = argument
        self.path = self.directory / name
        self._fd: int | None = None

    def _holder(self) -> str:
        try:
            text = self.path.read_text(encoding="ascii", errors="replace").strip()
        except OSError:
            return "another process"
        return f"process {text}" if text.isdigit() else "another process"

    def _refuse(self):
        raise InputError(self.argument, str(self.directory),
                         f"a directory no other stl run is writing to ({self._holder()} holds "
                         f"{self.path.name}; wait for it or choose another directory)")

    def acquire(self) -> DirectoryLock:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(self.argument, str(self.directory),
                             f"a directory that can be created ({exc.strerror or exc})") from None
        if fcntl is None:  # pragma: no cover - Windows
            return self._acquire_exclusive_file()
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise InputError(self.argument, str(self.directory),
                             f"a directory where a lock file can be written ({exc.strerror or exc})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            self._refuse()
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode("ascii"))
        self._fd = fd
        return self

    def _acquire_exclusive_file(self) -> DirectoryLock:  # pragma: no cover - Windows
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                holder = self._holder()
                pid = holder.split()[-1]
                if pid.isdigit() and not _alive(int(pid)):
                    self.path.unlink(missing_ok=True)
                    continue
                self._refuse()
            os.write(fd, str(os.getpid()).encode("ascii"))
            self._fd = fd
            return self
        self._refuse()
        return self

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        if fcntl is None:  # pragma: no cover - Windows
            os.close(fd)
            self.path.unlink(missing_ok=True)
            return
        # the file stays: removing it would let a third run lock a new file while a
        # second still waits on the old one
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)

    def __enter__(self) -> DirectoryLock:
        return self.acquire()

    def __exit__(self, *exc) -> bool:
        self.release()
        return False


def _alive(pid: int) -> bool:  # pragma: no cover - Windows fallback only
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True

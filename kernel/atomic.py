"""Atomic file writes: a reader sees the old file or the complete new one, never half.

A write goes to a temporary file ``.NAME.<pid>.<random>.tmp`` in the same folder, then
is renamed over ``NAME``. An exception — and, under :func:`signals_as_interrupts`, a
``SIGTERM`` or ``SIGHUP`` — removes the temporary file. A ``kill -9`` cannot be caught:
its temporary file stays behind, and the next run removes it on start
(:func:`remove_stale_temps`): the process id in the name tells a leftover (its process
is gone) from the live write of a concurrent run (left alone).

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> write_text_atomic(d / "x.json", '{"a": 1}')
>>> (d / "x.json").read_text()
'{"a": 1}'
>>> _ = (d / ".x.json.999999999.ab12.tmp").write_text("cut off by kill -9")
>>> [p.name for p in remove_stale_temps(d / "x.json")]
['.x.json.999999999.ab12.tmp']
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

#: ``.NAME.<pid>.<random>.tmp`` (this module) or ``.NAME.<random>.tmp`` (older writers).
_TEMP = re.compile(r"^\.(?P<name>.+?)\.(?:(?P<pid>\d+)\.)?[^.]+\.tmp$")


#: Longest file-name component and path most file systems take (Linux NAME_MAX, PATH_MAX).
NAME_MAX = 255
PATH_MAX = 4096


def check_path(path: str | os.PathLike, argument: str) -> Path:
    """``path`` as a :class:`Path`, or an ``InputError`` naming ``argument`` when no file
    system can hold it (a component over 255 bytes, a NUL byte, a path over 4096 bytes):
    ``Path.exists()`` raises ``OSError`` on such names instead of answering."""
    from stl.kernel.errors import InputError

    text = os.fspath(path)
    shown = text if len(text) <= 60 else text[:57] + "..."
    if "\x00" in text:
        raise InputError(argument, repr(shown), "a path without NUL characters")
    try:
        raw = os.fsencode(text)
    except UnicodeError:
        raise InputError(argument, repr(shown), "a path the file system can encode") from None
    if len(raw) > PATH_MAX or any(len(part) > NAME_MAX for part in raw.split(b"/")):
        raise InputError(argument, shown, f"a path whose names are at most {NAME_MAX} bytes long")
    return Path(text)


def temp_prefix(path: Path) -> str:
    """The prefix of this process's temporary files for ``path``."""
    return f".{path.name}.{os.getpid()}."


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same directory and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=temp_prefix(path), suffix=".tmp", dir=path.parent)
    try:
        # mkstemp makes the file private (0600); give it the mode a plain open() would
        # (0666 less the umask) so a report shared with others stays readable
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _umask() -> int:
    # read without changing it: os.umask has no getter, and setting it twice races with
    # threads; /proc has the value on Linux
    try:
        with open(f"/proc/{os.getpid()}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    write_bytes_atomic(path, text.encode("utf-8"))


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return pid < 2**31  # exists, owned by someone else (an overflow is no process)
    except OSError:
        return False
    return True


def _is_stale(name: str) -> bool:
    m = _TEMP.match(name)
    if m is None:
        return False
    pid = m.group("pid")
    # a name without a process id is an older writer's leftover
    return pid is None or not _alive(int(pid))


def remove_stale_temps(target: str | os.PathLike, *, recursive: bool = False) -> list[Path]:
    """Remove leftover temporary files of interrupted atomic writes; return those removed.

    ``target`` is a file (its own ``.NAME.*.tmp`` siblings) or a directory (every
    ``.*.tmp`` in it, and in its subdirectories with ``recursive``). Temporary files of
    processes still running are kept.
    """
    target = Path(target)
    if target.is_dir():
        folders = [target] + ([p for p in target.rglob("*") if p.is_dir()] if recursive else [])
        wanted = None
    else:
        folders = [target.parent]
        wanted = target.name
    removed = []
    for folder in folders:
        try:
            entries = list(folder.iterdir())
        except OSError:
            continue
        for entry in sorted(entries):
            m = _TEMP.match(entry.name)
            if m is None or (wanted is not None and m.group("name") != wanted):
                continue
            if not _is_stale(entry.name) or not entry.is_file():
                continue
            try:
                entry.unlink()
            except OSError:
                continue
            removed.append(entry)
    return removed


class Interrupted(KeyboardInterrupt):
    """A termination signal turned into an exception, so ``finally`` blocks and the
    temporary-file cleanup of :func:`write_bytes_atomic` run."""

    def __init__(self, signum: int):
        self.signum = signum
        super().__init__(f"signal {signal.Signals(signum).name}")


@contextlib.contextmanager
def signals_as_interrupts(signums=(signal.SIGTERM, signal.SIGHUP)) -> Iterator[None]:
    """Within the block, ``SIGTERM``/``SIGHUP`` raise :class:`Interrupted` (like Ctrl-C).

    Only the main thread can install handlers; elsewhere the block runs unchanged.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise Interrupted(signum)

    saved = {}
    for s in signums:
        try:
            saved[s] = signal.signal(s, handler)
        except (ValueError, OSError):
            continue
    try:
        yield
    finally:
        for s, old in saved.items():
            signal.signal(s, old)

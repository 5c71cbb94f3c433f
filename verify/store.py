"""The result store that lets an interrupted ``stl verify --out DIR`` resume.

Each finished check is written atomically (:mod:`stl.kernel.atomic`) to
``DIR/checks/<name>.json`` as soon as it is concluded::

    {"format": "stl-verify-check/1", "sha256": "<hex>", "fingerprint": "<hex>",
     "result": {...CheckResult.to_dict()...}}

``sha256`` is the digest of the canonical JSON of ``result`` and ``fingerprint`` the
digest of what defines the check (name, kind, parameters, seed, store format). On
resume a file is reused only if its format marker, checksum and fingerprint all match;
anything else — truncated text, edited numbers, a file some other tool put there, a
result of another seed — is reported as an :class:`Issue` and the check is recomputed.
A stored result is never trusted on its name alone.

>>> import tempfile, pathlib
>>> from stl.verify.checks.check import CheckResult
>>> store = ResultStore(pathlib.Path(tempfile.mkdtemp()))
>>> r = CheckResult("c", "smoke", "claim", "", {"k": 1}, None, None, "info", "pass", 0.1, 7)
>>> store.save(r, fingerprint("c", "smoke", {"k": 1}, 7))
>>> store.load("c", fingerprint("c", "smoke", {"k": 1}, 7)).verdict
'pass'
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stl.kernel.atomic import write_text_atomic
from stl.verify.checks.check import CheckResult
from stl.verify.errors import CorruptResultError, InputError
from stl.verify.plumbing.frozen import thaw

FORMAT = "stl-verify-check/1"

#: Revision of the conclusion rules (verdicts, intervals, what a row reports). A stored
#: result computed under older rules must not be reused by a resumed run: bump this
#: whenever a check's ``conclude`` logic changes (2: exact-value checks fail on a
#: significant deviation, tightness and slope intervals, the T3 row; 3: an error verdict, the
#: boundary cell of the phase transition, the suites' power-sized replicates).
RULES_REVISION = 3
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


def _canonical(obj: Any) -> str:
    return json.dumps(_strict(obj), sort_keys=True, separators=(",", ":"), allow_nan=False)


def _strict(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return {str(k): _strict(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_strict(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if hasattr(obj, "item") and getattr(obj, "shape", None) == ():
        return _strict(obj.item())
    return obj


def digest(obj: Any) -> str:
    """SHA-256 of the canonical JSON of ``obj``."""
    return hashlib.sha256(_canonical(obj).encode("utf-8")).hexdigest()


def fingerprint(name: str, kind: str, parameters: Mapping[str, Any], seed: int) -> str:
    """What identifies a check's result: name, kind, parameters, seed, store format, the
    toolkit version and :data:`RULES_REVISION` (new rules recompute rather than trusting
    old verdicts)."""
    from stl.verify import __version__

    return digest({"format": FORMAT, "version": __version__, "rules": RULES_REVISION, "name": name,
                   "kind": kind,
                   "parameters": thaw(parameters), "seed": int(seed)})


@dataclass(frozen=True)
class Issue:
    """A stored file that could not be reused, and why (``corrupt``, ``foreign``, ``stale``)."""

    path: str
    problem: str
    reason: str

    def line(self) -> str:
        if self.problem == "interrupted":
            return f"{self.path}: {self.problem} ({self.reason})"
        return f"{self.path}: {self.problem} ({self.reason}); recomputing"


#: Largest file the store reads back (a stored result is a few kB, a task a few MB).
MAX_READ_BYTES = 256 * 2**20
TASK_FORMAT = "stl-verify-task/1"


def _read_bytes(path: Path) -> bytes:
    """A stored file's bytes; :class:`CorruptResultError` for anything that is not a
    readable regular file of sensible size (a directory, a FIFO, a device, a dangling link)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            raise CorruptResultError("corrupt: a link to nothing") from None
        raise
    except OSError as exc:
        raise CorruptResultError(f"corrupt: cannot be read ({exc.strerror or exc})") from None
    import stat as _stat

    if _stat.S_ISDIR(st.st_mode):
        raise CorruptResultError("corrupt: a directory, not a file")
    if not _stat.S_ISREG(st.st_mode):
        raise CorruptResultError("corrupt: not a regular file")
    if st.st_size > MAX_READ_BYTES:
        raise CorruptResultError(f"corrupt: {st.st_size} bytes, more than a stored file can be")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CorruptResultError(f"corrupt: cannot be read ({exc.strerror or exc})") from None


def _read_text(path: Path) -> str:
    return _read_bytes(path).decode("utf-8", errors="replace")


def _clear_for_file(path: Path) -> None:
    """Make room for a file at ``path``: something else there (a directory, a link) is
    moved aside to ``NAME.damaged`` (numbered if taken) so it is kept, not overwritten."""
    if not (path.is_symlink() or (path.exists() and not path.is_file())):
        return
    if path.is_symlink():
        path.unlink()
        return
    for k in range(1000):
        aside = path.with_name(f"{path.name}.damaged" + (f".{k}" if k else ""))
        if not aside.exists() and not aside.is_symlink():
            path.rename(aside)
            return
    raise CorruptResultError(f"corrupt: cannot move {path} aside")  # pragma: no cover


class ResultStore:
    """Atomic per-check result files under ``root/checks``."""

    def __init__(self, root: str | Path):
        from stl.kernel.atomic import check_path

        self.root = check_path(root, "--out")
        if self.root.exists() and not self.root.is_dir():
            raise InputError("--out", str(root), "a directory (or a path that does not exist yet)")
        self.dir = self.root / "checks"

    def prepare(self) -> None:
        """Create ``root/checks`` now, so an unusable ``--out`` is refused before any work."""
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            probe = self.dir / ".write-probe"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise InputError("--out", str(self.root),
                             f"a directory that can be created and written ({exc.strerror or exc})") from None

    def path(self, name: str) -> Path:
        if not _SAFE_NAME.match(name):
            raise InputError("check name", name, "letters, digits, '.', '_' and '-'")
        return self.dir / f"{name}.json"

    def save(self, result: CheckResult, fp: str) -> None:
        payload = result.to_dict()
        doc = {"format": FORMAT, "sha256": digest(payload), "fingerprint": fp, "result": payload}
        path = self.path(result.name)
        _clear_for_file(path)
        write_text_atomic(path, json.dumps(_strict(doc), indent=1, allow_nan=False) + "\n")

    def read(self, name: str, fp: str) -> CheckResult:
        """The stored result of ``name``; :class:`CorruptResultError` if it cannot be trusted.

        ``FileNotFoundError`` when there is none.
        """
        path = self.path(name)
        text = _read_text(path)
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CorruptResultError(f"corrupt: not valid JSON ({exc.msg} at char {exc.pos})") from None
        except RecursionError:  # '[[[[…' thousands deep: json recurses once per level
            raise CorruptResultError("corrupt: JSON nested too deeply to be a stored result") from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            got = doc.get("format") if isinstance(doc, dict) else type(doc).__name__
            raise CorruptResultError(f"foreign: format marker {got!r}, expected {FORMAT!r}")
        payload = doc.get("result")
        if not isinstance(payload, dict) or doc.get("sha256") != digest(payload):
            raise CorruptResultError("corrupt: checksum does not match the content")
        if doc.get("fingerprint") != fp:
            raise CorruptResultError("stale: written for other parameters or another seed")
        if payload.get("name") != name:
            raise CorruptResultError(f"foreign: holds check {payload.get('name')!r}")
        try:
            return CheckResult.from_dict(payload)
        except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as exc:
            raise CorruptResultError(f"corrupt: unreadable result ({type(exc).__name__}: {exc})") from None

    def load(self, name: str, fp: str) -> CheckResult | None:
        """Like :meth:`read` but ``None`` when absent (raises on an untrusted file)."""
        try:
            return self.read(name, fp)
        except FileNotFoundError:
            return None

    def sweep(self) -> list[Issue]:
        """Remove the temporary files of writes that a kill interrupted (``.NAME.*.tmp``).

        An atomic write never leaves a half file under the real name, but a process killed
        between creating its temporary file and the rename leaves the temporary behind;
        it is never read as a result. Each one removed is reported — in ``checks/``,
        ``tasks/``, and beside the report (``.report.json.*.tmp`` and its siblings, the
        figures). Temporary files of a process that is still running are left alone.
        """
        from stl.kernel.atomic import remove_stale_temps

        issues = []
        if not self.root.is_dir():
            return issues
        removed = remove_stale_temps(self.root)
        for sub in (self.dir, self.tasks_dir, self.root / "figures"):
            if sub.is_dir():
                removed += remove_stale_temps(sub, recursive=sub == self.tasks_dir)
        for tmp in removed:
            issues.append(Issue(str(tmp), "interrupted",
                                "temporary file of a write that did not finish; removed"))
        return issues

    # -- finished tasks of a check that has not concluded (resume inside a check) ---------

    @property
    def tasks_dir(self) -> Path:
        return self.root / "tasks"

    def _task_path(self, name: str, index: int) -> Path:
        self.path(name)  # validates the name
        return self.tasks_dir / name / f"{int(index):06d}.task"

    def save_task(self, name: str, index: int, tfp: str, output: Any, seconds: float) -> bool:
        """Store one finished task's output; ``False`` when its type cannot be stored.

        The file is a one-line JSON header (format, fingerprint of the task, SHA-256 of
        the payload, seconds) and the :mod:`stl.verify.plumbing.codec` payload.
        """
        from stl.verify.plumbing import codec
        from stl.kernel.atomic import write_bytes_atomic

        try:
            payload = codec.dumps(output)
        except codec.Unsupported:
            return False
        header = {"format": TASK_FORMAT, "fingerprint": tfp, "sha256": hashlib.sha256(payload).hexdigest(),
                  "seconds": float(seconds)}
        path = self._task_path(name, index)
        _clear_for_file(path)
        write_bytes_atomic(path, json.dumps(header, sort_keys=True).encode("ascii") + b"\n" + payload)
        return True

    def load_task(self, name: str, index: int, tfp: str) -> tuple[Any, float] | None:
        """``(output, seconds)`` of a stored task; ``None`` if absent; CorruptResultError if untrusted."""
        from stl.verify.plumbing import codec

        path = self._task_path(name, index)
        if not path.exists() and not path.is_symlink():
            return None
        data = _read_bytes(path)
        head, sep, payload = data.partition(b"\n")
        try:
            if not sep or len(head) > 4096:
                raise ValueError("no header line")
            header = json.loads(head.decode("ascii"))
            if not isinstance(header, dict):
                raise ValueError("header is not an object")
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise CorruptResultError(f"corrupt: unreadable task header ({exc})") from None
        if header.get("format") != TASK_FORMAT:
            raise CorruptResultError(f"foreign: format marker {header.get('format')!r}, expected {TASK_FORMAT!r}")
        if header.get("sha256") != hashlib.sha256(payload).hexdigest():
            raise CorruptResultError("corrupt: checksum does not match the content")
        if header.get("fingerprint") != tfp:
            raise CorruptResultError("stale: written for another task, parameters or seed")
        try:
            return codec.loads(payload), float(header.get("seconds", 0.0))
        except (ValueError, TypeError) as exc:
            raise CorruptResultError(f"corrupt: {exc}") from None

    def lookup_task(self, name: str, index: int, tfp: str) -> tuple[tuple[Any, float] | None, Issue | None]:
        """Like :meth:`lookup`, for one task of a check."""
        try:
            return self.load_task(name, index, tfp), None
        except CorruptResultError as exc:
            problem = str(exc).split(":", 1)[0]
            return None, Issue(str(self._task_path(name, index)), problem, str(exc).split(": ", 1)[-1])

    def clear_tasks(self, name: str) -> None:
        """Remove the stored tasks of a check once its result is stored (they are in it)."""
        import shutil

        folder = self.tasks_dir / name
        if folder.is_dir() and not folder.is_symlink():
            shutil.rmtree(folder, ignore_errors=True)
        elif folder.is_symlink():
            folder.unlink(missing_ok=True)
        try:
            self.tasks_dir.rmdir()  # only when empty
        except OSError:
            pass

    def lookup(self, name: str, fp: str) -> tuple[CheckResult | None, Issue | None]:
        """``(result, None)`` to reuse, ``(None, None)`` if absent, ``(None, issue)`` if untrusted."""
        try:
            return self.read(name, fp), None
        except FileNotFoundError:
            return None, None
        except CorruptResultError as exc:
            problem = str(exc).split(":", 1)[0]
            return None, Issue(str(self.path(name)), problem, str(exc).split(": ", 1)[-1])

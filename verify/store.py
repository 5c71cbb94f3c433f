"""The result store that lets an interrupted ``stl verify --out DIR`` resume.

Each finished check is written atomically (:mod:`stl.verify.atomic`) to
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from stl.verify.atomic import write_text_atomic
from stl.verify.checks.check import CheckResult
from stl.verify.frozen import thaw
from stl.verify.errors import CorruptResultError, InputError

FORMAT = "stl-verify-check/1"

#: Revision of the conclusion rules (verdicts, intervals, what a row reports). A stored
#: result computed under older rules must not be reused by a resumed run: bump this
#: whenever a check's ``conclude`` logic changes (2: exact-value checks fail on a
#: significant deviation, tightness and slope intervals, the T3 row).
RULES_REVISION = 2
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


class ResultStore:
    """Atomic per-check result files under ``root/checks``."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
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
        write_text_atomic(self.path(result.name), json.dumps(_strict(doc), indent=1, allow_nan=False) + "\n")

    def read(self, name: str, fp: str) -> CheckResult:
        """The stored result of ``name``; :class:`CorruptResultError` if it cannot be trusted.

        ``FileNotFoundError`` when there is none.
        """
        path = self.path(name)
        text = path.read_text(encoding="utf-8", errors="replace")
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CorruptResultError(f"corrupt: not valid JSON ({exc.msg} at char {exc.pos})") from None
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
        except (KeyError, TypeError, ValueError) as exc:
            raise CorruptResultError(f"corrupt: unreadable result ({exc})") from None

    def load(self, name: str, fp: str) -> CheckResult | None:
        """Like :meth:`read` but ``None`` when absent (raises on an untrusted file)."""
        try:
            return self.read(name, fp)
        except FileNotFoundError:
            return None

    def sweep(self) -> list[Issue]:
        """Remove the temporary files of writes that a kill interrupted (``.NAME.json.*.tmp``).

        An atomic write never leaves a half file under the real name, but a process killed
        between creating its temporary file and the rename leaves the temporary behind;
        it is never read as a result. Each one removed is reported.
        """
        issues = []
        if not self.dir.is_dir():
            return issues
        for tmp in sorted(self.dir.glob(".*.json.*.tmp")):
            try:
                tmp.unlink()
            except OSError:
                continue
            issues.append(Issue(str(tmp), "interrupted",
                                "temporary file of a write that did not finish; removed"))
        return issues

    def lookup(self, name: str, fp: str) -> tuple[CheckResult | None, Issue | None]:
        """``(result, None)`` to reuse, ``(None, None)`` if absent, ``(None, issue)`` if untrusted."""
        try:
            return self.read(name, fp), None
        except FileNotFoundError:
            return None, None
        except CorruptResultError as exc:
            problem = str(exc).split(":", 1)[0]
            return None, Issue(str(self.path(name)), problem, str(exc).split(": ", 1)[-1])

"""Where a result came from: package and library versions, git commit, device, command, seed.

Every run's JSON ``config`` (``stl simulate``, ``stability``, ``bound``, ``sweep``) and
every report's ``run.json`` carry a ``provenance`` object (DESIGN.md "Contract
additions"), so a number in a paper can be traced to the code and libraries that
produced it::

    {"package": "stl-toolkit", "version": "0.2.0", "git_commit": "c88e…" | null,
     "git_dirty": true | false | null, "python": "3.11.7", "numpy": "2.4.6",
     "sympy": "1.14.0", "torch": "2.13.0+cpu" | null, "platform": "Linux-…",
     "device": "cpu", "command": ["stl", "simulate", …], "seed": 0}

Reading the torch version never imports torch (that costs seconds and is not needed by
the classical models): when torch is not already imported its version comes from the
installed distribution's metadata. The git commit is read from the ``.git`` folder of
the checkout the package runs from, without running ``git``; ``git_dirty`` is only known
when the ``git`` program is there (``null`` otherwise), and is bounded by a timeout.

>>> p = provenance(device="cpu", seed=3, command=["stl", "simulate", "categorical"])
>>> p["device"], p["seed"], p["command"][1], "numpy" in p
('cpu', 3, 'simulate', True)
"""

from __future__ import annotations

import functools
import platform
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

#: The repository root when the package runs from a checkout (the package ``stl`` is the root).
_ROOT = Path(__file__).resolve().parent.parent


def _dist_version(name: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def library_version(name: str) -> str | None:
    """Version of ``name`` from the imported module if it is loaded, else from metadata.

    Never imports the library: ``library_version("torch")`` leaves ``torch`` unimported.
    """
    module = sys.modules.get(name)
    version = getattr(module, "__version__", None) if module is not None else None
    return str(version) if version is not None else _dist_version(name)


def _git_dir(root: Path) -> Path | None:
    dot = root / ".git"
    if dot.is_dir():
        return dot
    if dot.is_file():  # a worktree or submodule: "gitdir: PATH"
        text = dot.read_text(encoding="utf-8", errors="replace").strip()
        if text.startswith("gitdir:"):
            target = Path(text[len("gitdir:"):].strip())
            return target if target.is_absolute() else (root / target).resolve()
    return None


def git_commit(root: Path = _ROOT) -> str | None:
    """The commit checked out at ``root`` (``None`` when not a git checkout)."""
    try:
        git = _git_dir(root)
        if git is None:
            return None
        head = (git / "HEAD").read_text(encoding="utf-8").strip()
        if not head.startswith("ref:"):
            return head or None
        ref = head[len("ref:"):].strip()
        # worktrees keep refs in the common dir
        common = git
        if (git / "commondir").is_file():
            common = (git / (git / "commondir").read_text(encoding="utf-8").strip()).resolve()
        for base in (git, common):
            loose = base / ref
            if loose.is_file():
                return loose.read_text(encoding="utf-8").strip() or None
        for base in (git, common):
            packed = base / "packed-refs"
            if packed.is_file():
                for line in packed.read_text(encoding="utf-8").splitlines():
                    sha, _, name = line.partition(" ")
                    if name.strip() == ref:
                        return sha
        return None
    except OSError:
        return None


def git_dirty(root: Path = _ROOT, timeout_s: float = 2.0) -> bool | None:
    """Whether tracked files differ from the commit (``None`` when unknown)."""
    if _git_dir(root) is None:
        return None
    try:
        done = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                              capture_output=True, text=True, timeout=timeout_s)
    except (OSError, subprocess.SubprocessError):
        return None
    return bool(done.stdout.strip()) if done.returncode == 0 else None


@functools.lru_cache(maxsize=1)
def _static() -> dict[str, Any]:
    # what cannot change while this process runs: computed once
    from stl.verify import __version__

    return {
        "package": "stl-toolkit",
        "version": __version__,
        "git_commit": git_commit(),
        "git_dirty": git_dirty(),
        "python": platform.python_version(),
        "numpy": library_version("numpy"),
        "sympy": library_version("sympy"),
        "platform": platform.platform(),
    }


def provenance(*, device: str | None = None, seed: int | None = None,
               command: Sequence[str] | None = None, **extra: Any) -> dict[str, Any]:
    """The provenance object of one run (a fresh dict; ``extra`` adds fields).

    ``command`` defaults to ``["stl", *sys.argv[1:]]``; the CLI passes the exact argument
    list it parsed, so in-process calls (tests, notebooks) record their own arguments.
    """
    out = dict(_static())
    out["torch"] = library_version("torch")  # read each time: torch may have been imported since
    out["device"] = device
    out["command"] = list(command) if command is not None else ["stl", *sys.argv[1:]]
    out["seed"] = None if seed is None else int(seed)
    out.update(extra)
    return out

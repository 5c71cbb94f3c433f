"""Extract and run the runnable parts of a documentation page (shared by tests/docs).

The test modules load this file by path; ``python docs_helpers.py PAGE WORKDIR`` runs one
page in a fresh interpreter.

A page's runnable parts, in document order:

- fenced ```` ```python ```` blocks, executed in one namespace per page, each page in its
  own interpreter;
- any fenced block with ``title="PATH"`` (``python``, ``toml``, ...): written to that
  file, relative to the page's working folder, instead of being executed;
- fenced ```` ```console ```` blocks: each line starting with ``$ `` is a command that
  must exit with status 0 (other lines are shown output and are not compared); leading
  ``NAME=value`` words set environment variables, as in a shell;
- ``<!-- stl:run stl ... -->`` markers, whose output the docs hook inserts at build time.

Blocks fenced as ```` ```py ````, ```` ```text ```` or anything else are shown, not run.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

FENCE = re.compile(r"^```(?P<info>[^\n`]*)\n(?P<body>.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
RUN_MARKER = re.compile(r"^[ \t]*<!--\s*stl:run\s+(?P<args>.*?)-->[ \t]*$", re.MULTILINE)
MARKER_OPTIONS = {"status", "head"}
#: ``<!-- stl:requires NAME ... -->``: the optional packages a page needs (its extras).
REQUIRES = re.compile(r"<!--\s*stl:requires\s+(?P<names>[^>]*?)-->")


def docs_hook():
    """The docs build hook ``docs/hooks/stl_docs.py`` (mkdocs loads it by path), loaded once
    per test session; skips the calling test where mkdocs is not installed."""
    import importlib.util

    import pytest

    pytest.importorskip("mkdocs")
    name = "stl_docs_hook_under_test"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "docs" / "hooks" / "stl_docs.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def requirements(markdown: str) -> list[str]:
    """Optional modules a page declares with ``stl:requires`` (``wheel-build``: pip can
    build a wheel without build isolation)."""
    return [name for m in REQUIRES.finditer(markdown) for name in m.group("names").split()]


def can_build_wheels() -> bool:
    """setuptools builds wheels itself from 70.1 on; older ones need the ``wheel`` package."""
    import importlib.util

    try:
        import setuptools
    except ImportError:
        return False
    major, minor = (int(x) for x in setuptools.__version__.split(".")[:2])
    return (major, minor) >= (70, 1) or importlib.util.find_spec("wheel") is not None


@dataclass
class Block:
    kind: str  # "python", "file" or "console"
    text: str  # python source, file content, or one shell command
    line: int  # 1-based line of the block in its file
    status: int = 0
    title: str = ""  # file name of a "file" block


def extract_blocks(markdown: str) -> list[Block]:
    """Runnable blocks of ``markdown`` in document order."""
    found: list[tuple[int, Block]] = []
    for m in FENCE.finditer(markdown):
        lang = m.group("info").strip().split(" ")[0] if m.group("info").strip() else ""
        line = markdown.count("\n", 0, m.start()) + 1
        title = re.search(r'title="([^"]+)"', m.group("info"))
        if title:
            found.append((m.start(), Block("file", m.group("body"), line, title=title.group(1))))
        elif lang == "python":
            found.append((m.start(), Block("python", m.group("body"), line)))
        elif lang == "console":
            for k, row in enumerate(m.group("body").splitlines()):
                if row.startswith("$ "):
                    found.append((m.start() + k, Block("console", row[2:].strip(), line + 1 + k)))
    for m in RUN_MARKER.finditer(markdown):
        tokens = shlex.split(m.group("args"))
        opts = dict(t.split("=", 1) for t in tokens if t.split("=", 1)[0] in MARKER_OPTIONS and "=" in t)
        cmd = [t for t in tokens if not ("=" in t and t.split("=", 1)[0] in MARKER_OPTIONS)]
        line = markdown.count("\n", 0, m.start()) + 1
        found.append((m.start(), Block("console", shlex.join(cmd), line, int(opts.get("status", 0)))))
    return [b for _, b in sorted(found, key=lambda item: item[0])]


def command_env() -> dict[str, str]:
    """Environment in which ``stl`` is this interpreter's entry point, without a display."""
    env = dict(os.environ, MPLBACKEND="Agg", COLUMNS="88")
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def run_console(command: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    argv = shlex.split(command, comments=True)  # a trailing `# note` is a shell comment
    env = command_env()
    while argv and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", argv[0]):
        key, _, value = argv.pop(0).partition("=")
        env[key] = value
    if argv and argv[0] == "stl":
        argv = [sys.executable, "-m", "stl.verify.cli.main", *argv[1:]]
    elif argv and argv[0] in ("python", "python3"):
        argv = [sys.executable, *argv[1:]]
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)


class DocsExampleError(RuntimeError):
    """A documented example did not run as documented."""


def run_page(path: Path, workdir: Path) -> None:
    """Run every runnable block of ``path`` in order inside ``workdir``.

    Python blocks share one namespace; a block titled ``title="NAME.py"`` is written to
    ``workdir/NAME.py`` instead of being executed (the page then imports it).
    """
    namespace: dict = {"__name__": "__docs__"}
    os.chdir(workdir)
    sys.path.insert(0, str(workdir))  # like an interactive session started in workdir
    for block in extract_blocks(path.read_text(encoding="utf-8")):
        where = f"{path.name}:{block.line}"
        if block.kind == "file":
            target = workdir / block.title
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.text, encoding="utf-8")
        elif block.kind == "python":
            print(f"--- {where} (python)", flush=True)
            exec(compile(block.text, where, "exec"), namespace)  # noqa: S102 - the docs' own examples
        else:
            print(f"--- {where} $ {block.text}", flush=True)
            proc = run_console(block.text, workdir)
            print(proc.stdout[-4000:], proc.stderr[-4000:], sep="\n", flush=True)
            if proc.returncode != block.status:
                raise DocsExampleError(f"{where}: `{block.text}` exited {proc.returncode} (expected {block.status})")


def run_page_isolated(path: Path, workdir: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    """``run_page`` in a fresh interpreter, so pages cannot leak state into each other."""
    env = command_env()
    return subprocess.run([sys.executable, __file__, str(path), str(workdir)], env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)


if __name__ == "__main__":
    run_page(Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve())

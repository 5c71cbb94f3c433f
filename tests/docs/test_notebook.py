"""The notebook tutorial runs top to bottom, and what it displays renders.

A small runner of our own instead of a Jupyter kernel (the toolkit needs no Jupyter):
each code cell runs in one namespace, in a fresh interpreter started in an empty
directory; when a cell ends in an expression, its value is "displayed" the way Jupyter
would — ``_repr_markdown_``, then ``_repr_latex_``, then ``repr`` — and the result is
checked to be a non-empty string. Any exception fails the test with the cell's number.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "docs" / "tutorials" / "06-interactive-theory.ipynb"

RUNNER = r'''
import ast, json, sys, traceback

cells = json.loads(sys.stdin.read())
namespace = {"__name__": "__main__"}
shown = []
for number, source in enumerate(cells, 1):
    try:
        tree = ast.parse(source)
        last = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        body = tree.body[:-1] if last is not None else tree.body
        exec(compile(ast.Module(body, []), f"<cell {number}>", "exec"), namespace)
        if last is not None:
            value = eval(compile(ast.Expression(last.value), f"<cell {number}>", "eval"), namespace)
            if value is not None:
                for method in ("_repr_markdown_", "_repr_latex_", "__repr__"):
                    if hasattr(value, method):
                        text = getattr(value, method)()
                        break
                if not isinstance(text, str) or not text.strip():
                    raise AssertionError(f"{method} of {type(value).__name__} gave {text!r}")
                shown.append({"cell": number, "type": type(value).__name__, "method": method,
                              "text": text})
    except BaseException:
        print(json.dumps({"failed": number, "error": traceback.format_exc()}))
        sys.exit(1)
print(json.dumps({"shown": shown}))
'''


def _notebook() -> dict:
    return json.loads(NOTEBOOK.read_text(encoding="utf-8"))


def _code_cells() -> list[str]:
    return ["".join(cell["source"]) for cell in _notebook()["cells"] if cell["cell_type"] == "code"]


def run_notebook(tmp_path: Path) -> dict:
    proc = subprocess.run([sys.executable, "-c", RUNNER], input=json.dumps(_code_cells()),
                          capture_output=True, text=True, cwd=tmp_path, timeout=300, check=False)
    lines = proc.stdout.strip().splitlines()
    report = json.loads(lines[-1]) if lines else {"failed": "?", "error": proc.stderr[-4000:]}
    if proc.returncode != 0 or "failed" in report:
        pytest.fail(f"cell {report.get('failed')} failed:\n{report.get('error')}\n"
                    f"{proc.stderr[-2000:]}")
    return report


@pytest.mark.timeout(300)
def test_notebook_runs_top_to_bottom(tmp_path: Path) -> None:
    report = run_notebook(tmp_path)
    by_type = {item["type"]: item for item in report["shown"]}
    # the theory's objects show as formatted math, not as a dataclass repr
    for kind in ("Derivation", "ModelConstants", "Bound"):
        assert by_type[kind]["method"] == "_repr_markdown_" and "$" in by_type[kind]["text"], kind


def test_runner_reports_a_failing_cell(tmp_path: Path) -> None:
    """The runner can fail: a cell that raises is named in the failure."""
    proc = subprocess.run([sys.executable, "-c", RUNNER], input=json.dumps(["x = 1", "1 / 0"]),
                          capture_output=True, text=True, cwd=tmp_path, timeout=60, check=False)
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert proc.returncode == 1 and report["failed"] == 2 and "ZeroDivisionError" in report["error"]


def test_notebook_is_valid_and_stored_without_outputs() -> None:
    """nbformat 4 structure; no stored outputs, so nothing shown can be stale."""
    notebook = _notebook()
    assert notebook["nbformat"] == 4 and notebook["metadata"]["kernelspec"]["language"] == "python"
    for cell in notebook["cells"]:
        assert cell["cell_type"] in ("markdown", "code") and isinstance(cell["source"], list)
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None


def test_notebook_is_linked_from_the_tutorial_index() -> None:
    index = (ROOT / "docs" / "tutorials" / "index.md").read_text(encoding="utf-8")
    assert NOTEBOOK.name in index


@pytest.mark.timeout(300)
def test_notebook_executes_in_a_jupyter_kernel(tmp_path: Path) -> None:
    """Tutorial 06 as a reader runs it: every cell in a real IPython kernel (nbclient, the
    `jupyter` extra), top to bottom, without an error output; the math objects display as
    markdown or LaTeX."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=240, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    outputs = [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.get("outputs", [])]
    assert not [out for out in outputs if out.get("output_type") == "error"]
    rich = [out for out in outputs if out.get("output_type") == "execute_result"
            and ({"text/markdown", "text/latex"} & set(out.get("data", {})))]
    assert rich, "no cell displayed formatted math"

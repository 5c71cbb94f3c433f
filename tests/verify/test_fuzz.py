"""A short run of the command-line fuzz (benchmarks/fuzz_cli.py; the full run is in its docstring).

Slow: it runs a few hundred invocations. Every case must end accepted, refused in one
line, or with the usage; none may leave a traceback, hang, or run a payload.
"""

import importlib.util
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

FUZZ = Path(__file__).resolve().parents[2] / "benchmarks" / "fuzz_cli.py"


def _load():
    spec = importlib.util.spec_from_file_location("stl_fuzz_cli", FUZZ)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_fuzz_finds_no_traceback_hang_or_execution():
    fuzz = _load()
    report = fuzz.fuzz(invocations=200, expressions=160, seed=11, timeout=30, memory_gb=6, progress=False)
    assert report["counts"]["invocation"]["total"] == 200
    assert report["counts"]["expression"]["total"] == 160
    assert sum(c["executed"] for c in report["counts"].values()) == 0
    assert report["failures"] == [], report["failures"][:5]


def test_the_classifier_tells_each_outcome_apart():
    fuzz = _load()
    assert fuzz.classify({"code": 2, "stderr": ["stl simulate: error: --n: got 0; allowed: ..."]}) == "refused"
    assert fuzz.classify({"code": 2, "stderr": ["stl x: error: a", "b"]}) == "messy"
    assert fuzz.classify({"code": None, "escaped": "ValueError: x"}) == "traceback"
    assert fuzz.classify({"code": 0, "stderr": [], "traceback_in_stderr": True}) == "traceback"
    assert fuzz.classify({"code": None, "hang": True}) == "hang"
    assert fuzz.classify({"code": 0, "stderr": []}) == "accepted"

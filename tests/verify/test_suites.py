"""Suites as data: names, kinds, and the quick suite end to end (slow)."""

import pytest

from stl.verify.errors import InputError
from stl.verify.suites import QUICK, SUITES, check_names, resolve


def test_names_unique_and_resolvable():
    names = check_names()
    assert len(names) == len(set(names))
    for name in names[:3]:
        assert [c.name for c in resolve([name])] == [name]


def test_quick_represents_every_theory_kind():
    kinds = {c.kind for c in resolve(["quick"])}
    assert {"validity", "tightness", "rates", "phase-transition", "closed-form", "optimum", "t2"} <= kinds


def test_full_contains_quick_and_t2():
    full = [c.name for c in resolve(["full"])]
    assert full[: len(QUICK)] == [f.name for f in QUICK]
    assert any(c.kind == "t2" for c in resolve(["full"]))


def test_unknown_name_lists_allowed():
    with pytest.raises(InputError, match="smoke, quick, full"):
        resolve(["quack"])


def test_building_a_suite_imports_no_torch():
    import subprocess
    import sys

    code = ("import sys; from stl.verify.suites import resolve; resolve(['full']); "
            "sys.exit(1 if 'torch' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


@pytest.mark.slow
def test_quick_suite_passes_or_is_inconclusive(tmp_path):
    import json

    from stl.verify.cli.main import main

    code = main(["verify", "--suite", "quick", "--out", str(tmp_path / "q"), "--quiet"])
    doc = json.loads((tmp_path / "q" / "report.json").read_text())
    assert code == 0 and doc["summary"]["fail"] == 0
    assert SUITES["quick"]

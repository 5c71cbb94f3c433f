"""report.json follows the DESIGN.md contract; report.md and figures are written."""

import json

import pytest

from stl.verify.checks.check import CheckResult
from stl.verify.checks.measurement import Measurement
from stl.verify.report import CHECK_FIELDS, build_report, validate_report, write_report


def results():
    fig = {"type": "series", "title": "t", "x": [0, 1, 2],
           "series": [{"label": "m", "y": [1, 2, 3], "lo": [0.5, 1.5, 2.5], "hi": [1.5, 2.5, 3.5]},
                      {"label": "b", "y": [4, 5, 6], "style": "bound"}]}
    heat = {"type": "heatmap", "x": [0.2, 0.5], "y": [1, 2], "z": [[0.1, 0.2], [0.3, None]],
            "curve": {"x": [0.2, 0.5], "y": [1.2, 2.0], "label": "λ_c"}}
    ratios = {"type": "ratios", "labels": ["a", "b"], "values": [2.0, None], "lo": [1.5, 1.2], "hi": [2.5, None]}
    return [
        CheckResult("a", "validity", "E gen ≤ B", "x", {"n": 1}, Measurement(0.1, 0.01, 0.08, 0.12, 10),
                    0.2, "<=", "pass", 0.5, 0, {"figures": [fig, heat, ratios], "summary": "ok"}),
        CheckResult("b", "closed-form", "E h = f", "", {}, None, None, "==", "inconclusive", 0.1, 0),
        CheckResult("c", "rates", "slope", "", {}, Measurement(float("nan"), 0, 0, 0, 0), float("inf"), "==",
                    "fail", 0.1, 0),
    ]


def test_report_json_schema(tmp_path):
    rep = build_report("quick", 3, results(), total_runtime_s=1.0)
    assert validate_report(rep) == []
    write_report(tmp_path, rep)
    doc = json.loads((tmp_path / "report.json").read_text())  # strict JSON: NaN/inf became null
    assert validate_report(doc, strict=True) == []
    assert list(doc) == ["suite", "seed", "checks", "summary"]   # exactly the contract's top level
    assert json.loads((tmp_path / "run.json").read_text())["total_runtime_s"] == 1.0
    assert "total_runtime_s" in (tmp_path / "report.md").read_text() or "Wall time" in (tmp_path / "report.md").read_text()
    assert doc["summary"] == {"pass": 1, "fail": 1, "inconclusive": 1, "error": 0}
    for entry in doc["checks"]:
        assert list(entry)[: len(CHECK_FIELDS)] == list(CHECK_FIELDS)
    assert doc["checks"][2]["measured"] is None and doc["checks"][2]["predicted"] is None


def test_markdown_and_figures(tmp_path):
    pytest.importorskip("matplotlib")
    rep = build_report("quick", 3, results())
    figs = write_report(tmp_path, rep)
    assert len(figs) == 3
    for f in figs:
        data = (tmp_path / f).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
    md = (tmp_path / "report.md").read_text()
    assert "1 pass, 1 fail, 1 inconclusive, 0 error" in md and "![" in md


def test_validate_report_catches_problems():
    rep = build_report("quick", 0, results())
    rep["summary"]["pass"] = 5
    del rep["checks"][0]["verdict"]
    problems = validate_report(rep)
    assert any("verdict" in p for p in problems) and any("summary" in p for p in problems)
    extra = build_report("quick", 0, results()[:1], total_runtime_s=1.0)
    assert validate_report(extra) == [] and any("unexpected" in p for p in validate_report(extra, strict=True))


def test_broken_figure_is_a_note_not_a_crash(tmp_path):
    bad = CheckResult("x", "validity", "c", "", {}, None, None, "<=", "pass", 0.0, 0,
                      {"figures": [{"type": "nonsense"}]})
    write_report(tmp_path, build_report("s", 0, [bad]))
    assert "not drawn" in (tmp_path / "report.md").read_text()


def _errored():
    from stl.verify.checks.check import Check

    check = Check("boom", "validity", "it concludes", "", {"n": 1}, lambda p, s: (), lambda p, s, o: None)
    return check.failed(0, "task ('loop', 0)", "ValueError: n: got 900; allowed: less", 2.5,
                        "Traceback (most recent call last):\n  ...\nValueError: n: got 900; allowed: less\n")


def test_an_error_is_counted_listed_first_and_written(tmp_path):
    rep = build_report("quick", 0, results() + [_errored()])
    assert rep["summary"] == {"pass": 1, "fail": 1, "inconclusive": 1, "error": 1}
    assert [c["name"] for c in rep["checks"]] == ["a", "b", "c", "boom"]     # report.json: suite order
    write_report(tmp_path, rep, figures=False)
    doc = json.loads((tmp_path / "report.json").read_text())
    assert validate_report(doc, strict=True) == []
    entry = doc["checks"][3]
    assert entry["verdict"] == "error" and entry["measured"] is None and entry["runtime_s"] == 2.5
    assert entry["details"]["error"].startswith("ValueError: n: got 900")
    md = (tmp_path / "report.md").read_text()
    assert "1 error" in md and "## Errors" in md and "got 900" in md
    table = [line for line in md.splitlines() if line.startswith("| `")]
    assert table[0].startswith("| `boom`") and table[1].startswith("| `c`")  # errors, then failures
    assert md.index("## `boom` — error") < md.index("## `a` — pass") and "Traceback" in md


def test_reports_without_the_error_count_still_validate():
    rep = build_report("quick", 0, results())
    del rep["summary"]["error"]
    assert validate_report(rep) == []
    assert any("exactly the fields" in p for p in validate_report(rep, strict=True))


def test_provenance_names_the_devices_the_checks_ran_on():
    from stl.verify.report import devices_used

    cpu_only = results()
    gpu = CheckResult("g", "t2", "T2", "", {"device": "cuda"}, None, None, "info", "pass", 1.0, 0)
    assert devices_used(cpu_only) == "cpu"
    assert devices_used([gpu]) == "cuda"
    assert devices_used([*cpu_only, gpu]) == "cpu, cuda"

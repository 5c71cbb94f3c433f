"""``stl latex``: environments, substitutions, errors."""

from __future__ import annotations

import pytest

from stl.theory.catalog import NAMES
from stl.verify.cli.main import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("name", NAMES)
def test_theorem_environment_for_every_result(capsys, name):
    code, out, err = run(capsys, "latex", name, "--env", "theorem")
    assert code == 0, err
    assert "\\begin{" in out and "\\end{" in out and "where " in out


@pytest.mark.parametrize("env, start", [("align", "\\begin{align}"),
                                        ("equation", "\\begin{equation}"), ("inline", "$")])
def test_other_environments(capsys, env, start):
    code, out, _ = run(capsys, "latex", "theorem1", "--env", env)
    typeset = [line for line in out.splitlines() if not line.startswith("%")]
    assert code == 0 and typeset[0].startswith(start)
    assert out.startswith("% ") and "% Provenance: derived, " in out


def test_default_is_theorem_and_subs_apply(capsys):
    code, out, _ = run(capsys, "latex", "theorem1")
    assert code == 0 and "\\begin{theorem}" in out
    code, out, _ = run(capsys, "latex", "theorem1", "--subs", "lam=1/2", "--env", "inline")
    assert code == 0 and "\\lambda" not in out


@pytest.mark.parametrize("argv", [
    ["latex", "theorem1", "--env", "figure"],
    ["latex", "nothing"],
    ["latex", "theorem1", "--subs", "beta_n=().__class__"],
    ["latex", "theorem1", "--subs", "lam=2"],
])
def test_errors_exit_2_with_one_line(capsys, argv):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and err.count("\n") == 1


def test_help_has_an_example(capsys):
    code, out, _ = run(capsys, "latex", "--help")
    assert code == 0 and "stl latex theorem1 --env theorem" in out


def test_inline_latex_with_numbers_is_the_theory_value(capsys):
    """Every symbol of T1 substituted: the pasted LaTeX, parsed back, is THEORY.md's T1
    evaluated by hand: β(1 + λ n_s γ) + M(1−λ)d(1 − (1−λ)^i)/λ with n_s = (1−λ)n."""
    pytest.importorskip("antlr4")
    from sympy.parsing.latex import parse_latex

    subs = ["lam=1/4", "n=100", "gamma=1/50", "M=2", "d_tv=1/10", "i=5", "beta_n=4/n"]
    argv = ["latex", "theorem1", "--env", "inline"] + [t for s in subs for t in ("--subs", s)]
    assert main(argv) == 0
    text = capsys.readouterr().out.strip().strip("$")
    rhs = text.split(r"\leq", 1)[1]
    by_hand = 0.04 * (1 + 0.25 * 75 * 0.02) + 2 * 0.75 * 0.1 * (1 - 0.75 ** 5) / 0.25
    assert float(parse_latex(rhs)) == pytest.approx(by_hand, rel=1e-12)


def test_latex_takes_limit_rate_and_json(capsys):
    import json

    code, out, err = run(capsys, "latex", "theorem1", "--limit", "i=oo", "--rates", "--rate", "n",
                         "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["env"] == "theorem" and data["label"] == "thm:theorem1" and data["numbered"]
    assert r"\limsup_{i \to \infty}" in data["latex"] and "amsthm" in data["preamble"]
    assert [item["symbol"] for item in data["limits"]] == ["i"]
    assert data["rate"]["text"] == "1/sqrt(n)" and data["rate"]["held_fixed"] == []
    assert data["conditions"] and data["premises"]


def test_label_nonumber_notation_and_preamble(capsys):
    code, out, _ = run(capsys, "latex", "shift", "--label", "lem:mine")
    assert code == 0 and r"\label{lem:mine}" in out
    code, out, _ = run(capsys, "latex", "shift", "--nonumber", "--env", "align")
    assert code == 0 and r"\begin{align*}" in out and r"\label" not in out
    code, out, _ = run(capsys, "latex", "theorem1", "--env", "equation",
                       "--notation", r"gamma=\rho_{n}^{i-1}", "--preamble")
    assert code == 0 and r"\rho_{n}^{i-1}" in out and r"\gamma" not in out
    head, body = out.split("% body\n")
    assert r"\usepackage{amsmath}" in head and r"\begin{equation}" in body


@pytest.mark.parametrize("argv", [
    ["latex", "theorem1", "--env", "inline", "--label", "x"],
    ["latex", "theorem1", "--nonumber", "--label", "x"],
    ["latex", "theorem1", "--label", "has space"],
    ["latex", "theorem1", "--notation", "gamma={"],
    ["latex", "theorem1", "--notation", "nothing=x"],
    ["latex", "theorem1", "--notation", "gamma"],
    ["latex", "theorem1", "--format", "yaml"],
])
def test_bad_latex_options_exit_2_with_one_line(capsys, argv):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and err.count("\n") == 1


def test_several_names_print_one_merged_preamble(capsys):
    code, out, err = run(capsys, "latex", "shift", "recursive-stability", "theorem1", "corollary",
                         "--preamble")
    assert code == 0, err
    head, body = out.split("% body\n")
    lines = [line for line in head.splitlines() if line.startswith("\\")]
    assert len(lines) == len(set(lines))  # every package and environment once
    assert r"\newtheorem{lemma}{Lemma}" in head and r"\newtheorem{theorem}{Theorem}" in head
    assert r"\newtheorem{corollary}{Corollary}" in head
    assert body.count(r"\begin{lemma}") == 2 and body.count(r"\begin{theorem}") == 1


def test_several_names_as_json_and_label_needs_one_name(capsys):
    import json

    code, out, _ = run(capsys, "latex", "shift", "theorem1-rate", "--format", "json")
    data = json.loads(out)
    assert code == 0 and [r["name"] for r in data["results"]] == ["shift", "theorem1-rate"]
    assert [r["provenance"] for r in data["results"]] == ["derived", "paper"]
    assert "amsthm" in data["preamble"]
    code, out, err = run(capsys, "latex", "shift", "theorem1", "--label", "x")
    assert code == 2 and out == "" and err.count("\n") == 1


def test_provenance_comment_and_optional_footnote(capsys):
    code, out, _ = run(capsys, "latex", "theorem1-rate")
    assert code == 0 and out.splitlines()[1].startswith("% Provenance: paper, ")
    assert r"\footnote" not in out
    code, out, _ = run(capsys, "latex", "theorem1-rate", "--footnote")
    assert code == 0 and r"\footnote{Stated in this rate form by Fu et al." in out
    code, out, err = run(capsys, "latex", "theorem1", "--footnote", "--env", "align")
    assert code == 2 and err.count("\n") == 1


@pytest.mark.parametrize("argv", [
    ("latex", "theorem1", "--limit", "i=oo", "--env", "theorem", "--preamble"),
    ("latex", "shift", "theorem1", "--format", "json"),
    ("derive", "theorem1", "--subs", "lam=1/2"),
    ("derive", "corollary", "--format", "latex"),
    ("optimize", "synthetic-size", "--n-real", "100", "--method", "sympy", "--format", "json"),
])
def test_out_writes_exactly_what_would_be_printed(capsys, tmp_path, argv):
    code, printed, _ = run(capsys, *argv)
    assert code == 0
    target = tmp_path / "sub" / "result.txt"            # a missing folder is created
    code, out, err = run(capsys, *argv, "--out", str(target))
    assert code == 0 and out == "" and err.strip() == f"wrote {target}"
    assert target.read_text() == printed


@pytest.mark.parametrize("command", [("latex", "theorem1"), ("derive", "theorem1"),
                                     ("optimize", "synthetic-size", "--n-real", "100", "--method", "sympy")])
def test_a_bad_out_is_refused_before_any_work_and_writes_nothing(capsys, tmp_path, command):
    blocker = tmp_path / "a-file"
    blocker.write_text("keep")
    for bad, why in ((str(tmp_path), "not a directory"), (str(blocker / "x.tex"), "writable folder")):
        code, out, err = run(capsys, *command, "--out", bad)
        assert code == 2 and out == "" and "--out" in err and why in err and len(err.strip().splitlines()) == 1
    assert blocker.read_text() == "keep" and sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]

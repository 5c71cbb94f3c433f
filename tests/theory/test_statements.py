"""Statements match the contract in every format: D4 unconditional, T1' says how its shift
term holds with high probability, every result says where it comes from, theorem blocks
name their hypotheses, T3 states its optimum, T2 is in the form tau_n = c/n."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sympy as sp

from stl.theory.bound import PROVENANCE
from stl.theory.catalog import NAMES
from stl.theory.definitions import BY_CODE, HYPOTHESES
from stl.theory.paper import render
from stl.theory.results import get
from stl.theory.results.theorem1_rate import theorem1_rate_bound
from stl.verify.cli.cmd_derive import as_dict, as_text

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def flat(text: str) -> str:
    """Whitespace collapsed (derive wraps prose; LaTeX and Markdown break lines freely)."""
    return " ".join(text.split())


def docs_expanded(page: str) -> str:
    """A theory page with its formula markers expanded by the docs build hook."""
    from stl_docs_test_helpers import docs_hook

    hook = docs_hook()
    source = (DOCS / "theory" / page).read_text(encoding="utf-8")
    fast = "\n".join(m.group(0) for m in hook.MARKER.finditer(source)
                     if m.group("kind") in {"remarks", "provenance", "derivation"})
    return source + "\n" + hook.expand(fast, page)


# --------------------------------------------------------------------------- D4


def test_d4_is_unconditional_in_code_latex_derive_and_docs():
    d4 = BY_CODE["D4"]
    assert r"\mid" not in d4.latex() and "past" not in d4.latex()
    assert "Given the past" not in d4.text and "kept real subset included" in d4.text
    hypothesis = HYPOTHESES["D4"]
    assert "kept real subset included" in hypothesis.text()
    shift = get("shift")  # L1 rests on D4 alone
    assert flat(hypothesis.text()) in flat(as_text(shift, width=400))
    assert flat(hypothesis.latex()) in flat(render(shift, "theorem"))
    page = (DOCS / "theory" / "definitions.md").read_text(encoding="utf-8")
    assert "when, given the past" not in page and "not conditional on the past" in page
    assert "<!-- stl:definition D4 -->" in page


# --------------------------------------------------------------------------- T1'


def test_t1_rate_states_its_shift_term_in_probability_the_same_everywhere():
    (remark,) = theorem1_rate_bound().remarks
    assert "Markov" in remark.text() and "1 - 2" in remark.text()
    derivation = get("theorem1-rate")
    outputs = {"derive": flat(as_text(derivation, width=120)),
               "latex": flat(render(derivation, "theorem")),
               "docs": flat(docs_expanded("theorem1.md"))}
    for where, text in outputs.items():
        for words in remark.words:
            assert flat(words) in text, (where, words)
    # and none of them claims the whole sum with probability 1 - delta
    assert "for the stability and concentration terms and in expectation for the shift " \
        "term" in outputs["derive"]
    assert "for the stability and concentration terms and in expectation for the shift " \
        "term" in outputs["latex"]
    assert not re.search(r"Then, with probability at least \$1 - \\delta\$,\s*\\begin",
                         render(derivation, "theorem"))
    data = as_dict(derivation)
    assert data["remarks"][0]["text"] == remark.text()
    assert data["confidence_terms"] == ["stability", "concentration"]


# --------------------------------------------------------------------------- provenance


@pytest.mark.parametrize("name", NAMES)
def test_every_result_says_where_it_comes_from(name):
    derivation = get(name)
    expected = "paper" if name == "theorem1-rate" else "derived"  # THEORY.md provenance
    assert derivation.provenance == derivation.result.provenance == expected
    text = as_text(derivation, width=400)
    lines = [line for line in text.splitlines() if line.startswith("provenance: ")]
    assert lines == [f"provenance: {expected} ({PROVENANCE[expected]})"]
    assert as_dict(derivation)["provenance"] == expected
    latex = render(derivation, "theorem")
    assert f"% Provenance: {expected}, " in latex
    assert "of Fu et al." not in latex.splitlines()[0]  # no result credited to the paper
    with_note = render(derivation, "theorem", footnote=True)
    assert r"\footnote{" in with_note and "\\footnote" not in latex.split("\n", 2)[2]


def test_an_operation_on_a_paper_statement_is_a_derivation():
    stated = get("theorem1-rate").result
    assert stated.subs(delta="1/20").provenance == "paper"  # the same statement, instantiated
    assert stated.limit("i", "oo").provenance == "derived"
    assert stated.with_rates().provenance == "derived"


def test_docs_state_the_provenance_of_every_result_they_derive():
    pages = sorted((DOCS / "theory").glob("*.md"))
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for name in re.findall(r"<!-- stl:derivation ([\w-]+) -->", text):
            assert f"<!-- stl:provenance {name} -->" in text, (page.name, name)
    index = (DOCS / "theory" / "index.md").read_text(encoding="utf-8")
    assert "<!-- stl:provenance -->" in index


def test_readme_says_which_parts_are_the_papers():
    head = (ROOT / "README.md").read_text(encoding="utf-8").split("## Quick start")[0]
    assert "encodes the generalization analysis" not in head
    assert "this toolkit's own derivations" in flat(head) and "provenance" in head


# --------------------------------------------------------------------------- theorem blocks


@pytest.mark.parametrize("name", NAMES)
def test_theorem_blocks_state_hypotheses_by_name_and_content(name):
    derivation = get(name)
    text = render(derivation, "theorem")
    lines = text.splitlines()
    assert not any(line.strip() == "Then" for line in lines), "a bare Then"
    assume = next(k for k, line in enumerate(lines) if line.startswith("Assume that "))
    then = next(k for k, line in enumerate(lines) if line.startswith("Then"))
    assert assume < then
    for code in derivation.result.requires:
        content = HYPOTHESES[code].latex(derivation.result.notation())
        assert content in lines[assume], (name, code)
    if name in ("theorem1", "theorem1-rate"):
        for code in ("D1", "D3", "D4"):
            assert f"({code})" in lines[assume]


def test_t3_states_the_optimum_and_when_it_is_positive():
    derivation = get("optimal-size")
    text = render(derivation, "theorem")
    assert r"n_{s}^{\star} = n_{r} \left(\frac{A}{C} - 2\right)" in text \
        or r"n_{s}^{\star} = n_{r} \left(- 2 + \frac{A}{C}\right)" in text
    assert "A > 2 C" in text and r"n_{s}^{\star} = 0" in text
    assert "Here $A = " in text and " and $C = " in text
    plain = flat(as_text(derivation, width=200))
    assert "The bound is smallest at nₛ⋆ = " in plain and "otherwise" in plain


def test_t2_is_stated_with_tau_n_equal_to_c_over_n():
    derivation = get("theorem2")
    text = render(derivation, "theorem")
    display = text[text.index(r"\begin{equation*}"):text.index(r"\end{equation*}")]
    assert r"\kappa" not in display and "c" in display
    assert display.count(r"\frac") <= 3  # no triple-nested fraction
    assert re.search(r"Here \$c = \\frac\{.*\\kappa", text)
    bound = derivation.result
    assert sp.Symbol("c", positive=True) in bound.free_symbols
    assert bound.evaluate(M=1, a="1/2", b=1, lam="9/10", n=100, m=1, kappa="1/10", Gamma="1/10",
                          L=1, c_A=1, sigma_s=1) > 0

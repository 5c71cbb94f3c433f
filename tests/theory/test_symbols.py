"""Symbols: the contract names of DESIGN.md, LaTeX through sympy, cheap import."""

from __future__ import annotations

import subprocess
import sys

import sympy as sp

from stl.theory import catalog
from stl.theory import symbols as S
from stl.theory.latex import to_latex

CONTRACT = ["n", "lam", "i", "delta", "M", "beta_n", "tau_n", "gamma", "d_tv", "n_r", "n_s",
            "c_0", "a", "b", "c"]


def test_public_names_are_the_design_contract():
    assert list(S.PUBLIC) == CONTRACT
    assert list(catalog.PUBLIC_NAMES) == CONTRACT
    for name, symbol in S.PUBLIC.items():
        assert symbol.name == name


def test_every_symbol_defined_once():
    symbols = list(S.ALL.values())
    assert len({s.name for s in symbols}) == len(symbols)
    for symbol in symbols:
        assert symbol in S.LATEX_NAMES


def test_latex_goes_through_sympys_printer():
    text = to_latex(S.beta_n * (1 + S.lam * S.gamma))
    assert r"\beta_{n}" in text and r"\lambda" in text and r"\gamma_{n}^{i-1}" in text
    # a power of a symbol whose name already has a superscript gets parentheses
    assert r"\left(\gamma_{n}^{i-1}\right)^{2}" == to_latex(S.gamma ** 2)


def test_lookup_refuses_internal_names_for_users():
    import pytest

    from stl.theory.errors import InputError

    assert S.lookup("lam") is S.lam
    with pytest.raises(InputError):
        S.lookup("rho")
    assert S.lookup("rho", public_only=False) is S.rho


def test_import_theory_pulls_neither_torch_nor_numpy():
    code = ("import sys, theory, stl.theory.results; stl.theory.get('theorem1'); "
            "print('torch' in sys.modules, 'numpy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out[0] == "False"  # torch never
    # sympy may pull numpy in if present; theory itself must not need it, which the
    # cheap, lazily-loaded package import below checks
    cheap = subprocess.run([sys.executable, "-c",
                            "import sys, theory, stl.theory.catalog; print('sympy' in sys.modules)"],
                           capture_output=True, text=True, check=True).stdout.strip()
    assert cheap == "False"


def test_srepr_round_trips_with_plain_sympy():
    expr = S.d_tv * (1 - (1 - S.lam) ** (S.i + 1)) / S.lam
    rebuilt = sp.parse_expr(sp.srepr(expr), local_dict={})  # trusted text: our own output
    assert rebuilt == expr


def test_one_record_per_symbol_and_the_tables_derive_from_the_records():
    names = [record.name for record in S.RECORDS]
    assert len(names) == len(set(names))
    for record in S.RECORDS:
        assert record.symbol.name == record.name
        assert S.LATEX_NAMES[record.symbol] == record.latex
        for assumption, value in record.assumptions:
            assert getattr(record.symbol, "is_" + assumption) is value
    for name, symbol in S.PUBLIC.items():
        record = S.RECORDS_BY_NAME[name]
        assert record.public and S.MEANING[name] == record.meaning and record.defined
    assert S.INDEXED_BY[S.gamma] == (S.n, S.i) and S.INDEXED_BY[S.beta_n] == (S.n,)
    assert [S.rank(s) for s in S.PAPER_ORDER] == sorted(S.rank(s) for s in S.PAPER_ORDER)


def test_printers_live_in_the_latex_module():
    from stl.theory import latex

    own = {name for name, value in vars(S).items() if isinstance(value, type)}
    assert not {"TheoryLatexPrinter", "TheoryPrettyPrinter", "LatexPrinter", "PrettyPrinter"} & own
    assert hasattr(latex, "TheoryLatexPrinter") and hasattr(latex, "TheoryPrettyPrinter")
    assert S.to_latex is latex.to_latex  # the old import path still works

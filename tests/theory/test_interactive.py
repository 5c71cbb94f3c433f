"""Interactive use: the package exposes models and results; objects render in Jupyter
and through sympy's printer; parameter names match the numeric models'."""

from __future__ import annotations

import inspect

import pytest
import sympy as sp

import stl.theory as theory
from stl.theory.errors import InputError
from stl.theory.symbols import to_pretty


def test_package_lists_models_results_and_get():
    names = dir(theory)
    assert {"models", "results", "get", "symbols"} <= set(names)
    assert {"categorical", "gaussian", "linreg", "transformer"} <= set(dir(theory.models))
    assert theory.get("theorem1") is theory.results.get("theorem1")


def test_four_lines_to_a_number_and_its_latex():
    bound = theory.models.categorical.constants(k=10).theorem1()
    bound = bound.subs(lam="1/2", n=100).limit("i", "oo")
    # by hand: beta = 4/n - 2/n^2, tau = 1/n, rho = 1/2, d_TV = 3 sqrt(2)/(2 sqrt(n)), M = 2
    beta, tau, rho, d = 0.0398, 0.01, 0.5, 3 * 2 ** 0.5 / 20
    expected = beta * (1 + 0.25 * 100 * tau / (1 - rho)) + 2 * 0.5 * d / 0.5
    assert bound.evaluate() == pytest.approx(expected, rel=1e-12)
    assert sp.latex(bound) == bound.statement_latex()


def test_parameter_names_are_the_numeric_models():
    """`--param k=10` and constants(k=10) take the same name (verify passes one to the other)."""
    from stl.numerics.models.registry import model_class

    # every keyword a card's constants function takes is a --param of its numeric model (the
    # card passes only those), and the categorical's k is one of them
    cards = theory.models.cards()
    shared = {}
    for name, card in cards.items():
        if card.constants is None:
            continue
        keywords = set(inspect.signature(card.constants).parameters)
        params = {spec.name for spec in model_class(name).param_specs}
        assert keywords <= params, name
        shared[name] = keywords
    assert shared["categorical"] == {"k"}
    consts = theory.models.categorical.constants()
    assert consts.with_parameters(k=5).d_tv == consts.with_parameters(K=5).d_tv
    with pytest.raises(InputError):
        consts.with_parameters(q=5)


@pytest.mark.parametrize("obj", [
    theory.get("theorem1").result, theory.get("theorem1"),
    theory.models.categorical.constants(k=10)], ids=["bound", "derivation", "constants"])
def test_objects_render_in_jupyter_and_sympy(obj):
    latex = obj._repr_latex_()
    assert latex.startswith("$") and latex.endswith("$") and "\\text{" not in latex[:40]
    assert "$" in obj._repr_markdown_()
    assert "mathtt" not in sp.latex(obj) and sp.latex(obj) == obj._latex()


def test_pretty_output_is_two_dimensional_and_reads_as_relations():
    derivation = theory.get("shift")
    text = derivation.pretty()
    assert "Eq(" not in text and "Limit(" not in text
    assert "≤" in text and "─" in text  # a relation, and a fraction bar
    ascii_text = to_pretty(derivation.result.statement(), unicode=False)
    assert all(ord(ch) < 128 for ch in ascii_text)


@pytest.mark.parametrize("name", theory.NAMES)
def test_every_derivation_prints_in_2d(name):
    text = theory.get(name).pretty(unicode=False)
    assert "result:" in text and "Eq(" not in text

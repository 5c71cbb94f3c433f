"""Model cards: every model's two declarations join and agree, and nothing else holds a model's facts.

The card of a model is its numeric class (``stl.numerics.models``) and its theory card
(``stl.theory.models``), joined by :mod:`stl.verify.cards`. These tests build every
registered model's card, hold the halves against each other, evaluate the theory constants
at the default parameters (or read the stated reason there are none), and scan the source
for modules outside a model's own files that compare a model's name or read its
parameters to find out what the model is.
"""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

from stl.numerics.models.registry import model_class, model_names
from stl.verify.cards import CONSTANTS, all_cards, analytic_constants, card
from stl.verify.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
NAMES = model_names()


@pytest.mark.parametrize("name", NAMES)
def test_every_card_builds_and_its_halves_agree(name):
    c = card(name)
    assert c.name == name and c.model is model_class(name)
    assert c.validate() == []


@pytest.mark.parametrize("name", NAMES)
def test_constants_evaluate_at_the_defaults_or_a_reason_is_given(name):
    c = card(name)
    defaults = {s.name: s.default for s in c.param_specs if s.default is not None}
    values = analytic_constants(name, defaults, n=200)
    if c.has_constants:
        assert values.reason is None
        for key in CONSTANTS:
            value = getattr(values, key)
            # a constant theory leaves open carries a note saying why
            assert value is not None or values.notes.get(key), (name, key)
            if value is not None:
                assert value == value and value >= 0.0, (name, key, value)
    else:
        reason = c.no_constants_reason
        assert isinstance(reason, str) and len(reason) > 20, name
        assert values.reason == reason and values.missing() == list(CONSTANTS)


def test_gaussian_states_why_it_has_no_analytic_constants():
    c = card("gaussian")
    assert not c.has_constants
    assert "unbounded" in c.no_constants_reason
    assert [f.name for f in c.closed_forms].count("gaussian_variance") == 2


@pytest.mark.parametrize("name", NAMES)
def test_parameter_ranges_are_stated_once(name):
    """Every built-in ``--param`` prints the allowed text its own range parses."""
    for spec in model_class(name).param_specs:
        assert spec.stated_once, (name, spec.name, spec.allowed)


def test_a_closed_form_for_a_metric_the_model_lacks_is_reported(monkeypatch):
    from stl.theory.models import categorical as module

    theory = module.CARDS[0]
    wrong = dataclasses.replace(theory.closed_forms[0], metric="no_such_metric")
    monkeypatch.setattr(module, "CARDS", (dataclasses.replace(theory, closed_forms=(wrong,)),))
    problems = card("categorical").validate()
    assert any("no_such_metric is not a metric" in p for p in problems)


def test_a_card_without_constants_or_reason_is_refused():
    from stl.theory.models.card import TheoryCard

    with pytest.raises(ValueError, match="reason"):
        TheoryCard("categorical")


def test_an_unknown_model_names_the_known_ones():
    with pytest.raises(InputError) as err:
        card("no-such-model")
    assert "categorical" in str(err.value)


def test_every_registered_model_has_a_card():
    assert [c.name for c in all_cards()] == list(NAMES)


# --------------------------------------------------------------------------------------
# no module outside a model's own files compares its name or sniffs its parameters
# --------------------------------------------------------------------------------------

#: A model's own files: its numeric class and its theory card (the in-context learners'
#: numeric classes share the package ``numerics/icl``, whose recipe table is theirs).
OWN = ("numerics/models/", "theory/models/", "numerics/icl/")
#: Names that are model names by coincidence, by file: the hypothesis "transformer" of T2
#: (THEORY.md's name for the in-context learner's assumption, not the model).
COINCIDENCE = {"theory/definitions.py": {"transformer"}}
def _strings(node) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return []


def _holder(node) -> str:
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""


def _sniffs(path: Path, models: set[str], params: set[str], root: Path = ROOT) -> list[str]:
    """Places in ``path`` that compare a model name, key a table by model names, or read a
    model parameter out of a mapping named like parameters (``params.get("dim")``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    rel = path.relative_to(root).as_posix()
    models = models - COINCIDENCE.get(rel, set())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            for side in (node.left, *node.comparators):
                hit = [v for v in _strings(side) if v in models]
                if hit:
                    found.append(f"{rel}:{node.lineno} compares the model name {hit}")
        elif isinstance(node, ast.Dict):
            hit = [k.value for k in node.keys if isinstance(k, ast.Constant) and k.value in models]
            if hit:
                found.append(f"{rel}:{node.lineno} keys a table by model {hit}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in (
                "get", "pop", "setdefault") and node.args:
            holder, key = _holder(node.func.value), _strings(node.args[0])
            if ("param" in holder or holder == "par") and key and key[0] in params:
                found.append(f"{rel}:{node.lineno} reads {holder}.{node.func.attr}({key[0]!r})")
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
            holder, key = _holder(node.value), _strings(node.slice)
            if ("param" in holder or holder == "par") and key and key[0] in params:
                found.append(f"{rel}:{node.lineno} reads {holder}[{key[0]!r}]")
    return found


def _scanned() -> list[Path]:
    out = []
    for layer in ("theory", "numerics", "verify", "kernel"):
        for path in sorted((ROOT / layer).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if not rel.startswith(OWN):
                out.append(path)
    return out


def test_no_module_outside_a_models_files_compares_its_name_or_sniffs_its_parameters():
    models = set(NAMES)
    params = {s.name for m in NAMES for s in model_class(m).param_specs}
    found = [hit for path in _scanned() for hit in _sniffs(path, models, params)]
    assert found == [], "\n".join(found)


def test_the_scan_finds_what_it_looks_for(tmp_path):
    """The scan is not blind: each pattern it forbids, planted in a file, is found."""
    planted = tmp_path / "verify" / "planted.py"
    planted.parent.mkdir()
    planted.write_text(
        "def f(model, params, par):\n"
        "    if model == 'gaussian':\n"
        "        return params.get('dim')\n"
        "    x = {'kde': 1}\n"
        "    return par['steps'] if model in ('lsa', 'other') else x\n", encoding="utf-8")
    found = _sniffs(planted, {"gaussian", "kde", "lsa"}, {"dim", "steps"}, root=tmp_path)
    assert len(found) == 5, found


#: The facts a model class states once for all its instances.
CLASS_FACTS = ("name", "param_specs", "metric_names", "risk_metric", "family", "requires", "coupling",
               "exact_risk", "has_exact_loop", "verification", "pinned_in_checks")


def test_no_instance_changes_a_class_fact():
    """``self.coupling = ...`` (and the like) nowhere: an instance whose parameters tighten
    its coupling says so through ``effective_coupling``."""
    found = []
    for layer in ("numerics", "verify"):
        for path in sorted((ROOT / layer).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                targets = node.targets if isinstance(node, ast.Assign) else (
                    [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else [])
                for t in targets:
                    for e in (t.elts if isinstance(t, ast.Tuple) else [t]):
                        if (isinstance(e, ast.Attribute) and isinstance(e.value, ast.Name) and e.value.id == "self"
                                and e.attr in CLASS_FACTS):
                            found.append(f"{path.relative_to(ROOT)}:{node.lineno} sets self.{e.attr}")
    assert found == [], "\n".join(found)


def test_an_icl_instance_with_one_parent_label_is_maximal_without_changing_its_class():
    pytest.importorskip("torch")
    lsa = model_class("lsa")
    m = lsa({"dim": "2", "context": "4", "seed_labels": "4", "steps": "1", "probes": "10"}, device="cpu")
    assert m.effective_coupling == "maximal" and m.coupling == lsa.coupling == "upper"
    assert "coupling" not in vars(m)
    other = lsa({"dim": "2", "context": "4", "seed_labels": "1", "steps": "1", "probes": "10"}, device="cpu")
    assert other.effective_coupling == "upper"

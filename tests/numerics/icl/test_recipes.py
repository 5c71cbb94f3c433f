"""Named recipes: complete, chosen by device, overridden by explicit parameters, listed in --help."""

from __future__ import annotations

import pytest

from stl.numerics.errors import InputError
from stl.numerics.icl import recipes
from stl.numerics.models.registry import get_model, model_class


@pytest.mark.parametrize("model", ["transformer", "lsa"])
def test_every_recipe_sets_every_recipe_key_to_a_valid_value(model):
    table = recipes.TRANSFORMER if model == "transformer" else recipes.LSA
    for recipe in table:
        assert set(recipe.params) == set(recipes.keys(model)), recipe.name
        built = get_model(model, {"recipe": recipe.name}, device="cpu")     # validated by the specs
        for key, text in recipe.params.items():
            assert str(built.params[key]) == str(type(built.params[key])(text)), (recipe.name, key)
        assert (built.default_n, built.default_replicates) == (recipe.n, recipe.replicates)


def test_the_default_is_the_devices_recipe_and_explicit_values_win():
    m = get_model("transformer", {}, device="cpu")
    assert m.params["recipe"] == "learn-cpu" and m.params["dim"] == 2 and m.params["steps"] == 2000
    assert (m.default_n, m.default_replicates) == (4000, 2)
    mine = get_model("transformer", {"recipe": "learn-cuda", "steps": "7"}, device="cpu")
    assert mine.params["dim"] == 8 and mine.params["steps"] == 7 and mine.params["recipe"] == "learn-cuda"
    assert recipes.resolve("transformer", "auto", "cuda").name == "learn-cuda"
    assert get_model("lsa", {}, device="cpu").params["recipe"] == "gd"


def test_unknown_recipe_and_cpu_precision_are_input_errors():
    with pytest.raises(InputError, match="recipe"):
        get_model("transformer", {"recipe": "fast"}, device="cpu")
    with pytest.raises(InputError, match="precision"):
        get_model("transformer", {"precision": "bf16"}, device="cpu")
    with pytest.raises(InputError, match="precision"):
        get_model("transformer", {"precision": "fp16"}, device="cpu")


def test_recipes_are_documented_in_the_parameter_help():
    spec = {s.name: s for s in model_class("transformer").param_specs}
    for recipe in recipes.TRANSFORMER:
        assert recipe.name in spec["recipe"].help and recipe.summary in spec["recipe"].help
    assert "set by the recipe" in spec["steps"].help and spec["steps"].default is None


def test_the_cli_help_lists_the_recipes(capsys):
    from stl.verify.cli.main import main

    assert main(["simulate", "--help"]) == 0
    text = capsys.readouterr().out
    assert "learn-cpu" in text and "learn-cuda" in text and "precision" in text

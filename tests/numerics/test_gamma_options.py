"""estimate_gamma's coupling and measurement options (issue 22: ĉ and γ̂ with one TV estimator)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from stl.numerics.errors import InputError
from stl.numerics.estimators import estimate_gamma
from stl.numerics.models.registry import get_model


def test_the_density_maximal_coupling_makes_kde_gamma_exact_not_a_proxy():
    model = get_model("kde", {"bandwidth": "0.3"})
    own = estimate_gamma(model, "mix", 40, 0.5, 1, 200, seed=3)
    maximal = estimate_gamma(model, "mix", 40, 0.5, 1, 200, seed=3, coupling="maximal-density")
    assert own.proxy and not maximal.proxy and "maximal coupling" in maximal.method
    # Under a maximal coupling a synthetic pair differs with probability d_TV of the parents,
    # so generation 1's differing fraction has the exact TV of generation 0 as its mean.
    d = maximal.details["synthetic_differ"][:, 1] - maximal.per_replicate[:, 0]
    assert abs(d.mean()) < 4 * d.std(ddof=1) / math.sqrt(d.size)


def test_measuring_with_the_tv_estimator_agrees_with_the_coupled_fraction():
    # 2-D mixture: no exact TV, so "auto" counts differing coupled draws and "tv" runs the
    # model's likelihood-ratio estimator; both are unbiased for E d_TV.
    model = get_model("gmm", {"k": "2", "dim": "2", "iters": "10"})
    a = estimate_gamma(model, "mix", 60, 0.5, 1, 60, seed=1)
    b = estimate_gamma(model, "mix", 60, 0.5, 1, 60, seed=1, measure="tv")
    assert "TV estimator" in b.method
    d = a.per_replicate - b.per_replicate            # same chains, two measurements
    se = d.std(axis=0, ddof=1) / math.sqrt(d.shape[0])
    assert np.all(np.abs(d.mean(axis=0)) < 4 * se + 1e-12)


@pytest.mark.parametrize("option", [{"coupling": "exact"}, {"measure": "fraction"}])
def test_unknown_options_are_refused(option):
    with pytest.raises(InputError):
        estimate_gamma(get_model("categorical", {"k": "3"}), "mix", 10, 0.5, 1, 4, seed=0, **option)

"""The growth-law fit: geometric against power of i, each able to win, with intervals that cover."""

from __future__ import annotations

import numpy as np
import pytest

from stl.numerics.errors import InputError
from stl.numerics.estimators import fit_growth_law

G = np.arange(13)


def _noisy(mean, seed, r=300, sd=0.25):
    return mean * np.random.default_rng(seed).lognormal(-sd ** 2 / 2, sd, (r, mean.size))


@pytest.mark.parametrize("rate", [0.8, 1.15, 1.6])
def test_a_geometric_trajectory_is_called_geometric_and_its_rate_covered(rate):
    law = fit_growth_law(_noisy(0.01 * rate ** G, seed=int(rate * 100)))
    assert law.preferred == "geometric"
    # 4 jackknife standard errors: the 95 % interval covers in 93-97 % of seeds (measured).
    assert abs(law.rate.value - rate) < 4 * law.rate.stderr


@pytest.mark.parametrize("p", [0.5, 1.0])
def test_a_power_trajectory_is_called_power_and_its_exponent_covered(p):
    law = fit_growth_law(_noisy(0.02 * (G + 1.0) ** p, seed=int(p * 10)))
    assert law.preferred == "power"
    assert abs(law.exponent.value - p) < 4 * law.exponent.stderr


def test_both_laws_fit_a_flat_trajectory_equally():
    law = fit_growth_law(_noisy(np.full(G.size, 0.03), seed=3))
    assert abs(law.rate.value - 1.0) < 4 * law.rate.stderr and abs(law.exponent.value) < 4 * law.exponent.stderr


@pytest.mark.parametrize("bad", [np.ones((2, 5)), np.ones((10, 2)), np.zeros((10, 5)), np.ones(5)])
def test_refuses_what_it_cannot_fit(bad):
    with pytest.raises(InputError):
        fit_growth_law(bad)

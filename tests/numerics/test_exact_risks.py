"""Every exact (closed-form or quadrature) population risk against its Monte Carlo twin.

``gen_gap`` uses ``Model.risk``: exact for categorical, gaussian, linreg and 1-D kde. Each
is held against the mean loss on a large fresh real probe at random parameters; the
tolerance is a normal quantile times the Monte Carlo standard error, Bonferroni-corrected
over all the comparisons of this file.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pytest

from stl.numerics.models.registry import get_model
from stl.numerics.rng import ReplicateStreams

CASES = [
    ("categorical", {"k": "5"}, 12),
    ("categorical", {"probs": "0.7,0.2,0.1"}, 4),
    ("gaussian", {"dim": "1"}, 15),
    ("gaussian", {"dim": "1", "scale": "2.5", "mean": "1"}, 6),
    ("gaussian", {"dim": "3", "estimator": "unbiased"}, 9),
    ("gaussian", {"dim": "8", "scale": "0.5"}, 40),
    ("gaussian", {"dim": "6"}, 5),           # n <= d: a singular fit, risk exactly 1
    ("linreg", {"dim": "3", "noise": "0.5"}, 8),
    ("linreg", {"dim": "2", "noise": "2", "ridge": "0.3"}, 5),
    ("kde", {"bandwidth": "0.3"}, 30),
    ("kde", {"bandwidth": "0.05"}, 10),
]
REPLICATES, PROBE = 6, 200_000
Z = NormalDist().inv_cdf(1 - 0.001 / (2 * len(CASES) * REPLICATES))


@pytest.mark.parametrize("name,params,n", CASES, ids=lambda c: str(c))
def test_exact_risk_matches_monte_carlo(name, params, n):
    model = get_model(name, params)
    streams = ReplicateStreams(seed=len(CASES) + n, replicates=REPLICATES)
    # A fit to a short loop (two generations) so that the parameters are not just S_0's.
    theta = model.fit(model.draw_real(streams, n))
    theta = model.fit(model.sample(theta, streams, n))
    exact = model.risk(theta, streams)
    loss = model.loss(theta, model.draw_real(streams, PROBE, purpose="check"))
    mc, se = loss.mean(axis=1), loss.std(axis=1, ddof=1) / np.sqrt(PROBE)
    assert np.all((exact >= 0) & (exact <= model.loss_bound))
    assert np.all(np.abs(mc - exact) <= Z * se + 1e-12), (exact, mc, se)


def test_exact_risks_draw_no_probe():
    """The exact paths read no random numbers: a run's probe stream stays unused."""
    for name, params, n in CASES:
        if name == "kde":
            continue
        model = get_model(name, params)
        streams = ReplicateStreams(seed=1, replicates=2)
        theta = model.fit(model.draw_real(streams, n))
        model.risk(theta, streams)
        assert "probe" not in streams._generators, name


def test_categorical_risk_does_not_depend_on_the_replicate_split():
    model = get_model("categorical", {"k": "7"})
    streams = ReplicateStreams(seed=3, replicates=9)
    theta = model.fit(model.draw_real(streams, 25))
    whole = model.risk(theta)
    from stl.numerics.models.categorical import CategoricalParams

    parts = np.concatenate([model.risk(CategoricalParams(theta.probs[a:b])) for a, b in ((0, 1), (1, 5), (5, 9))])
    assert np.array_equal(whole, parts)


@pytest.mark.parametrize("name,params,n", [c for c in CASES if c[0] != "kde"], ids=lambda c: str(c))
def test_exact_risk_under_a_fitted_law_matches_monte_carlo(name, params, n):
    """``risk_under(θ, parent)``, the R_P of T1's shift piece, against draws from the parent."""
    model = get_model(name, params)
    streams = ReplicateStreams(seed=n, replicates=REPLICATES)
    parent = model.fit(model.draw_real(streams, n + 3))
    theta = model.fit(model.sample(parent, streams, n))
    exact = model.risk_under(theta, parent, streams)
    loss = model.loss(theta, model.sample(parent, streams, PROBE, purpose="check"))
    mc, se = loss.mean(axis=1), loss.std(axis=1, ddof=1) / np.sqrt(PROBE)
    assert np.all(np.abs(mc - exact) <= Z * se + 1e-12), (exact, mc, se)

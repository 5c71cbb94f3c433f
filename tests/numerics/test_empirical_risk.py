"""The empirical risk is computed in blocks of points (bounded memory on long accumulate
pools) and equals the one-block mean; the in-place 1-D Gaussian loss equals its formula."""

from __future__ import annotations

import numpy as np
import pytest

from stl.numerics.models.registry import get_model
from stl.numerics.rng import ReplicateStreams


@pytest.mark.parametrize("name, params", [("gaussian", {"dim": "1"}), ("gaussian", {"dim": "3"}),
                                          ("categorical", {"k": "5"}), ("linreg", {"dim": "2"})])
def test_blocked_empirical_risk_equals_the_plain_mean(name, params):
    model = get_model(name, params)
    streams = ReplicateStreams(3, 7)
    train = model.draw_real(streams, 50)
    theta = model.fit(train)
    whole = model.loss(theta, train).mean(axis=1)
    model.loss_block_elements = 7 * 6  # blocks of 6 points (the last one shorter)
    assert np.allclose(model.empirical_risk(theta, train), whole, rtol=1e-13, atol=0)


def test_one_dimensional_gaussian_loss_is_the_welsch_loss():
    model = get_model("gaussian", {"dim": "1"})
    streams = ReplicateStreams(0, 4)
    data = model.draw_real(streams, 30)
    theta = model.fit(data)
    var = theta.root[:, None, 0, 0] ** 2
    q = (data[..., 0] - theta.mean[:, None, 0]) ** 2 / var
    # 1 − exp(−x) loses digits for small x (the model uses expm1): compare absolutely
    assert np.allclose(model.loss(theta, data), 1.0 - np.exp(-q / 2.0), rtol=0, atol=1e-15)

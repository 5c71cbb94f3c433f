"""The lsa contradiction of issue 22, resolved: measured with one TV estimator and the maximal
coupling, L2's bound with ĉ from one random swap is exceeded (that ĉ is not D2's supremum);
with the largest of 16 swaps it holds."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")

import stl.verify.checks.atlas as atlas  # noqa: E402


def _lsa(neighbours: int):
    return atlas.atlas_check(f"atlas-lsa-K{neighbours}", "lsa", atlas._LSA, n=100, lams=(0.0, 0.5), generations=6,
                             replicates=128, tau_replicates=128, block=128, locate_high=0.5, locate_steps=1,
                             neighbours=neighbours, gamma_options=atlas._MAXIMAL)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_one_random_swap_underestimates_the_supremum_and_l2_says_so():
    r = _lsa(1).run(seed=0)
    half = next(row for row in r.details["rows"] if row["lam"] == 0.5)
    assert r.verdict == "fail" and half["l2_bound"]["violated"]
    assert half["l2_bound"]["ci_low"] > half["l2_bound"]["bound"]


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_with_the_largest_of_sixteen_swaps_l2_holds_at_every_lambda():
    r = _lsa(16).run(seed=0)
    assert not any(row["l2_bound"]["violated"] for row in r.details["rows"])
    assert not r.details["premise"]["violated"]
    assert r.details["observed_lambda_c"]["value"] < r.details["predicted_lambda_c"]["value"]

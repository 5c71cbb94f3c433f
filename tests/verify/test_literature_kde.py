"""Fu et al. (2024), the KDE phase transition: it reproduces where it should and can fail."""

from __future__ import annotations

import pytest

import stl.verify.checks.literature as lit

GRID = (0, 10, 20, 320)


@pytest.mark.timeout(300)
def test_an_undersmoothed_kde_rises_then_falls():
    r = lit.fu_kde_check(bandwidth=0.3, grid=GRID, replicates=400, block=400).run(seed=0)
    assert r.verdict == "pass", r.details["summary"]
    rise, fall = r.details["parts"]
    assert rise["ci_low"] > 0 and fall["ci_high"] < 0
    assert r.details["peak_n_s"] in GRID[1:-1] and r.details["power"]["replicates_needed"] > 0


@pytest.mark.timeout(300)
def test_an_oversmoothed_kde_only_rises_and_the_check_says_it_does_not_reproduce():
    # With h = 1.5 every synthetic generation smooths more: the TV grows with n_s throughout.
    r = lit.fu_kde_check(bandwidth=1.5, grid=GRID, replicates=400, block=400).run(seed=0)
    assert r.verdict == "fail" and "does not reproduce" in r.details["summary"]


def test_the_grid_must_start_at_zero_and_increase():
    with pytest.raises(lit.InputError):
        lit.fu_kde_check(grid=(5, 10, 20))
    with pytest.raises(lit.InputError):
        lit.fu_kde_check(grid=(0, 20, 10))


def test_it_is_in_the_full_suite():
    from stl.verify.suites import resolve

    assert "lit-fu-kde-phase-transition" in [c.name for c in resolve(["full"])]

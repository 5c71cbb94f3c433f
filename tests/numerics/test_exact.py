"""The categorical loop's exact references (stl.numerics.exact) against the simulated loop.

Each reference is an exact expectation, so the simulated mean must lie within a normal
quantile times its standard error (Bonferroni over every comparison of this file). The
simulation is the toolkit's own: ``run_loop``, ``estimate_t1_pieces``, ``estimate_gamma``.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pytest

from stl.numerics.estimators import estimate_gamma, estimate_t1_pieces
from stl.numerics.exact import CategoricalLoopExact
from stl.numerics.loop import run_loop
from stl.numerics.models.registry import get_model

RUNS = [("mix", 0.5, 12), ("replace", 0.0, 12), ("fresh", 0.3, 10), ("mix", 0.2, 15)]
ACCUMULATING = [("accumulate", 8), ("accumulate-subsample", 8)]
GENERATIONS, REPLICATES = 4, 10_000
# comparisons: 4 metrics + 3 pieces + tv of the parent + gamma, per run and generation, and
# 2 metrics per accumulating run and generation
Z = NormalDist().inv_cdf(1 - 0.001 / (2 * (len(RUNS) * 9 + len(ACCUMULATING) * 2) * (GENERATIONS + 1)))
MODEL = get_model("categorical", {"probs": "0.5,0.3,0.15,0.05"})


def _agree(values: np.ndarray, exact: np.ndarray, label: str) -> None:
    mean = values.mean(axis=0)
    se = values.std(axis=0, ddof=1) / np.sqrt(values.shape[0])
    ok = np.abs(mean - exact) <= Z * se + 1e-12 * (1 + np.abs(exact))
    assert ok.all(), f"{label}: simulated {mean} vs exact {exact} (se {se})"


@pytest.mark.parametrize("scheme,lam,n", RUNS)
def test_metrics_equal_their_exact_expectations(scheme, lam, n):
    ref = CategoricalLoopExact.for_run(MODEL.p, scheme, n, lam, GENERATIONS)
    traj = run_loop(MODEL, scheme, n, lam, GENERATIONS, REPLICATES, seed=n)
    for metric, exact in (("gen_gap", ref.gen_gap()), ("heterozygosity", ref.heterozygosity()),
                          ("tv_to_real", ref.tv_to_real()), ("support_size", ref.support_size())):
        _agree(traj.values[metric], exact, f"{scheme} {metric}")


@pytest.mark.parametrize("scheme,lam,n", RUNS)
def test_proof_pieces_equal_their_exact_expectations(scheme, lam, n):
    ref = CategoricalLoopExact.for_run(MODEL.p, scheme, n, lam, GENERATIONS)
    est = estimate_t1_pieces(MODEL, scheme, n, lam, GENERATIONS, REPLICATES, seed=n + 1)
    exact = ref.pieces()
    for key in "abc":
        _agree(est[key].per_replicate[:, 1:], exact[key][1:], f"{scheme} piece {key}")
    _agree(est["shift_tv"].per_replicate[:, 1:], ref.tv_to_real()[:-1], f"{scheme} parent TV")
    # the pieces add up to the generalization error, replicate by replicate
    total = sum(est[key].per_replicate[:, 1:] for key in "abc")
    traj = run_loop(MODEL, scheme, n, lam, GENERATIONS, REPLICATES, seed=n + 1, metrics=("gen_gap",))
    assert np.allclose(total, traj.values["gen_gap"][:, 1:], atol=1e-12)


@pytest.mark.parametrize("scheme,lam,n", RUNS)
def test_gamma_from_distinct_neighbours_is_exact(scheme, lam, n):
    ref = CategoricalLoopExact.for_run(MODEL.p, scheme, n, lam, GENERATIONS)
    est = estimate_gamma(MODEL, scheme, n, lam, GENERATIONS, REPLICATES // 2, seed=n + 2, neighbour="distinct")
    _agree(est.per_replicate, ref.gamma(), f"{scheme} gamma")
    # a random neighbour coincides with the replaced point with probability Σp²
    rnd = estimate_gamma(MODEL, scheme, n, lam, GENERATIONS, REPLICATES // 2, seed=n + 2)
    _agree(rnd.per_replicate, (1 - float((MODEL.p ** 2).sum())) * ref.gamma(), f"{scheme} gamma random")


def test_pieces_sum_to_the_generalization_error_exactly():
    ref = CategoricalLoopExact(probs=(0.4, 0.35, 0.25), n=9, n_r=4, generations=6)
    pieces = ref.pieces()
    assert np.allclose(pieces["a"][1:] + pieces["b"][1:] + pieces["c"][1:], ref.gen_gap()[1:], atol=1e-14)


def test_replace_heterozygosity_is_wright_fisher(closed_forms):
    p = (0.5, 0.3, 0.2)
    ref = CategoricalLoopExact(probs=p, n=7, n_r=0, generations=5, scheme="replace")
    assert np.allclose(ref.heterozygosity(), closed_forms.wright_fisher_heterozygosity(7, 5, p), atol=1e-14)


def test_moments_agree_with_the_enumerated_law():
    """Two independent routes: E Σq² from the moment recursion and from the enumerated laws."""
    for scheme, n_r in (("mix", 3), ("fresh", 3), ("replace", 0)):
        ref = CategoricalLoopExact(probs=(0.6, 0.3, 0.1), n=8, n_r=n_r, generations=4, scheme=scheme)
        freqs = np.arange(9) / 8
        second = sum(law @ freqs ** 2 for law in ref._laws)
        assert np.allclose(1 - second, ref.heterozygosity(), atol=1e-13), scheme


def test_bad_inputs_are_refused():
    from stl.numerics.errors import InputError

    for kwargs in ({"probs": (0.5, 0.6)}, {"n_r": 11}, {"scheme": "accumulate"}, {"generations": -1},
                   {"scheme": "subsample"}):
        base = dict(probs=(0.5, 0.5), n=10, n_r=5, generations=2)
        with pytest.raises(InputError):
            CategoricalLoopExact(**{**base, **kwargs})


def test_what_is_not_derived_or_too_large_is_refused_before_computing():
    from stl.numerics.exact import ENUMERATION_BUDGET, LEARNABILITY_BUDGET
    from stl.numerics.errors import InputError

    acc = CategoricalLoopExact((0.5, 0.5), n=10, n_r=10, generations=2, scheme="accumulate-subsample")
    assert acc.require("gen_gap", "heterozygosity") is acc
    for quantity, method in (("tv_to_real", acc.tv_to_real), ("pieces", acc.pieces), ("gamma", acc.gamma),
                             ("learnability", acc.learnability)):
        with pytest.raises(InputError, match=quantity):
            acc.require(quantity)
        with pytest.raises(InputError, match="scheme"):
            method()
    with pytest.raises(InputError, match="exact quantity"):
        acc.require("variance")
    # budgets: the law costs (n_r+1)(n+1)(n_s+1) per symbol and generation
    n = 800
    big = CategoricalLoopExact((0.5, 0.5), n=n, n_r=n // 2, generations=1)
    assert big.cost("tv_to_real") == (n // 2 + 1) * (n + 1) * (n // 2 + 1)
    assert big.cost("tv_to_real") <= ENUMERATION_BUDGET < (n + 1) * (n + 1) * (n + 1)
    with pytest.raises(InputError, match="learnability fits the enumeration budget"):
        big.require("learnability")
    assert big.cost("learnability") > LEARNABILITY_BUDGET
    huge = CategoricalLoopExact((0.5, 0.5), n=2000, n_r=1000, generations=1)
    with pytest.raises(InputError, match="tv_to_real fits the enumeration budget"):
        huge.tv_to_real()


@pytest.mark.parametrize("scheme,n", ACCUMULATING)
def test_accumulating_schemes_equal_their_exact_moments(scheme, n):
    ref = CategoricalLoopExact.for_run(MODEL.p, scheme, n, 0.0, GENERATIONS)
    traj = run_loop(MODEL, scheme, n, 0.0, GENERATIONS, REPLICATES, seed=n + 7,
                    metrics=("gen_gap", "heterozygosity"))
    for metric, exact in (("gen_gap", ref.gen_gap()), ("heterozygosity", ref.heterozygosity())):
        _agree(traj.values[metric], exact, f"{scheme} {metric}")


@pytest.mark.parametrize("scheme", ["accumulate", "accumulate-subsample"])
def test_accumulating_moments_by_enumerating_every_path(scheme):
    """Tiny sizes: the law of (pool count, training count) of one symbol, carried through every
    binomial draw from the parent and every hypergeometric subsample, against the recursion."""
    from scipy.stats import binom, hypergeom

    p, n, G = 0.3, 3, 3
    state = {(c, c): binom.pmf(c, n, p) for c in range(n + 1)}        # (pool count, training count)
    second = [sum(w * (h / n) ** 2 for (_, h), w in state.items())]
    for j in range(1, G + 1):
        size = (j + 1) * n
        nxt: dict = {}
        for (pool, train), w in state.items():
            q = train / n if scheme == "accumulate-subsample" else pool / (j * n)
            for k in range(n + 1):
                grown = pool + k
                if scheme == "accumulate":
                    nxt[(grown, grown)] = nxt.get((grown, grown), 0.0) + w * binom.pmf(k, n, q)
                    continue
                for h in range(n + 1):
                    weight = w * binom.pmf(k, n, q) * hypergeom.pmf(h, size, grown, n)
                    nxt[(grown, h)] = nxt.get((grown, h), 0.0) + weight
        state = nxt
        if scheme == "accumulate":
            second.append(sum(w * (pool / size) ** 2 for (pool, _), w in state.items()))
        else:
            second.append(sum(w * (h / n) ** 2 for (_, h), w in state.items()))
    ref = CategoricalLoopExact((p, 1 - p), n=n, n_r=n, generations=G, scheme=scheme)
    assert np.allclose(ref._moments["m2"][:, 0], second, atol=1e-14)


@pytest.mark.parametrize("scheme,lam,n", RUNS)
def test_learnability_equals_its_exact_expectation(scheme, lam, n):
    from stl.numerics.estimators import estimate_dtv

    ref = CategoricalLoopExact.for_run(MODEL.p, scheme, n, lam, GENERATIONS)
    est = estimate_dtv(MODEL, scheme, n, lam, GENERATIONS, REPLICATES // 2, seed=n + 3)
    _agree(est.per_replicate, ref.learnability(), f"{scheme} learnability")


def test_learnability_by_brute_force_enumeration():
    """Tiny sizes: every multinomial outcome of S_0 and of the synthetic draws, enumerated."""
    import itertools
    import math

    p, n, n_r, k = np.array([0.5, 0.3, 0.2]), 4, 2, 3

    def outcomes(m):
        for c in itertools.product(range(m + 1), repeat=k):
            if sum(c) == m:
                yield np.array(c), math.factorial(m) / math.prod(math.factorial(x) for x in c)

    total = 0.0
    for a, ca in outcomes(n_r):
        for b, cb in outcomes(n - n_r):
            q0 = (a + b) / n
            law = (n_r / n) * p + (1 - n_r / n) * q0
            for s, cs in outcomes(n - n_r):
                weight = ca * np.prod(p ** a) * cb * np.prod(p ** b) * cs * np.prod(q0 ** s)
                total += weight * 0.5 * np.abs((a + s) / n - law).sum()
    assert abs(CategoricalLoopExact(tuple(p), n, n_r, 1).learnability()[1] - total) < 1e-14


def test_uniform_stability_by_enumeration_matches_the_paper_bound_shape():
    from stl.numerics.exact import categorical_uniform_stability

    for k, n in ((2, 5), (3, 8), (4, 6)):
        value = categorical_uniform_stability(k, n)
        assert 0 < value <= 4 / n + 2 / n ** 2   # THEORY.md section 4's bound

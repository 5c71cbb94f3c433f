"""Exact references of the categorical MLE loop: moments by recursion, laws by enumeration.

The categorical model of THEORY.md section 4 fitted by its frequencies is a Markov chain
whose moments close: for one symbol with real probability ``p``, kept real share
``a = c_R/n`` (``c_R ~ Bin(n_r, p)``, fixed for the whole run under ``mix``) and fitted
frequency ``q_j``,

    q_j = a + N_j/n,   N_j | past ~ Bin(n_s, q_{j-1}),

so ``E[N | q] = n_s q`` and ``E[N² | q] = n_s q + n_s(n_s − 1) q²`` give linear recursions
for ``m1 = E q_j``, ``m2 = E q_j²``, ``x = E[a q_j]`` and ``y = E[q_j q_{j-1}]``. The Brier
loss makes every quantity of T1 a polynomial in these (``gen_i = 2 q·(q − p)`` because the
MLE's training loss is ``1 − Σq²``), so the expected generalization error, heterozygosity
and each of the three pieces of T1's proof are exact. ``E d_TV(q_i, p)`` and the support
size need the law, not just moments: each symbol's count is itself a binomial chain (the
multinomial aggregates), enumerated exactly over its ``(n_r + 1) × (n + 1)`` states.

The two accumulating schemes close too. Under ``accumulate`` the pool count ``P_j`` of a
symbol (pool size ``T_j = (j + 1) n``) gains ``N_j ~ Bin(n, P_{j-1}/T_{j-1})``, so

    E P_j² = E P_{j-1}² (1 + 2n/T_{j-1} + n(n − 1)/T_{j-1}²) + n p,    q_j = P_j / T_j;

under ``accumulate-subsample`` the training count ``H_j`` is a hypergeometric draw of
``n`` from the pool, ``E[H | P] = nP/T`` and ``E[H² | P] = n(P/T)(1 − P/T)(T − n)/(T − 1)
+ n²P²/T²``, which closes over ``(E P², E[P H], E H²)``. Both keep ``E q_j = p`` (a
martingale) and give ``E gen_i`` and ``E H_i`` exactly; their laws, proof pieces and γ
are not derived here (:meth:`CategoricalLoopExact.require` says so before anything runs).

No Monte Carlo anywhere; ``tests/numerics/test_exact.py`` holds each reference against
simulation with the toolkit's own loop. Schemes: ``mix`` (kept real subset), ``fresh``
(the ``n_r`` real points drawn anew each generation), ``replace`` (``n_r = 0``),
``accumulate`` and ``accumulate-subsample`` (``n_r = n``: all of ``S_0`` stays in the pool,
``n`` synthetic points join it each generation).

>>> ref = CategoricalLoopExact(probs=[0.5, 0.3, 0.2], n=10, n_r=5, generations=2)
>>> [round(float(x), 6) for x in ref.gen_gap()]
[0.124, 0.2108, 0.25916]
>>> bool(abs(sum(ref.pieces()[k][2] for k in "abc") - ref.gen_gap()[2]) < 1e-12)
True
>>> acc = CategoricalLoopExact(probs=[0.5, 0.5], n=4, n_r=4, generations=1, scheme="accumulate")
>>> [round(float(x), 6) for x in acc.heterozygosity()]     # 1 − E Σq²
[0.375, 0.351562]
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from stl.numerics.errors import InputError

SCHEMES = ("mix", "fresh", "replace", "accumulate", "accumulate-subsample")

#: Schemes with a fixed-size training set of a real and a synthetic part: laws, proof
#: pieces and γ are derived for these only.
MIXING_SCHEMES = ("mix", "fresh", "replace")

#: What a reference can compute, and the schemes where it can (``require`` checks both).
QUANTITIES = {
    "gen_gap": SCHEMES, "heterozygosity": SCHEMES,
    "pieces": MIXING_SCHEMES, "gamma": MIXING_SCHEMES,
    "tv_to_real": MIXING_SCHEMES, "support_size": MIXING_SCHEMES, "learnability": MIXING_SCHEMES,
}

#: Largest ``(n_r + 1)(n + 1)(n_s + 1)`` one symbol's law may cost per generation: one
#: matrix product of that size (about a second for ten symbols, ten generations, 2·10⁸).
ENUMERATION_BUDGET = 200_000_000

#: The same for the learnability ``E d_TV(q_j, D̃_j)``, which needs an absolute value over
#: every ``(kept count, parent count, synthetic count)`` triple, elementwise (no BLAS).
LEARNABILITY_BUDGET = 50_000_000


@dataclass(frozen=True)
class CategoricalLoopExact:
    """Exact expectations of the categorical MLE loop, generations ``0..generations``.

    ``n_r`` real points per generation (kept, or fresh under ``scheme="fresh"``),
    ``n_s = n − n_r`` synthetic ones; ``replace`` is ``n_r = 0``; the accumulating
    schemes keep all of ``S_0`` (``n_r = n``) and draw ``n`` synthetic points per
    generation. Every method returns an array of length ``generations + 1``; proof pieces
    are ``nan`` at generation 0.
    """

    probs: tuple
    n: int
    n_r: int
    generations: int
    scheme: str = "mix"

    def __post_init__(self):
        p = np.asarray(self.probs, dtype=float)
        if p.ndim != 1 or p.size < 2 or np.any(p < 0) or abs(p.sum() - 1.0) > 1e-9:
            raise InputError("probs", self.probs, "a probability vector of at least 2 entries")
        object.__setattr__(self, "probs", tuple(float(v) for v in p))
        if self.scheme not in SCHEMES:
            raise InputError("scheme", self.scheme, " | ".join(SCHEMES))
        if not (isinstance(self.n, (int, np.integer)) and self.n >= 1):
            raise InputError("n", self.n, "an integer >= 1")
        if not (isinstance(self.n_r, (int, np.integer)) and 0 <= self.n_r <= self.n):
            raise InputError("n_r", self.n_r, f"an integer in [0, n = {self.n}]")
        if self.scheme == "replace" and self.n_r != 0:
            raise InputError("n_r", self.n_r, "0 under replace")
        if self.accumulating and self.n_r != self.n:
            raise InputError("n_r", self.n_r, f"n = {self.n} under {self.scheme} (all of S_0 stays in the pool)")
        if not (isinstance(self.generations, (int, np.integer)) and self.generations >= 0):
            raise InputError("generations", self.generations, "an integer >= 0")

    @property
    def p(self) -> np.ndarray:
        return np.asarray(self.probs)

    @property
    def accumulating(self) -> bool:
        return self.scheme in ("accumulate", "accumulate-subsample")

    @property
    def n_s(self) -> int:
        """Synthetic points drawn from the parent each generation."""
        return self.n if self.accumulating else self.n - self.n_r

    @property
    def lam(self) -> float:
        return self.n_r / self.n

    @classmethod
    def for_run(cls, probs, scheme: str, n: int, lam: float, generations: int) -> CategoricalLoopExact:
        """The reference for a run of :func:`stl.numerics.loop.run_loop` (same ``n_r`` rounding)."""
        from stl.numerics.schemes import get_scheme

        sch = get_scheme(scheme, n, lam)
        return cls(tuple(np.asarray(probs, dtype=float)), sch.n, sch.n_r, generations, sch.name)

    # -- what can be computed, checked before anything is ----------------------------------
    def cost(self, quantity: str) -> int:
        """Work of ``quantity`` per symbol and generation (0 for the moment recursions)."""
        if quantity in ("tv_to_real", "support_size"):
            return (self.n_r + 1) * (self.n + 1) * (self.n_s + 1)
        if quantity == "learnability":
            return (self.n_r + 1) * (self.n + 1) * (self.n_s + 1)
        return 0

    def require(self, *quantities: str) -> CategoricalLoopExact:
        """Raise ``InputError`` now if a quantity is not derived for this scheme or its
        enumeration exceeds its budget; return ``self`` (so a check validates its sizes
        when it is built, not when it concludes)."""
        for q in quantities:
            if q not in QUANTITIES:
                raise InputError("exact quantity", q, ", ".join(QUANTITIES))
            if self.scheme not in QUANTITIES[q]:
                raise InputError("scheme", self.scheme,
                                 f"{' | '.join(QUANTITIES[q])} (the exact {q} is derived for these)")
            budget = LEARNABILITY_BUDGET if q == "learnability" else ENUMERATION_BUDGET
            work = self.cost(q)
            if work > budget:
                raise InputError("n", self.n, f"a size whose exact {q} fits the enumeration budget "
                                              f"((n_r+1)(n+1)(n_s+1) <= {budget:.0e}; here {work:.1e})")
        return self

    # -- moments ------------------------------------------------------------------------
    @cached_property
    def _moments(self) -> dict[str, np.ndarray]:
        """Per generation and symbol: ``m1 = E q``, ``m2 = E q²``, ``x = E[a q]`` (``a`` the
        real share of generation j's training set), ``y = E[q_j q_{j-1}]``, and
        ``xp = E[a_j q_{j-1}]``, ``m2p``/``m1p`` the parent's moments (for the pieces)."""
        if self.accumulating:
            return self._accumulated_moments()
        p, n, n_r, n_s = self.p, self.n, self.n_r, self.n_s
        G = self.generations
        ea = n_r / n * p                                         # E a
        ea2 = (n_r * p * (1 - p) + n_r ** 2 * p * p) / n ** 2    # E a²
        n_o = n - n_r                                            # the other real points of S_0
        eb, eb2 = n_o / n * p, (n_o * p * (1 - p) + n_o ** 2 * p * p) / n ** 2
        m1 = np.empty((G + 1, p.size))
        m2, x, y, xp = (np.full_like(m1, np.nan) for _ in range(4))
        m1[0], m2[0], x[0] = p, ea2 + 2 * ea * eb + eb2, ea2 + ea * eb
        for j in range(1, G + 1):
            # a_j q_{j-1}: the same kept share under mix; an independent fresh one otherwise
            xp[j] = x[j - 1] if self.scheme == "mix" else ea * m1[j - 1]
            m1[j] = ea + n_s / n * m1[j - 1]
            m2[j] = ea2 + 2 * n_s / n * xp[j] + (n_s * m1[j - 1] + n_s * (n_s - 1) * m2[j - 1]) / n ** 2
            x[j] = ea2 + n_s / n * xp[j]
            y[j] = xp[j] + n_s / n * m2[j - 1]
        return {"m1": m1, "m2": m2, "x": x, "y": y, "xp": xp}

    def _accumulated_moments(self) -> dict[str, np.ndarray]:
        """``m1 = E q_j = p`` and ``m2 = E q_j²`` under the accumulating schemes (module docstring)."""
        p, n, G = self.p, self.n, self.generations
        m1 = np.tile(p, (G + 1, 1))
        m2 = np.empty((G + 1, p.size))
        pool2 = n * p * (1 - p) + n * n * p * p     # E P_0² = E S_0² (S_0's count)
        cross = train2 = pool2                      # E[P_0 H_0], E H_0²: H_0 = P_0 = S_0's count
        m2[0] = train2 / n ** 2
        for j in range(1, G + 1):
            # N_j | past ~ Bin(n, q_{j-1}), q_{j-1} = H_{j-1}/n (subsample) or P_{j-1}/T_{j-1}
            pool2 = pool2 + 2 * cross + n * p + (n - 1) / n * train2
            size = (j + 1) * n
            if self.scheme == "accumulate":
                cross = pool2 / size * n              # E[P_j q_j] n, with q_j = P_j/T_j
                train2 = pool2 * n * n / size ** 2    # E (n q_j)²
            else:
                share, share2 = p, pool2 / size ** 2  # E P/T and E (P/T)²
                cross = n * pool2 / size               # E[P_j H_j] = n E P_j²/T_j
                train2 = n * (share - share2) * (size - n) / (size - 1) + n * n * share2
            m2[j] = train2 / n ** 2
        return {"m1": m1, "m2": m2}

    def gen_gap(self) -> np.ndarray:
        """``E gen_i = E[R_{D_0}(q_i) − R̂_{S̃_i}(q_i)] = 2 E[Σq² − p·q]`` (Brier loss)."""
        m = self._moments
        return 2.0 * (m["m2"] - self.p * m["m1"]).sum(axis=1)

    def heterozygosity(self) -> np.ndarray:
        """``E[1 − Σ q_s²]``."""
        return 1.0 - self._moments["m2"].sum(axis=1)

    def pieces(self) -> dict[str, np.ndarray]:
        """The expectations of T1's three proof pieces; they sum to :meth:`gen_gap` for i ≥ 1.

        ``a``: ``λ (R_{D_0} − R̂_R)``, the real-subset term; ``b``: ``(1 − λ)(R_{D_0} − R_P)``,
        the shift term (``R_P`` the risk under the parent's law); ``c``:
        ``(1 − λ)(R_P − R̂_syn)``, the synthetic term. With the Brier loss they are
        ``2 q·a − 2λ q·p``, ``2(1 − λ) q·(q_{i-1} − p)`` and ``2(1 − λ) q·(f_syn − q_{i-1})``.
        """
        self.require("pieces")
        m, p, lam, n, n_s = self._moments, self.p, self.lam, self.n, self.n_s
        m1p = np.vstack([np.full((1, p.size), np.nan), m["m1"][:-1]])
        m2p = np.vstack([np.full((1, p.size), np.nan), m["m2"][:-1]])
        a = 2.0 * (m["x"] - lam * p * m["m1"]).sum(axis=1)
        b = 2.0 * (1 - lam) * (m["y"] - p * m["m1"]).sum(axis=1)
        # E[q_i f_syn] = E[a_i q_{i-1}] + (E q_{i-1} + (n_s − 1) E q_{i-1}²)/n
        c = 2.0 * (1 - lam) * (m["xp"] + (m1p + (n_s - 1) * m2p) / n - m["y"]).sum(axis=1) if n_s else \
            np.zeros(self.generations + 1)
        for arr in (a, b, c):
            arr[0] = np.nan
        return {"a": a, "b": b, "c": c}

    # -- laws (enumeration) ----------------------------------------------------------------
    @cached_property
    def _step(self) -> np.ndarray:
        """``step[c, k] = P(N = k | parent count c)``: ``Bin(n_s, c/n)``."""
        from scipy.stats import binom

        counts = np.arange(self.n + 1)
        return binom.pmf(np.arange(self.n_s + 1)[None, :], self.n_s, counts[:, None] / self.n)

    def _joints(self, ps: float):
        """One symbol's chain, generation by generation: yields ``(j, state)`` where
        ``state`` is the joint law ``(n_r + 1, n + 1)`` of (kept real count, total count)
        under ``mix``, and the law ``(n + 1,)`` of the total count otherwise."""
        from scipy.stats import binom

        n, n_r, n_s, step = self.n, self.n_r, self.n_s, self._step
        law_a = binom.pmf(np.arange(n_r + 1), n_r, ps)          # kept (or fresh) real count
        law_o = binom.pmf(np.arange(n - n_r + 1), n - n_r, ps)  # the rest of S_0
        if self.scheme == "mix":
            kept = np.arange(n_r + 1)
            rows = kept[:, None]
            joint = np.zeros((n_r + 1, n + 1))
            joint[rows, rows + np.arange(n - n_r + 1)[None, :]] = law_a[:, None] * law_o[None, :]
            yield 0, joint
            cols = rows + np.arange(n_s + 1)[None, :]
            for j in range(1, self.generations + 1):
                nxt = np.zeros_like(joint)
                nxt[rows, cols] = joint @ step                  # one product for every kept count
                joint = nxt
                yield j, joint
        else:
            law = np.convolve(law_a, law_o)
            yield 0, law
            for j in range(1, self.generations + 1):
                law = np.convolve(law_a, law @ step)            # fresh real count + synthetic
                yield j, law

    @cached_property
    def _laws(self) -> list[np.ndarray]:
        """Per symbol, the law of its count ``c_j`` at every generation ``(G + 1, n + 1)``."""
        self.require("tv_to_real")
        out = []
        for ps in self.p:
            law = np.empty((self.generations + 1, self.n + 1))
            for j, state in self._joints(ps):
                law[j] = state.sum(axis=0) if state.ndim == 2 else state
            out.append(law)
        return out

    def learnability(self) -> np.ndarray:
        """``E d_TV(q_j, D̃_j)`` (D4): ``D̃_0 = p``, ``D̃_j = λ p + (1 − λ) q_{j−1}`` (exact).

        Summed over symbols, ``E|q_j − D̃_j|`` needs the triple (real count of generation
        j, parent count, synthetic count): one kept/fresh real count at a time, so memory
        stays at one ``(n + 1) × (n_s + 1)`` slice."""
        from scipy.stats import binom

        self.require("learnability")
        n, n_r, n_s, lam, step = self.n, self.n_r, self.n_s, self.lam, self._step
        counts = np.arange(n + 1)
        parent = (1 - lam) * counts[:, None] / n                 # (1 − λ) q_{j−1}, by parent count
        learn = np.zeros(self.generations + 1)
        for ps in self.p:
            law_a = binom.pmf(np.arange(n_r + 1), n_r, ps)
            previous = None
            for j, state in self._joints(ps):
                law = state.sum(axis=0) if state.ndim == 2 else state
                if j == 0:
                    learn[0] += law @ np.abs(counts / n - ps)
                else:
                    for a_ in range(n_r + 1):
                        # weight of (parent count c, synthetic count N) given real count a_
                        w = (previous[a_] if self.scheme == "mix" else law_a[a_] * previous)[:, None] * step
                        gap = np.abs((a_ + np.arange(n_s + 1))[None, :] / n - lam * ps - parent)
                        learn[j] += (w * gap).sum()
                previous = state
        return 0.5 * learn

    def tv_to_real(self) -> np.ndarray:
        """``E d_TV(q_i, p) = ½ Σ_s E|q_s − p_s|`` (exact, by enumeration)."""
        freqs = np.arange(self.n + 1) / self.n
        return 0.5 * sum(law @ np.abs(freqs - ps) for law, ps in zip(self._laws, self.p))

    def support_size(self) -> np.ndarray:
        """``E #{s : q_s > 0}`` (exact, by enumeration)."""
        return sum(1.0 - law[:, 0] for law in self._laws)

    def gamma(self) -> np.ndarray:
        """``γ_n^i`` from a *distinct* neighbour (point 0 of ``S_0`` changes symbol), under the
        recursive maximal coupling: the two fits differ by ``c_j/n`` in TV, with
        ``E c_j = e + n_s E c_{j-1}/n``, ``c_0 = 1``, ``e = 1`` when the changed point stays in
        the training set (``mix`` with ``n_r ≥ 1``), else 0.

        Why it is exact: the differing draws of a maximal coupling come from the positive
        and the negative part of ``q − q'``, which are the two changed symbols and stay so,
        so differences never cancel. (A random neighbour has the same symbol with
        probability ``Σp²`` and then never differs: multiply by ``1 − Σp²``.)
        """
        self.require("gamma")
        e = 1.0 if (self.scheme == "mix" and self.n_r >= 1) else 0.0
        out = np.empty(self.generations + 1)
        out[0] = 1.0 / self.n
        for j in range(1, self.generations + 1):
            out[j] = (e + self.n_s * out[j - 1]) / self.n
        return out


def categorical_uniform_stability(k: int, n: int) -> float:
    """The exact ``β_n`` of the categorical MLE with the Brier loss, by enumeration:
    ``max |‖q' − e_z‖² − ‖q − e_z‖²|`` over every count vector of ``n`` points on ``k``
    symbols, every move of one point from a symbol ``v`` to another ``u`` and every query
    ``z`` (D1's supremum, with nothing left to chance).

    >>> round(categorical_uniform_stability(3, 5) * 25, 9)      # n² β_n
    18.0
    """
    from itertools import combinations

    if k < 2 or n < 1 or k > 6 or n > 40:
        raise InputError("k, n", (k, n), "2 <= k <= 6 and 1 <= n <= 40 (enumeration)")
    # count vectors as compositions of n into k parts (stars and bars)
    vectors = []
    for bars in combinations(range(n + k - 1), k - 1):
        edges = (-1, *bars, n + k - 1)
        vectors.append([edges[t + 1] - edges[t] - 1 for t in range(k)])
    q = np.asarray(vectors, dtype=float) / n                        # (V, k)
    best = 0.0
    eye = np.eye(k)
    for v in range(k):
        for u in range(k):
            if u == v:
                continue
            ok = q[:, v] >= 1.0 / n - 1e-12
            q2 = q[ok] + (eye[u] - eye[v]) / n
            q1 = q[ok]
            for z in range(k):
                change = ((q2 - eye[z]) ** 2).sum(axis=1) - ((q1 - eye[z]) ** 2).sum(axis=1)
                best = max(best, float(np.abs(change).max()))
    return best

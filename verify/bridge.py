"""The bridge from theory to numpy: every formula the numeric code evaluates, lambdified here.

The theory layer states each formula once, as a sympy object; this module is the one
place where those objects become numpy (or ``math``) functions, by ``sympy.lambdify`` or
:meth:`stl.theory.bound.Bound.lambdify`. Nothing in :mod:`stl.verify` types a formula of
the theory again: L2's critical proportion ``λ_c`` and growth factor ``ρ``, L2's bound,
T1 and its proof pieces, the Corollary's rate forms, T3's objective and geometric
program, the typical-case boundary and the literature's closed forms all come from here.

Each function asks theory for its object when it is called, so a formula fault planted
in theory (``stl verify --self-test``, or a test's monkeypatch) reaches every use; the
lambdified functions are cached by the expression itself, so a changed expression gets
a new function and an unchanged one costs nothing.

>>> critical_proportion(2.0), critical_proportion(0.5)
(0.5, 0.0)
>>> rho(tau=0.02, n=100, lam=0.5)
1.0
>>> float(rate_forms()["tau_n"](c=3.0, n=100))
0.03
"""

from __future__ import annotations

import functools
import math
from typing import Any, Callable


# --------------------------------------------------------------------------------------
# lambdify, cached by the expression
# --------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=512)
def _compiled(expr, symbols: tuple, modules: str) -> Callable[..., Any]:
    import sympy as sp

    return sp.lambdify(symbols, expr, modules=modules)


def lambdified(expr, symbols, modules: str = "numpy") -> Callable[..., Any]:
    """``sympy.lambdify(symbols, expr, modules)``, cached by ``(expr, symbols)``: the one call
    through which a bare theory expression becomes a numeric function."""
    return _compiled(expr, tuple(symbols), modules)


def _public(name: str):
    from stl.theory.symbols import PUBLIC

    return PUBLIC[name]


# --------------------------------------------------------------------------------------
# L2: ρ, λ_c and the bound
# --------------------------------------------------------------------------------------

def rho(tau: float, n: float, lam: float) -> float:
    """``ρ = (1 − λ) n τ_n`` (theory's ``RHO``).

    >>> rho(0.01, 200, 0.25)
    1.5
    """
    from stl.theory.results import recursive_stability as rs

    return float(lambdified(rs.RHO, (_public("tau_n"), _public("n"), _public("lam")), "math")(tau, n, lam))


#: The name the phase checks call :func:`rho` by.
rho_value = rho


def critical_proportion(c: float) -> float:
    """L2's ``λ_c`` for ``τ_n = c/n`` (theory's ``critical_proportion``: ``1 − 1/c``), clipped
    to ``[0, 1]``: ``c ≤ 0`` gives 0 and ``c = inf`` gives 1.

    >>> critical_proportion(4.0), critical_proportion(float("inf"))
    (0.75, 1.0)
    """
    if not c > 0:
        return 0.0
    if not math.isfinite(c):
        return 1.0
    from stl.theory.results import recursive_stability as rs

    value = float(lambdified(rs.critical_proportion(), (_public("c"),), "math")(c))
    return min(max(value, 0.0), 1.0)


def proportion_at_rho(target: float, c: float) -> float:
    """The real share ``λ`` at which ``ρ = (1 − λ) n τ_n`` equals ``target`` once ``τ_n = c/n``
    (theory's ``RHO`` solved for ``λ``), clipped below at 0; ``c ≤ 0`` gives 0.

    >>> proportion_at_rho(1.0, 4.0), proportion_at_rho(2.0, 1.0)
    (0.75, 0.0)
    """
    if not c > 0:
        return 0.0
    expr, symbol = _proportion_at_rho()
    return max(0.0, float(lambdified(expr, (symbol, _public("c")), "math")(target, c)))


def _proportion_at_rho():
    """``λ`` solving ``RHO = ρ*`` with ``τ_n = c/n``, and the symbol ``ρ*`` (solved each call:
    a fault planted in theory's ``RHO`` reaches it; :func:`lambdified` caches the function)."""
    import sympy as sp

    from stl.theory.results import recursive_stability as rs

    target = sp.Symbol("rho_target", positive=True)
    lam, n, c = _public("lam"), _public("n"), _public("c")
    (solution,) = sp.solve(sp.Eq(rs.RHO.subs(_public("tau_n"), c / n), target), lam)
    return sp.expand(solution), target


def l2_function():
    """L2 (THEORY.md), ``γ_n^i`` bound, as a numpy function of ``tau_n, n, lam, i``
    (``lam = 0`` is the case without kept real data)."""
    from stl.theory.results.recursive_stability import recursive_stability_bound

    return recursive_stability_bound().lambdify()


# --------------------------------------------------------------------------------------
# T1
# --------------------------------------------------------------------------------------

def t1_general():
    """T1 (THEORY.md) in ``beta_n, gamma, lam, n, M, d_tv, i``: ``(total, stability, shift)``."""
    from stl.theory.results.theorem1 import theorem1_bound

    b = theorem1_bound()
    return b.lambdify(), b.lambdify("stability"), b.lambdify("shift")


def piece_bound_functions():
    """The bounds on T1's three proof pieces (``stl.theory.results.theorem1.proof_piece_bounds``)
    as numpy functions: ``a(beta_n, gamma, lam, n)``, ``b(M, lam, shift)`` (``shift`` the
    parent's ``E d_TV`` to ``D_0``), ``c(beta_n, lam)``."""
    import sympy as sp

    from stl.theory.results.theorem1 import proof_piece_bounds
    from stl.theory.symbols import a_seq, i

    shift = sp.Symbol("shift", nonnegative=True)
    pieces = proof_piece_bounds()
    pieces["b"] = pieces["b"].subs(a_seq(i - 1), shift)
    out = {}
    for key, expr in pieces.items():
        symbols = sorted(expr.free_symbols, key=lambda s: s.name)
        fn = lambdified(expr, symbols)
        names = [s.name for s in symbols]

        def call(fn=fn, names=names, **values):
            return fn(*(values[name] for name in names))
        call.symbols = tuple(names)
        out[key] = call
    return out


# --------------------------------------------------------------------------------------
# the typical-case boundary (an empirical predictor; stl.theory.results.typical_boundary)
# --------------------------------------------------------------------------------------

def typical_growth_function(keeps_real: bool = True) -> Callable[[float, int], float]:
    """L2's growth ``γ^G/γ^0`` over ``G`` generations as a function of ``(ρ, G)``:
    ``Σ_{k≤G} ρ^k`` with a kept real point (``G + 1`` at ``ρ = 1``, the limit), ``ρ^G``
    without one; from theory's typical growth read at ``λ = 0``, where ``ρ_typ = c_typ``.

    >>> f = typical_growth_function(True)
    >>> f(1.0, 4), round(f(0.5, 2), 3)
    (5.0, 1.75)
    """
    import sympy as sp

    from stl.theory.results.typical_boundary import typical_growth
    from stl.theory.symbols import c_typ, i, lam

    growth = typical_growth(keeps_real).subs(lam, 0)
    general = lambdified(growth, (c_typ, i), "math")
    if not keeps_real:
        return lambda r, g: float(general(r, g))
    at_one = lambdified(sp.limit(growth, c_typ, 1), (i,), "math")

    def value(r: float, g: int) -> float:
        return float(at_one(g)) if abs(r - 1.0) < 1e-9 else float(general(r, g))
    return value


def typical_critical_proportion(c: float) -> float:
    """``λ_c^typ = 1 − 1/c_typ`` (0 for ``c_typ ≤ 1``; theory's ``typical_critical_proportion``).

    >>> typical_critical_proportion(2.0), typical_critical_proportion(0.5)
    (0.5, 0.0)
    """
    from stl.theory.results.typical_boundary import typical_critical_proportion as form
    from stl.theory.symbols import c_typ

    return float(lambdified(form(), (c_typ,), "math")(max(c, 1e-300)))


def typical_constant(rho_typ: float, lam: float) -> float:
    """The ``c_typ`` whose ``ρ_typ = (1 − λ) c_typ`` (theory's ``TYPICAL_RHO``) is ``rho_typ``
    at the real share ``lam``.

    >>> typical_constant(1.5, 0.25)
    2.0
    """
    import sympy as sp

    from stl.theory.results.typical_boundary import TYPICAL_RHO
    from stl.theory.symbols import c_typ, lam as lam_symbol

    target = sp.Symbol("rho_typ")
    (solution,) = sp.solve(sp.Eq(TYPICAL_RHO, target), c_typ)
    return float(lambdified(solution, (target, lam_symbol), "math")(rho_typ, lam))


# --------------------------------------------------------------------------------------
# the Corollary's rate forms and T3
# --------------------------------------------------------------------------------------

def rate_forms() -> dict[str, Callable[..., Any]]:
    """The rate forms of the Corollary (theory's ``RATES``) as numpy functions of keyword
    arrays: ``beta_n(b, n)``, ``tau_n(c, n)``, ``d_tv(a, n)``.

    >>> float(rate_forms()["d_tv"](a=0.5, n=100))
    0.05
    """
    from stl.theory.results.corollary import RATES

    out = {}
    for symbol, form in RATES.items():
        args = tuple(sorted(form.free_symbols, key=lambda s: s.name))
        fn = lambdified(form, args)
        names = tuple(s.name for s in args)

        def call(fn=fn, names=names, **values):
            return fn(*(values[name] for name in names))
        call.symbols = names
        out[symbol.name] = call
    return out


def rate_coefficient(rate: str, value, n):
    """The coefficient of a rate form for a value of the rate: ``c = n τ_n`` for ``tau_n``,
    ``b = n β_n`` for ``beta_n``, ``a = √n d_TV`` for ``d_tv`` (theory's ``RATES`` solved for
    the coefficient); arrays broadcast.

    >>> float(rate_coefficient("tau_n", 0.03, 100))
    3.0
    """
    import sympy as sp

    from stl.theory.results.corollary import RATES

    symbol = _public(rate)
    form = RATES[symbol]
    (coefficient,) = form.free_symbols - {_public("n")}
    (solution,) = sp.solve(sp.Eq(form, symbol), coefficient)
    return lambdified(solution, (symbol, _public("n")))(value, n)


def real_share(n_r, total):
    """``λ = n_r/n`` of T3's sizes (theory's ``SIZES``) for ``n = total`` (arrays broadcast).

    >>> float(real_share(25, 100))
    0.25
    """
    from stl.theory.results.optimal_size import SIZES
    from stl.theory.symbols import lam, n_r as n_r_symbol, t

    return lambdified(SIZES[lam], (n_r_symbol, t))(n_r, total)


def size_at_critical_proportion(n_r: float, c: float) -> float:
    """The synthetic size ``n_s`` at which T3's real share ``λ = n_r/(n_r + n_s)`` equals L2's
    ``λ_c`` for ``τ_n = c/n``: beyond it the loop is past the critical proportion (``ρ > 1``).

    >>> size_at_critical_proportion(100, 3.0)
    50.0
    """
    import sympy as sp

    from stl.theory.results import recursive_stability as rs
    from stl.theory.results.optimal_size import SIZES
    from stl.theory.symbols import lam, n_r as n_r_symbol, n_s, t

    at = sp.solve(sp.Eq(SIZES[lam].subs(t, n_r_symbol + n_s), rs.critical_proportion()), n_s)
    if len(at) != 1:  # pragma: no cover - one root for a formula of this shape
        raise RuntimeError(f"expected one size at the critical proportion, got {at}")
    return float(lambdified(at[0], (n_r_symbol, _public("c")), "math")(n_r, c))


def t3_optimum(A: float, C: float, n_r: float) -> float:
    """T3's closed-form optimum ``n_s*`` in ``A, C, n_r`` (theory's ``optimal_synthetic_size``:
    ``n_r (A/C − 2)`` when ``A > 2C``, else 0), as a float.

    >>> t3_optimum(5.0, 1.0, 100.0), t3_optimum(1.0, 1.0, 100.0)
    (300.0, 0.0)
    """
    from stl.theory.results import optimal_size as T3
    from stl.theory.symbols import A as A_symbol, C as C_symbol, n_r as n_r_symbol

    return float(lambdified(T3.optimal_synthetic_size(), (A_symbol, C_symbol, n_r_symbol), "math")(A, C, n_r))


def t3_objective():
    """T3's objective (``i → ∞``, no stability terms) as a numpy function of keyword arrays
    (``Bound.lambdify`` of theory's ``optimal_size_bound``)."""
    from stl.theory.results import optimal_size as T3

    return T3.optimal_size_bound().lambdify()


def t1_rate_function():
    """T1' (THEORY.md, the rate form) as a numpy function of keyword arrays."""
    from stl.theory.results.theorem1_rate import theorem1_rate_bound

    return theorem1_rate_bound().lambdify()


def t3_constants(c_0: float, M: float, delta: float, a: float) -> tuple[float, float]:
    """T3's ``A`` and ``C`` (theory's ``A_VALUE``, ``C_VALUE``) at these numbers.

    >>> [round(x, 6) for x in t3_constants(1.0, 2.0, 0.05, 0.25)]
    [3.461637, 0.5]
    """
    import sympy as sp

    from stl.theory.results.optimal_size import A_VALUE, C_VALUE

    values = {_public("c_0"): sp.Float(c_0), _public("M"): sp.Float(M), _public("delta"): sp.Float(delta),
              _public("a"): sp.Float(a)}
    return float(A_VALUE.subs(values)), float(C_VALUE.subs(values))


def geometric_program_terms(A: float, C: float, n_r: float) -> list[tuple[float, float]]:
    """T3's posynomial (theory's ``geometric_program``) in ``u = t/n_r`` at these numbers:
    ``[(coefficient, exponent), ...]`` with ``B = Σ coefficient · u^exponent`` under the
    constraint ``u ≥ 1`` (better conditioned for a solver than ``t``).

    >>> geometric_program_terms(5.0, 1.0, 100.0)
    [(0.4, -0.5), (0.1, 0.5)]
    """
    import sympy as sp

    from stl.theory.results.optimal_size import geometric_program
    from stl.theory.symbols import A as A_symbol, C as C_symbol, n_r as n_r_symbol

    out = []
    for coefficient, exponent in geometric_program().monomials:
        scaled = sp.simplify(coefficient * n_r_symbol ** exponent)  # t^e = n_r^e u^e
        fn = lambdified(scaled, (A_symbol, C_symbol, n_r_symbol), "math")
        out.append((float(fn(A, C, n_r)), float(exponent)))
    return out

"""The names of the derivable results and the modules that build them (stdlib only).

Kept free of sympy so that ``stl --help`` can list the names without importing it.

>>> NAMES[:3]
('shift', 'recursive-stability', 'theorem1')
"""

from __future__ import annotations

from types import MappingProxyType

#: ``stl derive`` name -> module whose ``derivation()`` builds it.
FACTORIES = MappingProxyType({
    "shift": "stl.theory.results.shift",
    "recursive-stability": "stl.theory.results.recursive_stability",
    "theorem1": "stl.theory.results.theorem1",
    "theorem1-rate": "stl.theory.results.theorem1_rate",
    "corollary": "stl.theory.results.corollary",
    "theorem2": "stl.theory.results.theorem2",
    "optimal-size": "stl.theory.results.optimal_size",
})
NAMES = tuple(FACTORIES)

#: One-line summary of each result (THEORY.md labels), for help texts.
SUMMARIES = MappingProxyType({
    "shift": "L1, cumulative distribution shift",
    "recursive-stability": "L2, recursive stability and its phase transition",
    "theorem1": "T1, generalization bound with explicit constants",
    "theorem1-rate": "T1', rate form with the absolute constant c_0",
    "corollary": "Corollary, the i -> oo limit and its rate in n",
    "theorem2": "T2, transformer constants in in-context learning",
    "optimal-size": "T3, optimal number of synthetic samples",
})

#: ``--subs`` names (DESIGN.md), mirrored from ``stl.theory.symbols.PUBLIC`` (a test keeps
#: the two equal) so that help texts need no sympy.
PUBLIC_NAMES = ("n", "lam", "i", "delta", "M", "beta_n", "tau_n", "gamma", "d_tv", "n_r",
                "n_s", "c_0", "a", "b", "c")

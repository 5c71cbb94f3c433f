"""Every symbol of the theory, declared once as a record.

A :class:`SymbolRecord` holds everything the toolkit knows about one symbol: its contract
name (DESIGN.md: ``lam``, ``beta_n``, ``d_tv``...), its sympy assumptions, how it is
typeset (LaTeX and Unicode), what it means (a short phrase for help texts and the
``where`` clause of a pasted theorem), which variables index it (``β_n`` is indexed by
``n``) and its place in the paper's order of factors. The tables other modules read
(:data:`PUBLIC`, :data:`LATEX_NAMES`, :data:`DEFINED`...) are derived from the records,
so a symbol is added or changed in one place. How formulas print lives in
:mod:`stl.theory.latex`.

Symbols carry the contract names as their sympy names, so ``srepr`` output can be
rebuilt by any plain sympy program.

>>> from stl.theory.symbols import PUBLIC, RECORDS_BY_NAME
>>> PUBLIC["beta_n"], RECORDS_BY_NAME["beta_n"].latex
(beta_n, '\\\\beta_{n}')
>>> RECORDS_BY_NAME["gamma"].indexed_by
('n', 'i')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import sympy as sp


@dataclass(frozen=True)
class SymbolRecord:
    """One symbol and its facts (see the module docstring).

    ``assumptions`` are sympy's (``positive``, ``integer``...); ``pretty`` is the Unicode
    form of the 2-D printer (``None``: the name as sympy prints it); ``meaning`` is a
    short phrase (help texts, error messages); ``defined`` completes "where $x$ ..." in a
    pasted theorem (LaTeX prose; empty for display-only symbols that a statement never
    leaves free); ``indexed_by`` names the variables the symbol's meaning depends on;
    ``order`` places it among the factors of a product (lower first; ``None``: after all
    ranked ones); ``public`` symbols are the ``--subs`` contract.
    """

    name: str
    assumptions: tuple[tuple[str, bool], ...]
    latex: str
    pretty: str | None = None
    meaning: str = ""
    defined: str = ""
    indexed_by: tuple[str, ...] = ()
    order: int | None = None
    public: bool = False
    symbol: sp.Symbol = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ValueError(f"symbol names are identifiers, got {self.name!r}")
        object.__setattr__(self, "symbol", sp.Symbol(self.name, **dict(self.assumptions)))


_declared: list[SymbolRecord] = []  # filled while this module is imported, then frozen


def _declare(name: str, latex: str, *, pretty: str | None = None, meaning: str = "",
             defined: str = "", indexed_by: tuple[str, ...] = (), order: int | None = None,
             public: bool = False, **assumptions: bool) -> sp.Symbol:
    record = SymbolRecord(name, tuple(sorted(assumptions.items())), latex, pretty, meaning,
                          defined, indexed_by, order, public)
    _declared.append(record)  # noqa: F821 - the list is deleted once the records are frozen (below)
    return record.symbol


# --- public symbols (THEORY.md section 0; names are the --subs contract) -------------
# ``order`` follows the paper's writing of factors: c_0 β_n (1 + λ n_s γ) log n and
# M (1-λ) d_TV(n) (1 - (1-λ)^i) / λ.
n = _declare("n", "n", meaning="training-set size per generation",
             defined="is the training-set size of every generation",
             order=9, public=True, positive=True, integer=True)
lam = _declare("lam", r"\lambda", pretty="λ", meaning="proportion of real data",
               defined="is the proportion of real data in each generation",
               order=6, public=True, nonnegative=True)
i = _declare("i", "i", meaning="generation index", defined="is the generation",
             order=28, public=True, nonnegative=True, integer=True)
delta = _declare("delta", r"\delta", pretty="δ",
                 meaning="failure probability of the high-probability bound",
                 defined="is the failure probability", order=31, public=True, positive=True)
M = _declare("M", "M", meaning="bound on the loss", defined="bounds the loss", order=3,
             public=True, positive=True)
beta_n = _declare("beta_n", r"\beta_{n}", pretty="βₙ", meaning="uniform stability of the learner",
                  defined="is the uniform stability of the learner (D1)", indexed_by=("n",),
                  order=2, public=True, nonnegative=True)
tau_n = _declare("tau_n", r"\tau_{n}", pretty="τₙ", meaning="TV-stability of the learner",
                 defined="is its TV-stability (D2)", indexed_by=("n",), order=11, public=True,
                 nonnegative=True)
gamma = _declare("gamma", r"\gamma_{n}^{i-1}", pretty="γₙⁱ⁻¹",
                 meaning="recursive stability gamma_n^{i-1}",
                 defined="is the recursive stability of the loop after $i-1$ generations (D3)",
                 indexed_by=("n", "i"), order=14, public=True, nonnegative=True)
d_tv = _declare("d_tv", r"d_{\mathrm{TV}}(n)", pretty="d_TV(n)", meaning="learnability d_TV(n)",
                defined="is its learnability, the expected TV distance of a fit to its "
                        "training law (D4)",
                indexed_by=("n",), order=15, public=True, nonnegative=True)
n_r = _declare("n_r", "n_{r}", pretty="nᵣ", meaning="number of real samples",
               defined="is the number of real samples", order=7, public=True, nonnegative=True)
n_s = _declare("n_s", "n_{s}", pretty="nₛ", meaning="number of synthetic samples",
               defined="is the number of synthetic samples", order=8, public=True,
               nonnegative=True)
c_0 = _declare("c_0", "c_{0}", pretty="c₀",
               meaning="absolute constant of the high-probability bounds",
               defined="is an absolute constant", order=0, public=True, positive=True)
a = _declare("a", "a", meaning="rate coefficient, d_TV(n) = a n^{-1/2}",
             defined=r"is the rate coefficient of $d_{\mathrm{TV}}(n) = a n^{-1/2}$",
             order=16, public=True, positive=True)
b = _declare("b", "b", meaning="rate coefficient, beta_n = b / n",
             defined=r"is the rate coefficient of $\beta_{n} = b/n$", order=1, public=True,
             positive=True)
c = _declare("c", "c", meaning="rate coefficient, tau_n = c / n",
             defined=r"is the rate coefficient of $\tau_{n} = c/n$", order=12, public=True,
             positive=True)

# --- internal symbols (not substitutable from the command line) ----------------------
j = _declare("j", "j", meaning="generation index inside recurrences",
             defined="is any generation", order=29, integer=True)
k = _declare("k", "k", meaning="summation index", order=30, nonnegative=True, integer=True)
rho = _declare("rho", r"\rho", pretty="ρ", meaning="growth factor (1 - lam) n tau_n of L2",
               defined=r"is the growth factor $(1 - \lambda) n \tau_{n}$ of recursive "
                       r"stability (L2)",
               order=13, nonnegative=True)
lam_c = _declare("lambda_c", r"\lambda_{c}", pretty="λ_c",
                 meaning="critical real proportion of L2",
                 defined="is the critical proportion of real data", real=True)
n_s_star = _declare("n_s_star", r"n_{s}^{\star}", pretty="nₛ⋆",
                    meaning="optimal number of synthetic samples, T3",
                    defined="is the number of synthetic samples that minimizes the bound",
                    order=8, nonnegative=True)
t_star = _declare("t_star", r"t^{\star}", pretty="t⋆", meaning="minimizer of T3's B(t)",
                  defined="is the total number of samples that minimizes the bound",
                  order=10, positive=True)
t = _declare("t", "t", meaning="total size n_r + n_s of T3",
             defined="is the total number of samples", order=10, positive=True)
A = _declare("A", "A", meaning="c_0 M sqrt(log(1/delta)), T3",
             defined="is the constant of the concentration term", order=17, positive=True)
C = _declare("C", "C", meaning="M a, T3", defined="is the constant of the shift term", order=18,
             positive=True)
# transformer constants (T2)
m = _declare("m", "m", meaning="generated labels per prompt",
             defined="is the number of generated labels per prompt", order=5, positive=True,
             integer=True)
kappa = _declare("kappa", r"\kappa", pretty="κ",
                 meaning="depth-free part of Lip_theta(TF)",
                 defined="is the depth-free part of the parameter-Lipschitz constant of the "
                         "transformer",
                 order=4, positive=True)
Gamma = _declare("Gamma", r"\Gamma", pretty="Γ", meaning="per-layer weight-norm growth",
                 defined="is the growth of the weight norm per layer", order=20, positive=True)
L = _declare("L", "L", meaning="depth", defined="is the depth of the transformer", order=21,
             positive=True, integer=True)
sigma_s = _declare("sigma_s", r"\sigma_{s}", pretty="σₛ", meaning="synthetic label noise",
                   defined="is the standard deviation of the synthetic label noise", order=22,
                   positive=True)
c_A = _declare("c_A", r"c_{A}", pretty="c_A",
               meaning="optimizer parameter stability, Delta_n = c_A / n",
               defined=r"is the parameter stability of the optimizer, $\Delta_{n} = c_{A}/n$",
               order=19, positive=True)
Lip = _declare("Lip", r"\mathrm{Lip}_{\theta}", pretty="Lip_θ", meaning="Lip_theta(TF)",
               defined="is the parameter-Lipschitz constant of the prediction", positive=True)
Delta_n = _declare("Delta_n", r"\Delta_{n}", pretty="Δₙ",
                   meaning="parameter change from one prompt",
                   defined="bounds how far one training prompt moves the parameters",
                   indexed_by=("n",), nonnegative=True)
# model parameters (stl.theory.models)
n_cat = _declare("K", "K", meaning="number of categories", defined="is the number of symbols",
                 order=27, positive=True, integer=True)
sigma = _declare("sigma", r"\sigma", pretty="σ", meaning="noise / known standard deviation",
                 defined="is the standard deviation of the data", order=23, positive=True)
R_z = _declare("R_z", "R_{z}", meaning="radius of the (clipped) data range",
               defined="is the radius of the data range", order=24, positive=True)
c_theta = _declare("c_theta", r"c_{\theta}", pretty="c_θ",
                   meaning="parameter stability of a regression fit",
                   defined=r"is the parameter stability of the regression fit, "
                           r"$\lVert \Delta\theta \rVert \leq c_{\theta}/n$",
                   order=25, positive=True)
dim = _declare("d", "d", meaning="input dimension", defined="is the input dimension", order=26,
               positive=True, integer=True)
# display-only quantities of proof steps (a result never leaves them free)
risk_real = _declare("R_D0", r"R_{D_{0}}(\theta_{i})", pretty="R_D₀(θᵢ)",
                     meaning="population risk of generation i", real=True)
risk_parent = _declare("R_P", r"R_{P_{\theta_{i-1}}}(\theta_{i})", pretty="R_Pθᵢ₋₁(θᵢ)",
                       meaning="risk under the parent's law", real=True)
emp_real = _declare("Rhat_R", r"\hat{R}_{R}(\theta_{i})", pretty="R̂_R(θᵢ)",
                    meaning="empirical risk on the kept real subset", real=True)
emp_syn = _declare("Rhat_syn", r"\hat{R}_{\mathrm{syn}}(\theta_{i})", pretty="R̂_syn(θᵢ)",
                   meaning="empirical risk on the synthetic part", real=True)
tv_gauss = _declare("d_TV_gauss", r"d_{\mathrm{TV}}\left(\mathcal{N}(a_{1}, \sigma_{s}^{2}), "
                    r"\mathcal{N}(b_{1}, \sigma_{s}^{2})\right)",
                    pretty="d_TV(N(a₁,σₛ²), N(b₁,σₛ²))",
                    meaning="TV distance of two Gaussians with the same variance (T2)",
                    nonnegative=True)

#: Every record, in declaration order (public symbols first).
# typical-case boundary (stl.theory.results.typical_boundary): an empirical predictor
c_typ = _declare("c_typ", r"c_{\mathrm{typ}}", pretty="c_typ",
                 meaning="typical-case constant the loop runs at",
                 defined=r"is the typical-case constant: the $c$ of L2's recursion that reproduces "
                         r"the loop's own growth of $\gamma_{n}^{i}$ (an empirical estimate, not a "
                         r"supremum)",
                 order=32, positive=True)
growth = _declare("growth", r"\gamma_{n}^{i}/\gamma_{n}^{0}", pretty="γₙⁱ/γₙ⁰",
                  meaning="a loop's measured growth of recursive stability",
                  defined=r"is the loop's measured growth $\gamma_{n}^{i}/\gamma_{n}^{0}$ of "
                          r"recursive stability",
                  order=33, positive=True)
lam_c_typ = _declare("lambda_c_typ", r"\lambda_{c}^{\mathrm{typ}}", pretty="λ_c^typ",
                     meaning="typical-case critical proportion of real data",
                     defined="is the typical-case estimate of the critical proportion of real "
                             "data (an empirical predictor)",
                     order=34, real=True)

RECORDS: tuple[SymbolRecord, ...] = tuple(_declared)
del _declared
RECORDS_BY_NAME: MappingProxyType = MappingProxyType({r.name: r for r in RECORDS})
RECORDS_BY_SYMBOL: MappingProxyType = MappingProxyType({r.symbol: r for r in RECORDS})


# --- sequences indexed by the generation (appear inside derivation steps) ------------
class SequenceBase(sp.Function):
    """A quantity indexed by a generation, typeset as ``base_{j}`` or ``base^{j}``.

    Subclasses of :class:`sympy.Function` so that ``rsolve`` can solve recurrences in
    them. The class attributes are the sequence's record; :mod:`stl.theory.latex` prints
    them. ``defined`` completes the ``where`` clause of a result whose left-hand side is
    this quantity.
    """

    latex_base = ""
    text_base = ""
    pretty_base = ""
    superscript = False
    defined = ""

    def _sympystr(self, printer):
        return f"{self.text_base}[{printer._print(self.args[0])}]"


_GEN_DEFINED = (r"$\mathrm{gen}_{i} = R_{D_{0}}(\theta_{i}) - \hat{R}_{\tilde{S}_{i}}(\theta_{i})$ "
                r"is the generalization error of generation $i$, measured against the "
                r"real distribution $D_{0}$")


class a_shift(SequenceBase):
    """``a_j = E d_TV(P_{theta_j}, D_0)``, the cumulative shift of L1."""

    nargs = 1
    latex_base = "a"
    text_base = "a"
    pretty_base = "a"
    defined = (r"$a_{i} = \mathbb{E}\, d_{\mathrm{TV}}(P_{\theta_{i}}, D_{0})$ is the expected "
               r"distance of generation $i$ from the real distribution $D_{0}$")


class gamma_seq(SequenceBase):
    """``gamma_n^j``, the recursive stability of D3/L2."""

    nargs = 1
    latex_base = r"\gamma_{n}"
    text_base = "gamma_n"
    pretty_base = "γₙ"
    superscript = True
    defined = (r"$\gamma_{n}^{i}$ is the recursive stability of the loop after $i$ "
               r"generations (D3)")


class expected_gen(SequenceBase):
    """``E gen_i``, the expected generalization error of generation ``i`` (T1)."""

    nargs = 1
    latex_base = r"\mathbb{E}\,\mathrm{gen}"
    text_base = "E_gen"
    pretty_base = "𝔼 gen"
    defined = _GEN_DEFINED


class gen_error(SequenceBase):
    """``gen_i`` itself (T1' bounds it with high probability)."""

    nargs = 1
    latex_base = r"\mathrm{gen}"
    text_base = "gen"
    pretty_base = "gen"
    defined = _GEN_DEFINED


a_seq = a_shift
g_seq = gamma_seq
gen = expected_gen
bound_t = sp.Function("B")  # T3 objective as a function of t


# --- tables derived from the records ---------------------------------------------------
#: Contract name -> symbol (DESIGN.md "Symbol names"). Only these reach ``--subs``.
PUBLIC: MappingProxyType = MappingProxyType(
    {r.name: r.symbol for r in RECORDS if r.public})

#: Every named symbol, public or internal (for the Python API, not the command line).
ALL: MappingProxyType = MappingProxyType(
    {r.name: r.symbol for r in RECORDS if r.symbol is not tv_gauss})

#: Typeset names, handed to sympy's LaTeX printer.
LATEX_NAMES: MappingProxyType = MappingProxyType({r.symbol: r.latex for r in RECORDS})

#: Short meaning of each public symbol, for help texts and error messages.
MEANING: MappingProxyType = MappingProxyType(
    {r.name: r.meaning for r in RECORDS if r.public})

#: What each symbol a result may contain stands for, as LaTeX prose for the ``where``
#: clause of a pasted theorem. Every symbol a result prints must be here (a test keeps it
#: so), so a pasted statement defines all of its notation.
DEFINED: MappingProxyType = MappingProxyType(
    {r.symbol: r.defined for r in RECORDS if r.defined})

#: What the quantity on the left of each result is (keyed by its sequence class name).
QUANTITY_DEFINED: MappingProxyType = MappingProxyType(
    {cls.__name__: cls.defined for cls in (expected_gen, gen_error, a_shift, gamma_seq)})

#: Symbols whose meaning is indexed by ``n`` or the generation ``i`` (their subscripts and
#: superscripts): sending ``n`` or ``i`` to a limit while holding them fixed would leave
#: a quantity indexed by a variable that no longer exists (see ``stl.theory.indexed``).
INDEXED_BY: MappingProxyType = MappingProxyType({
    r.symbol: tuple(RECORDS_BY_NAME[v].symbol for v in r.indexed_by)
    for r in RECORDS if r.indexed_by and r.public})

#: Unicode names for the 2-D pretty printer (``stl derive --format pretty``).
PRETTY_NAMES: MappingProxyType = MappingProxyType(
    {r.symbol: r.pretty for r in RECORDS if r.pretty})

#: Symbols with a place in the paper's order of factors, first to last.
PAPER_ORDER: tuple[sp.Symbol, ...] = tuple(
    r.symbol for r in sorted((r for r in RECORDS if r.order is not None), key=lambda r: r.order))


_RANK = MappingProxyType({symbol: place for place, symbol in enumerate(PAPER_ORDER)})


def rank(symbol: Any) -> int:
    """The place of ``symbol`` in the paper's order of factors (unranked ones last)."""
    return _RANK.get(symbol, len(PAPER_ORDER))


def lookup(name: str, *, public_only: bool = True) -> sp.Symbol:
    """The symbol called ``name``; raises :class:`stl.theory.errors.InputError` otherwise.

    >>> lookup("lam")
    lam
    """
    from stl.theory.errors import InputError

    table = PUBLIC if public_only else ALL
    try:
        return table[name]
    except KeyError:
        raise InputError("symbol", repr(name), "one of " + ", ".join(table)) from None


def __getattr__(name: str):
    # The printers moved to stl.theory.latex; these names stay importable from here for
    # code written against the old layout (imported lazily: latex imports this module).
    if name in ("to_latex", "to_pretty", "generation_names", "notation_names", "arrange",
                "ordered_terms"):
        from stl.theory import latex

        return getattr(latex, name)
    if name == "LimSup":
        from stl.theory.limits import LimSup

        return LimSup
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

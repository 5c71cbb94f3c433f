"""Every symbol of the theory, defined once with its sympy assumptions and LaTeX name.

Symbols carry the *contract* names of DESIGN.md (``lam``, ``beta_n``, ``d_tv``...) as
their sympy names, so ``srepr`` output can be rebuilt by any plain sympy program. The
typeset form lives in :data:`LATEX_NAMES` and reaches LaTeX only through sympy's own
printer (``latex(expr, symbol_names=LATEX_NAMES)``), never by gluing strings.

>>> from stl.theory.symbols import PUBLIC, to_latex
>>> to_latex(PUBLIC["beta_n"] / PUBLIC["lam"])
'\\\\frac{\\\\beta_{n}}{\\\\lambda}'
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.pretty.pretty import PrettyPrinter

# --- public symbols (THEORY.md section 0; names are the --subs contract) -------------
n = sp.Symbol("n", positive=True, integer=True)
lam = sp.Symbol("lam", nonnegative=True)
i = sp.Symbol("i", nonnegative=True, integer=True)
delta = sp.Symbol("delta", positive=True)
M = sp.Symbol("M", positive=True)
beta_n = sp.Symbol("beta_n", nonnegative=True)
tau_n = sp.Symbol("tau_n", nonnegative=True)
gamma = sp.Symbol("gamma", nonnegative=True)  # gamma_n^{i-1}, the one T1 uses
d_tv = sp.Symbol("d_tv", nonnegative=True)
n_r = sp.Symbol("n_r", nonnegative=True)
n_s = sp.Symbol("n_s", nonnegative=True)
c_0 = sp.Symbol("c_0", positive=True)
a = sp.Symbol("a", positive=True)  # d_TV(n) = a n^{-1/2}
b = sp.Symbol("b", positive=True)  # beta_n = b / n
c = sp.Symbol("c", positive=True)  # tau_n = c / n

# --- internal symbols (not substitutable from the command line) ----------------------
j = sp.Symbol("j", integer=True)  # generation index inside recurrences
k = sp.Symbol("k", nonnegative=True, integer=True)  # summation index
rho = sp.Symbol("rho", nonnegative=True)  # (1 - lam) n tau_n, L2
lam_c = sp.Symbol("lambda_c", real=True)  # critical real proportion, L2
t = sp.Symbol("t", positive=True)  # total size n_r + n_s, T3
A = sp.Symbol("A", positive=True)  # c_0 M sqrt(log(1/delta)), T3
C = sp.Symbol("C", positive=True)  # M a, T3
# transformer constants (T2)
m = sp.Symbol("m", positive=True, integer=True)  # prompt length (labels per prompt)
kappa = sp.Symbol("kappa", positive=True)  # depth-free part of Lip_theta(TF)
Gamma = sp.Symbol("Gamma", positive=True)  # per-layer weight-norm growth
L = sp.Symbol("L", positive=True, integer=True)  # depth
sigma_s = sp.Symbol("sigma_s", positive=True)  # synthetic label noise
c_A = sp.Symbol("c_A", positive=True)  # optimizer parameter stability, Delta_n = c_A / n
Lip = sp.Symbol("Lip", positive=True)  # Lip_theta(TF)
Delta_n = sp.Symbol("Delta_n", nonnegative=True)  # parameter change from one prompt
# model parameters (stl.theory.models)
n_cat = sp.Symbol("K", positive=True, integer=True)  # number of categories
sigma = sp.Symbol("sigma", positive=True)  # noise / known standard deviation
R_z = sp.Symbol("R_z", positive=True)  # radius of the (clipped) data range
c_theta = sp.Symbol("c_theta", positive=True)  # parameter stability of a regression fit
dim = sp.Symbol("d", positive=True, integer=True)  # input dimension


# --- sequences indexed by the generation (appear inside derivation steps) ------------
class _Sequence(sp.Function):
    """A quantity indexed by a generation, typeset as ``base_{j}`` or ``base^{j}``.

    Subclasses of :class:`sympy.Function` so that ``rsolve`` can solve recurrences in
    them; ``_latex`` is sympy's printer hook, so the printer still does the typesetting.
    """

    latex_base = ""
    text_base = ""
    pretty_base = ""
    superscript = False

    def _sympystr(self, printer):
        return f"{self.text_base}[{printer._print(self.args[0])}]"

    def _latex(self, printer, exp=None):
        index = printer._print(self.args[0])
        body = (f"{self.latex_base}^{{{index}}}" if self.superscript
                else f"{self.latex_base}_{{{index}}}")
        return body if exp is None else rf"\left({body}\right)^{{{exp}}}"

    def _pretty(self, printer):
        from sympy.printing.pretty.pretty_symbology import sub, sup
        from sympy.printing.pretty.stringpict import prettyForm

        index = printer._print(self.args[0])
        text = str(index) if index.height() == 1 else None
        table = sup if self.superscript else sub
        if printer._use_unicode and text is not None and all(
                table.get(ch) for ch in text.replace(" ", "")):
            marks = "".join(table[ch] for ch in text.replace(" ", ""))
            return prettyForm(self.pretty_base + marks)
        shown = text if text is not None else str(self.args[0])
        mark = "^" if self.superscript else "_"
        plain = self.pretty_base if printer._use_unicode else self.text_base
        return prettyForm(plain + mark + (shown if len(shown) == 1 else f"({shown})"))


class a_shift(_Sequence):
    """``a_j = E d_TV(P_{theta_j}, D_0)``, the cumulative shift of L1."""

    nargs = 1
    latex_base = "a"
    text_base = "a"
    pretty_base = "a"


class gamma_seq(_Sequence):
    """``gamma_n^j``, the recursive stability of D3/L2."""

    nargs = 1
    latex_base = r"\gamma_{n}"
    text_base = "gamma_n"
    pretty_base = "γₙ"
    superscript = True


class expected_gen(_Sequence):
    """``E gen_i``, the expected generalization error of generation ``i`` (T1)."""

    nargs = 1
    latex_base = r"\mathbb{E}\,\mathrm{gen}"
    text_base = "E_gen"
    pretty_base = "𝔼 gen"


class gen_error(_Sequence):
    """``gen_i`` itself (T1' bounds it with high probability)."""

    nargs = 1
    latex_base = r"\mathrm{gen}"
    text_base = "gen"
    pretty_base = "gen"


a_seq = a_shift
g_seq = gamma_seq
gen = expected_gen
risk_real = sp.Symbol("R_D0", real=True)
risk_parent = sp.Symbol("R_P", real=True)
emp_real = sp.Symbol("Rhat_R", real=True)
emp_syn = sp.Symbol("Rhat_syn", real=True)
bound_t = sp.Function("B")  # T3 objective as a function of t
tv_gauss = sp.Symbol("d_TV_gauss", nonnegative=True)  # d_TV(N(a, s^2), N(b, s^2)), T2

#: Contract name -> symbol (DESIGN.md "Symbol names"). Only these reach ``--subs``.
PUBLIC: MappingProxyType = MappingProxyType({
    "n": n, "lam": lam, "i": i, "delta": delta, "M": M, "beta_n": beta_n,
    "tau_n": tau_n, "gamma": gamma, "d_tv": d_tv, "n_r": n_r, "n_s": n_s,
    "c_0": c_0, "a": a, "b": b, "c": c,
})

#: Every named symbol, public or internal (for the Python API, not the command line).
ALL: MappingProxyType = MappingProxyType({
    **PUBLIC, "j": j, "k": k, "rho": rho, "lambda_c": lam_c, "t": t, "A": A, "C": C,
    "m": m, "kappa": kappa, "Gamma": Gamma, "L": L, "sigma_s": sigma_s, "c_A": c_A,
    "Lip": Lip, "Delta_n": Delta_n, "K": n_cat, "sigma": sigma, "R_z": R_z,
    "c_theta": c_theta, "d": dim, "R_D0": risk_real, "R_P": risk_parent,
    "Rhat_R": emp_real, "Rhat_syn": emp_syn,
})

#: Typeset names, handed to sympy's LaTeX printer.
LATEX_NAMES: MappingProxyType = MappingProxyType({
    n: "n", lam: r"\lambda", i: "i", delta: r"\delta", M: "M", beta_n: r"\beta_{n}",
    tau_n: r"\tau_{n}", gamma: r"\gamma_{n}^{i-1}", d_tv: r"d_{\mathrm{TV}}(n)",
    n_r: "n_{r}", n_s: "n_{s}", c_0: "c_{0}", a: "a", b: "b", c: "c",
    j: "j", k: "k", rho: r"\rho", lam_c: r"\lambda_{c}", t: "t", A: "A", C: "C",
    m: "m", kappa: r"\kappa", Gamma: r"\Gamma", L: "L", sigma_s: r"\sigma_{s}",
    c_A: r"c_{A}", Lip: r"\mathrm{Lip}_{\theta}", Delta_n: r"\Delta_{n}",
    n_cat: "K", sigma: r"\sigma", R_z: "R_{z}", c_theta: r"c_{\theta}", dim: "d",
    risk_real: r"R_{D_{0}}(\theta_{i})", risk_parent: r"R_{P_{\theta_{i-1}}}(\theta_{i})",
    emp_real: r"\hat{R}_{R}(\theta_{i})", emp_syn: r"\hat{R}_{\mathrm{syn}}(\theta_{i})",
    tv_gauss: r"d_{\mathrm{TV}}\left(\mathcal{N}(a_{1}, \sigma_{s}^{2}), "
              r"\mathcal{N}(b_{1}, \sigma_{s}^{2})\right)",
})

#: Short meaning of each public symbol, for help texts and error messages.
MEANING: MappingProxyType = MappingProxyType({
    "n": "training-set size per generation",
    "lam": "proportion of real data",
    "i": "generation index",
    "delta": "failure probability of the high-probability bound",
    "M": "bound on the loss",
    "beta_n": "uniform stability of the learner",
    "tau_n": "TV-stability of the learner",
    "gamma": "recursive stability gamma_n^{i-1}",
    "d_tv": "learnability d_TV(n)",
    "n_r": "number of real samples",
    "n_s": "number of synthetic samples",
    "c_0": "absolute constant of the high-probability bounds",
    "a": "rate coefficient, d_TV(n) = a n^{-1/2}",
    "b": "rate coefficient, beta_n = b / n",
    "c": "rate coefficient, tau_n = c / n",
})


#: What each symbol a result may contain stands for, as LaTeX prose for the ``where``
#: clause of a pasted theorem (THEORY.md sections 0-4). Every symbol a result prints must
#: be here (a test keeps it so), so a pasted statement defines all of its notation.
DEFINED: MappingProxyType = MappingProxyType({
    n: "is the training-set size of every generation",
    lam: "is the proportion of real data in each generation",
    i: "is the generation",
    delta: "is the failure probability",
    M: "bounds the loss",
    beta_n: "is the uniform stability of the learner (D1)",
    tau_n: "is its TV-stability (D2)",
    gamma: "is the recursive stability of the loop after $i-1$ generations (D3)",
    d_tv: "is its learnability, the expected TV distance of a fit to its training law (D4)",
    n_r: "is the number of real samples",
    n_s: "is the number of synthetic samples",
    c_0: "is an absolute constant",
    a: r"is the rate coefficient of $d_{\mathrm{TV}}(n) = a n^{-1/2}$",
    b: r"is the rate coefficient of $\beta_{n} = b/n$",
    c: r"is the rate coefficient of $\tau_{n} = c/n$",
    rho: r"is the growth factor $(1 - \lambda) n \tau_{n}$ of recursive stability (L2)",
    lam_c: "is the critical proportion of real data",
    t: "is the total number of samples",
    A: "is the constant of the concentration term",
    C: "is the constant of the shift term",
    m: "is the number of generated labels per prompt",
    kappa: "is the depth-free part of the parameter-Lipschitz constant of the transformer",
    Gamma: "is the growth of the weight norm per layer",
    L: "is the depth of the transformer",
    sigma_s: "is the standard deviation of the synthetic label noise",
    c_A: r"is the parameter stability of the optimizer, $\Delta_{n} = c_{A}/n$",
    Lip: "is the parameter-Lipschitz constant of the prediction",
    Delta_n: "bounds how far one training prompt moves the parameters",
    n_cat: "is the number of symbols",
    sigma: "is the standard deviation of the data",
    R_z: "is the radius of the data range",
    c_theta: r"is the parameter stability of the regression fit, $\lVert \Delta\theta \rVert \leq c_{\theta}/n$",
    dim: "is the input dimension",
})

#: What the quantity on the left of each result is (keyed by its sequence class).
QUANTITY_DEFINED: MappingProxyType = MappingProxyType({
    "expected_gen": r"$\mathrm{gen}_{i} = R_{D_{0}}(\theta_{i}) - \hat{R}_{\tilde{S}_{i}}(\theta_{i})$ "
                    r"is the generalization error of generation $i$, measured against the "
                    r"real distribution $D_{0}$",
    "gen_error": r"$\mathrm{gen}_{i} = R_{D_{0}}(\theta_{i}) - \hat{R}_{\tilde{S}_{i}}(\theta_{i})$ "
                 r"is the generalization error of generation $i$, measured against the "
                 r"real distribution $D_{0}$",
    "a_shift": r"$a_{i} = \mathbb{E}\, d_{\mathrm{TV}}(P_{\theta_{i}}, D_{0})$ is the expected "
               r"distance of generation $i$ from the real distribution $D_{0}$",
    "gamma_seq": r"$\gamma_{n}^{i}$ is the recursive stability of the loop after $i$ "
                 r"generations (D3)",
})

#: Symbols whose meaning is indexed by ``n`` or the generation ``i`` (their subscripts and
#: superscripts): sending ``n`` or ``i`` to a limit while holding them fixed would leave
#: a quantity indexed by a variable that no longer exists (see ``stl.theory.indexed``).
INDEXED_BY: MappingProxyType = MappingProxyType({
    beta_n: (n,), tau_n: (n,), d_tv: (n,), gamma: (n, i),
})

#: Unicode names for the 2-D pretty printer (``stl derive --format pretty``).
PRETTY_NAMES: MappingProxyType = MappingProxyType({
    lam: "λ", delta: "δ", beta_n: "βₙ", tau_n: "τₙ", gamma: "γₙⁱ⁻¹", d_tv: "d_TV(n)",
    n_r: "nᵣ", n_s: "nₛ", c_0: "c₀", rho: "ρ", lam_c: "λ_c", kappa: "κ", Gamma: "Γ",
    sigma_s: "σₛ", c_A: "c_A", Lip: "Lip_θ", Delta_n: "Δₙ", sigma: "σ", c_theta: "c_θ",
    risk_real: "R_D₀(θᵢ)", risk_parent: "R_Pθᵢ₋₁(θᵢ)", emp_real: "R̂_R(θᵢ)",
    emp_syn: "R̂_syn(θᵢ)", tv_gauss: "d_TV(N(a₁,σₛ²), N(b₁,σₛ²))",
})

#: Symbols with a place in the paper's order of factors, first to last (THEORY.md writes
#: ``c_0 β_n (1 + λ n_s γ) log n``, ``M (1-λ) d_TV(n) (1 - (1-λ)^i) / λ``).
PAPER_ORDER: tuple[sp.Symbol, ...] = (
    c_0, b, beta_n, M, kappa, m, lam, n_r, n_s, n, t, tau_n, c, rho, gamma, d_tv, a,
    A, C, c_A, Gamma, L, sigma_s, sigma, R_z, c_theta, dim, n_cat, i, j, k, delta,
)
_RANK = {symbol: place for place, symbol in enumerate(PAPER_ORDER)}


class LimSup(sp.Limit):
    """``limsup_{x -> x0} f``: what a limit of a bound bounds (the lhs need not converge).

    A subclass of :class:`sympy.Limit` so that ``x`` stays a bound variable; only the
    printing differs. ``srepr`` text still rebuilds in plain sympy (as an undefined
    function ``LimSup``).
    """

    def _latex(self, printer):
        expr, var, point = self.args[0], self.args[1], self.args[2]
        target = printer._print(point)
        side = str(self.args[3])
        if point.is_finite and side in "+-":
            target += "^{" + side + "}"
        return (r"\limsup_{%s \to %s} %s"
                % (printer._print(var), target, printer._print(expr)))

    def _sympystr(self, printer):
        expr, var, point = self.args[0], self.args[1], self.args[2]
        return f"limsup({printer._print(expr)}, {printer._print(var)} -> {printer._print(point)})"

    def _pretty(self, printer):
        from sympy.printing.pretty.stringpict import prettyForm

        expr, var, point = self.args[0], self.args[1], self.args[2]
        arrow = "→" if printer._use_unicode else "->"
        head = prettyForm(f"limsup({printer._print(var)}{arrow}{printer._print(point)}) ")
        return prettyForm(*head.right(printer._print(expr)))


def _negative_term(term: sp.Expr) -> bool:
    """A term of a sum that prints with a leading minus (``-λ``, ``-2 n``)."""
    return bool(term.as_coeff_Mul()[0].is_negative)


def _flippable(expr: sp.Expr) -> bool:
    """A sum that reads better negated: ``λ - 1`` (-> ``1 - λ``), ``-x - y`` (-> ``x + y``)."""
    if not expr.is_Add:
        return False
    constants = [t for t in expr.args if t.is_number]
    others = [t for t in expr.args if not t.is_number]
    if all(_negative_term(t) for t in expr.args):
        return True
    return bool(constants) and all(c.is_negative for c in constants) and \
        all(not _negative_term(t) for t in others)


def ordered_terms(terms: list) -> list:
    """The terms of a sum in the paper's order.

    Positive terms before negative ones; a negative constant goes last (``i - 1``,
    ``n - d - 1``); a positive one goes last after bare symbols (``i + 1``) and first
    otherwise (``1 - λ``, ``1 + λ n γ``).
    """
    constants = [t for t in terms if t.is_number]
    others = [t for t in terms if not t.is_number]
    positive = [t for t in others if not _negative_term(t)]
    negative = [t for t in others if _negative_term(t)]
    head = [t for t in constants if not _negative_term(t)]
    tail = [t for t in constants if _negative_term(t)]
    if head and others and not negative and all(t.is_Symbol for t in positive):
        head, tail = [], head + tail
    return head + positive + negative + tail


def _factor_key(factor: sp.Expr) -> tuple:
    """Where a factor goes in a product: numbers, simple factors, sums, functions.

    A simple factor is a symbol, a power of one, a sequence term or a binomial such as
    ``1 - λ``; within a class the paper's order of symbols (:data:`PAPER_ORDER`) decides,
    and a symbol comes before a binomial in it (``λ (1-λ) n``).
    """
    if factor.is_number:
        return (0, 0, 0, "")
    base = factor.base if factor.is_Pow else factor
    rank = min((_RANK.get(s, len(_RANK)) for s in factor.free_symbols), default=len(_RANK))
    if base.is_Symbol or isinstance(base, _Sequence):
        kind, atom = 1, 0
    elif base.is_Add and len(base.args) == 2 and any(arg.is_number for arg in base.args) \
            and len(base.free_symbols) == 1 and all(arg.is_number or arg.is_Symbol or
                                                   (-arg).is_Symbol for arg in base.args):
        kind, atom = 1, 1
    elif base.is_Add or base.is_Mul or base.is_Pow:
        kind, atom = 2, 0
    else:  # log, sqrt of a sum, erf, Abs...: last, as a paper writes them
        kind, atom = 3, 0
    return (kind, rank, atom, sp.default_sort_key(factor))


def _flip_signs(numer: list, denom: list, negative: bool) -> bool:
    """Flip pairs of signs so that sums read as ``1 - λ`` (in place); returns the sign left.

    ``-(λ - 1)`` becomes ``(1 - λ)``; ``(x - 1)/(y - 1)`` becomes ``(1 - x)/(1 - y)``.
    """
    flagged = [(side, place) for side in (numer, denom)
               for place, factor in enumerate(side) if _flippable(factor)]
    if negative and flagged:
        side, place = flagged.pop(0)
        side[place], negative = -side[place], False
    for (s1, p1), (s2, p2) in zip(flagged[::2], flagged[1::2]):
        s1[p1], s2[p2] = -s1[p1], -s2[p2]
    return negative


def arrange(expr: sp.Basic) -> sp.Basic:
    """The same expression as an unevaluated tree in the paper's order (for the 2-D printer)."""
    if isinstance(expr, sp.core.relational.Relational):
        return expr.func(arrange(expr.lhs), arrange(expr.rhs), evaluate=False)
    if isinstance(expr, _Sequence):
        return expr.func(arrange(expr.args[0]), evaluate=False)
    if not isinstance(expr, sp.Expr) or expr.is_Atom:
        return expr
    if expr.is_Add:
        terms = [arrange(t) for t in ordered_terms(list(expr.args))]
        return sp.Add(*terms, evaluate=False)
    if expr.is_Mul and expr.is_commutative:
        coeff, rest = expr.as_coeff_Mul()
        numer, denom = [], []
        for factor in sp.Mul.make_args(rest):
            if factor.is_Pow and factor.exp.is_number and factor.exp.is_negative:
                denom.append(factor.base if factor.exp == -1 else sp.Pow(factor.base, -factor.exp))
            else:
                numer.append(factor)
        negative = bool(coeff.is_negative)
        negative = _flip_signs(numer, denom, negative)
        numer.sort(key=_factor_key)
        denom.sort(key=_factor_key)
        magnitude = -coeff if coeff.is_negative else coeff
        parts = ([magnitude] if magnitude != 1 else []) + [arrange(f) for f in numer]
        parts += [sp.Pow(arrange(f), -1, evaluate=False) for f in denom]
        body = sp.Mul(*parts, evaluate=False) if len(parts) > 1 else (parts[0] if parts else sp.S.One)
        return sp.Mul(sp.S.NegativeOne, body, evaluate=False) if negative else body
    if isinstance(expr, sp.Limit):
        body, var, point, side = expr.args
        return expr.func(arrange(body), var, point, str(side))
    if expr.args:
        if isinstance(expr, sp.Order):  # its arguments are (expr, (point, ...)) pairs
            return expr
        try:
            return expr.func(*(arrange(a) for a in expr.args), evaluate=False)
        except (TypeError, ValueError, NotImplementedError):
            return expr
    return expr


class _TheoryLatexPrinter(LatexPrinter):
    """sympy's LaTeX printer, arranged as a paper writes formulas.

    * factors in the paper's order (:func:`_factor_key`) with no ``\\cdot`` between them
      (sympy still puts one between two numbers);
    * a sum starts with its positive constant (``1 - \\lambda``) and ends with a negative
      one (``i - 1``);
    * a product never starts with a minus that a sign flip of one factor removes
      (``-M (\\lambda - 1)`` prints as ``M (1 - \\lambda)``);
    * logarithms are ``\\log\\left(x\\right)``: sympy's ``\\log{\\left(x \\right)}`` makes LaTeX
      parsers read ``\\log{(n)} \\log{(1/δ)}`` as one logarithm of a product.
    """

    _default_settings = {**LatexPrinter._default_settings, "arrange": True}

    def _print_log(self, expr, exp=None):
        argument = self._print(expr.args[0])
        head = r"\log" if exp is None else rf"\log^{{{exp}}}"
        return rf"{head}\left({argument}\right)"

    def _print_Add(self, expr, order=None):
        if not self._settings["arrange"]:
            return super()._print_Add(expr, order)
        ordered = ordered_terms(self._as_ordered_terms(expr, order=order))
        tex = ""
        for place, term in enumerate(ordered):
            if place and _negative_term(term):
                tex += " - "
                term = -term
            elif place:
                tex += " + "
            term_tex = self._print(term)
            if self._needs_add_brackets(term):
                term_tex = r"\left(%s\right)" % term_tex
            tex += term_tex
        return tex

    def _print_Mul(self, expr):
        if not self._settings["arrange"] or not expr.is_commutative:
            return super()._print_Mul(expr)
        coeff, rest = expr.as_coeff_Mul()
        numer, denom = [], []
        for factor in sp.Mul.make_args(rest):
            if factor.is_Pow and factor.exp.is_number and factor.exp.is_negative:
                denom.append(factor.base if factor.exp == -1 else sp.Pow(factor.base, -factor.exp))
            else:
                numer.append(factor)
        negative = bool(coeff.is_negative)
        if negative:
            coeff = -coeff
        negative = _flip_signs(numer, denom, negative)
        if coeff.is_Rational and coeff.q != 1:
            if coeff.p != 1:
                numer.insert(0, sp.Integer(coeff.p))
            denom.insert(0, sp.Integer(coeff.q))
        elif coeff != 1:
            numer.insert(0, coeff)
        numer.sort(key=_factor_key)
        denom.sort(key=_factor_key)
        top = self._join_factors(numer) if numer else "1"
        if denom and len(numer) == 1:  # a fraction bar groups its numerator already
            top = self._print(numer[0])
        if len(denom) == 1 and denom[0].is_Add:
            return ("- " if negative else "") + r"\frac{%s}{%s}" % (top, self._print(denom[0]))
        tex = r"\frac{%s}{%s}" % (top, self._join_factors(denom)) if denom else top
        return ("- " if negative else "") + tex

    def _join_factors(self, factors: list) -> str:
        from sympy.printing.latex import _between_two_numbers_p

        separator = self._settings["mul_symbol_latex"]
        numbers = self._settings["mul_symbol_latex_numbers"]
        tex = last = ""
        for place, factor in enumerate(factors):
            piece = self._print(factor)
            if self._needs_mul_brackets(factor, first=place == 0, last=place == len(factors) - 1):
                piece = r"\left(%s\right)" % piece
            if tex:
                between = (_between_two_numbers_p[0].search(last)
                           and _between_two_numbers_p[1].match(piece))
                tex += numbers if between else separator
            tex += piece
            last = piece
        return tex


def notation_names(notation: Mapping[Any, str] | None) -> dict[sp.Symbol, str]:
    """Typeset names with a user's own notation, e.g. ``{"gamma": r"\\rho_n^{i-1}"}``.

    Keys are symbol names (``stl.theory.symbols.ALL``) or symbols; values are LaTeX,
    refused unless their braces balance (an unbalanced one would break the document).
    """
    from stl.theory.errors import InputError

    names = dict(LATEX_NAMES)
    for key, tex in (notation or {}).items():
        symbol = key if isinstance(key, sp.Symbol) else lookup(str(key), public_only=False)
        text = str(tex).strip()
        depth = 0
        for char in text.replace(r"\{", "").replace(r"\}", ""):
            depth += {"{": 1, "}": -1}.get(char, 0)
            if depth < 0:
                break
        if not text or len(text) > 200 or depth != 0 or "\n" in text or "%" in text:
            raise InputError("--notation", f"{symbol.name}={tex!r}",
                             "non-empty LaTeX of at most 200 characters on one line, "
                             "with balanced braces and no %")
        names[symbol] = text
    return names


def to_latex(expr: sp.Basic, notation: Mapping[Any, str] | None = None, **settings) -> str:
    """LaTeX of ``expr`` with the theory's typeset symbol names (sympy's printer).

    Factors follow the paper's order without ``\\cdot`` between them; ``notation``
    renames symbols (:func:`notation_names`).

    >>> to_latex((1 - lam) * M * d_tv / lam)
    '\\\\frac{M \\\\left(1 - \\\\lambda\\\\right) d_{\\\\mathrm{TV}}(n)}{\\\\lambda}'
    """
    settings.setdefault("mul_symbol", None)
    settings["symbol_names"] = notation_names(notation)
    return _TheoryLatexPrinter(settings).doprint(expr)


class _TheoryPrettyPrinter(PrettyPrinter):
    """sympy's 2-D pretty printer with the theory's Unicode symbol names."""

    _default_settings = {**PrettyPrinter._default_settings, "names": None}

    def _print_Symbol(self, e, bold_name=False):
        from sympy.printing.pretty.stringpict import prettyForm

        names = self._settings["names"] or PRETTY_NAMES
        if self._use_unicode and e in names:
            return prettyForm(names[e])
        return super()._print_Symbol(e, bold_name)


def generation_names(index: sp.Expr) -> tuple[dict, dict]:
    """LaTeX and Unicode names of ``γ_n^{i-1}`` once the generation ``i`` has a value.

    ``gamma`` stands for the recursive stability at generation ``i - 1``; with ``i = 5``
    substituted it is ``γ_n^4``, and printing it as ``γ_n^{i-1}`` would name a generation
    that no longer exists.
    """
    from sympy.printing.pretty.pretty_symbology import sup

    previous = index - 1
    latex = {gamma: r"\gamma_{n}^{" + to_latex(previous) + "}"}
    text = sp.sstr(previous)
    marks = "".join(sup.get(ch, "") for ch in text.replace(" ", ""))
    pretty = {gamma: "γₙ" + (marks if len(marks) == len(text.replace(" ", ""))
                             else "^(" + text + ")")}
    return latex, pretty


def to_pretty(expr: sp.Basic, *, unicode: bool = True, width: int = 88,
              names: Mapping[sp.Symbol, str] | None = None) -> str:
    """2-D text of ``expr`` (sympy's pretty printer), e.g. for ``stl derive``.

    >>> print(to_pretty(beta_n / lam))
    βₙ
    ──
    λ
    """
    printer = _TheoryPrettyPrinter({"use_unicode": unicode, "num_columns": width,
                                    "wrap_line": True, "order": "none",
                                    "names": {**PRETTY_NAMES, **(names or {})}})
    from sympy.printing.pretty.pretty_symbology import pretty_use_unicode

    shown = arrange(expr)  # builds unevaluated nodes itself; flips need evaluation on
    # the box-drawing characters follow sympy's global switch, not the printer's setting
    previous = pretty_use_unicode(unicode)
    try:
        return "\n".join(line.rstrip() for line in printer.doprint(shown).splitlines())
    finally:
        pretty_use_unicode(previous)


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


# ======================================================================================
# BEGIN typical-case boundary (issue 22; stl.theory.results.typical_boundary)
# One block, appended whole so that the restructuring of this file into records can fold
# it in: three symbols, registered in the name, LaTeX, meaning and pretty tables above.
# ======================================================================================
c_typ = sp.Symbol("c_typ", positive=True)  # the constant the loop runs at (typical case)
lam_c_typ = sp.Symbol("lambda_c_typ", real=True)  # the typical-case critical proportion
growth = sp.Symbol("growth", positive=True)  # gamma_n^i / gamma_n^0, a loop's measured growth

ALL = MappingProxyType({**ALL, "c_typ": c_typ, "lambda_c_typ": lam_c_typ, "growth": growth})
LATEX_NAMES = MappingProxyType({
    **LATEX_NAMES, c_typ: r"c_{\mathrm{typ}}", lam_c_typ: r"\lambda_{c}^{\mathrm{typ}}",
    growth: r"\gamma_{n}^{i}/\gamma_{n}^{0}",
})
DEFINED = MappingProxyType({
    **DEFINED,
    c_typ: r"is the typical-case constant: the $c$ of L2's recursion that reproduces the loop's own "
           r"growth of $\gamma_{n}^{i}$ (an empirical estimate, not a supremum)",
    lam_c_typ: "is the typical-case estimate of the critical proportion of real data (an empirical predictor)",
    growth: r"is the loop's measured growth $\gamma_{n}^{i}/\gamma_{n}^{0}$ of recursive stability",
})
PRETTY_NAMES = MappingProxyType({**PRETTY_NAMES, c_typ: "c_typ", lam_c_typ: "λ_c^typ", growth: "γₙⁱ/γₙ⁰"})
PAPER_ORDER = PAPER_ORDER + (c_typ, growth, lam_c_typ)
_RANK = {symbol: place for place, symbol in enumerate(PAPER_ORDER)}
# ======================================================================================
# END typical-case boundary
# ======================================================================================

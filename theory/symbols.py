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

from types import MappingProxyType

import sympy as sp
from sympy.printing.latex import LatexPrinter

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
    superscript = False

    def _sympystr(self, printer):
        return f"{self.text_base}[{printer._print(self.args[0])}]"

    def _latex(self, printer, exp=None):
        index = printer._print(self.args[0])
        body = (f"{self.latex_base}^{{{index}}}" if self.superscript
                else f"{self.latex_base}_{{{index}}}")
        return body if exp is None else rf"\left({body}\right)^{{{exp}}}"


class a_shift(_Sequence):
    """``a_j = E d_TV(P_{theta_j}, D_0)``, the cumulative shift of L1."""

    nargs = 1
    latex_base = "a"
    text_base = "a"


class gamma_seq(_Sequence):
    """``gamma_n^j``, the recursive stability of D3/L2."""

    nargs = 1
    latex_base = r"\gamma_{n}"
    text_base = "gamma_n"
    superscript = True


class expected_gen(_Sequence):
    """``E gen_i``, the expected generalization error of generation ``i`` (T1)."""

    nargs = 1
    latex_base = r"\mathbb{E}\,\mathrm{gen}"
    text_base = "E_gen"


class gen_error(_Sequence):
    """``gen_i`` itself (T1' bounds it with high probability)."""

    nargs = 1
    latex_base = r"\mathrm{gen}"
    text_base = "gen"


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


class _TheoryLatexPrinter(LatexPrinter):
    """sympy's LaTeX printer with logarithms written ``\\log\\left(x\\right)``.

    sympy's default ``\\log{\\left(x \\right)}`` wraps the argument in braces, and
    LaTeX parsers then read ``\\log{(n)} \\cdot \\log{(1/δ)}`` as one logarithm of a
    product; the brace-free form is unambiguous and typesets the same.
    """

    def _print_log(self, expr, exp=None):
        argument = self._print(expr.args[0])
        head = r"\log" if exp is None else rf"\log^{{{exp}}}"
        return rf"{head}\left({argument}\right)"


def to_latex(expr: sp.Basic, **settings) -> str:
    """LaTeX of ``expr`` with the theory's typeset symbol names (sympy's printer).

    Products are written with ``\\cdot``: ``n \\left(1 - \\lambda\\right)`` would read
    as a function application to LaTeX parsers (and to some readers).
    """
    settings.setdefault("mul_symbol", "dot")
    settings["symbol_names"] = dict(LATEX_NAMES)
    return _TheoryLatexPrinter(settings).doprint(expr)


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

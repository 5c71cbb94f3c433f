"""Fuzz the ``stl`` command line: random invocations and hostile expressions, with counts.

Every case is one ``stl`` invocation, run in-process (``stl.verify.cli.main.main``) by a
worker process in a fresh temporary directory; the parent gives each case a wall-clock
limit and restarts the worker when a case does not return (a hang). Each case ends as
one of:

``accepted``     exit 0 (or 1: a verification check failed), the command did its job;
``refused``      exit 2 with exactly one stderr line ``stl CMD: error: ...`` and no traceback;
``messy``        exit 2 with more than one line (a usage dump, a warning before the error);
``traceback``    an exception escaped ``main`` or a traceback reached stderr;
``interrupted``  exit 130;
``hang``         no answer within ``--timeout`` seconds (the worker is killed);
``executed``     (counted on top) the case's payload ran code: it creates the file
                 ``PWNED`` in its directory, or prints the marker ``PWNED-MARKER`` (the
                 payloads spell it as a sum of two strings, so an error message that
                 echoes the input does not count).

Random invocations draw commands, options and values from pools of valid, boundary and
hostile values (huge integers, NaN, empty strings, odd paths, unicode digits, repeated
options). Hostile expressions (code-execution payloads, huge numbers, deep nesting,
malformed text, unicode look-alikes) are placed in every option that reads an
expression: ``derive``/``latex`` ``--subs``, ``--limit``, ``--rate``, ``optimize --subs``,
model parameters, and TOML config files.

Usage::

    python benchmarks/fuzz_cli.py --invocations 1000 --expressions 200 --out benchmarks/fuzz_results.json

The symbolic deadline of ``derive``/``latex`` is set by ``STL_SYMBOLIC_TIMEOUT`` (default
here 10 s, below the case limit); the worker's address space is limited (``--memory-gb``)
so no case can take the shared machine down.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

MARKER = "PWNED-MARKER"

# -- value pools ----------------------------------------------------------------------

INTS_VALID = ["1", "2", "3", "5", "10", "20"]
INTS_HOSTILE = ["0", "-1", "-0", "+3", "007", "1e3", "2.5", "", " ", "nan", "inf", "-inf",
                "99999999999999999999", "1000000000", "10000000", "1" * 400, "0x10", "٣", "1_000", "None",
                "'3'", "$(reboot)", "3;rm -rf /", "3 4", "１０", "2**64", "-99999999999999999999"]
FLOATS_VALID = ["0", "0.25", "0.5", "0.9", "1"]
FLOATS_HOSTILE = ["1.5", "-0.1", "nan", "NaN", "inf", "-inf", "1e-300", "1e308", "1e999", "0x1p-2", "", "abc",
                  "0.5,0.6", "1/2", "٠.٥", "5e-324", "-0", "0.5 ", " 0.5", "0,5"]
PATHS = ["out.json", "out.csv", "out.parquet", "out.txt", "", "/", "/dev/null", "/proc/nonexistent/x.json",
         "dir/", "a" * 300 + ".json", "sub/deeper/out.csv", "out.json/", "bad\x00.json", ".", "..",
         "out.JSON", "~/out.json", "/etc/passwd", "out.parquet.json", "\u202eout.json"]
MODELS = ["categorical", "gaussian", "linreg", "kde", "nomodel", "", "CATEGORICAL", "../x", "categorical\n",
          "gain-bernoulli", "categorical;ls"]
PARAMS = {
    "categorical": ["k=3", "k=10", "k=1", "k=0", "k=100001", "k=99999999999999999999", "probs=0.5,0.5",
                    "probs=0.5,0.6", "probs=nan,0.5", "probs=", "k=3.0", "probs=1", "probs=-1,2", "k=", "=3",
                    "nope=1", "k=3=4", "probs=" + ",".join(["0.001"] * 1000)],
    "gaussian": ["dim=1", "dim=2", "dim=0", "dim=100000", "estimator=mle", "estimator=unbiased",
                 "estimator=magic", "mean=1", "scale=0", "scale=-1", "scale=nan", "dim=1e3"],
    "linreg": ["dim=1", "dim=3", "noise=0", "noise=-1", "ridge=0.1", "ridge=nan", "dim=99999999999999999999"],
    "kde": ["bandwidth=0.3", "bandwidth=0", "bandwidth=-1", "bandwidth=inf", "dim=1", "dim=2", "dim=0"],
}
SCHEMES = ["mix", "replace", "fresh", "accumulate", "accumulate-subsample", "MIX", "", "nope"]
NAMES = ["shift", "recursive-stability", "theorem1", "theorem1-rate", "corollary", "theorem2", "optimal-size",
         "nope", "", "THEOREM1"]
SUITES = ["smoke-optimum", "smoke-closed-form-wright-fisher", "smoke-phase-transition", "nope", "",
          "smoke-optimum smoke-optimum"]
SYMBOLS = ["n", "lam", "i", "delta", "M", "beta_n", "tau_n", "gamma", "d_tv", "n_r", "n_s", "c_0", "a", "b", "c"]
SAFE_EXPRS = ["100", "1/2", "n/2", "0.5", "oo", "2*n", "sqrt(n)", "log(n)", "1e-3", "0"]

# -- hostile expressions ----------------------------------------------------------------

PAYLOADS = [
    "__import__('os').system('touch PWNED')",
    "__import__('builtins').print('PWNED' + '-MARKER')",
    "open('PWNED','w')",
    "eval(\"open('PWNED','w')\")",
    "exec(\"open('PWNED','w')\")",
    "(lambda: open('PWNED','w'))()",
    "().__class__.__bases__[0].__subclasses__()",
    "[c for c in ().__class__.__base__.__subclasses__() if c.__name__ == 'Popen'][0](['touch','PWNED'])",
    "globals()", "locals()", "vars()", "__builtins__", "getattr(n, '__class__')", "n.__class__", "n.func",
    "n.__dict__", "Integer(1).__class__.__mro__", "Symbol('x')", "sympify('open(\"PWNED\",\"w\")')",
    "S('1')", "Function('f')(n)", "Lambda(n, n)", "lambdify(n, n)", "import os", "n; import os",
    "n\nopen('PWNED','w')", "f'{open(\"PWNED\",\"w\")}'", "b'x'", "1 if n else 0", "(n := 1)", "del n",
    "assert 0", "Matrix([[1]])", "MatrixSymbol('A', 10**9, 10**9)", "Piecewise((1, n > 0))",
    "n.subs(n, 2)", "print('PWNED' + '-MARKER')", "compile('1','','eval')", "type('X', (), {})",
    "{}.__class__", "'a'.__class__.__mro__[1].__subclasses__()", "Symbol('__import__')('os')",
    "N(pi, 10**6)", "pi.evalf(10**6)", "srepr(n)", "exp", "Rational", "oo.__class__",
]
BIG = [
    "10**10000", "10**10**10", "(n+1)**10000", "n**10000", "9" * 5000, "1e400", "1e-400", "1e-300",
    "Rational(1, 10**9999)", "exp(exp(exp(exp(exp(10)))))", "factorial(10**6)", "2**2**2**2**2**2",
    "Max(" + ",".join(["n"] * 2000) + ")", "n**(10**100)", "(1+1/n)**n", "exp(10**6)", "log(10**10**5)",
    "99999999999999999999999999999", "-" + "9" * 400, "1/3" * 1, "0." + "0" * 2000 + "1", "sqrt(10**10001)",
    "Rational(10**100, 3)", "exp(-10**9)", "1000000", "n**n**n", "gamma**10000", "lam**(1/10**9)",
]
DEEP = [
    "(" * 1000 + "n" + ")" * 1000, "-" * 10000 + "1", "+" * 100000 + "n", "sqrt(" * 300 + "n" + ")" * 300,
    "n" + "+n" * 20000, "[" * 500 + "n" + "]" * 500, "(" * 50 + "n", "n" + ")" * 50, "log(" * 200 + "n" + ")" * 200,
    "*".join(["n"] * 5000), "(" * 100000,
]
MALFORMED = [
    "", " ", "n +", "*n", "1/0", "0/0", "oo - oo", "zoo", "nan", "I", "n**", "log(0)", "log(-1)", "sqrt(-1)",
    "n==1", "n<1", "lam=0.5", "n,lam", "{}", "[]", "'n'", '"n"', "#n", "n # comment", "n;n", "n\tn",
    "unknown_symbol", "x", "E**oo", "oo**oo", "λ", "ｎ", "n\u200b", "𝑛", "\u202en", "n\x00", "\\frac{1}{n}",
    "$n$", "n..n", "1e", ".", "e", "E", "None", "True", "-oo", "oo*0", "n/0", "Abs()", "Min()", "sqrt()",
    "log(n, 0)", "erf", "lam lam", "%", "n%2", "~n", "n&1", "n|1", "n^2", "n@n", "`n`",
]


def hostile_expressions() -> list[str]:
    return PAYLOADS + BIG + DEEP + MALFORMED


# -- case generators ---------------------------------------------------------------------

def _size(rng: random.Random) -> str:
    return rng.choice(INTS_VALID) if rng.random() < 0.7 else rng.choice(INTS_HOSTILE)


def _prop(rng: random.Random) -> str:
    return rng.choice(FLOATS_VALID) if rng.random() < 0.7 else rng.choice(FLOATS_HOSTILE)


def _maybe(rng: random.Random, p: float = 0.5) -> bool:
    return rng.random() < p


def _simulation_like(rng: random.Random, command: str) -> list[str]:
    model = rng.choice(MODELS) if _maybe(rng, 0.2) else rng.choice(["categorical", "gaussian", "linreg", "kde"])
    argv = [command]
    if model or _maybe(rng):
        argv.append(model)
    base = PARAMS.get(model, PARAMS["categorical"])
    argv += ["--n", _size(rng) if _maybe(rng, 0.6) else rng.choice(["20", "50"])]
    argv += ["--replicates", _size(rng) if _maybe(rng, 0.6) else rng.choice(["5", "10", "30"])]
    argv += ["--generations", _size(rng) if _maybe(rng, 0.6) else rng.choice(["1", "2", "3"])]
    if _maybe(rng):
        argv += ["--lam", _prop(rng)]
    if _maybe(rng, 0.3):
        argv += ["--scheme", rng.choice(SCHEMES)]
    for _ in range(rng.choice([0, 0, 1, 2])):
        argv += ["--param", rng.choice(base)]
    if _maybe(rng, 0.3):
        argv += ["--seed", _size(rng)]
    if _maybe(rng, 0.2):
        argv += ["--device", rng.choice(["auto", "cpu", "cuda", "tpu", ""])]
    if _maybe(rng, 0.3):
        argv += ["--out", rng.choice(PATHS)]
    if _maybe(rng, 0.3):
        argv += ["--format", rng.choice(["json", "pretty", "xml", ""])]
    if _maybe(rng, 0.2):
        argv += ["--metric", rng.choice(["gen_gap", "tv_to_real", "variance", "nope", ""])]
    if _maybe(rng, 0.15):
        argv += ["--max-time", rng.choice(["0", "1", "5", "-1", "nan", "1e9", "1e10", ""])]
    if command == "stability" and _maybe(rng):
        argv += [rng.choice(["--neighbours", "--probes", "--confidence"]), rng.choice(INTS_HOSTILE + FLOATS_HOSTILE)]
    if command == "bound" and _maybe(rng):
        argv += ["--est-replicates", _size(rng)]
    if _maybe(rng, 0.1):
        argv += ["--config", rng.choice(["cfg.toml", "deep.toml", "bad.toml", "", "/", "missing.toml"])]
    argv.append("--quiet") if _maybe(rng, 0.8) else None
    return argv


def _sweep(rng: random.Random) -> list[str]:
    argv = ["sweep", rng.choice(["categorical", "gaussian"]) if _maybe(rng, 0.9) else rng.choice(MODELS)]

    def lst(pool_valid, pool_bad):
        k = rng.choice([1, 2, 3])
        vals = [rng.choice(pool_valid) if _maybe(rng, 0.8) else rng.choice(pool_bad) for _ in range(k)]
        return ",".join(vals) if _maybe(rng, 0.9) else rng.choice(["", ",", ";", "1,,2", "1;2,3"])

    argv += ["--n", lst(["10", "20"], INTS_HOSTILE)]
    if _maybe(rng):
        argv += ["--lam", lst(FLOATS_VALID, FLOATS_HOSTILE)]
    if _maybe(rng):
        argv += ["--param", f"k={lst(['3', '4'], INTS_HOSTILE)}" if argv[1] == "categorical" else
                 f"dim={lst(['1', '2'], INTS_HOSTILE)}"]
    argv += ["--replicates", rng.choice(["5", "10"]) if _maybe(rng, 0.8) else _size(rng),
             "--generations", rng.choice(["1", "2"]) if _maybe(rng, 0.8) else _size(rng)]
    if _maybe(rng, 0.3):
        argv += ["--seed", lst(["0", "1"], INTS_HOSTILE)]
    if _maybe(rng, 0.3):
        argv += ["--out", rng.choice(PATHS)]
    if _maybe(rng, 0.1):
        argv += ["--backend", rng.choice(["local", "spark", "", "ray"])]
    if _maybe(rng, 0.1):
        argv += ["--workers", rng.choice(["1", "0", "257", "-1", ""])]
    if _maybe(rng, 0.1):
        argv += ["--scheme", rng.choice(["mix,replace", "mix,mix", "nope", ""])]
    argv.append("--quiet")
    return argv


def _plot(rng: random.Random) -> list[str]:
    argv = ["plot", rng.choice(["{fx}/run.json", "{fx}/run.csv", "{fx}/sweep.csv", "{fx}/junk.json",
                                "{fx}/deep.json", "{fx}/empty.csv", "{fx}/random.parquet", "{fx}", "missing.json",
                                "", "/dev/null", "{fx}/records.json"])]
    if _maybe(rng):
        argv += ["--metric", rng.choice(["heterozygosity", "tv_to_real", "gen_gap", "nope", "", "mean"])]
    if _maybe(rng, 0.4):
        argv += ["--x", rng.choice(["generation", "n", "lam", "seed", ""])]
    if _maybe(rng, 0.3):
        argv += ["--generation", _size(rng)]
    if _maybe(rng, 0.4):
        argv += ["--format", rng.choice(["png", "pdf", "svg", "gif", ""])]
    if _maybe(rng, 0.4):
        argv += ["--out", rng.choice(["fig.png", "fig.svg", "fig.pdf", "fig.txt", "", "/", "/proc/x/f.png",
                                      "sub/f.png", "fig.png/"])]
    argv.append("--quiet")
    return argv


def _verify(rng: random.Random) -> list[str]:
    argv = ["verify"]
    if _maybe(rng, 0.1):
        return argv + ["--list"] + (["--format", "json"] if _maybe(rng) else [])
    argv += ["--suite", *rng.choice(SUITES).split(" ")] if _maybe(rng, 0.95) else []
    if _maybe(rng, 0.4):
        argv += ["--out", rng.choice(["rep", "", "/", "/proc/x/rep", "out.json", "rep/sub", "."])]
    if _maybe(rng, 0.3):
        argv += ["--seed", _size(rng)]
    if _maybe(rng, 0.2):
        argv += ["--workers", rng.choice(["1", "2", "0", "257", "-3", "1e2", ""])]
    if _maybe(rng, 0.15):
        argv += ["--backend", rng.choice(["local", "spark", "", "ray"])]
    if _maybe(rng, 0.2):
        argv += ["--max-time", rng.choice(["0", "0.1", "10", "-1", "nan", ""])]
    if _maybe(rng, 0.2):
        argv += ["--figure-format", rng.choice(["png", "svg,pdf", "gif", "", "png,png"])]
    else:
        argv.append("--no-figures")
    if _maybe(rng, 0.2):
        argv += ["--format", rng.choice(["json", "pretty", "yaml"])]
    argv.append("--quiet")
    return argv


def _symbolic(rng: random.Random, expr_pool: list[str] | None = None) -> list[str]:
    command = rng.choice(["derive", "latex"])
    argv = [command, rng.choice(NAMES) if _maybe(rng, 0.2) else rng.choice(NAMES[:7])]
    pool = expr_pool or SAFE_EXPRS
    for _ in range(rng.choice([0, 1, 1, 2])):
        argv += ["--subs", f"{rng.choice(SYMBOLS + ['x', '', 'n n'])}={rng.choice(pool)}"]
    if _maybe(rng, 0.3):
        argv += ["--limit", f"{rng.choice(SYMBOLS)}={rng.choice(['oo', '0', '1', '1000', rng.choice(pool)])}"]
    if _maybe(rng, 0.2):
        argv += ["--rate", rng.choice(SYMBOLS + ["", "x"])]
    if _maybe(rng, 0.2):
        argv.append("--rates")
    if _maybe(rng, 0.2):
        argv += ["--format", rng.choice(["json", "latex", "pretty", "xml"])]
    if command == "latex" and _maybe(rng, 0.2):
        argv += [rng.choice(["--env", "--label", "--notation"]),
                 rng.choice(["theorem", "align", "inline", "x", "", "n=\\nu", "lam=}{", "eq:1"])]
    return argv


def _optimize(rng: random.Random) -> list[str]:
    argv = ["optimize", "synthetic-size", "--n-real", _size(rng) if _maybe(rng, 0.5) else "100"]
    if _maybe(rng, 0.4):
        argv += ["--method", rng.choice(["all", "sympy", "scipy", "cvxpy", "simulate", "magic", ""])]
    if _maybe(rng, 0.4):
        argv += ["--subs", f"{rng.choice(SYMBOLS)}={rng.choice(SAFE_EXPRS)}"]
    if _maybe(rng, 0.2):
        argv += ["--model", rng.choice(MODELS), "--replicates", rng.choice(["5", "10"]), "--generations", "1"]
    if _maybe(rng, 0.1):
        argv += ["--grid", rng.choice(["0,10", "", "1,2,3", "0,1000000000000", "a,b"])]
    if _maybe(rng, 0.2):
        argv += ["--format", "json"]
    return argv


def invocation_cases(count: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    makers = [
        (0.18, lambda: _simulation_like(rng, "simulate")),
        (0.10, lambda: _simulation_like(rng, "stability")),
        (0.10, lambda: _simulation_like(rng, "bound")),
        (0.12, lambda: _sweep(rng)),
        (0.10, lambda: _plot(rng)),
        (0.08, lambda: _verify(rng)),
        (0.20, lambda: _symbolic(rng)),
        (0.07, lambda: _optimize(rng)),
        (0.05, lambda: rng.choice([["--help"], ["--version"], [], ["nope"], ["simulate", "--help"],
                                   ["sweep", "--help"], ["plot", "--help"], ["simulate", "--list-models"],
                                   ["derive"], ["-x"], ["simulate", "--n"], ["verify", "--suite"]])),
    ]
    cases = []
    for k in range(count):
        u, acc = rng.random(), 0.0
        for weight, make in makers:
            acc += weight
            if u <= acc:
                break
        argv = make()
        cases.append({"id": f"inv{k}", "kind": "invocation", "argv": argv})
    return cases


def expression_cases(count: int, seed: int) -> list[dict]:
    """``count`` cases, each one hostile expression placed in one expression-reading option."""
    rng = random.Random(seed + 1)
    exprs = hostile_expressions()
    places = [
        lambda e: ["derive", rng.choice(NAMES[:7]), "--subs", f"{rng.choice(SYMBOLS)}={e}"],
        lambda e: ["latex", rng.choice(NAMES[:7]), "--subs", f"{rng.choice(SYMBOLS)}={e}"],
        lambda e: ["derive", "theorem1", "--limit", f"{rng.choice(['i', 'n', 'lam'])}={e}"],
        lambda e: ["latex", "theorem1", "--limit", f"{rng.choice(['i', 'n', 'lam'])}={e}"],
        lambda e: ["derive", "theorem1", "--rate", e],
        lambda e: ["latex", "corollary", "--rate", e],
        lambda e: ["optimize", "synthetic-size", "--n-real", "100", "--subs", f"{rng.choice(['delta', 'a', 'M', 'c_0'])}={e}"],
        lambda e: ["derive", "theorem1", "--subs", f"{e}=1"],
        lambda e: ["simulate", "categorical", "--param", f"probs={e}", "--n", "10", "--replicates", "3",
                   "--generations", "1", "--quiet"],
        lambda e: ["simulate", "--config", "expr.toml", "--quiet"],
    ]
    cases = []
    for k in range(count):
        # every expression in turn; each pass over the list moves it to the next entry point
        e = exprs[k % len(exprs)]
        place = places[(k + k // len(exprs)) % len(places)]
        argv = place(e)
        case = {"id": f"expr{k}", "kind": "expression", "argv": argv, "expression": e}
        if "expr.toml" in argv:
            case["files"] = {"expr.toml": f"model = {json.dumps(e)}\nn = {json.dumps(e)}\n[param]\nk = {json.dumps(e)}\n"}
        cases.append(case)
    return cases


# -- the worker ----------------------------------------------------------------------------

def _fixtures(root: Path) -> None:
    """Files the plot cases read: good tables and broken ones."""
    from stl.verify.cli.main import main

    root.mkdir(parents=True, exist_ok=True)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        main(["simulate", "categorical", "--n", "20", "--generations", "2", "--replicates", "10", "--quiet",
              "--out", str(root / "run.json")])
        main(["simulate", "categorical", "--n", "20", "--generations", "2", "--replicates", "10", "--quiet",
              "--out", str(root / "run.csv")])
        main(["sweep", "categorical", "--n", "20,40", "--generations", "2", "--replicates", "10", "--quiet",
              "--out", str(root / "sweep.csv")])
    (root / "junk.json").write_text("{not json")
    (root / "deep.json").write_text("[" * 100_000)
    (root / "empty.csv").write_text("")
    (root / "random.parquet").write_bytes(os.urandom(2048))
    (root / "records.json").write_text('{"records": [{"generation": "x", "metric": 3}]}')


CONFIGS = {
    "cfg.toml": 'n = 20\ngenerations = 1\nreplicates = 5\n[param]\nk = 3\n',
    "deep.toml": "n = " + "[" * 3000 + "1" + "]" * 3000 + "\n",
    "bad.toml": "n = = 3\n",
}


class _Timeout(BaseException):
    """Raised by SIGALRM inside a case (BaseException: no handler of the toolkit catches it)."""


def _alarm(signum, frame):
    raise _Timeout()


def run_case(case: dict, fixtures: Path, timeout: float) -> dict:
    from stl.verify.cli.main import main

    workdir = Path(tempfile.mkdtemp(prefix="stl-fuzz-"))
    argv = [a.replace("{fx}", str(fixtures)) for a in case["argv"]]
    for name, text in {**CONFIGS, **case.get("files", {})}.items():
        (workdir / name).write_text(text)
    out, err = io.StringIO(), io.StringIO()
    result = {"id": case["id"]}
    old = os.getcwd()
    start = time.perf_counter()
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        os.chdir(workdir)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
        result["code"] = code
    except _Timeout:
        result["code"] = None
        result["hang"] = True
    except SystemExit as exc:  # main never lets one out; count it as escaped
        result["code"] = exc.code
        result["escaped"] = f"SystemExit({exc.code})"
    except BaseException as exc:  # noqa: BLE001 - an exception escaping main is what we count
        result["code"] = None
        result["escaped"] = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:500]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        os.chdir(old)
    result["seconds"] = time.perf_counter() - start
    stderr = err.getvalue()
    result["stderr"] = [line[:300] for line in stderr.splitlines() if line.strip()][:5]
    result["traceback_in_stderr"] = "Traceback (most recent call last)" in stderr
    result["executed"] = (workdir / "PWNED").exists() or MARKER in out.getvalue() or MARKER in stderr
    shutil.rmtree(workdir, ignore_errors=True)
    return result


def worker(timeout: float) -> None:
    fixtures = Path(tempfile.mkdtemp(prefix="stl-fuzz-fixtures-"))
    _fixtures(fixtures)
    real_stdout = sys.stdout
    for line in sys.stdin:
        case = json.loads(line)
        res = run_case(case, fixtures, timeout)
        real_stdout.write(json.dumps(res) + "\n")
        real_stdout.flush()
    shutil.rmtree(fixtures, ignore_errors=True)


# -- the parent ------------------------------------------------------------------------------

def classify(res: dict) -> str:
    if res.get("hang"):
        return "hang"
    if res.get("escaped") or res.get("traceback_in_stderr"):
        return "traceback"
    code = res.get("code")
    if code in (0, 1):
        return "accepted"
    if code == 130:
        return "interrupted"
    if code == 2:
        lines = res.get("stderr", [])
        if len(lines) == 1 and lines[0].startswith("stl") and "error:" in lines[0]:
            return "refused"
        if not lines:  # `stl` without a command: the usage on stdout, nothing on stderr
            return "usage"
        return "messy"
    return f"exit {code}"


class Pool:
    """One worker process fed case by case; restarted after a hang or a crash."""

    def __init__(self, timeout: float, memory_gb: float):
        self.timeout = timeout
        self.memory_gb = memory_gb
        self.proc = None

    def _start(self):
        env = dict(os.environ)
        env.setdefault("STL_SYMBOLIC_TIMEOUT", str(max(1, int(self.timeout / 3))))
        env["MPLBACKEND"] = "Agg"
        limit = int(self.memory_gb * 2**30)

        def limits():  # runs in the child before exec
            import resource

            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

        self.proc = subprocess.Popen([sys.executable, __file__, "--worker", "--timeout", str(self.timeout)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True, env=env, preexec_fn=limits, bufsize=1)

    def run(self, case: dict) -> dict:
        if self.proc is None or self.proc.poll() is not None:
            self._start()
        self.proc.stdin.write(json.dumps(case) + "\n")
        self.proc.stdin.flush()
        # the worker's own alarm fires at `timeout`; the grace covers fixtures at start
        # and C code that does not yield to the alarm
        deadline = time.monotonic() + self.timeout + 60
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], 1.0)
            if ready:
                line = self.proc.stdout.readline()
                if line:
                    return json.loads(line)
                break  # the worker died
            if self.proc.poll() is not None:
                break
        died = self.proc.poll() is not None
        self.close()
        return {"id": case["id"], "code": None, "hang": not died,
                "escaped": "the worker process died (killed by the memory limit or a crash)" if died else None}

    def close(self):
        if self.proc is not None:
            with contextlib.suppress(OSError):
                self.proc.kill()
            self.proc.wait()
            self.proc = None


def fuzz(invocations: int, expressions: int, seed: int, timeout: float, memory_gb: float,
         progress: bool = True) -> dict:
    cases = invocation_cases(invocations, seed) + expression_cases(expressions, seed)
    pool = Pool(timeout, memory_gb)
    results = []
    start = time.monotonic()
    try:
        for k, case in enumerate(cases):
            res = pool.run(case)
            res["class"] = classify(res)
            res["kind"] = case["kind"]
            res["argv"] = case["argv"]
            if "expression" in case:
                res["expression"] = case["expression"]
            results.append(res)
            if progress and sys.stderr.isatty():
                sys.stderr.write(f"\r{k + 1}/{len(cases)}  {time.monotonic() - start:6.0f}s")
    finally:
        pool.close()
    counts: dict[str, dict[str, int]] = {}
    for r in results:
        c = counts.setdefault(r["kind"], {})
        c[r["class"]] = c.get(r["class"], 0) + 1
        c["executed"] = c.get("executed", 0) + int(bool(r.get("executed")))
        c["total"] = c.get("total", 0) + 1
    bad = [r for r in results if r["class"] in ("traceback", "hang", "messy") or r["class"].startswith("exit")
           or r.get("executed")]
    slow = sorted(results, key=lambda r: -(r.get("seconds") or 0))[:10]
    accepted = [{"argv": r["argv"], "expression": r["expression"]} for r in results
                if r["kind"] == "expression" and r["class"] == "accepted"]
    return {"seed": seed, "timeout_s": timeout, "memory_gb": memory_gb,
            "symbolic_timeout_s": os.environ.get("STL_SYMBOLIC_TIMEOUT", str(max(1, int(timeout / 3)))),
            "wall_s": time.monotonic() - start, "counts": counts,
            "failures": [{k: r.get(k) for k in ("id", "class", "argv", "expression", "code", "stderr", "escaped",
                                                "seconds", "executed")} for r in bad],
            "slowest": [{"argv": r["argv"], "seconds": r.get("seconds"), "class": r["class"]} for r in slow],
            "accepted_expressions": accepted}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--invocations", type=int, default=1000)
    p.add_argument("--expressions", type=int, default=200)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--timeout", type=float, default=30.0, help="seconds before a case counts as a hang")
    p.add_argument("--memory-gb", type=float, default=6.0, help="address-space limit of the worker")
    p.add_argument("--out", default=None, help="write the results as JSON here")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        worker(args.timeout)
        return 0
    report = fuzz(args.invocations, args.expressions, args.seed, args.timeout, args.memory_gb)
    text = json.dumps(report, indent=1, ensure_ascii=False, default=str)
    if args.out:
        Path(args.out).write_text(text + "\n")
    for kind, c in report["counts"].items():
        print(kind, json.dumps(c, sort_keys=True))
    print(f"{len(report['failures'])} failures; wall {report['wall_s']:.0f} s")
    for f in report["failures"][:40]:
        print(" ", f["class"], f.get("executed") and "EXECUTED" or "", json.dumps(f["argv"], ensure_ascii=False)[:200],
              (f.get("stderr") or [""])[:1], f.get("escaped") or "")
    return 0 if not report["failures"] else 1


if __name__ == "__main__":
    sys.exit(main())

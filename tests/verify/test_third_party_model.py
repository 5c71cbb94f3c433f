"""A model from its own installed package runs through ``stl simulate``, ``stability``, ``bound``,
its card, the model-facts checks and ``stl atlas``, with no file of the toolkit touched.

The package is built in a temporary folder, installed there (``pip install --target``, so
the test environment is left alone), registered through the ``stl.models`` entry-point
group, and reached through ``PYTHONPATH`` only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

import stl_docs_test_helpers as H  # registered by tests/conftest.py

MODEL = textwrap.dedent('''
    import numpy as np
    from dataclasses import dataclass
    from stl.numerics.models.base import Case, Model, ParamSpec, Verification, float_in

    @dataclass(frozen=True)
    class Fit:
        p: np.ndarray

    class Bernoulli(Model):
        name = "third-party-bernoulli"
        summary = "Bernoulli frequency (test package)"
        param_specs = (ParamSpec("p", float_in(0.0, 1.0), "0.4", "a number in [0, 1]", "P(1)"),)
        metric_names = ("p_hat", "gen_gap")
        risk_metric = "p_hat"
        coupling = "maximal"
        exact_risk = True
        # where the model-facts checks and the atlas verify it (its card, read by verify)
        verification = Verification(
            facts=(Case({"p": "0.3"}, 30),),
            atlas={"quick": dict(params={"p": "0.3"}, n=50, lams=(0.0, 0.5, 0.9), generations=4,
                                 replicates=100, tau_replicates=30, block=100, locate_steps=3)})
        loss_bound = 1.0
        tv_exact = True

        def draw_real(self, streams, count, purpose="real"):
            return (streams.uniform(purpose, (count,)) < self.params["p"]).astype(np.int64)

        def fit(self, data, *, streams=None, warm=None):
            return Fit(data.mean(axis=1))

        def draw_noise(self, streams, count, generations, purpose="synthetic"):
            return streams.uniform(purpose, (generations, count))

        def sample(self, params, streams, count, *, noise=None, purpose="synthetic"):
            u = noise if noise is not None else streams.uniform(purpose, (count,))
            return (u < params.p[:, None]).astype(np.int64)

        def loss(self, params, data):
            return (params.p[:, None] - data) ** 2

        def risk(self, params, streams=None):
            p, q = self.params["p"], params.p
            return p * (1 - q) ** 2 + (1 - p) * q ** 2

        def measure(self, params, streams, names):
            return {"p_hat": params.p} if names else {}

        def tv(self, p, q, streams=None, *, samples=None):
            def ones(mix):
                return sum(w * (self.params["p"] if c is None else c.p) for w, c in mix)
            return np.abs(np.asarray(ones(p) - ones(q), dtype=float))
''')

PYPROJECT = textwrap.dedent('''
    [build-system]
    requires = ["setuptools>=61"]
    build-backend = "setuptools.build_meta"

    [project]
    name = "tp-models"
    version = "0.0.1"

    [project.entry-points."stl.models"]
    third-party-bernoulli = "tp_models:Bernoulli"

    [tool.setuptools]
    packages = ["tp_models"]
''')


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    if not H.can_build_wheels():
        pytest.skip("building a wheel needs setuptools >= 70.1 or the wheel package")
    root = tmp_path_factory.mktemp("third-party")
    pkg = root / "tp-models"
    (pkg / "tp_models").mkdir(parents=True)
    (pkg / "tp_models" / "__init__.py").write_text(MODEL, encoding="utf-8")
    (pkg / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    target = root / "site"
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                           "--target", str(target), str(pkg)], capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return target


def _stl(site, *argv):
    env = dict(os.environ, PYTHONPATH=str(site))
    proc = subprocess.run([sys.executable, "-m", "stl.verify.cli.main", *argv], capture_output=True, text=True,
                          env=env, timeout=240, cwd=site)
    return proc


@pytest.mark.timeout(600)
def test_listed_with_its_source(site):
    proc = _stl(site, "simulate", "--list-models")
    assert proc.returncode == 0, proc.stderr
    row = next(line for line in proc.stdout.splitlines() if line.startswith("third-party-bernoulli"))
    assert "entry point" in row and "tp_models:Bernoulli" in row and "tp-models 0.0.1" in row


@pytest.mark.timeout(600)
def test_runs_through_simulate_stability_and_bound(site):
    common = ["--param", "p=0.3", "--n", "30", "--generations", "3", "--format", "json", "--quiet"]
    sim = _stl(site, "simulate", "third-party-bernoulli", "--replicates", "200", *common)
    assert sim.returncode == 0, sim.stderr
    records = json.loads(sim.stdout)["records"]
    assert {r["metric"] for r in records} == {"p_hat", "gen_gap"}
    assert abs(records[0]["mean"] - 0.3) < 5 * records[0]["stderr"] + 1e-12

    stab = _stl(site, "stability", "third-party-bernoulli", "--replicates", "100", *common)
    assert stab.returncode == 0, stab.stderr
    tau = next(r for r in json.loads(stab.stdout)["records"] if r["metric"] == "tau_n")
    # a swap moves p̂ by 1/n or (same value drawn) not at all; the worst of 16 is almost always 1/n
    assert 0.9 / 30 < tau["mean"] <= 1 / 30 + 1e-12

    bound = _stl(site, "bound", "third-party-bernoulli", "--replicates", "200", *common)
    assert bound.returncode == 0, bound.stderr
    doc = json.loads(bound.stdout)
    assert doc["config"]["analytic_available"] is False
    assert {"gen_gap", "bound_estimated", "term_stability", "term_shift"} <= {r["metric"] for r in doc["records"]}

    bad = _stl(site, "simulate", "third-party-bernoulli", "--param", "p=2", "--quiet")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "--param p" in bad.stderr


@pytest.mark.timeout(600)
def test_reaches_its_card_the_model_facts_checks_and_the_atlas(site, tmp_path):
    code = textwrap.dedent('''
        import json
        from stl.verify.cards import card
        from stl.verify.checks.model_facts import coupling_check, declared_cases, risk_check
        c = card("third-party-bernoulli")
        mine = lambda fact: [x for x in declared_cases(fact) if x["model"] == "third-party-bernoulli"]
        print(json.dumps({"problems": c.validate(), "reason": c.no_constants_reason,
                          "coupling": coupling_check(cases=mine("coupling")).run(0).verdict,
                          "risk": risk_check(cases=mine("risk")).run(0).verdict,
                          "cases": [len(mine("coupling")), len(mine("risk"))]}))
    ''')
    env = dict(os.environ, PYTHONPATH=str(site))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300,
                          cwd=site)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["problems"] == [] and "no card" in got["reason"]
    assert got["cases"] == [1, 1] and got["coupling"] == "pass" and got["risk"] == "pass"

    atlas = _stl(site, "atlas", "--models", "third-party-bernoulli", "--size", "quick", "--out",
                 str(tmp_path / "atlas"), "--quiet")
    assert atlas.returncode in (0, 1), atlas.stderr       # 1: a verdict other than pass, still a run
    doc = json.loads((tmp_path / "atlas" / "atlas.json").read_text(encoding="utf-8"))
    assert "third-party-bernoulli" in json.dumps(doc)

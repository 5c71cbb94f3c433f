"""Provenance: every run's config and every report's run.json say what produced them."""

import json
import subprocess
import sys
from pathlib import Path

from stl.verify.cli.main import main
from stl.verify.provenance import git_commit, library_version, provenance

KEYS = ("version", "git_commit", "python", "numpy", "sympy", "torch", "device", "command", "seed")


def test_provenance_has_every_field_and_the_exact_command():
    p = provenance(device="cpu", seed=5, command=["stl", "simulate", "categorical"])
    assert all(k in p for k in KEYS)
    assert p["command"] == ["stl", "simulate", "categorical"] and p["seed"] == 5 and p["device"] == "cpu"
    import numpy
    import sympy

    assert p["numpy"] == numpy.__version__ and p["sympy"] == sympy.__version__


def test_the_torch_version_is_read_without_importing_torch():
    code = ("import sys; from stl.verify.provenance import provenance; p = provenance(); "
            "print(p['torch'] is not None, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    from importlib.util import find_spec

    assert out == [str(find_spec("torch") is not None), "False"]
    assert library_version("no-such-package-anywhere") is None


def test_the_git_commit_is_the_checked_out_one():
    root = Path(__file__).resolve().parents[2]
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        head = None
    assert git_commit(root) == head


def test_a_worktree_or_packed_ref_is_followed(tmp_path):
    git = tmp_path / "repo.git"
    (git / "refs" / "heads").mkdir(parents=True)
    (git / "HEAD").write_text("ref: refs/heads/main\n")
    (git / "packed-refs").write_text("# pack-refs\n" + "a" * 40 + " refs/heads/main\n")
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / ".git").write_text(f"gitdir: {git}\n")
    assert git_commit(checkout) == "a" * 40
    assert git_commit(tmp_path / "nothing") is None


def test_simulate_stability_and_bound_configs_carry_provenance(capsys):
    base = ["categorical", "--n", "20", "--generations", "1", "--replicates", "10", "--format", "json", "--quiet"]
    for command, extra in (("simulate", []), ("stability", []), ("bound", ["--est-replicates", "5"])):
        assert main([command, *base, "--seed", "4", *extra]) == 0
        prov = json.loads(capsys.readouterr().out)["config"]["provenance"]
        assert all(k in prov for k in KEYS)
        assert prov["command"][:2] == ["stl", command] and prov["seed"] == 4 and prov["device"] == "cpu"

"""``--config FILE.toml`` for simulate, stability, bound and sweep: data only, checked like the command line."""

import json

import pytest
from stl.verify.cli.main import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path, text, name="run.toml"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_a_config_file_gives_the_options_and_the_command_line_wins(tmp_path, capsys):
    cfg = write(tmp_path, 'model = "categorical"\nn = 20\ngenerations = 2\nreplicates = 15\nseed = 3\n'
                          'format = "json"\nquiet = true\n[param]\nk = 4\n')
    code, out, _ = run(capsys, "simulate", "--config", cfg)
    assert code == 0
    c = json.loads(out)["config"]
    assert (c["n"], c["generations"], c["replicates"], c["seed"], c["params"]["k"]) == (20, 2, 15, 3, 4)
    code, out, _ = run(capsys, "simulate", "categorical", "--config", cfg, "--n", "30", "--param", "k=6")
    c = json.loads(out)["config"]
    assert code == 0 and c["n"] == 30 and c["params"]["k"] == 6 and c["replicates"] == 15
    # a --param on the command line replaces only its own key
    cfg2 = write(tmp_path, 'model = "categorical"\nformat = "json"\nquiet = true\ngenerations = 1\n'
                           'replicates = 5\n[param]\nk = 4\nprobs = [0.25, 0.25, 0.25, 0.25]\n', "two.toml")
    code, out, _ = run(capsys, "simulate", "--config", cfg2, "--param", "k=4")
    assert code == 0 and json.loads(out)["config"]["params"]["probs"] == [0.25] * 4


def test_the_same_run_from_a_file_and_from_options_is_identical(tmp_path, capsys):
    cfg = write(tmp_path, 'n = 25\nlam = 0.3\ngenerations = 2\nreplicates = 12\n[param]\nk = 5\n')
    _, from_file, _ = run(capsys, "bound", "categorical", "--config", cfg, "--format", "json", "--quiet")
    _, typed, _ = run(capsys, "bound", "categorical", "--n", "25", "--lam", "0.3", "--generations", "2",
                      "--replicates", "12", "--param", "k=5", "--format", "json", "--quiet")
    assert json.loads(from_file)["records"] == json.loads(typed)["records"]


@pytest.mark.parametrize("text,needle", [
    ("n = 0\n", "run.toml: n: got 0"),
    ("lam = 1.5\n", "run.toml: lam"),
    ("nn = 3\n", "run.toml: nn"),
    ("quiet = 1\n", "true or false"),
    ('device = "tpu"\n', "run.toml: device"),
    ("n = [[[[[[[[\n", "--config"),
    ("n = " + "[" * 5000 + "1" + "]" * 5000 + "\n", "--config"),
    ('model = "__import__(\'os\').system(\'true\')"\n', "MODEL"),
    ("config = 'other.toml'\n", "run.toml: config"),
    ("[param.k]\nx = 1\n", "run.toml: param.k"),
])
def test_bad_config_files_are_one_line(tmp_path, capsys, text, needle):
    cfg = write(tmp_path, text)
    code, _, err = run(capsys, "simulate", "categorical", "--config", cfg) if "model" not in text \
        else run(capsys, "simulate", "--config", cfg)
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and needle in lines[0] and "Traceback" not in err, err


def test_unreadable_config_paths(tmp_path, capsys):
    for path in (tmp_path, tmp_path / "missing.toml"):
        code, _, err = run(capsys, "simulate", "categorical", "--config", str(path))
        assert code == 2 and "--config" in err
    bad = tmp_path / "latin1.toml"
    bad.write_bytes(b"n = 1 # \xe9\n")
    code, _, err = run(capsys, "simulate", "categorical", "--config", str(bad))
    assert code == 2 and "UTF-8" in err

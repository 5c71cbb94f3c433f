"""Figure labels: every metric's LaTeX is declared once and typesets; plain notation becomes
mathtext; label placement never overprints."""

import pytest

from stl.numerics.models.base import METRICS
from stl.numerics.models.registry import model_class, model_names
from stl.verify.labels import label_offsets, metric_label, renderable, theory_labels, to_mathtext

mathtext = pytest.importorskip("matplotlib.mathtext")


def typesets(text: str) -> bool:
    parser = mathtext.MathTextParser("path")
    pieces = text.split("$")
    for k, piece in enumerate(pieces):
        if k % 2:
            parser.parse(f"${piece}$")
    return len(pieces) % 2 == 1


@pytest.mark.parametrize("model", model_names())
def test_every_metric_of_every_model_has_a_label_that_typesets(model):
    cls = model_class(model)
    for metric in cls.metric_names:
        label = metric_label(metric, model)
        assert label.latex, f"{model}.{metric} declares no LaTeX"
        assert typesets(label.text()), (model, metric, label)


def test_theory_quantities_come_from_the_theory_layer():
    from stl.theory import symbols as S

    labels = theory_labels()
    assert labels["gen_gap"].mean == S.to_latex(S.expected_gen(S.i))
    assert labels["beta_n"].latex == S.to_latex(S.beta_n)
    for metric in ("term_stability", "term_shift", "bound_analytic", "bound_estimated", "gamma", "d_tv", "tau_n"):
        assert typesets(labels[metric].text()), metric
    assert "gen_gap" not in METRICS  # declared once: by theory, not again by numerics


def test_a_model_overrides_the_table_where_it_means_something_else():
    gaussian = metric_label("kl_to_real", "gaussian").latex
    ngram = metric_label("kl_to_real", "ngram").latex
    assert gaussian != ngram and gaussian.index("D_0") > ngram.index("D_0")


@pytest.mark.parametrize("plain,math", [
    ("|E gen_i| measured (CI)", r"$|\mathbb{E}\,\mathrm{gen}_{i}|$ measured (CI)"),
    ("γ̂_n^3/τ_n", r"$\hat{\gamma}_{n}^{3}$/$\tau_{n}$"),
    ("predicted λ_c = 1 − 1/ĉ", r"predicted $\lambda_{c}$ = 1 − 1/$\hat{c}$"),
    ("real risk E d_TV(q_G, p)", r"real risk $\mathbb{E}\,d_{\mathrm{TV}}$($q_{G}$, p)"),
    ("fit n^-0.512", r"fit $n^{-0.512}$"),
    ("λ=0.5, n=20", "λ=0.5, n=20"),
    ("my_metric over generations", "my_metric over generations"),
])
def test_plain_notation_becomes_mathtext(plain, math):
    assert to_mathtext(plain) == math
    assert typesets(renderable(plain))


def test_metric_names_in_report_labels_use_their_declaration():
    assert to_mathtext("E test_error") == f"${metric_label('test_error').mean}$"
    assert to_mathtext("E icl_risk (real prompts)").endswith(" (real prompts)")


def test_text_that_cannot_typeset_stays_text():
    assert renderable("50% of $x") == r"50% of \$x"


def test_labels_of_points_at_one_place_never_overprint():
    offsets = label_offsets([(0.0, 0.0), (0.0, 0.0), (0.0, 0.01), (0.9, 0.9)])
    assert len(set(offsets[:3])) == 3 and offsets[3] == offsets[0]
    assert min(abs(a[1] - b[1]) for a in offsets[:3] for b in offsets[:3] if a != b) >= 11


def test_report_figures_draw_with_typeset_labels(tmp_path):
    from stl.verify.figures import make_figures, y_label

    spec = {"type": "series", "name": "t1", "x": [1, 2], "x_label": "generation i", "y_label": "|E gen_i|",
            "title": "γ̂_n^3/τ_n and T1", "series": [{"label": "|E gen_i| measured (CI)", "y": [0.1, 0.2],
                                                     "lo": [0.05, 0.1], "hi": [0.15, 0.3]},
                                                    {"label": "T1, analytic constants", "y": [1, 2], "style": "bound"}]}
    made, problems = make_figures({"checks": [{"name": "c", "details": {"figures": [spec]}}]}, tmp_path)
    assert problems == [] and len(made) == 1
    assert y_label(spec) == r"$|\mathbb{E}\,\mathrm{gen}_{i}|$"
    assert y_label({**spec, "y_metric": "gen_gap"}) == metric_label("gen_gap").text()

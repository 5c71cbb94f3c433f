"""The ``lsa`` model: one-layer linear self-attention trained on in-context regression prompts.

THEORY.md T2 with the simplest transformer: the merged key-query/value form of one
linear attention layer (:mod:`stl.numerics.icl.lsa`, where its trained optimum for
isotropic inputs is derived in closed form). Float64, plain gradient descent with the
step set by the loss curvature, loss on the query label. The shared ICL machinery
(prompts, synthetic prompts, coupling, TV) is :class:`stl.numerics.icl.model.ICLModel`;
torch is imported when a model is built, never when it is only declared.

Metrics: ``icl_risk``, ``gen_gap``, the baselines ``icl_risk_ls``, ``icl_risk_ridge``
(Bayes-optimal), ``icl_risk_avg``, ``icl_risk_exact`` (the closed-form population risk of
the trained ``Γ``) and ``gamma_scale`` (``tr Γ / d``, whose optimum is ``c*``).

>>> from stl.numerics.models.registry import model_class
>>> model_class("lsa").family, model_class("lsa").default_n
('icl', 500)
"""

from __future__ import annotations

from stl.numerics.icl.model import ICLModel, common_specs
from stl.numerics.models.verification import Verification


class LSAModel(ICLModel):
    """One-layer linear self-attention (:mod:`stl.numerics.icl.lsa`), float64, query loss."""

    name = "lsa"
    summary = "one-layer linear self-attention trained on in-context linear-regression prompts (T2)"
    default_n = 500
    default_replicates = 32
    param_specs = common_specs("lsa")
    metric_names = ("icl_risk", "gen_gap", "icl_risk_ls", "icl_risk_ridge", "icl_risk_avg",
                    "icl_risk_exact", "gamma_scale")
    # the maximal coupling built from the density, measured with the model's TV estimator (ĉ's)
    verification = Verification(
        atlas={"full": dict(params={"dim": "2", "context": "6", "label_noise": "1", "steps": "100", "probes": "200"},
                            n=100, lams=(0.0, 0.5, 0.9, 0.95), generations=6, replicates=32, tau_replicates=32,
                            neighbours=16, block=32, locate_high=0.9, locate_steps=4,
                            gamma_options={"coupling": "maximal-density", "measure": "tv"})})
    dtype_name = "float64"
    score_query_only = True

    @property
    def _lsa(self):
        from stl.numerics.icl import lsa

        return lsa

    @property
    def predict_fn(self):
        return self._lsa.predict

    def init_tensors(self, replicates, streams):
        return self._lsa.init_params(replicates, self.dim, device=self.torch_device, dtype=self.dtype)

    def optimizer(self):
        return "sgd"

    def train_tensors(self, init, prompts, order):
        # Step lr / L with L the loss curvature per replicate (lsa.curvature): stable on
        # synthetic prompts whose label scale the parent sets.
        g = self._lsa.train_lsa(prompts, steps=self.steps, lr=self.lr, order=order, warm=init)
        return {"gamma": g}

    def extra_metrics(self, params, names):
        g = params.tensors["gamma"]
        out = {}
        if "icl_risk_exact" in names:
            out["icl_risk_exact"] = self._numpy(self._lsa.population_risk(g, self.context, self.dim, self.noise))
        if "gamma_scale" in names:
            out["gamma_scale"] = self._numpy(self._torch.diagonal(g, dim1=-2, dim2=-1).mean(-1))
        return out

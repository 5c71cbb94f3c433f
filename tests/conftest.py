"""Shared pytest configuration.

* GPU tests are skipped where CUDA is absent.
* ``tests/docs/docs_helpers.py`` is registered as the module ``stl_docs_test_helpers``
  (pytest runs this file before collecting any test module), so every test can
  ``import stl_docs_test_helpers``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_HELPERS = "stl_docs_test_helpers"
if _HELPERS not in sys.modules:
    _spec = importlib.util.spec_from_file_location(_HELPERS, Path(__file__).parent / "docs" / "docs_helpers.py")
    _module = importlib.util.module_from_spec(_spec)
    sys.modules[_HELPERS] = _module
    _spec.loader.exec_module(_module)


def _cuda_available() -> bool:
    if importlib.util.find_spec("torch") is None:
        return False
    import torch

    return bool(torch.cuda.is_available())


def pytest_collection_modifyitems(config, items):
    gpu_items = [item for item in items if "gpu" in item.keywords]
    if gpu_items and not _cuda_available():
        skip = pytest.mark.skip(reason="needs a CUDA device")
        for item in gpu_items:
            item.add_marker(skip)


class _ClosedForms:
    """The literature's closed forms as numpy functions of the sizes and the model's numbers,
    taken from the model cards (their one home) through the bridge: ``E metric_i`` for
    ``i = 0..generations``."""

    @staticmethod
    def _values(model, metric, scheme, params, facts, n, generations):
        from stl.verify.cards import card

        c = card(model)
        form = c.closed_form(metric, scheme, params)
        return c.closed_form_values(form, facts, n, generations)

    def wright_fisher_heterozygosity(self, n, generations, probs):
        import numpy as np

        h0 = 1.0 - float(np.sum(np.asarray(probs, dtype=float) ** 2))
        return self._values("categorical", "heterozygosity", "replace", {}, {"real_heterozygosity": h0}, n, generations)

    def gaussian_variance(self, n, generations, scale=1.0, estimator="mle"):
        return self._values("gaussian", "variance", "replace", {"estimator": estimator},
                            {"scale": float(scale), "dim": 1}, n, generations)

    def gaussian_mean_error(self, n, generations, scale=1.0, dim=1, estimator="mle"):
        return self._values("gaussian", "mean_error", "replace", {"estimator": estimator},
                            {"scale": float(scale), "dim": int(dim)}, n, generations)

    def linreg_replace(self, n, generations, dim=5, noise=1.0):
        return self._values("linreg", "test_error", "replace", {}, {"noise": float(noise), "dim": int(dim)}, n,
                            generations)

    def linreg_accumulate(self, n, generations, dim=5, noise=1.0):
        return self._values("linreg", "test_error", "accumulate", {}, {"noise": float(noise), "dim": int(dim)}, n,
                            generations)


@pytest.fixture(scope="session")
def closed_forms():
    """The closed forms of the model cards (see :class:`_ClosedForms`)."""
    return _ClosedForms()

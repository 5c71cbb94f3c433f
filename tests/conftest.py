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

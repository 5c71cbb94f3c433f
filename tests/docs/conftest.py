"""Registers ``docs_helpers.py`` as the module ``stl_docs_test_helpers`` for the docs tests.

pytest runs this file before collecting the test modules beside it, so they can simply
``import stl_docs_test_helpers``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_NAME = "stl_docs_test_helpers"
if _NAME not in sys.modules:
    _spec = importlib.util.spec_from_file_location(_NAME, Path(__file__).with_name("docs_helpers.py"))
    _module = importlib.util.module_from_spec(_spec)
    sys.modules[_NAME] = _module
    _spec.loader.exec_module(_module)

"""The deadline of symbolic work fires inside sympy and leaves no timer behind."""

from __future__ import annotations

import signal

import pytest
import sympy as sp

from stl.theory.budget import deadline, default_seconds
from stl.theory.errors import TimeBudgetExceeded


@pytest.mark.timeout(120)
def test_deadline_interrupts_sympy_and_is_not_an_exception():
    x = sp.Symbol("x")
    with pytest.raises(TimeBudgetExceeded):
        with deadline(0.3):
            sp.factor(sp.expand((x + 1) ** 4000 - (x - 1) ** 4000))  # minutes of work
    assert not issubclass(TimeBudgetExceeded, Exception)  # sympy's `except Exception` can't eat it
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_fast_work_finishes_untouched():
    with deadline(5):
        assert sp.factor(sp.Symbol("y") ** 2 - 1) is not None
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_default_can_be_overridden(monkeypatch):
    monkeypatch.setenv("STL_SYMBOLIC_TIMEOUT", "7.5")
    assert default_seconds() == 7.5
    monkeypatch.setenv("STL_SYMBOLIC_TIMEOUT", "-1")
    assert default_seconds() == 30.0

"""D1-D4 as value objects."""

from __future__ import annotations

import dataclasses

import pytest

from stl.theory.definitions import BY_CODE, DEFINITIONS
from stl.theory.symbols import beta_n, d_tv, tau_n


def test_four_definitions_with_their_parameters():
    assert [d.code for d in DEFINITIONS] == ["D1", "D2", "D3", "D4"]
    assert BY_CODE["D1"].parameter == beta_n
    assert BY_CODE["D2"].parameter == tau_n
    assert BY_CODE["D4"].parameter == d_tv
    for definition in DEFINITIONS:
        assert definition.text and r"\leq" in definition.latex()
        with pytest.raises(dataclasses.FrozenInstanceError):
            definition.code = "D9"  # type: ignore[misc]

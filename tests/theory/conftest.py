"""Fixtures of the symbolic tests: seeded random points in the domains of the theory."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest


class Points:
    """Seeded random exact (rational) and float values for the theory's symbols."""

    def __init__(self, seed: int):
        self.random = random.Random(seed)

    def fraction(self, low: float = 0.0, high: float = 1.0, denominator: int = 997) -> Fraction:
        """A rational strictly inside (low, high)."""
        while True:
            value = Fraction(self.random.randint(1, denominator - 1), denominator)
            value = Fraction(low) + (Fraction(high) - Fraction(low)) * value
            if low < value < high:
                return value

    def uniform(self, low: float, high: float) -> float:
        return self.random.uniform(low, high)

    def integer(self, low: int, high: int) -> int:
        return self.random.randint(low, high)


@pytest.fixture
def points() -> Points:
    return Points(20250225)

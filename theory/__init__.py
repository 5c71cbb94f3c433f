"""Symbolic layer (sympy only): definitions, bounds, derivations and LaTeX for STL theory."""

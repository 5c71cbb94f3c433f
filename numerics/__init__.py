"""Numeric layer: batched self-consuming loops, models, schemes, metrics, estimators.

Never imports sympy; torch is imported only by the in-context-learning models.
"""

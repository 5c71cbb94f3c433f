"""``scipy.special`` functions the models use, imported on first call.

Importing ``scipy.special`` costs about 0.2 s (it pulls in scipy's array-API layer). The
model modules are all imported when the registry discovers them, so a top-level import
there would make every ``stl`` command pay it; through this module only a run that
evaluates one of these functions does.

>>> float(ndtr(0.0)), float(logsumexp([0.0, 0.0]))
(0.5, 0.6931471805599453)
"""

from __future__ import annotations


def ndtr(x):
    """The standard normal CDF, elementwise (``scipy.special.ndtr``)."""
    from scipy.special import ndtr as _ndtr

    return _ndtr(x)


def logsumexp(a, axis=None, keepdims=False):
    """``log Σ exp(a)`` along ``axis`` without overflow (``scipy.special.logsumexp``)."""
    from scipy.special import logsumexp as _logsumexp

    return _logsumexp(a, axis=axis, keepdims=keepdims)

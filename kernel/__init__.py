"""``stl.kernel``: the few pieces every layer shares, under all of them.

One definition each, imported by :mod:`stl.theory`, :mod:`stl.numerics` and
:mod:`stl.verify` alike; the kernel imports none of them (nor sympy, numpy or torch at
import time), so the layer rule stays: theory and numerics never import each other.

* :mod:`stl.kernel.errors` — ``InputError(argument, got, allowed)``, the one error for a
  bad user value (the CLI prints it as one line, exit status 2), and ``check_int``;
* :mod:`stl.kernel.atomic` — atomic file writes (temporary file, then rename) and the
  cleanup of what an interrupted write left;
* :mod:`stl.kernel.jsonclean` — strict JSON (no NaN, numpy scalars as numbers);
* :mod:`stl.kernel.student_t` — the Student-t quantile of every confidence interval;
* :mod:`stl.kernel.adam` — the flat Adam update of the torch learners (torch imported
  inside its functions).

>>> import stl.kernel.errors as errors
>>> str(errors.InputError("n", 0, "an integer >= 1"))
'n: got 0; allowed: an integer >= 1'
"""

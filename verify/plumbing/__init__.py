"""What the verification runs on, with no theory in it: the task backends
(:mod:`~stl.verify.plumbing.backends`), the result codec (:mod:`~stl.verify.plumbing.codec`),
file locks (:mod:`~stl.verify.plumbing.lock`) and frozen mappings
(:mod:`~stl.verify.plumbing.frozen`). Atomic writes and JSON cleaning are in :mod:`stl.kernel`."""

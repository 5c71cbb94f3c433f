"""Research features built on the loop and the theory: ``stl sweep`` grids
(:mod:`~stl.verify.research.sweep`), T3's optimal synthetic size by every method
(:mod:`~stl.verify.research.optimal_size`) and ``stl plot``'s figures for papers
(:mod:`~stl.verify.research.plots`). The atlas is a check: :mod:`stl.verify.checks.atlas`."""

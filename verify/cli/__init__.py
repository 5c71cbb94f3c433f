"""The ``stl`` command line. Each command lives in its own ``cmd_*`` module."""

"""The ``collect`` command line: ``app`` (the typer application the ``collect`` script runs).

- ``app``    the application, exit codes, error handling and options every command shares;
- ``report`` ``collect report``, the main job;
- ``tools``  ``collect record``, ``history``, ``diff`` and ``doctor``;
- ``init``   ``collect init``: the first config and the weekly systemd units;
- ``declare`` ``collect declare``: the lab as it runs, as a declaration of its systems.

Importing this package registers every command; ``--help`` lists them in import order, so
``init`` (a new user's first command) comes first, then ``report``.
"""

# isort: off
from collector.cli import init, report, tools, declare  # --help lists commands in this order
from collector.cli.app import ExitCode, FailOn, app, exit_code

# isort: on

__all__ = ["ExitCode", "FailOn", "app", "declare", "exit_code", "init", "report", "tools"]

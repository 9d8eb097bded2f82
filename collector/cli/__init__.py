"""The ``collect`` command line: ``app`` (the typer application the ``collect`` script runs).

- ``app``    the application, exit codes, error handling and options every command shares;
- ``report`` ``collect report``, the main job;
- ``tools``  ``collect record``, ``history``, ``diff`` and ``doctor``;
- ``init``   ``collect init``: the first config and the weekly systemd units.

Importing this package registers every command; ``--help`` lists them in import order, so
``init`` (a new user's first command) comes first, then ``report``.
"""

from collector.cli import init, report, tools
from collector.cli.app import ExitCode, FailOn, app, exit_code

__all__ = ["ExitCode", "FailOn", "app", "exit_code", "init", "report", "tools"]

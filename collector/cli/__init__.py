"""The ``collect`` command line: ``app`` (the typer application the ``collect`` script runs).

- ``app``    the application, exit codes, error handling and options every command shares;
- ``report`` ``collect report``, the main job;
- ``tools``  ``collect record``, ``history``, ``diff`` and ``doctor``.

Importing this package registers every command, ``report`` first so ``--help`` lists it first.
"""

from collector.cli import report, tools
from collector.cli.app import ExitCode, FailOn, app, exit_code

__all__ = ["ExitCode", "FailOn", "app", "exit_code", "report", "tools"]

"""Run history: every ``collect report`` stored in an embedded SQLite database, and what changed.

- ``diff``     pure comparison of two stored snapshots (no I/O): the report's Changes section
- ``snapshot`` turns a ``Report`` into a snapshot, through the public JSON document
- ``store``    the SQLite database (``schema``: migrations; ``retention``: what to prune)
- ``timeline`` reading across runs: the run list, findings' first-seen dates
- ``settings`` the ``[history]`` config table and the default database path
- ``lock``     the lock that keeps two overlapping runs from interleaving
- ``commands`` what ``collect history`` and ``collect diff`` do
- ``errors``   ``HistoryError`` (exit 2) and ``RunLocked`` (exit 4)

Nothing is imported here so that ``collector.report`` can import ``diff`` without a cycle.
"""

"""Run history: every ``collect report`` stored in an embedded SQLite database.

- ``store``    the SQLite database (``schema``: migrations; ``retention``: what to prune)
- ``timeline`` reading across runs: the run list, findings' first-seen dates
- ``settings`` the ``[history]`` settings and the default database path
- ``lock``     the lock that keeps two overlapping runs from interleaving
- ``errors``   ``HistoryError`` (exit 2) and ``RunLocked`` (exit 4)

What a run keeps (``collector.report.snapshot``) and how two runs compare
(``collector.report.diff``) belong to the report; the history only stores and reads them.
"""

"""The report: what one run found, and how it compares with an earlier run.

- ``build``      ``Report`` and ``build_report``: inventory, findings and the summary figures
- ``compliance`` compliance per layer
- ``document``   the versioned JSON document (the contract users' scripts rely on)
- ``snapshot``   what of a report the history keeps, read from that document
- ``diff``       the pure comparison of two snapshots: the Changes section
"""

"""Correlation: the sources' results joined into one inventory, and what each object is for.

- ``inventory``       the joined inventory (cluster → node → guest → engine → container)
- ``placement``       which guest or node each container engine runs on
- ``classify``        each workload's intended role (platform or service)
- ``ownership``       who is responsible for each object, and where that answer came from
- ``backup_jobs``     which backup jobs cover which guest (vzdump's own selection rules)
- ``weak_placements`` placements decided with less evidence because a privilege was missing
- ``running``         what runs, as systems a declaration can name (guests, containers,
                      compose projects, pods)
- ``declared``        the declared systems matched to what runs: ok, missing, mismatch,
                      ambiguous, unknown; and the undeclared workloads
"""

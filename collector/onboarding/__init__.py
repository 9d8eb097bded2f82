"""Getting started: what ``collect init`` writes.

- ``config_file`` the first config: the commented example, written once (mode 0600, never over
  an existing file) where ``collect`` looks for it;
- ``systemd``     the weekly service and timer for the installed program, built from the shipped
  ``contrib/`` units.
"""

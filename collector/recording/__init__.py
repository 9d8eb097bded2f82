"""Recordings: what ``collect record`` writes and ``--replay`` reads (format: fixtures/README.md).

- ``redact``: what is never written (secrets, environment, command lines), applied to every answer;
- ``pseudonym``: the deterministic pseudonymiser behind ``--anonymise``;
- ``config_out``: the recording's ``config.toml``, without secrets (and anonymised on request);
- ``store``: atomic file writes and the ``--out`` folder contract;
- ``anonymise``: rewrites a recording's answers with pseudonyms (knows where PVE and Docker
  answers keep names and addresses).

The run itself is ``collector.collection.record``; the tee clients live in
``adapters/*/record.py``, and ``collector.collection.wiring`` hands them in, so this package
never imports an adapter.
"""

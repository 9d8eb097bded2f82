"""``collect record``: turn a live lab into a replayable recording (format: fixtures/README.md).

- ``redact``: what is never written (secrets, environment, command lines), applied to every answer;
- ``pseudonym``: the deterministic pseudonymiser behind ``--anonymise``;
- ``config_out``: the recording's ``config.toml``, without secrets (and anonymised on request);
- ``store``: atomic file writes and the ``--out`` folder contract;
- ``record``: the run itself: collect through tee clients into a staging folder, then publish;
- ``anonymise``: rewrites a recording's answers with pseudonyms (knows where PVE and Docker
  answers keep names and addresses).

The tee clients live in ``adapters/*/record.py``; ``collector.collection.wiring`` hands them
in, so this package never imports an adapter.
"""

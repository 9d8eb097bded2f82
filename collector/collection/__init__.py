"""Collection: building the sources from the config and running them.

- ``wiring``      the only core module that imports ``adapters``: live, replay and recording
                  sources from the config
- ``orchestrate`` run every source concurrently, then correlate, judge and report
- ``security``    transport safety checks (clear text refused unless allowed)
- ``record``      ``collect record``: collect through tee clients, then publish the recording
- ``progress``    the progress line on a terminal
- ``doctor``      ``collect doctor``: run the sources' probes and say what is missing
"""

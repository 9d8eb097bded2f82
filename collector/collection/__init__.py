"""Collection: building the sources from the config and running them.

- ``wiring``      the only core module that imports ``adapters``: live, replay and recording
                  sources from the config
- ``orchestrate`` run every source concurrently, then correlate, judge and report
- ``limits``      the ``[collect]`` limits (run deadline, retries)
- ``security``    transport safety checks (clear text refused unless allowed)
- ``progress``    the progress line on a terminal
- ``doctor``      ``collect doctor``: run the sources' probes and say what is missing
"""

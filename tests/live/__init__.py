"""Live tests: real dockerd/sshd processes started by the fixtures in ``conftest.py``."""

"""Test-support code shared by the test suites: throwaway TLS material and API test servers.

Nothing here is shipped: the package lives under ``tests/`` so that the test servers can use real
sockets, real TLS and the real client libraries (proxmoxer, requests, docker) without the
collector's own code knowing it is under test.
"""

"""The benchmark: synthetic labs served over real HTTPS / unix sockets, timed end to end.

Run ``python bench/run.py --help``; ``docs/performance.md`` explains the figures.
"""

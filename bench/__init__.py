"""`make bench`: the throughput and latency benchmark of the hot API endpoints.

Run it as `.venv/bin/python -m bench` (see bench/__main__.py and docs/bench.md). The package also
holds what the benchmarked server needs beside the real app: settings that add one bare JSON view
(bench/settings.py, bench/urls.py), the fixtures script (bench/fixtures.py), the wrk Lua scripts
(bench/wrk/) and the paced open-loop load generator (bench/paced.py).
"""

"""The machine's load average around each case of `make bench`.

The machine the bench runs on is usually shared, and a figure measured while something else kept
both CPUs busy is not the same figure. So every case records `os.getloadavg()`'s 1-minute value
just before it starts and just after it ends (`load_average_before`, `load_average_after` in
var/bench.json and in the printed table). The 1-minute value is a decaying average, so for a
10 s case "before" says mostly what ran in the minute before it, and "after" includes the case's
own load (the server, PostgreSQL and the load generator). Also the peak memory of the processes a
case ran (a worker, gunicorn's). Imports nothing from Django.
"""

import os
from pathlib import Path


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def with_load(run, *args, **kwargs) -> dict:
    """Run one case (a function returning its figure as a dict) and add the load around it."""
    before = load_average()
    figure = run(*args, **kwargs)
    figure["load_average_before"] = before
    figure["load_average_after"] = load_average()
    return figure


def peak_memory_mb(pids: list[int]) -> float:
    """The largest peak resident memory (VmHWM, in MB) among these processes; gone ones skipped."""
    peak = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        except OSError:
            continue
    return round(peak / 1024, 1)

"""The machine's load average around each case of `make bench`.

The machine the bench runs on is usually shared, and a figure measured while something else kept
both CPUs busy is not the same figure. So every case records `os.getloadavg()`'s 1-minute value
just before it starts and just after it ends (`load_average_before`, `load_average_after` in
var/bench.json and in the printed table). The 1-minute value is a decaying average, so for a
10 s case "before" says mostly what ran in the minute before it, and "after" includes the case's
own load (the server, PostgreSQL and the load generator). Imports nothing from Django.
"""

import os


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def with_load(run, *args, **kwargs) -> dict:
    """Run one case (a function returning its figure as a dict) and add the load around it."""
    before = load_average()
    figure = run(*args, **kwargs)
    figure["load_average_before"] = before
    figure["load_average_after"] = load_average()
    return figure

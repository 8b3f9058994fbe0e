"""Concurrent clients that stop after a number of responses: `python -m bench.clients --port P ...`.

wrk runs for a fixed time, so over a slow endpoint (a report that takes half a second) it would
collect a few dozen responses, and the p99 of a few dozen is their maximum. The scoreboard's
cases need the opposite: a fixed number of responses however long that takes. This script opens
`--clients` concurrent clients (closed loop: each sends its next request when its last one is
answered, a new connection each time, as gunicorn's sync workers close it anyway); together they
first send `--warmup` requests that are not counted, then exactly `--samples` timed ones. Each
response is timed from the moment its request was sent until its body was read, and its status
is compared with `--expect`; any other status, a socket error or a timeout is counted as an
error (and makes the case INVALID in bench/__main__.py). Requests take the `--path`s in turn.

It imports nothing from Django: it is the client, in its own process. Prints one line,
"BENCH_RESULT {json}", like bench/paced.py and the wrk scripts.
"""

import argparse
import asyncio
import json
import time

from bench.paced import percentile, send

TIMEOUT_SECONDS = 60.0  # a report that takes longer is an error, not a figure


async def run(args) -> dict:
    heads = [
        (
            f"GET {path} HTTP/1.1\r\nHost: {args.host}:{args.port}\r\n"
            + "".join(f"{header}\r\n" for header in args.header)
            + "Connection: close\r\n\r\n"
        ).encode()
        for path in args.path
    ]
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    errors = {"connect": 0, "timeout": 0, "other": 0}
    sample = ""
    issued = 0

    async def client(total: int, timed: bool) -> None:
        nonlocal issued, sample
        while issued < total:
            index = issued
            issued += 1
            started = loop.time()
            try:
                status, body = await asyncio.wait_for(
                    send(args.host, args.port, heads[index % len(heads)]), TIMEOUT_SECONDS
                )
            except TimeoutError:
                errors["timeout"] += timed
                continue
            except ConnectionError:
                errors["connect"] += timed
                continue
            except Exception:  # a malformed answer is an error of the run, not of this script
                errors["other"] += timed
                continue
            if not timed:
                continue
            latencies.append(loop.time() - started)
            if status != args.expect:
                statuses[str(status)] = statuses.get(str(status), 0) + 1
                sample = sample or body[:300].decode("utf-8", "replace")

    if args.warmup:
        await asyncio.gather(*(client(args.warmup, False) for _ in range(args.clients)))
    issued = 0
    started = loop.time()
    await asyncio.gather(*(client(args.samples, True) for _ in range(args.clients)))
    elapsed = loop.time() - started
    ms = sorted(value * 1000 for value in latencies)
    return {
        "requests": len(ms),
        "samples": args.samples,
        "clients": args.clients,
        "warmup_requests": args.warmup,
        "seconds": elapsed,
        "rps": len(ms) / elapsed if elapsed else 0.0,
        "p50_ms": percentile(ms, 50),
        "p90_ms": percentile(ms, 90),
        "p99_ms": percentile(ms, 99),
        "max_ms": ms[-1] if ms else 0.0,
        "mean_ms": sum(ms) / len(ms) if ms else 0.0,
        "socket_errors": errors,
        "unexpected": sum(statuses.values()),
        "statuses": statuses,
        "sample": sample,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", action="append", required=True, help="a request path; repeat to rotate")
    parser.add_argument("--header", action="append", default=[], help='e.g. "Authorization: Token abc"')
    parser.add_argument("--expect", type=int, default=200, help="the one status counted as a success")
    parser.add_argument("--clients", type=int, default=4, help="requests in flight at once")
    parser.add_argument("--samples", type=int, default=300, help="timed responses")
    parser.add_argument("--warmup", type=int, default=0, help="responses before the timed ones, not counted")
    args = parser.parse_args()
    started = time.monotonic()
    result = asyncio.run(run(args))
    result["wall_seconds"] = time.monotonic() - started
    print("BENCH_RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()

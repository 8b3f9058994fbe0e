"""A paced, open-loop load generator: `python -m bench.paced capture|interaction --rate R ...`.

wrk is closed-loop: each connection sends its next request only when the last one is answered,
so it measures the maximum rate, and a slow server just slows the load down. "p99 under 50 ms at
half the maximum rate" needs the opposite: requests that arrive on a fixed schedule whatever the
server does, as a website's visitors (or the CSRs) would. This script sends request i at
t0 + i / R, each on its own connection (gunicorn's sync workers close the connection after every
response anyway), and times it from its *scheduled* start, so time spent queueing anywhere counts
(no coordinated omission). It imports nothing from Django: it is the client, in its own process.

`capture` posts captures with new e-mails (as bench/wrk/capture_new.lua), with `--idempotency`
each with its own Idempotency-Key header, as a real form sends; `interaction` logs email_open on
the given leads in turn (as bench/wrk/log_interaction.lua). Either way anything but a 201 is
counted as unexpected; `queue` and `get` expect a 200. Prints one line, "BENCH_RESULT {json}", like the wrk scripts.
"""

import argparse
import asyncio
import json
import time

MAX_IN_FLIGHT = 256  # a cap on open sockets if the server stalls; waiting for it still counts
TIMEOUT_SECONDS = 10.0


def post(host: str, port: int, path: str, header: str, body: dict) -> bytes:
    """The bytes of one JSON POST; `header` is the credential line (form key or token), or
    several header lines joined with CRLF."""
    data = json.dumps(body).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"{header}\r\nContent-Length: {len(data)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + data


def request_maker(args):
    """request number -> bytes to send, for the chosen endpoint."""
    if args.endpoint == "capture":

        def headers(index: int) -> str:
            if args.idempotency:  # distinct per request and per run, as a form makes one per submission
                return f"X-Form-Key: {args.form_key}\r\nIdempotency-Key: paced-{args.prefix}-{index}"
            return f"X-Form-Key: {args.form_key}"

        return lambda index: post(
            args.host,
            args.port,
            "/api/v1/capture/",
            headers(index),
            {
                "first_name": "Bench",
                "last_name": "Paced",
                "message": "Benchmark inquiry",
                "email": f"paced-{args.prefix}-{index}@bench.example.com",
                "consent": True,
            },
        )
    if args.endpoint in ("get", "track"):
        # get: a staff member's GET with their token; track: a prospect's mail app or browser
        with open(args.paths) as lines:
            paths = [line.strip() for line in lines if line.strip()]
        who = (
            f"Authorization: Token {args.token}"
            if args.endpoint == "get"
            else "User-Agent: Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15 Safari/605.1.15"
        )
        heads = [
            f"GET {path} HTTP/1.1\r\nHost: {args.host}:{args.port}\r\n{who}\r\nConnection: close\r\n\r\n".encode()
            for path in paths
        ]
        return lambda index: heads[index % len(heads)]
    if args.endpoint == "queue":
        head = (
            f"GET /api/v1/queue/ HTTP/1.1\r\nHost: {args.host}:{args.port}\r\n"
            f"Authorization: Token {args.token}\r\nConnection: close\r\n\r\n"
        ).encode()
        return lambda index: head
    with open(args.lead_ids) as lines:
        leads = [int(line) for line in lines if line.strip()]
    return lambda index: post(
        args.host,
        args.port,
        f"/api/v1/leads/{leads[index % len(leads)]}/interactions/",
        f"Authorization: Token {args.token}",
        {"kind": "email_open"},
    )


async def send(host: str, port: int, payload: bytes) -> tuple[int, bytes]:
    """One HTTP/1.1 exchange on a fresh connection: (status, body)."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(payload)
        await writer.drain()
        status_line = await reader.readline()
        status = int(status_line.split()[1])
        length = None
        while True:
            line = await reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        body = await (reader.readexactly(length) if length is not None else reader.read())
        return status, body
    finally:
        writer.close()


def percentile(sorted_values: list[float], pct: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(pct / 100 * len(sorted_values)) - 1))
    return sorted_values[index]


def expected_status(args) -> int:
    if args.endpoint == "track":
        return args.expect
    return 200 if args.endpoint in ("queue", "get") else 201


async def run(args) -> dict:
    loop = asyncio.get_running_loop()
    make_request = request_maker(args)
    gate = asyncio.Semaphore(MAX_IN_FLIGHT)
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    errors = {"connect": 0, "timeout": 0, "other": 0}
    sample = ""
    last_done = 0.0

    async def one(index: int, due: float) -> None:
        nonlocal sample, last_done
        payload = make_request(index)
        try:
            async with gate:
                exchange = send(args.host, args.port, payload)
                status, body = await asyncio.wait_for(exchange, TIMEOUT_SECONDS)
        except TimeoutError:
            errors["timeout"] += 1
            return
        except ConnectionError:
            errors["connect"] += 1
            return
        except Exception:  # a malformed answer is an error of the run, not of this script
            errors["other"] += 1
            return
        now = loop.time()
        latencies.append(now - due)
        last_done = max(last_done, now)
        if status != expected_status(args):
            statuses[str(status)] = statuses.get(str(status), 0) + 1
            sample = sample or body[:300].decode("utf-8", "replace")

    total = int(args.rate * args.seconds)
    start = loop.time() + 0.05
    tasks = []
    for index in range(total):
        due = start + index / args.rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(index, due)))
    await asyncio.gather(*tasks)

    latencies.sort()
    elapsed = max(last_done - start, args.seconds)
    ms = [value * 1000 for value in latencies]
    return {
        "requests": len(latencies),
        "scheduled": total,
        "target_rps": args.rate,
        "rps": len(latencies) / elapsed,
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
    parser.add_argument("endpoint", choices=["capture", "interaction", "queue", "get", "track"])
    parser.add_argument("--paths", help="get, track: a file with one path a line, requested in turn")
    parser.add_argument("--expect", type=int, default=200, help="track: the status expected (302 for /t/)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--form-key", help="capture: the X-Form-Key")
    parser.add_argument("--prefix", default="", help="capture: makes this run's e-mails unique")
    parser.add_argument("--idempotency", action="store_true", help="capture: an Idempotency-Key per request")
    parser.add_argument("--token", help="interaction: a staff user's API token")
    parser.add_argument("--lead-ids", help="interaction: a file with one lead id a line")
    parser.add_argument("--rate", type=float, required=True, help="requests per second")
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    started = time.monotonic()
    result = asyncio.run(run(args))
    result["wall_seconds"] = time.monotonic() - started
    print("BENCH_RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()

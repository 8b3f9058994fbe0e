"""`make bench` (`.venv/bin/python -m bench`): how fast the hot API endpoints are, on this machine.

What it does, in order, and why:

1. Picks a throwaway database and empties it, so every run starts from the same state:
   PostgreSQL when DATABASE_URL points there (in a database whose name contains "bench": it is
   dropped and recreated, so the bench never touches the database you named if that one is not a
   bench database), `crm_bench` on 127.0.0.1:5432 when DATABASE_URL is unset and PostgreSQL
   answers there, else SQLite under var/ with a warning that the figures are not representative.
2. Migrates it and makes a web-form key, a CSR user with a token and a manager with a token and a
   signed-in session (bench/fixtures.py), each in a subprocess with the same environment as the
   server. Then, still before the server starts, bench/scoring.py times the pure engine and
   generates BENCH_RESCORE_LEADS leads (a million by default) and times their full rescore
   through a real Celery worker; bench/sales.py puts every fifth lead in the sales pool and makes
   sixteen salespeople; bench/offers.py makes a live offer limited to 100 and the caller-search
   and lookup paths. Every HTTP figure below is measured over that book. Before the sales set-up,
   bench/imports.py imports a bought list of BENCH_IMPORT_ROWS rows (a million) against that book
   through a real worker, then removes what it imported.
3. Serves the real app with gunicorn: a fixed number of sync workers (BENCH_WORKERS, 4), DEBUG off,
   the production settings plus one bare JSON view (bench/settings.py), the throttle cache in
   Redis when REDIS_URL answers, and throttle rates so high that nothing is throttled.
4. Right after the bulk load, before anything tidies up after it (the state after a real import
   or publish), times capture_new with an Idempotency-Key at a fixed rate. Then
   bench/maintenance.py runs VACUUM (ANALYZE) and a CHECKPOINT, and every later figure is over
   the tidied database.
5. Makes the merge contacts, the interaction leads and the leads with a long history by posting
   real captures to that server; bench/history.py gives the last ones 1,000 interactions each
   and rescores them through the product.
6. Loads each endpoint from a separate process: wrk (closed loop, BENCH_THREADS x
   BENCH_CONNECTIONS, BENCH_WARMUP s of warm-up, then BENCH_SECONDS s measured) for the maximum
   rate, then bench/paced.py (open loop) at fixed absolute rates (capture and interactions at
   BENCH_CAPTURE_RATE and BENCH_INTERACTION_RATE, 50/s; the queue, caller search and offer lookup
   at 50/s), so runs compare, and capture_new and log_interaction also at half their wrk rate:
   the latency when the server is busy but not saturated. redeem_16 fires 16 concurrent
   redemptions; bench/sales.py times the queue's database side and writes var/explain_queue.txt.
7. Reshapes the book into two years of a real scoreboard (bench/reports.py) and times every
   report API and the whole scoreboard page over HTTP, as the manager, with BENCH_REPORT_CLIENTS
   concurrent clients and BENCH_REPORT_SAMPLES (300) timed responses each (bench/clients.py).
8. After gunicorn stops, bench/nurture.py makes BENCH_NURTURE_ENROLMENTS (100,000) enrolments
   whose e-mail step falls due at once and times one Celery worker through all of them, with
   the plan of the sweep's read. BENCH_ONLY=nurture_advance runs that case alone, on a fresh
   database, and writes var/bench-nurture_advance.json instead.
9. Prints a table with the targets, the machine's load average before and after each case, and
   writes var/bench.json. A figure with any error (a status other than the expected one, or a
   socket error, or a failed check) is marked INVALID and the command exits 1; a missed target is
   only reported (exit 0).

gunicorn is always stopped, whatever happens (try/finally). Its log is var/bench-gunicorn.log.
Django is never imported here: the bench process is only an orchestrator and a client.
"""

import concurrent.futures
import http.client
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

from bench.load import peak_memory_mb, with_load

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
RESULT_FILE = VAR / "bench.json"
GUNICORN_LOG = VAR / "bench-gunicorn.log"
SQLITE_FILE = VAR / "bench.sqlite3"
BIN = Path(sys.executable).parent
LOCAL_POSTGRES = "postgres://postgres@127.0.0.1:5432/crm_bench"
GENEROUS_RATE = "1000000/min"  # the bench measures the app, not its throttles
CACHE_PREFIX = "crmbench"  # its own throttle counters, apart from `make run`'s and the tests'

MERGE_CONTACTS = 300  # contacts capture_merge cycles over
INTERACTION_LEADS = 500  # leads log_interaction cycles over
# Leads log_interaction_3000 cycles over, each with BENCH_HISTORY (3,000) interactions: as many as
# the plain case's leads are apart in wrk's rotation, so two requests rarely wait on one lead's lock.
HISTORY_LEADS = 200

# The scoreboard's reports, each for the default period (90 days) and the book's two years: the
# API path and its query (the period's start is added for 2y).
REPORT_GROUPS = ("utm_source", "campaign", "offer", "placement", "list")
REPORT_PATHS = {
    "summary": ("/api/v1/reports/summary/", {}),
    "funnel": ("/api/v1/reports/funnel/", {}),
    **{f"sources_{group}": ("/api/v1/reports/sources/", {"group": group}) for group in REPORT_GROUPS},
    "pipeline": ("/api/v1/reports/pipeline/", {"target": "1000000"}),  # the measured close rate and deal
}
REPORT_CASES = [f"report_{report}_{period}" for period in ("90d", "2y") for report in REPORT_PATHS]
REPORT_PAGE = "report_page_90d"  # GET /reports/ as a signed-in manager: every table at once
# The score analysis (issue 20), each for the book's two years (bench/analysis.py).
ANALYSIS_PATHS = {
    "calibration": "/api/v1/reports/calibration/",
    "raters": "/api/v1/reports/raters/",
    "rules": "/api/v1/reports/rules/",
    "icp": "/api/v1/reports/icp/",
}
ANALYSIS_CASES = [f"score_analysis_{name}" for name in ANALYSIS_PATHS]
ANALYSIS_SAMPLES = int(os.environ.get("BENCH_ANALYSIS_SAMPLES", "20"))  # timed responses per analysis
TARGETS = [
    # (label, section of bench.json, key, comparison, threshold)
    ("capture_new rps >= 25% of bare_json", "ratios", "capture_new_vs_bare_json", ">=", 0.25),
    ("capture_new_half_rate p99 < 50 ms", "capture_new_half_rate", "p99_ms", "<", 50.0),
    ("capture_new_c8 >= 750 leads/s (issue 21: 10x DjangoCRM, 6x BottleCRM)", "capture_new_c8", "rps", ">=", 750.0),
    ("capture_new_c1 p50 < 3 ms (issue 21)", "capture_new_c1", "p50_ms", "<", 3.0),
    ("log_interaction p99 < 25 ms", "log_interaction", "p99_ms", "<", 25.0),
    (
        "log_interaction_3000_paced p50 < 1.5x a fresh lead's (issue 21)",
        "ratios",
        "log_interaction_3000_paced_p50_vs_fresh",
        "<",
        1.5,
    ),
    ("score_engine >= 20,000 leads/s", "score_engine", "leads_per_s", ">=", 20_000),
    ("rescore_full >= 5,000 leads/s", "rescore_full", "leads_per_s", ">=", 5_000),
    (
        "recovery_after_kill: resumes < 30 s after restart",
        "recovery_after_kill",
        "resume_seconds_after_restart",
        "<",
        30,
    ),
    ("letters_10k: batch done < 120 s", "letters_10k", "seconds", "<", 120),
    ("followups_due_1000: notified p99 < 60 s", "followups_due_1000", "p99_s", "<", 60),
    ("import_1m >= 5,000 rows/s (dedupe vs 1M contacts)", "import_1m", "rows_per_s", ">=", 5_000),
    ("import_1m: the file done < 200 s", "import_1m", "seconds", "<", 200),
    ("import_1m: worker peak memory < 300 MB", "import_1m", "worker_peak_mb", "<", 300),
    ("queue_first_page p99 < 30 ms (paced)", "queue_first_page_paced", "p99_ms", "<", 30.0),
    ("queue_first_page database p99 < 10 ms", "queue_db", "p99_ms", "<", 10.0),
    ("queue and claim plans: no Seq Scan", "queue_db", "seq_scans", "<", 1),
    ("claim_next (16 claimers) p99 < 30 ms", "claim_next", "p99_ms", "<", 30.0),
    ("caller_search p99 < 50 ms (paced)", "caller_search_paced", "p99_ms", "<", 50.0),
    ("offer_lookup p99 < 10 ms (paced)", "offer_lookup_paced", "p99_ms", "<", 10.0),
    ("redeem_16: exactly the limit succeed", "redeem_16", "over_or_under_limit", "<", 1),
    *[(f"{name} p99 < 1 s (1M leads, 10M interactions)", name, "p99_ms", "<", 1000.0) for name in REPORT_CASES],
    *[
        (f"{name} p99 < 100 ms (issue 21)", name, "p99_ms", "<", 100.0)
        for name in REPORT_CASES
        if name.endswith("_90d") and not name.startswith("report_pipeline")
    ],
    ("report_page_90d: the scoreboard p99 < 300 ms (issue 21)", REPORT_PAGE, "p99_ms", "<", 300.0),
    *[(f"{name} p99 < 2 s (issue 20)", name, "p99_ms", "<", 2000.0) for name in ANALYSIS_CASES],
    ("pixel rps >= 50% of bare_json", "ratios", "pixel_vs_bare_json", ">=", 0.5),
    ("redirect rps >= 50% of bare_json", "ratios", "redirect_vs_bare_json", ">=", 0.5),
    ("pixel p99 < 20 ms (paced 200/s)", "pixel_paced", "p99_ms", "<", 20.0),
    ("redirect p99 < 20 ms (paced 200/s)", "redirect_paced", "p99_ms", "<", 20.0),
    ("fold_1m: 1M hits folded and scored < 60 s, one worker", "fold_1m", "seconds", "<", 60.0),
    ("fold_1m: no scoring interaction written twice", "fold_1m", "duplicates", "<", 1),
    ("engagement_panel p99 < 50 ms (a lead with 10,000 hits)", "engagement_panel", "p99_ms", "<", 50.0),
    ("nurture_advance: every enrolment's due step done < 60 s, one worker", "nurture_advance", "seconds", "<", 60),
    ("nurture_advance: worker peak memory < 300 MB", "nurture_advance", "worker_peak_mb", "<", 300),
    ("nurture_advance: no step done twice", "nurture_advance", "duplicates", "<", 1),
    ("nurture_advance: the due-step sweep reads enrolment_due_idx", "nurture_advance", "seq_scans", "<", 1),
]
TRACKING_PACED_RATE = float(os.environ.get("BENCH_TRACKING_RATE", "200"))  # opens and clicks a second
SEARCH_PACED_RATE = float(os.environ.get("BENCH_SEARCH_RATE", "50"))  # CSR searches and lookups a second
QUEUE_PACED_RATE = float(os.environ.get("BENCH_QUEUE_RATE", "50"))  # salespeople opening their queue, a second
# Fixed absolute rates, so that runs compare whatever the closed-loop maximum was that time.
CAPTURE_PACED_RATE = float(os.environ.get("BENCH_CAPTURE_RATE", "50"))  # web forms a second
INTERACTION_PACED_RATE = float(os.environ.get("BENCH_INTERACTION_RATE", "50"))  # interactions a second
REPORT_SAMPLES = int(os.environ.get("BENCH_REPORT_SAMPLES", "300"))  # timed responses per report case
REPORT_CLIENTS = int(os.environ.get("BENCH_REPORT_CLIENTS", "4"))  # managers asking at once
RESCORE_LEADS = int(os.environ.get("BENCH_RESCORE_LEADS", "1000000"))  # 0 skips the full rescore
LETTERS = int(os.environ.get("BENCH_LETTERS", "10000"))  # read by bench/followups.py too
FOLLOWUPS_DUE = int(os.environ.get("BENCH_FOLLOWUPS_DUE", "1000"))
IMPORT_ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "1000000"))  # read by bench/imports.py too; 0 skips it
NURTURE_ENROLMENTS = int(os.environ.get("BENCH_NURTURE_ENROLMENTS", "100000"))  # bench/nurture.py; 0 skips it
# Cases that run without the server or the book, so BENCH_ONLY=<case> runs one alone (on an
# empty, migrated database): the module that measures it and what it says while it runs.
ALONE = {
    "nurture_advance": (
        "bench.nurture",
        f"Sequences: {NURTURE_ENROLMENTS:,} enrolments due at once, advanced by one worker ...",
    ),
}


# The modes that build what they need themselves (BENCH_ONLY=…), beside the ALONE cases.
BUILT_ALONE = ("score_analysis", "scoreboard", "intake", "tracking_doors", "tracking_fold")


class BenchError(Exception):
    """The bench itself could not run (no server, a failed setup step): no figures at all."""


@dataclass
class Config:
    seconds: int = int(os.environ.get("BENCH_SECONDS", "10"))
    warmup: int = int(os.environ.get("BENCH_WARMUP", "2"))
    workers: int = int(os.environ.get("BENCH_WORKERS", "4"))
    threads: int = int(os.environ.get("BENCH_THREADS", "2"))
    connections: int = int(os.environ.get("BENCH_CONNECTIONS", "16"))


@dataclass
class Database:
    url: str
    engine: str  # "postgresql" or "sqlite"
    name: str
    version: str
    representative: bool
    note: str = ""


# --- 1. The database -----------------------------------------------------------------------------


def postgres_answers(host: str = "127.0.0.1", port: int = 5432) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def choose_database() -> Database:
    """Where the bench writes; see the module docstring (step 1)."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if url.startswith(("postgres://", "postgresql://")):
        parts = urlsplit(url)
        name = parts.path.lstrip("/")
        note = ""
        if "bench" not in name:
            note = f"DATABASE_URL names '{name}': the bench uses '{name}_bench' on that server"
            name = f"{name}_bench"
        return recreate_postgres(urlunsplit(parts._replace(path="/" + name)), name, note)
    if url and not url.startswith("sqlite:"):
        scheme = url.split(":")[0]
        raise BenchError(f"DATABASE_URL must point at PostgreSQL or SQLite, not {scheme}")
    if not url and postgres_answers():
        try:
            return recreate_postgres(
                LOCAL_POSTGRES, "crm_bench", "DATABASE_URL unset: using PostgreSQL on 127.0.0.1:5432"
            )
        except BenchError as exc:
            print(f"note: PostgreSQL on 127.0.0.1:5432 answers but is not usable ({exc})")
    return recreate_sqlite()


def recreate_postgres(url: str, name: str, note: str) -> Database:
    """Drop and recreate the bench database (FORCE ends sessions a crashed run left behind)."""
    import psycopg2
    from psycopg2 import sql

    try:
        admin = psycopg2.connect(url, dbname="postgres", connect_timeout=3)
    except psycopg2.Error as exc:
        raise BenchError(f"cannot connect to PostgreSQL: {str(exc).strip()}") from exc
    try:
        admin.autocommit = True
        with admin.cursor() as cursor:
            database = sql.Identifier(name)
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(database))
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(database))
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
    finally:
        admin.close()
    return Database(url, "postgresql", name, version, representative=True, note=note)


def recreate_sqlite() -> Database:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{SQLITE_FILE}{suffix}").unlink(missing_ok=True)
    return Database(
        f"sqlite:///{SQLITE_FILE}",
        "sqlite",
        str(SQLITE_FILE.relative_to(ROOT)),
        sqlite3.sqlite_version,
        representative=False,
        note=f"SQLite ({SQLITE_FILE.relative_to(ROOT)}, whatever SQLite file DATABASE_URL names):"
        " one writer at a time, so the write figures are NOT representative of production. Set"
        " DATABASE_URL to a PostgreSQL server (or start one on 127.0.0.1:5432).",
    )


# --- 2. The environment of every Django process --------------------------------------------------


def choose_cache() -> tuple[str, str]:
    """(REDIS_URL or "", what the throttle counters use). Redis only when it answers a PING."""
    url = os.environ.get("REDIS_URL", "").strip()
    if not url:
        return "", "file-based cache under var/cache (REDIS_URL unset)"
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
    except redis.RedisError as exc:
        print(f"WARNING: REDIS_URL={url} does not answer ({exc}); using the file-based cache")
        return "", "file-based cache under var/cache (REDIS_URL did not answer)"
    return url, f"Redis {url}"


def django_env(database: Database, redis_url: str) -> dict[str, str]:
    """Production settings (DEBUG off) on plain HTTP, with the bench's URLs, data and rates."""
    env = dict(os.environ)
    env.pop("REDIS_URL", None)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DJANGO_DEBUG="0",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_HTTPS="0",
        DJANGO_SECRET_KEY="bench-" + secrets.token_urlsafe(48),
        DATABASE_URL=database.url,
        CRM_CAPTURE_RATE_PER_KEY=GENEROUS_RATE,
        CRM_CAPTURE_RATE_PER_IP=GENEROUS_RATE,
        CRM_CACHE_PREFIX=CACHE_PREFIX,
        PYTHONUNBUFFERED="1",
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    else:  # the file cache of an earlier run would carry its throttle counters over
        shutil.rmtree(VAR / "cache" / CACHE_PREFIX, ignore_errors=True)
    return env


def run_django(args: list[str], env: dict[str, str], timeout: int = 300) -> str:
    """A Django command in its own process; its stdout, or BenchError with its output."""
    done = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise BenchError(f"`{' '.join(args)}` failed:\n{done.stdout}{done.stderr}")
    return done.stdout


# --- 3. The server -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn with a fixed number of sync workers, started and always stopped by the bench."""

    def __init__(self, env: dict[str, str], workers: int):
        self.env, self.workers, self.port = env, workers, free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.log = open(GUNICORN_LOG, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "config.wsgi:application",
                "--workers",
                str(self.workers),
                "--worker-class",
                "sync",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "info",
                # gunicorn 27 otherwise claims ~/.gunicorn/gunicorn.ctl, shared with any other server
                "--no-control-socket",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"gunicorn exited at start:\n{self.log_tail()}")
            try:
                if self.request("GET", "/bench/bare-json/")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise BenchError(f"gunicorn did not answer within 60 s:\n{self.log_tail()}")

    def stop(self) -> None:
        """SIGTERM to our gunicorn (it stops its workers); SIGKILL to its group if it hangs."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if getattr(self, "log", None):
            self.log.close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def request(
        self, method: str, path: str, body: dict | None = None, headers: dict | None = None
    ) -> tuple[int, dict | str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            payload = json.dumps(body) if body is not None else None
            headers = {"Content-Type": "application/json", **(headers or {})}
            conn.request(method, path, payload, headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
        finally:
            conn.close()
        try:
            return response.status, json.loads(text)
        except ValueError:
            return response.status, text

    def log_tail(self, lines: int = 40) -> str:
        text = GUNICORN_LOG.read_text(errors="replace") if GUNICORN_LOG.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


# --- 4. The data the merge and interaction cases need --------------------------------------------


def seed(server: Server, form_key: str) -> tuple[list[int], list[int]]:
    """Post the set-up captures: the merge contacts, the interaction leads and the leads that
    bench/history.py gives a long history; returns the ids of the last two."""

    def capture(email: str) -> int:
        status, body = server.request(
            "POST",
            "/api/v1/capture/",
            headers={"X-Form-Key": form_key},
            body={
                "first_name": "Bench",
                "last_name": "Seed",
                "email": email,
                "message": "Set-up inquiry",
                "consent": True,
            },
        )
        if status != 201:
            raise BenchError(f"set-up capture of {email} answered {status}: {str(body)[:300]}")
        return body["lead"]

    emails = [f"merge-{i}@bench.example.com" for i in range(MERGE_CONTACTS)]
    emails += [f"lead-{i}@bench.example.com" for i in range(INTERACTION_LEADS)]
    emails += [f"history-{i}@bench.example.com" for i in range(HISTORY_LEADS)]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        leads = list(pool.map(capture, emails))
    return leads[MERGE_CONTACTS : MERGE_CONTACTS + INTERACTION_LEADS], leads[MERGE_CONTACTS + INTERACTION_LEADS :]


# --- 5. The load ---------------------------------------------------------------------------------


def parse_result(output: str, what: str) -> dict:
    for line in output.splitlines():
        if line.startswith("BENCH_RESULT "):
            return json.loads(line.removeprefix("BENCH_RESULT "))
    raise BenchError(f"{what} printed no result:\n{output}")


def run_redeem_burst(server: Server, token: str, setup: dict) -> dict:
    """16 callers redeem one offer at once for 400 different leads: exactly `limit` may succeed,
    every other answer must be 409 (sold out). Latency of each redemption is kept."""
    lead_ids, offer, limit = setup["lead_ids"], setup["offer"], setup["limit"]
    path, header = f"/api/v1/offers/{offer}/redeem/", {"Authorization": f"Token {token}"}
    print(f"  redeem_16: 16 callers redeem {len(lead_ids)} times an offer limited to {limit} ...", flush=True)

    def redeem(lead_id: int) -> tuple[int, float]:
        started = time.perf_counter()
        status, _ = server.request("POST", path, {"lead": lead_id}, header)
        return status, (time.perf_counter() - started) * 1000

    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(redeem, lead_ids))
    latencies = sorted(ms for _, ms in answers)
    ok = sum(1 for status, _ in answers if status == 200)
    refused = sum(1 for status, _ in answers if status == 409)
    return {
        "rps": 0.0,
        "p50_ms": round(latencies[len(latencies) // 2], 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1], 2),
        "requests": len(answers),
        "redeemed": ok,
        "refused": refused,
        "over_or_under_limit": abs(ok - limit),
        "unexpected_status": len(answers) - ok - refused,
        "statuses": {},
        "socket_errors": {},
        "sample": "",
        "load": "16 threads, one redemption each at a time",
    }


def run_wrk(config: Config, server: Server, name: str, path: str, args: list[str], label: str = "") -> dict:
    """Warm up, then measure one endpoint at its maximum rate with wrk's Lua script `name`."""

    def wrk(seconds: int, phase: str) -> dict:
        # The phase is part of the capture_new prefix, so warm-up and run e-mails never collide.
        script_args = [a.replace("{phase}", phase) for a in args]
        command = [
            "wrk",
            "-t",
            str(config.threads),
            "-c",
            str(config.connections),
            "-d",
            f"{seconds}s",
            "--timeout",
            "5s",
            "-s",
            f"bench/wrk/{name}.lua",
            server.url(path),
            "--",
            *script_args,
        ]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=seconds + 60)
        return parse_result(done.stdout + done.stderr, f"wrk ({name})")

    print(f"  {label or name}: {config.warmup} s warm-up, {config.seconds} s measured ...", flush=True)
    if config.warmup > 0:
        wrk(config.warmup, "w")
    raw = wrk(config.seconds, "m")
    return {
        "rps": round(raw["rps"], 1),
        "p50_ms": raw["p50_us"] / 1000,
        "p90_ms": raw["p90_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "max_ms": raw["max_us"] / 1000,
        "mean_ms": round(raw["mean_us"] / 1000, 3),
        "requests": raw["requests"],
        "unexpected_status": raw["unexpected"],
        "statuses": raw["statuses"],
        "socket_errors": raw["socket_errors"],
        "sample": raw["sample"],
        "load": f"wrk closed loop, {config.threads} threads x {config.connections} connections",
    }


def run_paced(
    config: Config, server: Server, name: str, rate: float, args: list[str], load: str, warmup_args: list | None = None
) -> dict:
    """One endpoint at a fixed rate from bench/paced.py (open loop), in its own process; with
    `warmup_args`, first BENCH_WARMUP s of the same at the same rate, not counted."""

    def paced(script_args: list[str], seconds: int) -> dict:
        command = [
            sys.executable,
            "-m",
            "bench.paced",
            *script_args,
            "--port",
            str(server.port),
            "--rate",
            f"{rate:.3f}",
            "--seconds",
            str(seconds),
        ]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=seconds + 120)
        return parse_result(done.stdout + done.stderr, "bench.paced")

    warmup = config.warmup if warmup_args is not None else 0
    first = f"{warmup} s warm-up, then " if warmup else ""
    print(f"  {name}: {first}{rate:.0f} req/s for {config.seconds} s, open loop ...", flush=True)
    if warmup:
        paced(warmup_args, warmup)
    raw = paced(args, config.seconds)
    timings = ("rps", "target_rps", "p50_ms", "p90_ms", "p99_ms", "max_ms", "mean_ms")
    return {
        **{key: round(raw[key], 3) for key in timings},
        "requests": raw["requests"],
        "scheduled": raw["scheduled"],
        "unexpected_status": raw["unexpected"],
        "statuses": raw["statuses"],
        "socket_errors": raw["socket_errors"],
        "sample": raw["sample"],
        "load": f"bench/paced.py open loop at {rate:.1f}/s ({load}), one connection a request",
    }


def run_tracking(config: Config, server: Server, env: dict[str, str], results: dict, tmp: Path) -> None:
    """The open image and a tracked link at full speed and paced at BENCH_TRACKING_RATE (their
    hits wait for the fold), the lead page's engagement panel at a lead with 10,000 hits, then a
    million hits folded and scored by one process (bench/tracking.py)."""
    print("Tracking: the open image and a tracked link, the engagement panel, a million hits folded ...", flush=True)
    setup = run_doors(config, server, env, results, tmp)
    panel = run_django(["-m", "bench.tracking", "panel", str(setup["panel_lead"])], env)
    results.update(json.loads(panel.strip().splitlines()[-1]))
    results.update(json.loads(run_django(["-m", "bench.tracking", "fold"], env, timeout=3600).strip().splitlines()[-1]))


def run_doors(config: Config, server: Server, env: dict[str, str], results: dict, tmp: Path, *, new=False) -> dict:
    """The open image and a tracked link at full speed and paced (bench/tracking.py's setup:
    BENCH_TRACKING_DOOR_LEADS e-mails' links, on the book's newest leads or on `new` ones);
    returns the setup's figures."""
    command = "setup-new" if new else "setup"
    setup = json.loads(run_django(["-m", "bench.tracking", command], env, timeout=1800).strip().splitlines()[-1])
    files = {}
    for name in ("pixel", "redirect"):
        files[name] = tmp / f"{name}.txt"
        files[name].write_text("\n".join(setup[f"{name}_paths"]) + "\n")
    expect = {"pixel": "200", "redirect": "302"}
    for name in ("pixel", "redirect"):
        results[name] = with_load(
            run_wrk, config, server, "tracking_paths", "/", [str(files[name]), expect[name]], label=name
        )
    for name in ("pixel", "redirect"):
        args = ["track", "--paths", str(files[name]), "--expect", expect[name]]
        results[f"{name}_paced"] = with_load(
            run_paced, config, server, f"{name}_paced", TRACKING_PACED_RATE, args, "BENCH_TRACKING_RATE"
        )
    return setup


def run_doors_alone() -> int:
    """BENCH_ONLY=tracking_doors: a fresh database with no book, gunicorn started, bare_json, then
    the open image and a tracked link at full speed and paced (run_doors)."""
    started = time.monotonic()
    config, database, cache, env, _fixtures = fresh_alone()
    results: dict = {}
    server = Server(env, config.workers)
    try:
        server.start()
        results["bare_json"] = with_load(run_wrk, config, server, "bare_json", "/bench/bare-json/", [])
        with tempfile.TemporaryDirectory() as tmp:
            run_doors(config, server, env, results, Path(tmp), new=True)
    finally:
        server.stop()
    names = ["bare_json", "pixel", "redirect", "pixel_paced", "redirect_paced"]
    for name in names:
        mark_validity(results[name])
    results["ratios"] = {
        f"{name}_vs_bare_json": round(results[name]["rps"] / results["bare_json"]["rps"], 3)
        for name in ("pixel", "redirect")
    }
    for name in names:
        print_row(name, results[name])
    return finish_alone("tracking_doors", results, names, database, cache, started)


def run_fold_alone() -> int:
    """BENCH_ONLY=tracking_fold: a fresh database with no book, BENCH_FOLD_LEADS new leads and
    their e-mails, BENCH_FOLD_HITS hits on them folded and scored by one worker (bench/tracking.py)."""
    from bench.tracking import FOLD_HITS, FOLD_LEADS  # read from the environment there

    started = time.monotonic()
    _config, database, cache, env, _fixtures = fresh_alone()
    print(f"Tracking: {FOLD_HITS:,} hits on {FOLD_LEADS:,} new leads, folded and scored by one worker ...", flush=True)
    results = json.loads(run_django(["-m", "bench.tracking", "fold-new"], env, timeout=5400).strip().splitlines()[-1])
    return finish_alone("tracking_fold", results, ["fold_1m"], database, cache, started)


def run_clients(server: Server, name: str, path: str, headers: list[str], samples: int, clients: int) -> dict:
    """A GET timed over a fixed number of responses by concurrent clients (bench/clients.py):
    two requests per client first, not counted, then `samples` timed ones, each status checked."""
    print(f"  {name}: {clients} clients, {samples} responses ...", flush=True)
    command = [sys.executable, "-m", "bench.clients", "--port", str(server.port), "--path", path]
    for header in headers:
        command += ["--header", header]
    command += ["--clients", str(clients), "--samples", str(samples), "--warmup", str(2 * clients)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=7200)
    raw = parse_result(done.stdout + done.stderr, "bench.clients")
    timings = ("rps", "p50_ms", "p90_ms", "p99_ms", "max_ms", "mean_ms", "seconds")
    return {
        **{key: round(raw[key], 3) for key in timings},
        "path": path,
        "requests": raw["requests"],
        "samples": raw["samples"],
        "clients": raw["clients"],
        "unexpected_status": raw["unexpected"],
        "statuses": raw["statuses"],
        "socket_errors": raw["socket_errors"],
        "sample": raw["sample"],
        "load": f"bench/clients.py closed loop, {clients} clients, {samples} timed responses after {2 * clients}",
    }


def check_idempotency(results: dict, env: dict[str, str], prefix: str) -> None:
    """The idempotent capture cases count only if the server kept a record, with its 201, for
    every key they sent: at least one per measured response (wrk also sends requests whose
    answers come after its clock stops), exactly one per paced response."""
    keys = {
        "capture_new_idempotent": f"key-{prefix}im-",  # bench/wrk/capture_new.lua, the measured phase
        "capture_new_idempotent_paced": f"paced-{prefix}capture_new_idempotent_paced-",  # bench/paced.py
        "capture_new_idempotent_paced_after_load": f"paced-{prefix}capture_new_idempotent_paced_after_load-",
    }
    kept = json.loads(run_django(["-m", "bench.checks", "idempotency", *keys.values()], env).strip().splitlines()[-1])
    for name, key in keys.items():
        figure, counted = results[name], kept[key]
        figure["idempotency_records"] = counted["created"]
        paced = "target_rps" in figure
        enough = counted["created"] == figure["requests"] if paced else counted["created"] >= figure["requests"]
        if not enough:
            figure["check_failed"] = (
                f"{counted['created']} idempotency records with a 201 (of {counted['records']}) for "
                f"{figure['requests']} responses: the Idempotency-Key was not taken as sent"
            )


def mark_validity(figure: dict) -> dict:
    """A figure is valid only if every request got the expected status, no socket failed and
    its check (if it has one) held."""
    figure["errors"] = figure["unexpected_status"] + sum(figure["socket_errors"].values())
    figure["valid"] = figure["errors"] == 0 and figure["requests"] > 0 and not figure.get("check_failed")
    return figure


# --- 6. The report -------------------------------------------------------------------------------


# The cases a ratio is made of, where they are not capture_new and bare_json: both must be valid.
RATIO_SOURCES = {
    "log_interaction_3000_paced_p50_vs_fresh": ["log_interaction_3000_paced", "log_interaction_paced"],
    "pixel_vs_bare_json": ["pixel", "bare_json"],
    "redirect_vs_bare_json": ["redirect", "bare_json"],
}


def judge(results: dict) -> list[dict]:
    verdicts = []
    for label, section, key, comparison, threshold in TARGETS:
        value = results.get(section, {}).get(key)
        sources = RATIO_SOURCES.get(key, ["capture_new", "bare_json"]) if section == "ratios" else [section]
        unit = {
            "ratios": "ratio",
            "score_engine": "leads/s",
            "rescore_full": "leads/s",
            "recovery_after_kill": "s",
            "letters_10k": "s",
            "followups_due_1000": "s",
            "import_1m": "s",
            "fold_1m": "s",
            "nurture_advance": "s",
        }.get(section, "ms")
        if key in ("seq_scans", "over_or_under_limit", "duplicates"):
            unit = "count"
        unit = {"rows_per_s": "rows/s", "worker_peak_mb": "MB", "rps": "req/s"}.get(key, unit)
        valid = value is not None and all(results.get(s, {}).get("valid") for s in sources)
        if value is None:
            met = False
        else:
            met = value >= threshold if comparison == ">=" else value < threshold
        verdicts.append(
            {
                "target": label,
                "value": value,
                "threshold": threshold,
                "unit": unit,
                "result": ("PASS" if met else "MISS") if valid else "INVALID",
            }
        )
    return verdicts


def load_text(figure: dict) -> str:
    """The machine's 1-minute load average before -> after a case."""
    before, after = figure.get("load_average_before"), figure.get("load_average_after")
    return "" if before is None else f"{before:.2f}->{after:.2f}"


CASE_NOTES = {
    "capture_new_idempotent": "an Idempotency-Key per request",
    "capture_new_idempotent_paced": "an Idempotency-Key per request, after VACUUM and CHECKPOINT",
    "capture_new_idempotent_paced_after_load": "the same, right after the bulk load: no VACUUM, no CHECKPOINT",
    "log_interaction_3000": "leads with 3,000 interactions each",
    "log_interaction_3000_paced": "leads with 3,000 interactions each",
}


def print_row(name: str, figure: dict) -> None:
    notes = []
    if "target_rps" in figure:
        notes.append(f"paced at {figure['target_rps']:.0f}/s")
    if "clients" in figure:
        notes.append(f"{figure['clients']} clients")
    if name in CASE_NOTES:
        notes.append(CASE_NOTES[name])
    if not figure["valid"]:
        notes.append("<-- INVALID")
    print(
        f"{name:<40}{figure['rps']:>9.1f}{figure['p50_ms']:>9.1f}{figure['p99_ms']:>9.1f}{figure['requests']:>7}"
        f"{figure['errors']:>7}{load_text(figure):>13}  {'; '.join(notes)}"
    )


def print_report(results: dict, names: list[str]) -> None:
    meta = results["meta"]
    print()
    print(
        f"Benchmark: {meta['database']['engine']} {meta['database']['version']}, "
        f"{meta['workers']} gunicorn sync workers, {meta['cpu_count']} CPUs, "
        f"{meta['seconds']} s a case, cache: {meta['cache']}, "
        f"load average {meta['load_average_before']} before the run"
    )
    header = f"{'case':<40}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'n':>7}{'errors':>7}{'load':>13}"
    print(header + "  (n: timed responses; load: 1-min average before->after)")
    print("-" * len(header))
    for name in names:
        if name not in REPORT_CASES and name != REPORT_PAGE and name not in ANALYSIS_CASES:
            print_row(name, results[name])
    if "queue_db" in results:
        figure = results["queue_db"]
        print(
            f"{'queue_db (database time)':<40}{'':>9}{figure['p50_ms']:>9.2f}{figure['p99_ms']:>9.2f}"
            f"{figure['samples']:>7}{'':>7}{load_text(figure):>13}  plans in {figure['explain_file']}"
        )
    book = results.get("reports_book")
    if book:
        print(
            f"\nThe scoreboard over HTTP, as a signed-in manager: {book['leads']:,} leads, "
            f"{book['interactions']:,} interactions; {REPORT_CLIENTS} clients at once, "
            f"{REPORT_SAMPLES} timed responses a case after {2 * REPORT_CLIENTS} untimed"
        )
        for name in [*REPORT_CASES, REPORT_PAGE]:
            if name in results:
                print_row(name, results[name])
    if "score_analysis_book" in results:
        print_analysis(results)
    fold = results.get("fold_1m")
    if fold:
        panel = results["engagement_panel"]
        print(
            f"\nTracking: {fold['hits']:,} hits on {fold['leads']:,} leads folded in {fold['fold_seconds']} s and "
            f"{fold['leads_rescored']:,} leads rescored, {fold['seconds']} s in all ({fold['hits_per_s']:,} hits/s, "
            f"one worker); {fold['duplicates']} written twice. The engagement panel at a lead with "
            f"{panel['hits']:,} hits: p50 {panel['p50_ms']} ms, p99 {panel['p99_ms']} ms."
        )
    history = results.get("history_set_up")
    if history:
        print(
            f"\nlog_interaction_3000's {history['leads']} leads held {history['interactions_min']:,}"
            f"-{history['interactions_max']:,} interactions each before the cases, rescored by the product "
            f"(scores {history['scores']}, {', '.join(history['temperatures'])}, stages {', '.join(history['stages'])})"
        )
    if "maintenance" in results:
        figure = results["maintenance"]
        print(f"VACUUM (ANALYZE) and CHECKPOINT after capture_new_idempotent_paced_after_load: {figure['seconds']} s")
    print()
    for name in ("score_engine", "rescore_full"):
        if name in results:
            figure = results[name]
            print(
                f"{name:<27}{figure['leads_per_s']:>10,.0f} leads/s"
                f"  ({figure['leads']:,} leads in {figure['seconds']} s)  load {load_text(figure)}"
            )
    if "letters_10k" in results:
        figure = results["letters_10k"]
        print(
            f"{'letters_10k':<27}{figure['letters']:,} letters in {figure['seconds']} s "
            f"({figure['letters_per_s']:,.0f}/s), "
            f"PDF {figure['pdf_mb']} MB, worker peak {figure['worker_peak_mb']} MB, "
            f"{figure['leads_lettered_twice']} leads lettered twice  load {load_text(figure)}"
        )
    if "followups_due_1000" in results:
        figure = results["followups_due_1000"]
        print(
            f"{'followups_due_1000':<27}{figure['notified']:,} notified, p50 {figure.get('p50_s')} s, "
            f"p99 {figure.get('p99_s')} s after the due time, {figure.get('announced_twice')} twice"
            f"  load {load_text(figure)}"
        )
    if "import_1m" in results:
        figure = results["import_1m"]
        print(
            f"{'import_1m':<27}{figure['rows']:,} rows in {figure['seconds']} s ({figure['rows_per_s']:,.0f}/s) "
            f"against {figure['existing_contacts']:,} contacts: {figure['created']:,} created, "
            f"{figure['duplicates']:,} duplicates, {figure['rejected']:,} rejected; worker peak "
            f"{figure['worker_peak_mb']} MB, {figure['rows_imported_twice']} rows imported twice"
            f"  load {load_text(figure)}"
        )
    if "nurture_advance" in results:
        print_nurture(results["nurture_advance"])
    if "recovery_after_kill" in results:
        figure = results["recovery_after_kill"]
        print(
            f"{'recovery_after_kill':<27}resumed {figure['resume_seconds_after_restart']} s after the restart "
            f"({figure['resume_seconds_after_kill']} s after the kill), done {figure['finish_seconds_after_kill']} s "
            f"after it; {figure['leads_rescored_twice']} leads rescored twice  load {load_text(figure)}"
        )
    print()
    for name, value in results["ratios"].items():
        print(f"{name:<48}{'n/a' if value is None else f'{value:.3f}':>8}")
    print()
    for verdict in results["targets"]:
        value = verdict["value"]
        if value is None:
            shown = "n/a"
        else:
            shown = {
                "ratio": f"{value:.1%}",
                "leads/s": f"{value:,.0f}/s",
                "rows/s": f"{value:,.0f}/s",
                "count": str(value),
                "s": f"{value} s",
                "MB": f"{value} MB",
            }.get(verdict["unit"], f"{value:.2f} ms")
        print(f"{verdict['target']:<70}{shown:>12}   {verdict['result']}")
    problems = meta["server_log"]
    if problems["tracebacks"] or problems["server_errors"] or problems["worker_timeouts"]:
        print(
            f"\nWARNING: the server logged {problems['tracebacks']} tracebacks, "
            f"{problems['server_errors']} 'Internal Server Error' and "
            f"{problems['worker_timeouts']} worker timeouts; the first traceback:"
        )
        print(problems["first_traceback"][:1500])
    if not meta["database"]["representative"]:
        print(f"\nWARNING: {meta['database']['note']}")
    invalid = [name for name in names if not results[name]["valid"]]
    if invalid:
        print("\n" + "!" * 78)
        print(f"!! INVALID FIGURES: {', '.join(invalid)} had errors; they measure failures, not the app.")
        for name in invalid:
            figure = results[name]
            print(f"!!   {name}: unexpected statuses {figure['statuses']}, socket errors {figure['socket_errors']}")
            if figure.get("check_failed"):
                print(f"!!     {figure['check_failed']}")
            if figure["sample"]:
                print(f"!!     first unexpected body: {figure['sample'][:200]}")
        print(f"!! See {GUNICORN_LOG.relative_to(ROOT)} for the server's side.")
        print("!" * 78)
    print(f"\nWrote {RESULT_FILE.relative_to(ROOT)}")


def print_nurture(figure: dict) -> None:
    print(
        f"{'nurture_advance':<27}{figure['enrolments']:,} enrolments advanced in {figure['seconds']} s "
        f"({figure['enrolments_per_s']:,.0f}/s), one worker, peak {figure['worker_peak_mb']} MB; "
        f"{figure['step_runs']:,} step runs, {figure['emails_queued']:,} e-mails, {figure['duplicates']} twice"
        f"  load {load_text(figure)}"
    )
    print("  the due-step sweep's plan (EXPLAIN, every enrolment due):")
    print("\n".join(f"    {line}" for line in figure["explain"].splitlines()))


def run_alone(name: str) -> int:
    """BENCH_ONLY=<case>: one case of ALONE on a fresh database, its figure and targets printed
    and written to var/bench-<case>.json (var/bench.json keeps the last full run)."""
    if name not in ALONE:
        print(
            f"BENCH_ONLY={name}: only these cases run alone: {', '.join([*ALONE, *BUILT_ALONE])}",
            file=sys.stderr,
        )
        return 2
    module, what = ALONE[name]
    VAR.mkdir(exist_ok=True)
    database = choose_database()
    if database.note:
        print(("WARNING: " if not database.representative else "note: ") + database.note)
    cache, env = migrated(database)
    print(what, flush=True)
    results = json.loads(run_django(["-m", module], env, timeout=3600).strip().splitlines()[-1])
    for figure in results.values():
        figure["valid"] = figure.get("status") == "done"
    verdicts = zip(TARGETS, judge(results), strict=True)
    results["targets"] = [verdict for (_label, section, *_rest), verdict in verdicts if section in results]
    results["meta"] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "only": name,
        "database": {"engine": database.engine, "name": database.name, "version": database.version},
        "cache": cache,
        "cpu_count": os.cpu_count(),
        "commit": git_commit(),
    }
    out = VAR / f"bench-{name}.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    if name == "nurture_advance":
        print_nurture(results[name])
    for verdict in results["targets"]:
        print(f"{verdict['target']:<70}{verdict['value']!s:>12} {verdict['unit']}   {verdict['result']}")
    print(f"\nWrote {out.relative_to(ROOT)}")
    return 0 if all(figure["valid"] for key, figure in results.items() if key in ALONE) else 1


def finish_alone(only: str, results: dict, names: list[str], database: Database, cache: str, started: float) -> int:
    """What every BENCH_ONLY mode ends with: the targets of what it measured, its meta, written to
    var/bench-<only>.json and printed; 0 when every figure of `names` is valid."""
    verdicts = zip(TARGETS, judge(results), strict=True)
    results["targets"] = [
        verdict
        for (_label, section, key, *_rest), verdict in verdicts
        if section in results and (section != "ratios" or key in results["ratios"])  # measured in this mode
    ]
    results["meta"] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "only": only,
        "database": {"engine": database.engine, "name": database.name, "version": database.version},
        "cache": cache,
        "workers": Config().workers,
        "cpu_count": os.cpu_count(),
        "commit": git_commit(),
        "total_seconds": round(time.monotonic() - started, 1),
        "server_log": server_log_problems(),
    }
    out = VAR / f"bench-{only}.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    for verdict in results["targets"]:
        print(f"{verdict['target']:<70}{verdict['value']!s:>12} {verdict['unit']}   {verdict['result']}")
    print(f"\nWrote {out.relative_to(ROOT)}")
    return 0 if all(results[name]["valid"] for name in names) else 1


def run_intake(config: Config, server: Server, form_key: str, prefix: str, results: dict) -> None:
    """capture_new with 8 clients (wrk -t2 -c8) and with one (-t1 -c1): the issue 21 side by side
    with the other Django CRMs (docs/performance.md, intake_peers). Each its own e-mails."""
    for name, connections, threads in (("capture_new_c8", 8, 2), ("capture_new_c1", 1, 1)):
        clients = replace(config, connections=connections, threads=threads)
        results[name] = with_load(
            run_wrk, clients, server, "capture_new", "/api/v1/capture/", [form_key, f"{prefix}{name}{{phase}}"], name
        )


def fresh_alone() -> tuple[Config, Database, str, dict[str, str], dict]:
    """Where a BENCH_ONLY mode with no book starts: a fresh, migrated database and the fixtures
    (config, database, cache, the Django environment, the fixtures' figures)."""
    VAR.mkdir(exist_ok=True)
    database = choose_database()
    cache, env = migrated(database)
    return Config(), database, cache, env, fixtures_of(env)


def migrated(database: Database) -> tuple[str, dict[str, str]]:
    """The cache and the Django environment of a BENCH_ONLY mode, its fresh database migrated."""
    redis_url, cache = choose_cache()
    env = django_env(database, redis_url)
    print(f"Database {database.engine} '{database.name}' recreated; migrating ...", flush=True)
    run_django(["manage.py", "migrate", "--noinput", "-v", "0"], env)
    return cache, env


def fixtures_of(env: dict[str, str]) -> dict:
    return json.loads(run_django(["-m", "bench.fixtures"], env).strip().splitlines()[-1])


def run_intake_alone() -> int:
    """BENCH_ONLY=intake: a fresh database with no book, gunicorn started, bare_json and
    capture_new at wrk's 16 connections, then capture_new at 8 and at 1 (run_intake)."""
    started = time.monotonic()
    config, database, cache, env, fixtures = fresh_alone()
    prefix = secrets.token_hex(4)
    results: dict = {}
    server = Server(env, config.workers)
    try:
        server.start()
        results["bare_json"] = with_load(run_wrk, config, server, "bare_json", "/bench/bare-json/", [])
        results["capture_new"] = with_load(
            run_wrk, config, server, "capture_new", "/api/v1/capture/", [fixtures["form_key"], prefix + "{phase}"]
        )
        run_intake(config, server, fixtures["form_key"], prefix, results)
    finally:
        server.stop()
    names = ["bare_json", "capture_new", "capture_new_c8", "capture_new_c1"]
    for name in names:
        mark_validity(results[name])
    results["ratios"] = {
        "capture_new_vs_bare_json": round(results["capture_new"]["rps"] / results["bare_json"]["rps"], 3)
    }
    for name in names:
        print_row(name, results[name])
    return finish_alone("intake", results, names, database, cache, started)


def run_reports(server: Server, fixtures: dict, book: dict, results: dict) -> None:
    """Every report API for 90 days and for the book's two years, then the whole scoreboard
    page, over HTTP as the manager with BENCH_REPORT_CLIENTS clients at once."""
    api = [f"Authorization: Token {fixtures['manager_token']}"]
    for period, start in (("90d", {}), ("2y", {"start": book["two_years_start"]})):
        for report, (path, query) in REPORT_PATHS.items():
            name = f"report_{report}_{period}"
            params = urlencode({**start, **query})
            target = f"{path}?{params}" if params else path
            results[name] = with_load(run_clients, server, name, target, api, REPORT_SAMPLES, REPORT_CLIENTS)
    page = [f"Cookie: {fixtures['manager_cookie']}"]
    results[REPORT_PAGE] = with_load(
        run_clients, server, REPORT_PAGE, "/reports/", page, REPORT_SAMPLES, REPORT_CLIENTS
    )


def build_big_book(only: str, then: str) -> tuple | None:
    """The big book of a BENCH_ONLY mode, on a fresh PostgreSQL database: BENCH_RESCORE_LEADS
    leads generated without their rescore, then bench/reports.py's two years. (database, cache,
    the Django env, the fixtures, what the generation and the shaping printed); None on SQLite."""
    VAR.mkdir(exist_ok=True)
    database = choose_database()
    if database.engine != "postgresql":
        print(f"BENCH_ONLY={only} generates its book on PostgreSQL only", file=sys.stderr)
        return None
    cache, env = migrated(database)
    fixtures = fixtures_of(env)
    print(f"Generating {RESCORE_LEADS:,} leads, {then} ...", flush=True)
    generated = json.loads(
        run_django(["-m", "bench.analysis", "generate", str(RESCORE_LEADS)], env, timeout=3600).strip().splitlines()[-1]
    )
    book = json.loads(run_django(["-m", "bench.reports"], env, timeout=3600).strip().splitlines()[-1])
    return database, cache, env, fixtures, generated, book


def run_scoreboard_alone() -> int:
    """BENCH_ONLY=scoreboard: the scoreboard's book alone (BENCH_RESCORE_LEADS leads generated
    without their rescore, then bench/reports.py's two years, BENCH_INTERACTIONS and the
    rollups), gunicorn started, every report and the page timed over HTTP."""
    started = time.monotonic()
    built = build_big_book("scoreboard", "then the scoreboard's two years")
    if built is None:
        return 2
    database, cache, env, fixtures, generated, book = built
    results: dict = {"reports_book": {**generated, **book}}
    print(f"Book: {json.dumps(results['reports_book'])}", flush=True)
    server = Server(env, Config().workers)
    try:
        server.start()
        run_reports(server, fixtures, book, results)
    finally:
        server.stop()
    names = [*REPORT_CASES, REPORT_PAGE]
    for name in names:
        mark_validity(results[name])
        print_row(name, results[name])
    return finish_alone("scoreboard", results, names, database, cache, started)


def server_peak_mb(server: Server) -> float:
    """The largest peak resident memory (VmHWM) among gunicorn's processes (its workers' is the
    analyses' memory: each request runs in one of them)."""
    if server.process is None:
        return 0.0
    pids = [server.process.pid]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == server.process.pid:
            pids.append(int(stat.parent.name))
    return peak_memory_mb(pids)


def run_score_analysis(server: Server, env: dict[str, str], manager_token: str, start: str, results: dict) -> None:
    """The four analyses of issue 20 for the book's two years, over HTTP as the manager: one
    client, BENCH_ANALYSIS_SAMPLES timed responses each after two untimed; the queries one
    request makes; gunicorn's peak memory after each."""
    counted = json.loads(
        run_django(["-m", "bench.analysis", "queries", start], env, timeout=1800).strip().splitlines()[-1]
    )
    api = [f"Authorization: Token {manager_token}"]
    for name, path in ANALYSIS_PATHS.items():
        case = f"score_analysis_{name}"
        figure = with_load(run_clients, server, case, f"{path}?{urlencode({'start': start})}", api, ANALYSIS_SAMPLES, 1)
        figure["queries_per_request"] = counted[name]["queries"]
        figure["server_peak_mb"] = server_peak_mb(server)
        results[case] = figure


def print_analysis(results: dict) -> None:
    book = results.get("score_analysis_book", {})
    print(
        f"\nScore analysis over HTTP, the book's two years: {book.get('leads', 0):,} leads, "
        f"{book.get('outcomes_in_two_years', 0):,} outcomes, {book.get('interactions', 0):,} interactions; "
        f"one client, {ANALYSIS_SAMPLES} timed responses each"
    )
    for name in ANALYSIS_CASES:
        if name in results:
            figure = results[name]
            print_row(name, figure)
            print(
                f"{'':<40}{figure['queries_per_request']} queries a request, "
                f"gunicorn peak {figure['server_peak_mb']} MB"
            )


def run_analysis_alone() -> int:
    """BENCH_ONLY=score_analysis: the big book built alone (BENCH_RESCORE_LEADS leads generated
    without their rescore, bench/reports.py's shape and BENCH_INTERACTIONS, then bench/analysis.py's
    outcomes, companies and answers), gunicorn started, the four analyses timed."""
    started = time.monotonic()
    built = build_big_book("score_analysis", "then the scoreboard's shape and the analysis's")
    if built is None:
        return 2
    database, cache, env, fixtures, generated, book = built
    analysis = json.loads(run_django(["-m", "bench.analysis"], env, timeout=3600).strip().splitlines()[-1])
    results: dict = {"score_analysis_book": {**generated, **book, **analysis}}
    print(f"Book: {json.dumps(results['score_analysis_book'])}", flush=True)
    server = Server(env, Config().workers)
    try:
        server.start()
        run_score_analysis(server, env, fixtures["manager_token"], book["two_years_start"], results)
    finally:
        server.stop()
    for name in ANALYSIS_CASES:
        mark_validity(results[name])
    print_analysis(results)
    return finish_alone("score_analysis", results, ANALYSIS_CASES, database, cache, started)


def server_log_problems() -> dict:
    """What gunicorn's log says went wrong: 500s and worker timeouts show there first."""
    text = GUNICORN_LOG.read_text(errors="replace") if GUNICORN_LOG.exists() else ""
    first = text.find("Traceback")
    return {
        "tracebacks": text.count("Traceback (most recent call last)"),
        "server_errors": text.count("Internal Server Error"),
        "worker_timeouts": text.count("WORKER TIMEOUT"),
        "first_traceback": text[first : first + 3000] if first >= 0 else "",
    }


def git_commit() -> str:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        )
        return done.stdout.strip()
    except OSError:
        return ""


def main() -> int:
    if os.environ.get("BENCH_ONLY") == "score_analysis":
        return run_analysis_alone()
    if os.environ.get("BENCH_ONLY") == "scoreboard":
        return run_scoreboard_alone()
    if os.environ.get("BENCH_ONLY") == "intake":
        return run_intake_alone()
    if os.environ.get("BENCH_ONLY") == "tracking_doors":
        return run_doors_alone()
    if os.environ.get("BENCH_ONLY") == "tracking_fold":
        return run_fold_alone()
    if os.environ.get("BENCH_ONLY"):
        return run_alone(os.environ["BENCH_ONLY"])
    config = Config()
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install -y wrk", file=sys.stderr)
        return 2
    VAR.mkdir(exist_ok=True)
    started = time.monotonic()
    load_before = os.getloadavg()[0]
    if load_before > 0.5 * (os.cpu_count() or 1):
        print(
            f"WARNING: the machine is already busy (load average {load_before:.1f} on "
            f"{os.cpu_count()} CPUs): the figures will be low and noisy."
        )
    database = choose_database()
    if database.note:
        print(("WARNING: " if not database.representative else "note: ") + database.note)
    cache, env = migrated(database)
    fixtures = fixtures_of(env)
    form_key, token = fixtures["form_key"], fixtures["token"]
    prefix = secrets.token_hex(4)  # this run's capture_new e-mails
    results: dict = {}

    # The big book first, so that every HTTP figure below is measured over a million leads.
    print(f"Scoring: the pure engine, then a full rescore of {RESCORE_LEADS:,} generated leads ...", flush=True)
    scoring = json.loads(
        run_django(["-m", "bench.scoring", "--leads", str(RESCORE_LEADS)], env, timeout=3600).strip().splitlines()[-1]
    )
    for name, figure in scoring.items():
        figure["valid"] = (
            figure.get("status", "done") == "done"
            and not figure.get("leads_left_behind")
            and not figure.get("leads_rescored_twice")
        )
        results[name] = figure
    print(f"Follow-ups: a batch of {LETTERS:,} letters, then {FOLLOWUPS_DUE:,} follow-ups due at once ...", flush=True)
    followups = json.loads(run_django(["-m", "bench.followups"], env, timeout=3600).strip().splitlines()[-1])
    for name, figure in followups.items():
        figure["valid"] = figure.get("status") == "done" and not figure.get("leads_lettered_twice")
        figure["valid"] = figure["valid"] and not figure.get("announced_twice")
        results[name] = figure
    if IMPORT_ROWS:
        print(f"Imports: a bought list of {IMPORT_ROWS:,} rows against the book, through a worker ...", flush=True)
        imports = json.loads(run_django(["-m", "bench.imports"], env, timeout=3600).strip().splitlines()[-1])
        for name, figure in imports.items():
            figure["valid"] = (
                figure.get("status") == "done"
                and not figure.get("rows_imported_twice")
                and figure.get("counts_add_up", False)
            )
            results[name] = figure
    sales_setup = json.loads(run_django(["-m", "bench.sales", "setup"], env).strip().splitlines()[-1])
    print(f"Sales: a pool of {sales_setup['pool']:,} sales-ready leads, 16 salespeople.", flush=True)
    offers_setup = json.loads(run_django(["-m", "bench.offers"], env).strip().splitlines()[-1])
    names = [
        "capture_new_idempotent_paced_after_load",
        "bare_json",
        "capture_new",
        "capture_new_c8",
        "capture_new_c1",
        "capture_new_idempotent",
        "capture_merge",
        "log_interaction",
        "log_interaction_3000",
        "capture_new_half_rate",
        "capture_new_idempotent_paced",
        "log_interaction_paced",
        "log_interaction_3000_paced",
        "queue_first_page",
        "queue_first_page_paced",
        "claim_next",
        "caller_search",
        "caller_search_paced",
        "offer_lookup",
        "offer_lookup_paced",
        "redeem_16",
        "log_interaction_half_rate",
        "pixel",
        "redirect",
        "pixel_paced",
        "redirect_paced",
        *REPORT_CASES,
        REPORT_PAGE,
    ]
    fixed = "a fixed rate, BENCH_CAPTURE_RATE / BENCH_INTERACTION_RATE"

    def capture_paced(name: str, rate: float, load: str, idempotency: bool, warmup: bool = False) -> dict:
        """A paced capture_new; its e-mails (and keys) are this run's and this case's own."""
        flags = ["--idempotency"] if idempotency else []
        args = ["capture", "--form-key", form_key, *flags]
        warmup_args = [*args, "--prefix", f"{prefix}{name}w"] if warmup else None
        return run_paced(config, server, name, rate, [*args, "--prefix", f"{prefix}{name}"], load, warmup_args)

    server = Server(env, config.workers)
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        try:
            print(f"Starting gunicorn, {config.workers} sync workers, on {server.url('/')} ...", flush=True)
            server.start()
            # The state after a real import or publish: nothing has tidied up after the bulk writes.
            print("Measuring right after the bulk load (no VACUUM, no CHECKPOINT yet):", flush=True)
            results["capture_new_idempotent_paced_after_load"] = with_load(
                capture_paced, "capture_new_idempotent_paced_after_load", CAPTURE_PACED_RATE, fixed, True, True
            )
            maintenance = json.loads(
                run_django(["-m", "bench.maintenance"], env, timeout=1800).strip().splitlines()[-1]
            )
            results["maintenance"] = maintenance
            print(f"Database: VACUUM (ANALYZE) and CHECKPOINT, {maintenance['seconds']} s.", flush=True)
            print(
                f"Posting {MERGE_CONTACTS + INTERACTION_LEADS + HISTORY_LEADS} set-up captures, then a history"
                f" for {HISTORY_LEADS} of them ...",
                flush=True,
            )
            lead_ids, history_ids = seed(server, form_key)
            lead_ids_file = Path(tmp) / "lead_ids.txt"
            lead_ids_file.write_text("\n".join(map(str, lead_ids)) + "\n")
            history_file = Path(tmp) / "history_ids.txt"
            history_file.write_text("\n".join(map(str, history_ids)) + "\n")
            results["history_set_up"] = json.loads(
                run_django(["-m", "bench.history", str(history_file)], env, timeout=1800).strip().splitlines()[-1]
            )
            print("Measuring:", flush=True)
            results["bare_json"] = with_load(run_wrk, config, server, "bare_json", "/bench/bare-json/", [])
            results["capture_new"] = with_load(
                run_wrk, config, server, "capture_new", "/api/v1/capture/", [form_key, prefix + "{phase}"]
            )
            run_intake(config, server, form_key, prefix, results)
            results["capture_new_idempotent"] = with_load(
                run_wrk,
                config,
                server,
                "capture_new",
                "/api/v1/capture/",
                [form_key, prefix + "i{phase}", "idempotency"],
                label="capture_new_idempotent",
            )
            results["capture_merge"] = with_load(
                run_wrk, config, server, "capture_merge", "/api/v1/capture/", [form_key, str(MERGE_CONTACTS)]
            )
            for name, ids_file in (("log_interaction", lead_ids_file), ("log_interaction_3000", history_file)):
                results[name] = with_load(
                    run_wrk,
                    config,
                    server,
                    "log_interaction",
                    "/api/v1/leads/0/interactions/",
                    [token, str(ids_file)],
                    label=name,
                )
            results["capture_new_half_rate"] = with_load(
                capture_paced,
                "capture_new_half_rate",
                max(1.0, results["capture_new"]["rps"] / 2),
                "half of capture_new's req/s",
                False,
            )
            results["capture_new_idempotent_paced"] = with_load(
                capture_paced, "capture_new_idempotent_paced", CAPTURE_PACED_RATE, fixed, True, True
            )
            for name, ids_file in (
                ("log_interaction_paced", lead_ids_file),
                ("log_interaction_3000_paced", history_file),
            ):
                args = ["interaction", "--token", token, "--lead-ids", str(ids_file)]
                results[name] = with_load(run_paced, config, server, name, INTERACTION_PACED_RATE, args, fixed, args)
            results["queue_first_page"] = with_load(
                run_wrk, config, server, "queue_first_page", "/api/v1/queue/", [sales_setup["tokens"][0]]
            )
            results["queue_first_page_paced"] = with_load(
                run_paced,
                config,
                server,
                "queue_first_page_paced",
                QUEUE_PACED_RATE,
                ["queue", "--token", sales_setup["tokens"][0]],
                "BENCH_QUEUE_RATE",
            )
            tokens_file = Path(tmp) / "tokens.txt"
            tokens_file.write_text("\n".join(sales_setup["tokens"]) + "\n")
            results["claim_next"] = with_load(
                run_wrk, config, server, "claim_next", "/api/v1/queue/claim/", [str(tokens_file)]
            )
            for name, paths in (("caller_search", "caller_paths"), ("offer_lookup", "lookup_paths")):
                paths_file = Path(tmp) / f"{name}.txt"
                paths_file.write_text("\n".join(offers_setup[paths]) + "\n")
                results[name] = with_load(
                    run_wrk, config, server, "get_paths", "/", [token, str(paths_file)], label=name
                )
                results[f"{name}_paced"] = with_load(
                    run_paced,
                    config,
                    server,
                    f"{name}_paced",
                    SEARCH_PACED_RATE,
                    ["get", "--token", token, "--paths", str(paths_file)],
                    "BENCH_SEARCH_RATE",
                )
            results["redeem_16"] = with_load(run_redeem_burst, server, token, offers_setup)
            # Not a target of the issue: the latency a CSR sees when the server is not saturated.
            results["log_interaction_half_rate"] = with_load(
                run_paced,
                config,
                server,
                "log_interaction_half_rate",
                max(1.0, results["log_interaction"]["rps"] / 2),
                ["interaction", "--token", token, "--lead-ids", str(lead_ids_file)],
                "half of log_interaction's req/s",
            )

            check_idempotency(results, env, prefix)
            run_tracking(config, server, env, results, Path(tmp))

            print("Sales: database time of the queue's first page, and the query plans ...", flush=True)
            queue_db = json.loads(run_django(["-m", "bench.sales", "db"], env).strip().splitlines()[-1])
            queue_db["valid"] = True
            results["queue_db"] = queue_db

            print(
                "Reports: the book reshaped (two years, every stage, sources, 10M interactions), then each"
                " report over HTTP ...",
                flush=True,
            )
            book = json.loads(run_django(["-m", "bench.reports"], env, timeout=3600).strip().splitlines()[-1])
            results["reports_book"] = book
            run_reports(server, fixtures, book, results)
            if database.engine == "postgresql":  # the analysis's outcomes, companies and answers on that book
                print("Score analysis: outcomes, companies and answers on the book, then each analysis ...", flush=True)
                results["score_analysis_book"] = json.loads(
                    run_django(["-m", "bench.analysis"], env, timeout=3600).strip().splitlines()[-1]
                )
                run_score_analysis(server, env, fixtures["manager_token"], book["two_years_start"], results)
                names += ANALYSIS_CASES
        finally:
            server.stop()

    if NURTURE_ENROLMENTS:  # last: its 100,000 leads and their e-mails change no figure above
        module, what = ALONE["nurture_advance"]
        print(what, flush=True)
        nurture = json.loads(run_django(["-m", module], env, timeout=3600).strip().splitlines()[-1])
        for figure in nurture.values():
            figure["valid"] = figure.get("status") == "done"
        results.update(nurture)

    for name in names:
        mark_validity(results[name])
    bare = results["bare_json"]["rps"] or 1.0
    results["ratios"] = {
        f"{name}_vs_bare_json": round(results[name]["rps"] / bare, 4)
        for name in ("capture_new", "capture_new_idempotent", "capture_merge", "log_interaction", "pixel", "redirect")
    }

    def ratio(name: str, other: str, key: str) -> float | None:
        value, base = results[name][key], results[other][key]
        return round(value / base, 3) if base else None

    results["ratios"].update(
        {
            "capture_new_idempotent_rps_vs_capture_new": ratio("capture_new_idempotent", "capture_new", "rps"),
            "log_interaction_3000_rps_vs_log_interaction": ratio("log_interaction_3000", "log_interaction", "rps"),
            "log_interaction_3000_paced_p50_vs_fresh": ratio(
                "log_interaction_3000_paced", "log_interaction_paced", "p50_ms"
            ),
            "log_interaction_3000_paced_p99_vs_fresh": ratio(
                "log_interaction_3000_paced", "log_interaction_paced", "p99_ms"
            ),
            "capture_paced_after_load_p99_vs_tidied": ratio(
                "capture_new_idempotent_paced_after_load", "capture_new_idempotent_paced", "p99_ms"
            ),
        }
    )
    results["targets"] = judge(results)
    results["meta"] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": {
            "engine": database.engine,
            "name": database.name,
            "version": database.version,
            "representative": database.representative,
            "note": database.note,
        },
        "cache": cache,
        "server": f"gunicorn {metadata.version('gunicorn')}, sync workers, DEBUG off",
        "workers": config.workers,
        "wrk_threads": config.threads,
        "wrk_connections": config.connections,
        "paced_rates": {
            "capture": CAPTURE_PACED_RATE,
            "interaction": INTERACTION_PACED_RATE,
            "queue": QUEUE_PACED_RATE,
            "search": SEARCH_PACED_RATE,
        },
        "report_clients": REPORT_CLIENTS,
        "report_samples": REPORT_SAMPLES,
        "seconds": config.seconds,
        "warmup_seconds": config.warmup,
        "cpu_count": os.cpu_count(),
        "load_average_before": round(load_before, 2),  # other work on the machine skews figures
        "load_average_after": round(os.getloadavg()[0], 2),
        "machine": f"{platform.system()} {platform.machine()}, Python {platform.python_version()}, "
        f"Django {metadata.version('django')}",
        "commit": git_commit(),
        "total_seconds": round(time.monotonic() - started, 1),
        "server_log": server_log_problems(),
        "valid": all(results[name]["valid"] for name in names),
    }
    tmp_file = RESULT_FILE.with_suffix(".json.tmp")
    tmp_file.write_text(json.dumps(results, indent=2) + "\n")
    os.replace(tmp_file, RESULT_FILE)
    print_report(results, names)
    return 0 if results["meta"]["valid"] else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"\nbench failed: {exc}", file=sys.stderr)
        sys.exit(2)

"""Real Celery processes for integration tests: workers and beat on Redis, with the test database."""

import os
import subprocess
import sys
import time

from django.conf import settings
from django.db import connection


def process_env(**extra: str) -> dict:
    db = connection.settings_dict
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": os.environ["REDIS_URL"],
        **extra,
    }


def start_worker(*queues: str, pool: str = "solo", **env: str) -> subprocess.Popen:
    """A worker on the product's queues (plus `queues`). The solo pool keeps it one process, so
    a SIGKILL takes all of it down, as a crashed machine would."""
    names = ",".join([*queues, settings.REALTIME_QUEUE, settings.BULK_QUEUE])
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", names, "--pool", pool]
        + ["--without-heartbeat", "--without-gossip", "--without-mingle", "-l", "info"],
        env=process_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def start_beat(**env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "beat", "-l", "info", "--pidfile="],
        env=process_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stop(process: subprocess.Popen, name: str = "worker") -> str:
    """Stop a process (if it still runs) and return what it printed, for a failing test's report."""
    if process.poll() is None:
        process.terminate()
    try:
        output, _ = process.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    print(f"--- {name} output ---\n{output}")
    return output or ""


def wait_for(condition, seconds=30, every=0.2):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return False

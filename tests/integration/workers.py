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


def start_worker(*queues: str, pool: str = "solo", realtime: bool = True, **env: str) -> subprocess.Popen:
    """A worker on the product's queues (plus `queues`; without the realtime queue if `realtime`
    is False: a bulk worker only, which leaves the e-mails it queues unsent). The solo pool keeps
    it one process, so a SIGKILL takes all of it down, as a crashed machine would."""
    product = [settings.REALTIME_QUEUE, settings.BULK_QUEUE] if realtime else [settings.BULK_QUEUE]
    names = ",".join([*queues, *product])
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


class OwnRedis:
    """A Redis of a test's own on a free port, to stop and start again mid-test."""

    def __init__(self):
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self) -> "OwnRedis":
        import redis

        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        assert wait_for(lambda: _pings(client), seconds=10), "the test's Redis did not start"
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def _pings(client) -> bool:
    try:
        return bool(client.ping())
    except Exception:
        return False


def use_broker(url: str) -> None:
    """Send this process's tasks to `url` from now on (the broker pools are made on first use)."""
    from config.celery import app

    app.conf.broker_url = url
    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None

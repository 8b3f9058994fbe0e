"""The gunicorn settings the product ships (deploy/gunicorn.conf.py), tried on a real gunicorn: a
request line between 4 and 8 KB reaches the app, whose API answers an overlong query in JSON."""

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.workers import wait_for

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(port: int, target: str) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        headers = "Host: 127.0.0.1\r\nX-Forwarded-Proto: https\r\nConnection: close\r\n"
        sock.sendall(f"GET {target} HTTP/1.1\r\n{headers}\r\n".encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def _answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


@pytest.fixture
def gunicorn():
    binary = Path(sys.executable).with_name("gunicorn")
    if not binary.exists() and shutil.which("gunicorn") is None:
        pytest.skip("needs gunicorn")
    port = _free_port()
    process = subprocess.Popen(
        [str(binary if binary.exists() else "gunicorn"), "-c", "deploy/gunicorn.conf.py"]
        + ["--bind", f"127.0.0.1:{port}", "--workers", "1", "--no-control-socket", "config.wsgi:application"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert wait_for(lambda: _answers(port) or process.poll() is not None, seconds=60), "gunicorn did not start"
        assert process.poll() is None, process.communicate()[0]
        yield port
    finally:
        process.terminate()
        process.communicate(timeout=30)


def test_a_6kb_query_on_the_api_gets_the_apps_json_414_not_gunicorns_html(gunicorn):
    answer = _get(gunicorn, "/api/v1/leads/?q=" + "a" * 6000)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 414"), head[:200]
    assert b"Content-Type: application/json" in head
    assert b"longer than 4096 bytes" in body


def test_the_served_application_moves_its_set_up_out_of_the_collectors_way():
    """config.wsgi freezes what importing and setting up Django made (gc.freeze): a full
    collection in a worker then walks only what its requests made."""
    code = "import gc, config.wsgi; print(gc.get_freeze_count())"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.split()[-1]) > 50_000  # Django and the apps, not a handful of objects

"""The app when PostgreSQL goes away: a real gunicorn process talks to the test database through a TCP proxy
that the test can close (nothing listens on the port: an outage) and open again (the database returns), and
the app's connections are terminated with pg_terminate_backend (a restart or failover)."""

import contextlib
import http.client
import json
import os
import select
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

from teams.services import api_token_create
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent
APP_NAME = "opsx-outage-test"
pytestmark = pytest.mark.django_db(transaction=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proxy:
    """Forwards 127.0.0.1:port to PostgreSQL; `close()` drops every connection and stops listening."""

    def __init__(self, port: int, target: tuple[str, int]) -> None:
        self.port, self.target = port, target
        self.sockets: list[socket.socket] = []
        self.thread: threading.Thread | None = None
        self.running = False

    def open(self) -> None:
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.listener.listen(16)
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        pairs: dict[socket.socket, socket.socket] = {}
        while self.running:
            readable, _, _ = select.select([self.listener, *pairs], [], [], 0.1)
            for sock in readable:
                if sock is self.listener:
                    client, _ = self.listener.accept()
                    upstream = socket.create_connection(self.target)
                    pairs[client], pairs[upstream] = upstream, client
                    self.sockets += [client, upstream]
                    continue
                try:
                    data = sock.recv(65536)
                except OSError:
                    data = b""
                peer = pairs.get(sock)
                if not data or peer is None:
                    for s in (sock, peer):
                        if s is not None:
                            pairs.pop(s, None)
                            s.close()
                    continue
                peer.sendall(data)
        for sock in list(pairs):
            sock.close()

    def close(self) -> None:
        self.running = False
        if self.thread:
            self.thread.join(5)
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self.sockets = []
        self.listener.close()


@pytest.fixture
def app_server():
    """gunicorn serving the app with the test database behind a proxy; yields (port, proxy)."""
    settings_dict = connection.settings_dict
    proxy = Proxy(free_port(), (settings_dict["HOST"] or "127.0.0.1", int(settings_dict["PORT"] or 5432)))
    proxy.open()
    port = free_port()
    user = settings_dict["USER"] or "postgres"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "opsx.settings.test",
        "DATABASE_URL": f"postgres://{user}@127.0.0.1:{proxy.port}/{settings_dict['NAME']}?application_name={APP_NAME}",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DB_CONNECT_TIMEOUT": "2",
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [str(gunicorn), "opsx.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--timeout", "60"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("gunicorn did not start: " + process.stderr.read().decode()[-2000:])
    yield port, proxy
    process.terminate()
    process.wait(10)
    if proxy.running:
        proxy.close()


def get(port: int, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], str, float]:
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read().decode()
    conn.close()
    return response.status, dict(response.getheaders()), body, time.monotonic() - started


def app_backends() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s", [APP_NAME])
        return [row[0] for row in cursor.fetchall()]


def test_outage_is_a_503_with_retry_after_and_the_next_request_after_recovery_succeeds(app_server):
    port, proxy = app_server
    user = UserFactory(username="olga")
    _, key = api_token_create(user=user, name="monitor")
    api = {"Authorization": f"Bearer {key}"}
    browser = Client()
    browser.force_login(user)
    page = {"Cookie": f"sessionid={browser.cookies['sessionid'].value}"}

    assert get(port, "/api/v1/teams/", api)[0] == 200
    assert get(port, "/incidents/", page)[0] == 200
    (before,) = app_backends()

    # A database restart or failover: the app's connection is terminated under it.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [before])
    status, _, body, _ = get(port, "/api/v1/teams/", api)
    assert status == 200, body
    assert get(port, "/incidents/", page)[0] == 200
    assert app_backends() and app_backends() != [before], "the app opened a new connection"

    # An outage: nothing listens on the database's port any more.
    proxy.close()
    status, headers, body, took = get(port, "/api/v1/teams/", api)
    assert status == 503
    assert headers["Retry-After"] == "10" and headers["Content-Type"] == "application/json"
    assert json.loads(body) == {
        "error": {
            "status": 503,
            "code": "database_unavailable",
            "message": "The database is not answering. Try again in 10 seconds.",
        }
    }
    assert took < 5, "refused quickly, not after a long wait"
    status, headers, body, _ = get(port, "/incidents/", page)
    assert status == 503 and headers["Retry-After"] == "10"
    assert "opsx is unavailable for a moment" in body and "try again in 10 seconds" in body
    status, _, body, _ = get(port, "/healthz", {})
    assert status == 503 and json.loads(body) == {"status": "unavailable"}

    # The database returns: the next request succeeds.
    proxy.open()
    assert get(port, "/api/v1/teams/", api)[0] == 200
    assert get(port, "/incidents/", page)[0] == 200

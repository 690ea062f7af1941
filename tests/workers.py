"""Real `celery -A opsx worker` processes for the tests that need a task's delivery to be real.

The workers use the test database (its name comes from the live connection) and the same Redis
broker as the test; each test gives them a queue of its own.
"""

import os
import subprocess
import sys
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def worker_env(**extra: str) -> dict[str, str]:
    """The environment of a worker process: the test settings and the test database, plus `extra`."""
    db = connection.settings_dict
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "opsx.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        **extra,
    }


def start_worker(queue: str, *, env: dict[str, str], name: str = "", pool: str = "solo") -> subprocess.Popen:
    """One worker on `queue` (named `name` when given, so several may share a host)."""
    args = [sys.executable, "-m", "celery", "-A", "opsx", "worker", f"--pool={pool}", "-Q", queue]
    args += ["-n", name] if name else []
    args += ["--loglevel=WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    args += ["--concurrency=1"] if pool == "prefork" else []
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop_workers(procs: list[subprocess.Popen]) -> None:
    """Ask each worker to stop, and kill the ones still running after 20 seconds."""
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()

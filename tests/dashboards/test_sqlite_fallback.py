"""The dashboards work on SQLite (the embedded `make run` database): the KPI tests run again there.

SQLite has no percentile function, so `dashboards.sql` interpolates in Python exactly as PostgreSQL's
`percentile_cont` does; the hand-computed medians and 90th percentiles of test_kpis.py must hold on
both databases.
"""

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from dashboards.sql import percentile_cont

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
@pytest.mark.skipif(os.environ.get("OPSX_SQLITE_RUN") == "1", reason="PostgreSQL only")
def test_the_python_percentile_is_postgresql_percentile_cont():
    rng = random.Random(3)
    for size in (1, 2, 3, 10, 57):
        values = [rng.uniform(0, 10_000) for _ in range(size)]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT percentile_cont(ARRAY[0.5, 0.9]::float8[]) WITHIN GROUP (ORDER BY v) "
                "FROM unnest(%s::float8[]) AS v",
                [values],
            )
            median, p90 = cursor.fetchone()[0]
        assert percentile_cont(values, 0.5) == pytest.approx(median)
        assert percentile_cont(values, 0.9) == pytest.approx(p90)
    assert percentile_cont([], 0.5) is None


@pytest.mark.skipif(os.environ.get("OPSX_SQLITE_RUN") == "1", reason="already inside the SQLite run")
def test_kpis_hold_on_sqlite(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'dash.sqlite3'}", "OPSX_SQLITE_RUN": "1"}
    result = subprocess.run(  # noqa: S603 - our own test runner with fixed arguments
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "--create-db",
            "-p",
            "no:cacheprovider",
            "tests/dashboards/test_kpis.py",
            "tests/dashboards/test_api.py",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and " failed" not in result.stdout

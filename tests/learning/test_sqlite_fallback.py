"""The library works on SQLite (the embedded default): the search tests run again there, in a subprocess.

The subprocess gets DATABASE_URL=sqlite:///..., so the same tests exercise the icontains matching,
the simple rank and the plain snippets instead of PostgreSQL full-text search.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from learning.selectors import parse_query

ROOT = Path(__file__).resolve().parents[2]
SQLITE_SUITES = [
    "tests/learning/test_search.py",
    "tests/learning/test_related.py",
    "tests/learning/test_commands.py",
    "tests/learning/test_views.py",
    "tests/learning/test_api.py",
]


def test_parse_query_understands_phrases_and_exclusions():
    assert parse_query('"connection pool" failover -staging or') == (["connection pool", "failover"], ["staging"])
    assert parse_query("  ") == ([], [])


@pytest.mark.skipif(os.environ.get("OPSX_SQLITE_RUN") == "1", reason="already inside the SQLite run")
def test_library_suites_pass_on_sqlite(tmp_path):
    suites = SQLITE_SUITES
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'library.sqlite3'}",
        "OPSX_SQLITE_RUN": "1",
    }
    result = subprocess.run(  # noqa: S603 - our own test runner with fixed arguments
        [sys.executable, "-m", "pytest", "-q", "--create-db", "-p", "no:cacheprovider", *suites],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and " failed" not in result.stdout

"""Whole-database backups and restores (`make backup`, `make restore FILE=...`; docs/backups.md).

PostgreSQL: `pg_dump --format=custom` (schema, data, the audit triggers and functions) and
`pg_restore` into an empty database, in one transaction, stopping at the first error. SQLite (the
embedded default of `make run`): a consistent copy made with SQLite's online backup API.

Credentials come from DATABASE_URL (through Django's settings) and are passed to the PostgreSQL
tools in their environment (PGPASSWORD), never on the command line.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections
from django.utils import timezone


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why and what to do."""


def _db() -> dict[str, Any]:
    return settings.DATABASES["default"]


def is_postgres() -> bool:
    return _db()["ENGINE"].startswith("django.db.backends.postgresql")


def default_path(directory: Path | None = None) -> Path:
    folder = directory or settings.VAR_DIR / "backups"
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    return folder / (f"opsx-{stamp}.dump" if is_postgres() else f"opsx-{stamp}.sqlite3")


def _pg_env() -> dict[str, str]:
    db = _db()
    env = {**os.environ}
    for key, name in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if db.get(key):
            env[name] = str(db[key])
    env["PGDATABASE"] = str(db["NAME"])
    return env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client-15).")
    return path


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, env=_pg_env(), capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed: {result.stderr.strip() or result.stdout.strip()}")
    return result


def backup(path: Path) -> Path:
    """Write a backup of the whole database to `path` (its folder is created); returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        raise BackupError(f"{path} exists already; choose another file.")
    if is_postgres():
        _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={path}"])
        return path
    source = sqlite3.connect(str(_db()["NAME"]))
    target = sqlite3.connect(str(path))
    with target:
        source.backup(target)
    source.close()
    target.close()
    return path


def table_count() -> int:
    """How many tables the configured database has (0: empty, ready for a restore)."""
    with connections["default"].cursor() as cursor:
        return len(connections["default"].introspection.table_names(cursor))


def restore(path: Path, *, replace: bool = False) -> None:
    """Restore a backup into the configured database, which must be empty unless `replace`."""
    if not path.is_file():
        raise BackupError(f"{path}: no such file.")
    if table_count() and not replace:
        raise BackupError(
            "The database is not empty. Restore into a new, empty database (see docs/backups.md), "
            "or pass --replace to drop what is there first."
        )
    if is_postgres():
        pg_restore = _tool("pg_restore")
        listing = subprocess.run([pg_restore, "--list", str(path)], capture_output=True, text=True, check=False)  # noqa: S603
        if listing.returncode != 0:
            raise BackupError(f"{path} is not a pg_dump custom-format backup: {listing.stderr.strip()}")
        connections["default"].close()  # pg_restore needs no open transaction of ours
        args = [pg_restore, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
        if replace:
            args += ["--clean", "--if-exists"]
        _run([*args, f"--dbname={_db()['NAME']}", str(path)])
        return
    with open(path, "rb") as handle:
        if handle.read(16) != b"SQLite format 3\x00":
            raise BackupError(f"{path} is not an SQLite backup.")
    connections["default"].close()
    source = sqlite3.connect(str(path))
    target = sqlite3.connect(str(_db()["NAME"]))
    with target:
        source.backup(target)
    source.close()
    target.close()

"""A backup restored into an empty database gives the same app: the same rows in every table, and the
same page and API list for the same user."""

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from incidents import services as incident_services
from incidents.defaults import ensure_severities
from tests.factories import MembershipFactory, SystemFactory, TeamFactory, UserFactory, make_review

ROOT = Path(__file__).resolve().parents[2]


def _url(name: str) -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


def _admin_sql(sql: str) -> None:
    with psycopg.connect(_url("postgres"), autocommit=True) as conn:
        conn.execute(sql)


def _counts(name: str) -> dict[str, int]:
    with psycopg.connect(_url(name)) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'django_session'"
            )
        ]
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}  # noqa: S608


def _seen(name: str, username: str) -> dict:
    env = {**os.environ, "DATABASE_URL": _url(name), "DJANGO_SETTINGS_MODULE": "opsx.settings.test"}
    out = subprocess.run(
        [sys.executable, "-m", "tests.backup.render", username], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.fixture
def empty_database(db):
    name = f"{connection.settings_dict['NAME']}_restore"
    _admin_sql(f'DROP DATABASE IF EXISTS "{name}"')
    _admin_sql(f'CREATE DATABASE "{name}"')
    yield name
    _admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.django_db(transaction=True)
def test_a_restored_backup_shows_the_same_data(tmp_path, empty_database):
    sev = ensure_severities()
    team = TeamFactory(name="Payments", slug="payments")
    lead = UserFactory(username="alice")
    MembershipFactory(user=lead, team=team, role="lead")
    service = SystemFactory(team=team, name="Checkout API", slug="checkout-api")
    make_review(system=service)
    for n in range(3):
        incident_services.incident_create(
            actor=lead, team=team, title=f"Outage {n}", severity=sev[2], services=[service]
        )
    incident_services.incident_create(actor=lead, team=team, title="Leak", severity=sev[1], restricted=True)

    dump = tmp_path / "opsx.dump"
    call_command("backup", output=dump, stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert dump.stat().st_size > 0

    env = {**os.environ, "DATABASE_URL": _url(empty_database), "DJANGO_SETTINGS_MODULE": "opsx.settings.test"}
    restored = subprocess.run(
        [sys.executable, "manage.py", "restore", str(dump)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert restored.returncode == 0, restored.stderr

    original_name = connection.settings_dict["NAME"]
    before, after = _counts(original_name), _counts(empty_database)
    assert before == after and before["incidents_incident"] == 4 and before["incidents_incidentevent"] >= 4
    seen_before, seen_after = _seen(original_name, "alice"), _seen(empty_database, "alice")
    assert seen_before["api"] == seen_after["api"] and seen_before["api"]["count"] == 4
    assert seen_before["page"] == seen_after["page"] and "Outage 2" in seen_after["page"]

    # The restored database keeps recording history (the triggers came back with the schema).
    with psycopg.connect(_url(empty_database)) as conn:
        conn.execute("UPDATE teams_team SET description = 'restored' WHERE slug = 'payments'")
        assert conn.execute("SELECT count(*) FROM teams_teamevent WHERE description = 'restored'").fetchone()[0] == 1

    # A second restore into the now full database is refused, and changes nothing.
    again = subprocess.run(
        [sys.executable, "manage.py", "restore", str(dump)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert again.returncode != 0 and "not empty" in again.stderr


def test_restore_refuses_what_is_not_a_backup(tmp_path, db):
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not a dump")
    with pytest.raises(CommandError, match="not empty|not a pg_dump"):
        call_command("restore", str(bogus))
    with pytest.raises(CommandError, match="no such file"):
        call_command("restore", str(tmp_path / "missing.dump"))

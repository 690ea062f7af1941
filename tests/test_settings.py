"""Settings come from the environment; production settings pass Django's deploy checks."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "k" * 20 + "-Very-Long-Random-Production-Secret-Value-0123456789",
    "ALLOWED_HOSTS": "opsx.example.com",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
    "REDIS_URL": "redis://127.0.0.1:6379/15",
}


def _run(args, env_overrides, settings="opsx.settings.base"):
    # opsx.settings.test seeds os.environ with test defaults; a subprocess must not inherit them.
    inherited = {
        "DEBUG",
        "SECRET_KEY",
        "DATABASE_URL",
        "REDIS_URL",
        "SECURE_SSL_REDIRECT",
        "ALLOWED_HOSTS",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
    }
    env = {k: v for k, v in os.environ.items() if k not in inherited}
    env.update({"DJANGO_SETTINGS_MODULE": settings, **env_overrides})
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_check_deploy_reports_no_issues_with_production_variables():
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_missing_secret_key_in_production_is_refused():
    result = _run(["manage.py", "check"], {**PRODUCTION, "SECRET_KEY": ""})
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_malformed_boolean_is_refused_with_a_clear_message():
    result = _run(["manage.py", "check"], {**PRODUCTION, "DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_secret_can_come_from_a_file(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("s" * 60)
    env = {**PRODUCTION, "SECRET_KEY_FILE": str(secret)}
    env.pop("SECRET_KEY")
    code = "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)"
    result = _run(["-c", code], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "s" * 60


def test_json_logs_are_one_object_per_line():
    code = (
        "import django, logging; django.setup(); "
        "logging.getLogger('opsx.test').warning('hello %s', 'world', extra={'incident': 42})"
    )
    result = _run(["-c", code], {**PRODUCTION, "LOG_FORMAT": "json"})
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    record = json.loads(lines[-1])
    assert record["message"] == "hello world"
    assert record["level"] == "warning" and record["logger"] == "opsx.test"
    assert record["incident"] == 42 and "ts" in record


def test_without_database_url_the_app_uses_sqlite_under_var():
    code = "import django; django.setup(); from django.conf import settings; d = settings.DATABASES['default']; "
    code += "print(d['ENGINE'], d['NAME']); print(settings.CELERY_BROKER_URL)"
    env = {"DEBUG": "1"}
    result = _run(["-c", code], env)
    assert result.returncode == 0, result.stderr
    engine_line, broker_line = result.stdout.strip().splitlines()
    assert engine_line.startswith("django.db.backends.sqlite3") and engine_line.endswith("var/opsx.sqlite3")
    assert broker_line == "filesystem://"

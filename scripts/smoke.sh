#!/usr/bin/env bash
# Smoke test of the embedded path that `make run` uses: SQLite file + file-system Celery broker.
# Migrates a fresh database, loads the demo data, serves the app and loads a few pages as a user.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
export DEBUG=1 DATABASE_URL="sqlite:///$WORK/smoke.sqlite3" REDIS_URL="" CELERY_BROKER_URL="filesystem://"
unset REDIS_URL
PORT=${SMOKE_PORT:-8765}

$PY manage.py migrate --noinput >/dev/null
$PY manage.py seed_demo
# Backups and the JSON Lines export work on SQLite too (history is PostgreSQL-only: docs/audit.md).
$PY manage.py backup --output "$WORK/backup.sqlite3" >/dev/null
$PY manage.py export_data --output "$WORK/export.jsonl" >/dev/null
$PY manage.py runserver "127.0.0.1:$PORT" --noreload >"$WORK/server.log" 2>&1 &
for _ in $(seq 1 60); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.5
done
# No worker runs during the smoke test, so "degraded" (database and broker up, no heartbeat yet) passes.
curl -fsS "http://127.0.0.1:$PORT/healthz" | grep -Eq '"status": "(ok|degraded)"' || { echo "smoke: /healthz not ok"; cat "$WORK/server.log"; exit 1; }
$PY scripts/smoke_pages.py "http://127.0.0.1:$PORT"
echo "smoke: SQLite path OK"

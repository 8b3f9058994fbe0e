#!/usr/bin/env bash
# `make run`: migrate, load demo data, then the web server with a Celery worker and beat beside it.
# Embedded default: SQLite under var/ and Celery's file-system transport (no servers needed).
# DATABASE_URL and CELERY_BROKER_URL (or REDIS_URL) switch to PostgreSQL and Redis.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PORT="${PORT:-8000}"
export PORT CRM_BASE_URL="${CRM_BASE_URL:-http://127.0.0.1:${PORT}}"  # links in e-mails, the demo key's origin
export DJANGO_DEBUG="${DJANGO_DEBUG:-1}"   # local use over plain http; production sets it off
mkdir -p var/log

$PY manage.py migrate --noinput
$PY manage.py seed_demo

pids=()
stop() {
  trap - INT TERM EXIT
  echo; echo "Stopping web server, worker and beat..."
  kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

.venv/bin/celery -A config worker -Q realtime,bulk --concurrency 2 -l info >var/log/worker.log 2>&1 &
pids+=($!)
.venv/bin/celery -A config beat -l info --pidfile= >var/log/beat.log 2>&1 &
pids+=($!)

cat <<MSG

  Lead CRM is starting on ${CRM_BASE_URL}/
  Log in with any of these demo users (password: demo-pass-2026):
    csr        customer service rep: find callers, log calls, answer the scripted questions
    sales      salesperson (also sales2): work the queue of sales-ready leads
    marketing  marketing manager: offers, scoring rules
    manager    manager: everything, plus the Django admin at /admin/
  API docs: http://127.0.0.1:${PORT}/api/docs/   Demo web-form key: wf_demo_local_only_do_not_use_in_production
  Website script for your site's pages (engagement tracking, docs/tracking.md):
    <script src="${CRM_BASE_URL}/track.js" data-key="sk_demo_local_only_do_not_use_in_production" async></script>
  Worker and beat logs: var/log/worker.log, var/log/beat.log.   Ctrl-C stops everything.

MSG

$PY manage.py runserver "127.0.0.1:${PORT}" --noreload &
pids+=($!)
wait -n "${pids[@]}"

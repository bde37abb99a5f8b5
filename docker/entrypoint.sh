#!/bin/sh
# Role dispatcher: web (migrate, ensure the admin user, gunicorn), worker or beat.
set -eu
role="${1:-web}"
case "$role" in
  web)
    python manage.py migrate --noinput
    python manage.py ensure_admin
    python manage.py collectstatic --noinput --verbosity 0
    exec python manage.py serve --workers "${WEB_CONCURRENCY:-2}"
    ;;
  worker)
    exec celery -A tpdbprovider worker --loglevel=INFO --concurrency "${CELERY_CONCURRENCY:-2}"
    ;;
  beat)
    exec celery -A tpdbprovider beat --loglevel=INFO --schedule /app/data/celerybeat-schedule
    ;;
  *)
    exec "$@"
    ;;
esac

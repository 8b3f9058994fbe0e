# The production image: the web app (gunicorn), the Celery worker and beat all run from it.
# See docker-compose.yml and docs/deployment.md.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, so this layer is rebuilt only when pyproject.toml changes.
# pyproject.toml declares `packages = []`: `pip install .` installs the dependencies only, and the
# code runs from the working directory (manage.py, config/ and the apps sit in /app).
COPY pyproject.toml ./
RUN pip install .

COPY . .

# Static files are collected into var/staticfiles at build time and served by WhiteNoise.
# The secret key here only lets settings load; the running containers get the real one.
RUN DJANGO_SECRET_KEY=build-only-not-a-secret python manage.py collectstatic --noinput \
    && useradd --system --uid 10001 --no-create-home --home-dir /app --shell /usr/sbin/nologin crm \
    && mkdir -p /srv/letters /srv/imports \
    && chown -R crm:crm /app/var /srv/letters /srv/imports

USER crm
EXPOSE 8000
CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "config.wsgi:application"]

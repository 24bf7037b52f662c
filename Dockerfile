# Switchboard in a container: the app.yaml entrypoint (gunicorn) on a slim Python, as a
# user without privileges. Migrations are a separate step, never run by the app:
#   docker run --rm -e DATABASE_URL=… IMAGE switchboard db upgrade
# (compose.yaml runs that as its `migrate` service before `app` starts). Every variable
# is in docs/configuration.md; docs/deploying.md says how to run it.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# The product only (no tests, benchmarks or docs); installed in place so that app.yaml's
# env_variables stay the defaults, as on App Engine.
COPY pyproject.toml README.md app.yaml ./
COPY bot ./bot
COPY commands ./commands
COPY integrations ./integrations
COPY store ./store
RUN pip install --editable . \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin switchboard

USER switchboard

# PORT is where gunicorn listens (as on App Engine); MPLCONFIGDIR a writable folder for
# the charts' font cache; the rest are settings.
ENV PORT=8080 \
    MPLCONFIGDIR=/tmp/matplotlib \
    LOG_FORMAT=json \
    TIMEZONE=Europe/Madrid
EXPOSE 8080

HEALTHCHECK --interval=30s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '8080') + '/healthz', timeout=2)"]

CMD ["sh", "-c", "exec gunicorn -c python:bot.gunicorn_conf -b :$PORT --workers 1 --threads 8 'bot.app:create_app()'"]

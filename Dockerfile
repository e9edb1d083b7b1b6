# syntax=docker/dockerfile:1
# One image for every Alumnet process: `alumnet api <service>` or `alumnet worker <service>`.

# --- build: turn the project and its dependencies into wheels --------------------------
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# The packages of the distribution (alumnet, shared, services) and pyproject.toml;
# .dockerignore keeps tests, docs, secrets and deployment files out of the context.
COPY . .
# A cache mount, so a rebuild after a code change does not download every dependency again.
RUN --mount=type=cache,target=/root/.cache/pip pip wheel --wheel-dir /wheels .

# --- runtime ---------------------------------------------------------------------------
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# tini as PID 1: it forwards SIGTERM to gunicorn or the worker and reaps zombies; a Python
# process running as PID 1 would ignore SIGTERM and be killed only after the grace period.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/*

# A numeric, non-root user so Kubernetes' runAsNonRoot can verify it.
RUN groupadd --system --gid 10001 alumnet \
    && useradd --system --uid 10001 --gid alumnet --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin alumnet

# Same as `pip install .`, from the wheels built above: no compiler or build cache here.
COPY --from=build /wheels /wheels
RUN pip install --no-index --find-links /wheels alumnet && rm -rf /wheels

WORKDIR /app
COPY deploy/gunicorn.conf.py deploy/healthcheck.py /app/deploy/
# Where `alumnet api` finds its gunicorn settings: the default, next to the source tree,
# does not exist once the project is installed as a package.
ENV GUNICORN_CONF=/app/deploy/gunicorn.conf.py
# Writable places for the non-root user: the file backends' outbox (a named volume mounted
# here starts with this ownership) and the Prometheus multiprocess directory.
RUN mkdir -p /var/lib/alumnet/outbox /tmp/prometheus \
    && chown -R alumnet:alumnet /var/lib/alumnet /tmp/prometheus

USER 10001:10001
EXPOSE 8000 9000
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["alumnet", "--help"]

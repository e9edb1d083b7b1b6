"""Gunicorn settings for every Alumnet api process (`alumnet api <service>`).

Read by gunicorn as a Python config file. Each value comes from an environment variable so
that operators tune a deployment without rebuilding the image; the defaults suit a small
container (about half a CPU and 384 MiB) behind the nginx gateway.
"""
from __future__ import annotations

import os
import shutil


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"gunicorn.conf.py: {name} must be an integer, got {raw!r}") from None


bind = f"0.0.0.0:{_int('PORT', 8000)}"

# gthread: requests mostly wait on MongoDB, so a few processes with several threads each
# serve more concurrent requests per MiB than many sync workers.
workers = _int("WEB_CONCURRENCY", 2)
worker_class = "gthread"
threads = _int("GUNICORN_THREADS", 4)

# A request stuck longer than this is killed with its worker; the gateway's read timeout
# (35s) is longer so that the client sees the api's failure, not a gateway timeout.
timeout = _int("GUNICORN_TIMEOUT", 30)
# Shorter than the 30s Docker and Kubernetes wait between SIGTERM and SIGKILL, so that
# in-flight requests finish before the container is killed.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 20)
# Longer than the gateway's upstream keepalive_timeout (60s): the side that closes an idle
# connection must be nginx, or nginx may reuse a connection the api is closing (a 502).
keepalive = _int("GUNICORN_KEEPALIVE", 65)

# Recycle workers now and then so that a slow leak cannot grow without bound; the jitter
# keeps all workers from restarting at the same moment. Not too often: a restart costs a
# worker about 0.7 s of CPU (imports, app factory), which bench/members.py saw as p99 spikes
# of 0.75-1.1 s when it was every 1,000 requests.
max_requests = _int("GUNICORN_MAX_REQUESTS", 10000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 1000)

# The app writes its own JSON access lines with the request id; gunicorn's plain-text line
# would only duplicate them. Set GUNICORN_ACCESSLOG=- to get them anyway.
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "INFO").lower()

# X-Forwarded-* are believed only from the gateway: the same TRUSTED_PROXIES the app reads
# (shared/config.py), never "*". Empty trusts no one.
forwarded_allow_ips = os.environ.get("TRUSTED_PROXIES", "").replace(" ", "")

# The worker heartbeat file must live on a RAM disk: on an overlay or a read-only root file
# system, gunicorn's periodic fchmod can block and get healthy workers killed.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"


def on_starting(server):
    """Start every run with an empty Prometheus multiprocess directory.

    Files left by an earlier run would be summed into this run's counters.
    """
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not path:
        return
    if os.path.isdir(path):
        for entry in os.listdir(path):
            full = os.path.join(path, entry)
            if os.path.isdir(full):
                shutil.rmtree(full, ignore_errors=True)
            else:
                os.unlink(full)
    os.makedirs(path, exist_ok=True)


def child_exit(server, worker):
    """Drop a dead worker's live gauges from the multiprocess metrics it shared."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)

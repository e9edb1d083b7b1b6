"""Prometheus metrics of HTTP requests, by route template and status.

Under gunicorn with several workers, ``PROMETHEUS_MULTIPROC_DIR`` makes every worker write its
samples to files that ``/metrics`` aggregates; without it the process registry is served.
"""
from __future__ import annotations

import os

from prometheus_client import (CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram,
                               REGISTRY, generate_latest)

REQUESTS = Counter("http_requests_total", "HTTP requests handled",
                   ["service", "method", "route", "status"])
LATENCY = Histogram("http_request_duration_seconds", "HTTP request latency",
                    ["service", "method", "route"],
                    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))

# (service, method, route, status) -> the labelled counter and histogram: prometheus_client's
# ``labels()`` formats the values and takes a lock on every call, once per request each.
_children: dict[tuple[str, str, str, int], tuple] = {}


def observe(service: str, method: str, route: str, status: int, elapsed_s: float | None) -> None:
    """Count one request, and its latency when it is known."""
    key = (service, method, route, status)
    children = _children.get(key)
    if children is None:
        children = _children[key] = (REQUESTS.labels(service, method, route, str(status)),
                                     LATENCY.labels(service, method, route))
    children[0].inc()
    if elapsed_s is not None:
        children[1].observe(elapsed_s)


def render() -> tuple[bytes, str]:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST

"""Shared facts for the deployment tests: where the files are and what the contract allows."""
from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

import yaml

from shared.config import SETTINGS

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"

SERVICES = ("members", "events", "awards", "notifications")


def _consumes(service: str) -> bool:
    if importlib.util.find_spec(f"services.{service}.handlers") is None:
        return False  # members consumes nothing (its worker relays its outbox and runs timers)
    return bool(importlib.import_module(f"services.{service}.handlers").subscriptions())


# Services whose worker consumes (an inbox, retries, a dead-letter queue): read from the code.
CONSUMERS = tuple(s for s in SERVICES if _consumes(s))

# The environment variables of the configuration contract. A deployment file that sets any
# other variable on an Alumnet process is setting something no code reads.
# Every setting the code reads (shared.config.SETTINGS) plus the process-level ones that
# gunicorn and prometheus-client read themselves.
DOCUMENTED_ENV = frozenset(SETTINGS) | {"WEB_CONCURRENCY", "GUNICORN_THREADS", "PROMETHEUS_MULTIPROC_DIR"}

# What the portal reads (frontends/portal/settings.py) and what gunicorn's config reads for it.
PORTAL_ENV = frozenset({"PORTAL_API_URL", "PORTAL_SESSION_KEY", "DEV_MODE", "PORTAL_API_TIMEOUT_S",
                        "PORTAL_TRUSTED_PROXIES", "DEV_OUTBOX_DIR", "PORT", "WEB_CONCURRENCY",
                        "GUNICORN_THREADS", "LOG_LEVEL"})

# The placeholders of deploy/nginx/alumnet.conf.template, set by compose and Kubernetes.
GATEWAY_VARIABLES = frozenset({
    "GATEWAY_LISTEN", "MEMBERS_API", "EVENTS_API", "AWARDS_API", "NOTIFICATIONS_API", "GATEWAY_REAL_IP_FROM",
    "PORTAL_UPSTREAM", "PORTAL_REAL_IP_FROM",
})


def load_yaml_documents(path: Path) -> list:
    with path.open(encoding="utf-8") as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc is not None]


def load_yaml(path: Path):
    documents = load_yaml_documents(path)
    assert len(documents) == 1, f"{path} should hold one YAML document"
    return documents[0]

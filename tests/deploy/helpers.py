"""Shared facts for the deployment tests: where the files are and what the contract allows."""
from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"

SERVICES = ("members", "events", "awards", "notifications")

# The environment variables of the configuration contract. A deployment file that sets any
# other variable on an Alumnet process is setting something no code reads.
DOCUMENTED_ENV = frozenset({
    "AMQP_URL", "MONGO_URL", "MONGO_DB_PREFIX",
    "JWT_PUBLIC_KEY_FILE", "JWT_PRIVATE_KEY_FILE", "JWT_ISSUER", "JWT_AUDIENCE",
    "SMTP_HOST", "SMTP_PORT", "SMTP_STARTTLS", "SMTP_USERNAME", "SMTP_PASSWORD", "MAIL_FROM",
    "EMAIL_BACKEND", "SMS_BACKEND", "SMS_API_URL", "SMS_ACCOUNT_SID", "SMS_AUTH_TOKEN",
    "SMS_FROM", "DEV_OUTBOX_DIR", "LOG_LEVEL", "PORT", "WEB_CONCURRENCY", "GUNICORN_THREADS",
    "WORKER_HTTP_PORT", "PROMETHEUS_MULTIPROC_DIR", "MAX_CONTENT_LENGTH", "PUBLIC_BASE_URL",
})

# The placeholders of deploy/nginx/alumnet.conf.template, set by compose and Kubernetes.
GATEWAY_VARIABLES = frozenset({
    "GATEWAY_LISTEN", "MEMBERS_API", "EVENTS_API", "AWARDS_API", "NOTIFICATIONS_API",
})


def load_yaml_documents(path: Path) -> list:
    with path.open(encoding="utf-8") as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc is not None]


def load_yaml(path: Path):
    documents = load_yaml_documents(path)
    assert len(documents) == 1, f"{path} should hold one YAML document"
    return documents[0]

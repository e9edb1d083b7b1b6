"""Real processes for end-to-end tests: the apis under gunicorn (``alumnet api``), the
workers (``alumnet worker``) (tests/processes.py), the real RabbitMQ, the local store server
and an aiosmtpd SMTP sink. Tests drive them only through HTTP and read what the sink received."""
from __future__ import annotations

import pytest

from tests.processes import Platform, platform_env, purge_inboxes  # noqa: F401 (Platform: tests import it from here)
from tests.sms_sink import SmsSink
from tests.smtp_sink import SmtpSink


@pytest.fixture(scope="session")
def smtp_sink():
    with SmtpSink() as sink:
        yield sink, sink.port


@pytest.fixture(scope="session")
def sms_sink():
    with SmsSink(account_sid="AC-e2e", auth_token="e2e-token") as sink:
        yield sink


@pytest.fixture(scope="session")
def platform(amqp_url, local_store, smtp_sink, sms_sink, jwt_keys, tmp_path_factory):
    purge_inboxes(amqp_url)
    env = platform_env(
        amqp_url, local_store.url, jwt_keys,
        EMAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=str(smtp_sink[1]),
        SMS_BACKEND="http", SMS_API_URL=sms_sink.url, SMS_ACCOUNT_SID="AC-e2e", SMS_AUTH_TOKEN="e2e-token")
    running = Platform(env, tmp_path_factory.mktemp("logs"))
    try:
        running.start_services(("members", "events", "notifications"))
        yield running
    finally:
        running.stop()

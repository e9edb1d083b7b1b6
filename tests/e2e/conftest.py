"""Real processes for end-to-end tests: the apis under gunicorn (``alumnet api``), the
workers (``alumnet worker``) (tests/processes.py), the real RabbitMQ, the local store server
and an aiosmtpd SMTP sink. Tests drive them only through HTTP and read what the sink received.

The layer has a RabbitMQ vhost of its own (``amqp_url`` here is its URL): nothing a previous
run or another layer left in the broker reaches this platform, and it leaves nothing behind.
Everything here is package-scoped: the platform stops, and the vhost goes, when the last test
of tests/e2e is done, before the next layer (integration tests stop and restart brokers)."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.conftest import IN_CI, own_vhost
from tests.deploy.nginx_harness import Gateway, find_nginx
from tests.processes import Platform, platform_env  # noqa: F401 (Platform: tests import it from here)
from tests.sms_sink import SmsSink
from tests.smtp_sink import SmtpSink
from tests.support import refusing_port

SERVICES = ("members", "events", "notifications", "awards")


@pytest.fixture(scope="package")
def amqp_url(amqp_url):
    """The broker's URL with this layer's own vhost; tests that need another vhost of their
    own (the crash test) make it on the same broker with ``tests.conftest.own_vhost``."""
    with own_vhost(amqp_url, "e2e", timeout_s=30) as vhost:
        yield vhost.url


@pytest.fixture(scope="package")
def smtp_sink():
    with SmtpSink() as sink:
        yield sink, sink.port


@pytest.fixture(scope="package")
def sms_sink():
    with SmsSink(account_sid="AC-e2e", auth_token="e2e-token") as sink:
        yield sink


def e2e_env(amqp_url: str, local_store, smtp_sink, sms_sink, jwt_keys, **overrides: str) -> dict[str, str]:
    """A platform's environment for the e2e layer: the session's store and sinks, short timers."""
    return platform_env(amqp_url, local_store.url, jwt_keys, **{
        "EMAIL_BACKEND": "smtp", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_sink[1]),
        "SMS_BACKEND": "http", "SMS_API_URL": sms_sink.url, "SMS_ACCOUNT_SID": "AC-e2e", "SMS_AUTH_TOKEN": "e2e-token",
        # The survey reminder is due an hour before the close (a test's survey closes in two,
        # and a worker whose clock runs ahead sends it: CLOCK_OFFSET_S); its timer looks every second.
        "SURVEY_REMINDER_INTERVAL_S": "1", "SURVEY_REMINDER_LEAD_S": "3600",
        # A mentor has ten minutes to answer an ask: no deadline passes during a run on the real
        # clock; a test expires an ask with a worker whose clock runs ahead (CLOCK_OFFSET_S).
        # The expiry timer looks twice a second.
        "MENTORING_DEADLINE_S": "600", "MENTORING_EXPIRY_INTERVAL_S": "0.5",
        # An ambassador has 6 s to reply before the nudge, 4 s more before the office is told;
        # the overdue timer looks twice a second.
        "AMBASSADOR_REPLY_TARGET_S": "6", "AMBASSADOR_ESCALATE_AFTER_S": "4", "AMBASSADOR_OVERDUE_INTERVAL_S": "0.5",
        "OFFICE_EMAIL": "office@alumni.e2e.example", **overrides})


@pytest.fixture(scope="package")
def platform(amqp_url, local_store, smtp_sink, sms_sink, jwt_keys, tmp_path_factory):
    running = Platform(e2e_env(amqp_url, local_store, smtp_sink, sms_sink, jwt_keys), tmp_path_factory.mktemp("logs"))
    try:
        running.start_services(SERVICES)
        yield running
    finally:
        running.stop()


def need_nginx() -> str:
    nginx = find_nginx()
    if nginx is None:
        if IN_CI:
            pytest.fail("nginx is needed for the gateway end-to-end tests")
        pytest.skip("nginx not installed")
    return nginx


@contextmanager
def gateway_to(platform, workdir) -> Iterator[Gateway]:
    """The real nginx in front of every api copy of the four services (the portal closed)."""
    upstreams: dict[str, str | list[str]] = {
        service: [url.removeprefix("http://") for url in platform.api_urls[service]] for service in SERVICES}
    with refusing_port() as closed:  # the portal is not started here: its upstream refuses
        upstreams["portal"] = f"127.0.0.1:{closed}"
        with Gateway(need_nginx(), workdir, upstreams) as running:
            yield running


@pytest.fixture(scope="module")
def gateway(platform, tmp_path_factory):
    """The real nginx in front of the four services' apis (the portal closed)."""
    with gateway_to(platform, tmp_path_factory.mktemp("gateway")) as running:
        yield running

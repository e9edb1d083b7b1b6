"""Broker rights against the real RabbitMQ: the per-service users that ``alumnet keys generate``
defines (alumnet/keys.py) are imported into a throwaway vhost with throwaway user names, and
the broker itself refuses what the rights forbid. A forged ``source`` is parked with its reason.

Needs ``rabbitmqctl`` on this machine, talking to the node at AMQP_URL (as in CI).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import uuid
from urllib.parse import quote, urlsplit

import pytest
from kombu import Connection, Exchange, Producer, Queue
from kombu.exceptions import OperationalError
from amqp.exceptions import AccessRefused

from alumnet.keys import broker_users, new_password
from shared.bus.consumer import DEFAULT_EXCHANGE
from shared.bus.deadletters import DeadLetters
from shared.bus.topology import EXCHANGE_NAME, exchange
from tests.conftest import IN_CI
from tests.support import wait_until

REFUSED = (AccessRefused, OperationalError)


def _ctl(*args: str) -> str:
    return subprocess.run(["rabbitmqctl", "-q", *args], capture_output=True, text=True, timeout=60,
                          check=True).stdout


@pytest.fixture(scope="module")
def rights(amqp_url):
    """Every service's user, as generated, in a throwaway vhost; removed afterwards."""
    if shutil.which("rabbitmqctl") is None:
        message = "rabbitmqctl is not installed"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    tag = uuid.uuid4().hex[:8]
    vhost, prefix = f"rights-{tag}", f"rights-{tag}-"
    passwords = {service: new_password() for service in ("members", "events", "notifications")}
    definitions = broker_users(passwords, vhost=vhost, user_prefix=prefix)
    # A world-readable file: rabbitmqctl may run as the broker's user, who cannot read a private
    # temp dir (and this version refuses "-" for stdin). The import is asynchronous.
    with tempfile.NamedTemporaryFile("w", suffix=".json", prefix="alumnet-rights-") as handle:
        handle.write(json.dumps(definitions))
        handle.flush()
        os.chmod(handle.name, 0o644)
        _ctl("import_definitions", handle.name)
        wait_until(lambda: _ctl("list_topic_permissions", "-p", vhost).count(prefix) == len(passwords),
                   timeout_s=30, message="definitions imported")
    host = urlsplit(amqp_url).netloc.rsplit("@", 1)[-1]
    urls = {service: f"amqp://{prefix}{service}:{quote(pw, safe='')}@{host}/{quote(vhost, safe='')}"
            for service, pw in passwords.items()}
    try:
        yield urls
    finally:
        for service in passwords:
            subprocess.run(["rabbitmqctl", "-q", "delete_user", prefix + service], capture_output=True, timeout=60)
        subprocess.run(["rabbitmqctl", "-q", "delete_vhost", vhost], capture_output=True, timeout=60)


def _publish(url: str, routing_key: str, exchange_=None) -> None:
    with Connection(url, transport_options={"confirm_publish": True}) as conn:
        channel = conn.channel()
        target = exchange_ or exchange()
        if target is exchange():
            target(channel).declare()  # what every worker does at start-up
        Producer(channel, exchange=target).publish(b"{}", routing_key=routing_key)


def test_a_service_publishes_its_own_routing_keys(rights):
    _publish(rights["events"], "events.event.published")
    _publish(rights["members"], "members.member.erased")


def test_the_events_user_may_not_publish_a_members_event(rights):
    with pytest.raises(REFUSED) as caught:
        _publish(rights["events"], "members.member.erased")
    assert "ACCESS_REFUSED" in str(caught.value) and "members.member.erased" in str(caught.value)


def test_a_service_configures_and_reads_only_its_own_queues(rights):
    with Connection(rights["notifications"]) as conn:
        own = Queue("notifications.inbox", exchange=Exchange(EXCHANGE_NAME, type="topic", durable=True),
                    routing_key="members.member.registered", durable=True)
        own(conn.channel()).declare()  # declare and bind: its own queue, others' events
    with Connection(rights["events"]) as conn:
        with pytest.raises(REFUSED):
            Queue("notifications.inbox", durable=True)(conn.channel()).declare()
    with Connection(rights["events"]) as conn:
        with pytest.raises(REFUSED):
            conn.channel().basic_get("notifications.inbox")


def test_a_forged_source_is_parked_with_the_reason(bus):
    consumer = bus.start(bus.consumer())
    wait_until(consumer.ready.is_set, message="consumer ready")
    forged = json.loads(bus.event(1).to_json())
    forged["source"] = "members"  # claims another producer for this service's own type
    with Connection(bus.amqp_url, transport_options={"confirm_publish": True}) as conn:
        Producer(conn.default_channel, exchange=DEFAULT_EXCHANGE).publish(
            json.dumps(forged).encode(), routing_key=consumer.queues.inbox_name,
            content_type="application/cloudevents+json", content_encoding="binary",
            message_id="forged", delivery_mode=2)
    dead = DeadLetters(bus.amqp_url, bus.service)
    [parked] = wait_until(lambda: dead.list(), timeout_s=20, message="forged message parked")
    assert parked.message_id == "forged"
    assert parked.attempts == 0
    assert "source 'members' does not publish" in parked.error
    assert bus.effects() == 0

"""Broker rights against the real RabbitMQ: the deployment's topology (deploy/rabbitmq/
definitions.json) and the per-service users that ``alumnet keys generate`` defines
(alumnet/keys.py) are imported into a throwaway vhost with throwaway user names, and the
broker itself refuses what the rights forbid: another service's routing keys, another
service's queues by any exchange, the shared exchange's configuration. A service's own
retries, parking and the operator's replay still work under its own user. A forged
``source`` is parked with its reason.

Needs ``rabbitmqctl`` on this machine, talking to the node at AMQP_URL (as in CI).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
import uuid
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from amqp.exceptions import AccessRefused
from kombu import Connection, Exchange, Producer, Queue, binding
from kombu.exceptions import OperationalError
from marshmallow import fields

from alumnet.keys import broker_users, new_password
from shared.bus.consumer import Consumer, Subscription
from shared.bus.deadletters import DeadLetters
from shared.bus.envelope import EventCatalog
from shared.bus.topology import EXCHANGE_NAME, ServiceQueues, ensure_exchange, exchange
from shared.memberview import Expectation
from shared.store import ServiceStore
from tests.conftest import IN_CI
from tests.support import DEFAULT_EXCHANGE, wait_until

REFUSED = (AccessRefused, OperationalError)
DEFINITIONS = Path(__file__).resolve().parents[2] / "deploy" / "rabbitmq" / "definitions.json"
SERVICES = ("members", "events", "notifications")


def _ctl(*args: str) -> str:
    return subprocess.run(["rabbitmqctl", "-q", *args], capture_output=True, text=True, timeout=60,
                          check=True).stdout


def _deployment(vhost: str, users: dict) -> dict:
    """The deployment's topology moved to ``vhost``, with ``users`` (both imported at boot)."""
    topology = json.loads(DEFINITIONS.read_text())
    for kind in ("exchanges", "queues", "bindings", "policies"):
        for item in topology[kind]:
            item["vhost"] = vhost
    return {**topology, **users, "vhosts": [{"name": vhost}]}


@pytest.fixture(scope="module")
def rights(amqp_url):
    """Every service's user, as generated, in a throwaway vhost holding the deployment's
    topology; removed afterwards."""
    if shutil.which("rabbitmqctl") is None:
        message = "rabbitmqctl is not installed"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    tag = uuid.uuid4().hex[:8]
    vhost, prefix = f"rights-{tag}", f"rights-{tag}-"
    passwords = {service: new_password() for service in SERVICES}
    definitions = _deployment(vhost, broker_users(passwords, vhost=vhost, user_prefix=prefix))
    # A world-readable file: rabbitmqctl may run as the broker's user, who cannot read a private
    # temp dir (and this version refuses "-" for stdin). The import is asynchronous.
    with tempfile.NamedTemporaryFile("w", suffix=".json", prefix="alumnet-rights-") as handle:
        handle.write(json.dumps(definitions))
        handle.flush()
        os.chmod(handle.name, 0o644)
        _ctl("import_definitions", handle.name)
        wait_until(lambda: _ctl("list_topic_permissions", "-p", vhost).count(prefix) == len(passwords)
                   and _ctl("list_bindings", "-p", vhost, "source_name").split().count("notifications.requeue")
                   == sum(b["source"] == "notifications.requeue" for b in definitions["bindings"]),
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


def _publish(url: str, routing_key: str, exchange_name: str = EXCHANGE_NAME, body: bytes = b"{}") -> None:
    with Connection(url, transport_options={"confirm_publish": True}) as conn:
        if exchange_name == EXCHANGE_NAME:
            ensure_exchange(conn.channel)  # what every worker and relay does at start-up
        target = Exchange(exchange_name, type="direct", no_declare=True)
        Producer(conn.channel(), exchange=target, auto_declare=False).publish(
            body, routing_key=routing_key, content_type="application/cloudevents+json",
            content_encoding="binary", delivery_mode=2)


def _depth(url: str, queue: str) -> int:
    with Connection(url) as conn:
        return conn.channel().queue_declare(queue, passive=True).message_count


def test_a_service_publishes_its_own_routing_keys(rights):
    _publish(rights["events"], "events.event.published")
    _publish(rights["members"], "members.member.erased")


def test_the_events_user_may_not_publish_a_members_event(rights):
    with pytest.raises(REFUSED) as caught:
        _publish(rights["events"], "members.member.erased")
    assert "ACCESS_REFUSED" in str(caught.value) and "members.member.erased" in str(caught.value)


def test_no_service_may_configure_the_shared_exchange_which_the_deployment_creates(rights):
    for service in SERVICES:
        with Connection(rights[service]) as conn:
            ensure_exchange(conn.channel)  # there: found passively, no right needed
            with pytest.raises(REFUSED) as caught:
                exchange()(conn.channel()).declare()
        assert "ACCESS_REFUSED" in str(caught.value) and "Exchange.declare" in str(caught.value)


def test_a_service_declares_its_whole_topology_and_reads_only_its_own_queues(rights):
    with Connection(rights["notifications"]) as conn:
        # as the deployment made it: nothing outdated (same arguments, own exchange, bindings)
        assert ServiceQueues("notifications", ("members.member.registered",)).declare(conn) == []
    with Connection(rights["events"]) as conn:
        with pytest.raises(REFUSED):
            Queue("notifications.inbox", durable=True)(conn.channel()).declare()
    with Connection(rights["events"]) as conn:
        with pytest.raises(REFUSED):
            conn.channel().basic_get("notifications.inbox")


@pytest.mark.parametrize("exchange_name", ["", "amq.direct", "amq.topic", "amq.fanout", "amq.headers",
                                           "amq.match", "members.requeue", EXCHANGE_NAME])
def test_the_events_user_cannot_put_a_message_into_another_services_queue(rights, exchange_name):
    """Neither through the default exchange (which reaches every queue by its name), nor the
    broker's other built-in exchanges, nor the members service's own exchange, nor the shared
    one under another routing key; binding the queue elsewhere is refused too."""
    with Connection(rights["members"]) as conn:
        queues = ServiceQueues("members", ())
        queues.declare(conn)
    with pytest.raises(REFUSED) as caught:
        _publish(rights["events"], queues.inbox_name, exchange_name, body=b'{"forged": true}')
    assert "ACCESS_REFUSED" in str(caught.value)
    with Connection(rights["events"]) as conn:
        own = ServiceQueues("events", ())
        own.declare(conn)
        with pytest.raises(AccessRefused):  # a binding needs write on its queue
            binding(own.requeue(), routing_key="in").bind(queues.inbox()(conn.channel()))
    assert _depth(rights["members"], queues.inbox_name) == 0


class Erased(Expectation):
    member_id = fields.String(required=True)


def test_under_its_own_user_a_worker_retries_and_parks_and_the_operator_replays(rights, local_store):
    """The events worker's retries and parking, and ``alumnet dead replay`` run as the events
    user, all move messages through ``events.requeue``: no right on the default exchange."""
    members = EventCatalog("members")
    erased = members.register("members.member.erased", Erased(), {"member_id": "m-1"})
    store = ServiceStore(local_store.url, f"rights_{uuid.uuid4().hex[:8]}")
    broken, handled = {"on": True}, []

    def handler(event, ctx):
        if broken["on"]:
            raise RuntimeError("read model unavailable")
        handled.append(event.data)

    consumer = Consumer("events", rights["events"], store.db, store.transaction,
                        [Subscription(erased, Erased(), handler)], retry_delays=(0.2, 0.4))
    thread = threading.Thread(target=consumer.run, daemon=True)
    thread.start()
    try:
        wait_until(consumer.ready.is_set, message="the events worker consuming as its own user")
        event = members.create(erased, "m-1", {"member_id": "m-1"}, "c-1")
        _publish(rights["members"], erased, body=event.to_json())
        dead = DeadLetters(rights["events"], "events")
        [parked] = wait_until(lambda: dead.list(), timeout_s=30, message="parked after its retries")
        assert consumer.retried == 2 and parked.attempts == 2 and "read model unavailable" in parked.error
        broken["on"] = False
        assert dead.replay() == 1
        wait_until(lambda: handled, timeout_s=20, message="handled after the replay")
        assert handled == [{"member_id": "m-1"}] and dead.list() == []
    finally:
        consumer.stop()
        thread.join(30)
        store.client.drop_database(store.db.name)


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

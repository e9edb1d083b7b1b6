"""Erasure in the dead-letter queue, on the real broker: ``DeadLetters.purge_mentioning``
removes the parked messages that mention a member (in the body or the error) and puts every
other one back as it was."""
from __future__ import annotations

from kombu import Connection, Producer

from shared.bus.deadletters import DeadLetters
from tests.support import DEFAULT_EXCHANGE

MEMBER = "6f1c2b9e4d8a4e5f9a0b1c2d3e4f5a6b"


def _park(amqp_url: str, queue: str, message_id: str, body: bytes, error: str) -> None:
    with Connection(amqp_url, transport_options={"confirm_publish": True}) as conn:
        Producer(conn.default_channel, exchange=DEFAULT_EXCHANGE).publish(
            body, routing_key=queue, content_type="application/cloudevents+json", content_encoding="binary",
            message_id=message_id, delivery_mode=2, headers={"x-error": error, "x-attempts": 3})


def test_purging_what_mentions_a_member_leaves_every_other_parked_message(bus):
    with Connection(bus.amqp_url) as conn:
        bus.consumer().queues.declare(conn)
    dead = DeadLetters(bus.amqp_url, bus.service)
    queue = dead.queues.dead_name
    _park(bus.amqp_url, queue, "about-them", f'{{"data": {{"member_id": "{MEMBER}", '
                                            f'"email": "teodora@example.bg"}}}}'.encode(), "invalid data")
    _park(bus.amqp_url, queue, "error-names-them", b"\xff not json", f"ValueError: member {MEMBER} unknown")
    _park(bus.amqp_url, queue, "someone-else", b'{"data": {"member_id": "another"}}', "invalid data")
    _park(bus.amqp_url, queue, "garbage", b"\xff\xfe", "body is not JSON")

    assert dead.purge_mentioning(MEMBER[:-1] + "0") == 0  # another id: nothing
    assert dead.purge_mentioning(MEMBER) == 2
    left = {m.message_id: m for m in dead.list()}
    assert set(left) == {"someone-else", "garbage"}
    assert left["garbage"].body == b"\xff\xfe" and left["garbage"].attempts == 3
    assert left["someone-else"].error == "invalid data"
    assert dead.purge_mentioning("") == 0  # an empty id matches nothing, not everything
    assert len(dead.list()) == 2

"""The operator's `alumnet dead` commands against the real broker."""
from __future__ import annotations

import json
import uuid

from click.testing import CliRunner
from kombu import Connection, Producer

from alumnet.cli import main
from shared.bus.topology import ServiceQueues
from tests.support import DEFAULT_EXCHANGE


def test_list_shows_a_parked_message_with_its_error_and_purge_removes_only_it(amqp_url, monkeypatch):
    monkeypatch.setenv("AMQP_URL", amqp_url)
    queues = ServiceQueues("awards", ())
    message_id = f"cli-{uuid.uuid4().hex}"
    with Connection(amqp_url, transport_options={"confirm_publish": True}) as conn:
        queues.declare(conn)
        Producer(conn.default_channel, exchange=DEFAULT_EXCHANGE).publish(
            b"{not json", routing_key=queues.dead_name, message_id=message_id, delivery_mode=2,
            content_type="application/cloudevents+json", content_encoding="binary",
            headers={"x-error": "invalid message: body is not JSON", "x-attempts": 0})
    runner = CliRunner()

    listed = runner.invoke(main, ["dead", "list", "awards", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = [json.loads(line) for line in listed.output.splitlines()]
    mine = [r for r in rows if r["message_id"] == message_id]
    assert mine == [{"message_id": message_id, "type": None, "error": "invalid message: body is not JSON",
                     "attempts": 0, "parked_at": ""}]

    purged = runner.invoke(main, ["dead", "purge", "awards", "--id", message_id, "--yes"])
    assert purged.exit_code == 0 and "purged 1 message(s)" in purged.output
    again = runner.invoke(main, ["dead", "list", "awards", "--json"])
    assert message_id not in again.output
    assert len(again.output.splitlines()) == len(rows) - 1

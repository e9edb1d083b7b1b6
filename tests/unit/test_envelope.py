"""CloudEvents 1.0 envelopes and the producer's event catalogue (``shared.bus.envelope``).

What is checked: ``EventCatalog.create`` fills every envelope attribute the design asks for
(specversion 1.0, a UUID id, an RFC 3339 UTC time, source, subject, correlation id) and
validates ``data`` against the producer's schema; ``to_json``/``decode`` round-trip without
losing non-ASCII text; ``decode`` turns every kind of malformed body into ``InvalidEvent``
naming the offending attribute (and nothing else escapes it); a catalogue refuses types that
are not its own.
"""
from __future__ import annotations

import copy
import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings, strategies as st
from kombu import Connection, Queue
from marshmallow import Schema, fields

from services.members.messages import CATALOG, MEMBER_REGISTERED
from shared.bus.envelope import Envelope, EventCatalog, InvalidEvent, decode, utc_now_rfc3339
from shared.bus.outbox import PendingEvent
from shared.bus.publisher import EmbeddedPublisher
from shared.bus.topology import exchange

EXAMPLE = CATALOG.examples[MEMBER_REGISTERED]


def _create(**overrides) -> Envelope:
    args = {"event_type": MEMBER_REGISTERED, "subject": EXAMPLE["member_id"],
            "data": copy.deepcopy(EXAMPLE), "correlation_id": "req-1"}
    args.update(overrides)
    return CATALOG.create(**args)


def _wire(**changes) -> dict:
    """A valid envelope as a JSON object, with some attributes changed (None deletes)."""
    raw = json.loads(_create().to_json())
    for key, value in changes.items():
        if value is None:
            raw.pop(key, None)
        else:
            raw[key] = value
    return raw


# --------------------------------------------------------------------------- creating

def test_create_fills_every_cloudevents_attribute():
    before = datetime.now(timezone.utc)
    event = _create()
    after = datetime.now(timezone.utc)

    assert json.loads(event.to_json())["specversion"] == "1.0"  # on the wire, not only the constant
    assert uuid.UUID(event.id).version == 4
    assert str(uuid.UUID(event.id)) == event.id
    assert event.source == "members"
    assert event.type == MEMBER_REGISTERED
    assert event.subject == EXAMPLE["member_id"]
    assert event.correlationid == "req-1"
    assert event.datacontenttype == "application/json"
    # RFC 3339 in UTC, written with the Z designator, and it is "now".
    assert event.time.endswith("Z")
    occurred = event.occurred_at
    assert occurred.utcoffset() == timedelta(0)
    assert before - timedelta(seconds=1) <= occurred <= after + timedelta(seconds=1)


def test_create_gives_each_event_its_own_id():
    assert len({_create().id for _ in range(50)}) == 50


def test_create_without_correlation_id_starts_a_new_one():
    event = _create(correlation_id=None)
    assert uuid.UUID(event.correlationid)
    assert _create(correlation_id="").correlationid != ""


def test_create_stringifies_the_subject():
    assert _create(subject=42).subject == "42"


def test_utc_now_is_rfc3339_utc():
    stamp = utc_now_rfc3339()
    assert stamp.endswith("Z")
    parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    assert parsed.utcoffset() == timedelta(0)


def test_create_validates_data_and_names_every_bad_field():
    data = copy.deepcopy(EXAMPLE)
    data["email"] = "not-an-email"
    data["preferred_language"] = "de"
    data["registered_at"] = "2026-11-28T10:15:00"  # naive: not allowed
    del data["given_name"]
    with pytest.raises(InvalidEvent) as caught:
        _create(data=data)
    assert set(caught.value.errors) == {"email", "preferred_language", "registered_at", "given_name"}
    assert MEMBER_REGISTERED in str(caught.value)


def test_create_validates_nested_data():
    data = copy.deepcopy(EXAMPLE)
    data["consent"] = {"email": "perhaps"}
    with pytest.raises(InvalidEvent) as caught:
        _create(data=data)
    assert set(caught.value.errors["consent"]) == {"email", "sms"}


def test_create_refuses_a_type_the_catalog_does_not_publish():
    with pytest.raises(InvalidEvent, match="members.member.teleported"):
        _create(event_type="members.member.teleported")


def test_create_fills_defaults_of_optional_fields():
    data = {k: v for k, v in EXAMPLE.items() if k not in ("phone", "faculty", "programme", "graduation_year")}
    event = _create(data=data)
    assert event.data["phone"] is None and event.data["graduation_year"] is None


def test_create_refuses_an_empty_subject():
    with pytest.raises(InvalidEvent):
        _create(subject="")


# --------------------------------------------------------------------------- catalog

def test_register_refuses_a_type_of_another_source():
    catalog = EventCatalog("events")
    with pytest.raises(ValueError, match="not a events event"):
        catalog.register("members.member.registered", Schema.from_dict({})(), example={})
    # A prefix that merely starts with the source name is not the source either.
    with pytest.raises(ValueError):
        catalog.register("eventsx.event.published", Schema.from_dict({})(), example={})
    assert catalog.schemas == {}


def test_register_refuses_an_example_its_schema_rejects():
    catalog = EventCatalog("events")
    schema = Schema.from_dict({"title": fields.String(required=True)})()
    with pytest.raises(InvalidEvent) as caught:
        catalog.register("events.event.published", schema, example={})
    assert "title" in caught.value.errors
    assert "events.event.published" not in catalog.schemas


def test_register_returns_the_type_and_keeps_schema_and_example():
    catalog = EventCatalog("events")
    schema = Schema.from_dict({"title": fields.String(required=True)})()
    name = catalog.register("events.event.published", schema, example={"title": "Среща на випуск 2005"})
    assert name == "events.event.published"
    assert catalog.schemas[name] is schema
    assert catalog.create(name, "e1", {"title": "Гала вечер"}, "c").data == {"title": "Гала вечер"}


def test_register_refuses_a_type_that_breaks_the_naming_pattern():
    catalog = EventCatalog("events")
    with pytest.raises(ValueError):
        catalog.register("events.Event Published", Schema.from_dict({})(), example={})


# --------------------------------------------------------------------------- round trip

def test_to_json_is_compact_utf8_and_keeps_cyrillic():
    body = _create().to_json()
    assert isinstance(body, bytes)
    assert "Мария".encode() in body
    assert b"\\u" not in body  # not ASCII-escaped
    assert json.loads(body)["data"]["family_name"] == "Иванова"


def test_round_trip_keeps_every_attribute():
    event = _create(correlation_id="корелация-1")
    assert decode(event.to_json()) == event
    assert decode(event.to_json().decode()) == event  # str bodies too


def test_decode_ignores_unknown_extensions():
    raw = _wire(traceparent="00-abc-def-01", partitionkey="x")
    assert decode(json.dumps(raw)).type == MEMBER_REGISTERED


def test_decode_defaults_datacontenttype():
    assert decode(json.dumps(_wire(datacontenttype=None))).datacontenttype == "application/json"


def test_published_messages_are_labelled_structured_cloudevents():
    """What reaches a queue says it is a structured-mode CloudEvent and is the envelope itself
    (dev mode's publisher on kombu's memory transport; the broker's publisher is checked the
    same way against the real RabbitMQ in tests/integration/test_outbox_relay.py)."""
    event = _create()
    probe = Queue(f"envelope-probe-{uuid.uuid4().hex}", exchange(), routing_key=MEMBER_REGISTERED)
    with Connection("memory://") as conn:
        probe(conn.default_channel).declare()
        result = EmbeddedPublisher(conn).publish_batch(
            [PendingEvent(event.id, event.id, event.type, event.subject, event.to_json())])
        assert result.confirmed == {event.id}
        with conn.SimpleQueue(probe) as queue:
            message = queue.get(timeout=1)
    assert message.content_type == "application/cloudevents+json"
    assert message.properties["message_id"] == event.id
    assert decode(message.body) == event


@settings(max_examples=60, deadline=None)
@given(subject=st.text(min_size=1, max_size=80), correlation=st.text(max_size=80))
def test_any_created_envelope_round_trips(subject, correlation):
    event = _create(subject=subject, correlation_id=correlation)
    again = decode(event.to_json())
    assert again == event
    assert again.subject == subject


# --------------------------------------------------------------------------- rejecting

@pytest.mark.parametrize("body", [b"", b"not json", b"{\"id\": ", b"\xff\xfe\xfa", "{'single': 'quotes'}"])
def test_decode_rejects_non_json(body):
    with pytest.raises(InvalidEvent, match="not JSON"):
        decode(body)


@pytest.mark.parametrize("body", ["[]", "[1, 2]", "\"members.member.registered\"", "42", "null", "true"])
def test_decode_rejects_json_that_is_not_an_object(body):
    with pytest.raises(InvalidEvent, match="not a JSON object"):
        decode(body)


@pytest.mark.parametrize("missing", ["specversion", "id", "source", "type", "time", "subject", "data",
                                     "correlationid"])
def test_decode_names_a_missing_attribute(missing):
    with pytest.raises(InvalidEvent) as caught:
        decode(json.dumps(_wire(**{missing: None})))
    assert set(caught.value.errors) == {missing}


@pytest.mark.parametrize("field,value", [
    ("specversion", "0.3"),
    ("specversion", "1"),
    ("id", "not-a-uuid"),
    ("source", ""),
    ("time", "yesterday"),
    ("time", "2026-11-28T10:15:00"),  # no offset
    ("subject", ""),
    ("data", "a string"),
    ("data", [1, 2]),
    ("datacontenttype", "application/xml"),
    ("correlationid", 17),
])
def test_decode_names_a_malformed_attribute(field, value):
    with pytest.raises(InvalidEvent) as caught:
        decode(json.dumps(_wire(**{field: value})))
    assert set(caught.value.errors) == {field}


@pytest.mark.parametrize("event_type", [
    "Members.member.registered",
    "members.member",
    "members.member.registered.extra",
    "members.member.registered.v",
    "members.member.registered.V2",
    "members member registered",
    "members.member-x.registered",
    "members..registered",
    "",
])
def test_decode_rejects_a_type_outside_the_naming_pattern(event_type):
    with pytest.raises(InvalidEvent) as caught:
        decode(json.dumps(_wire(type=event_type)))
    assert set(caught.value.errors) == {"type"}


@pytest.mark.parametrize("event_type", ["members.member.registered", "events.registration.confirmed.v2",
                                        "members.mentorship.session_logged"])
def test_decode_accepts_types_in_the_pattern(event_type):
    wire = _wire(type=event_type, source=event_type.split(".")[0])
    assert decode(json.dumps(wire)).type == event_type


@pytest.mark.parametrize("source", ["events", "awards", "notifications", "members-x", "Members"])
def test_decode_refuses_a_source_that_is_not_the_producer_of_the_type(source):
    with pytest.raises(InvalidEvent) as caught:
        decode(json.dumps(_wire(type=MEMBER_REGISTERED, source=source)))
    assert set(caught.value.errors) == {"source"}
    assert "does not publish members.member.registered" in str(caught.value)


def test_decode_rejects_a_type_with_a_trailing_newline():
    with pytest.raises(InvalidEvent):
        decode(json.dumps(_wire(type="members.member.registered\n")))


def test_decode_names_several_bad_attributes_at_once():
    with pytest.raises(InvalidEvent) as caught:
        decode(json.dumps(_wire(specversion="2.0", id="x", type="BAD")))
    assert set(caught.value.errors) == {"specversion", "id", "type"}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.binary(max_size=64), json_values.map(json.dumps),
                 st.fixed_dictionaries({}, optional={k: json_values for k in _wire()}).map(json.dumps)))
def test_decode_raises_only_invalid_event(body):
    """Whatever arrives on the queue, decode either returns an envelope or raises InvalidEvent
    (which the consumer parks); any other exception would crash the consumer instead."""
    try:
        event = decode(body)
    except InvalidEvent:
        return
    assert isinstance(event, Envelope)

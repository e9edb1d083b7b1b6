"""CloudEvents 1.0 envelopes (structured JSON mode) and the event catalogue of a producer.

A producer declares each event type it publishes with the marshmallow schema of its ``data``
(``EventCatalog``); ``data`` is validated against that schema when the event is created, and a
consumer validates what it receives against its own expectation of the same type. An envelope
whose ``source`` is not the producer of its ``type`` (the type's first segment) is invalid.
"""
from __future__ import annotations

import json
import re
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

SPECVERSION = "1.0"
CONTENT_TYPE = "application/cloudevents+json"
TYPE_PATTERN = r"^[a-z]+\.[a-z_]+\.[a-z_]+(\.v[0-9]+)?\Z"  # \Z: "$" would allow a final newline


class InvalidEvent(ValueError):
    """An envelope or its data does not validate; ``errors`` is marshmallow's field map."""

    def __init__(self, message: str, errors: dict | None = None):
        super().__init__(f"{message}: {errors}" if errors else message)
        self.errors = errors or {}


@dataclass(frozen=True)
class Envelope:
    id: str
    source: str
    type: str
    time: str
    subject: str
    data: dict[str, Any]
    correlationid: str
    specversion: str = SPECVERSION
    datacontenttype: str = "application/json"

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":")).encode()

    @property
    def occurred_at(self) -> datetime:
        return datetime.fromisoformat(self.time.replace("Z", "+00:00"))


class _EnvelopeSchema(Schema):
    class Meta:
        unknown = EXCLUDE  # other CloudEvents extensions are allowed and ignored

    specversion = fields.String(required=True, validate=validate.Equal(SPECVERSION))
    id = fields.UUID(required=True)
    source = fields.String(required=True, validate=validate.Length(min=1))
    type = fields.String(required=True, validate=validate.Regexp(TYPE_PATTERN))
    time = fields.AwareDateTime(required=True)
    subject = fields.String(required=True, validate=validate.Length(min=1))
    datacontenttype = fields.String(load_default="application/json",
                                    validate=validate.Equal("application/json"))
    data = fields.Dict(required=True)
    correlationid = fields.String(required=True)


_envelope_schema = _EnvelopeSchema()


def utc_now_rfc3339() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def producer_of(event_type: str) -> str:
    """The service that publishes ``event_type``: its first segment (``members`` for members.*)."""
    return event_type.split(".", 1)[0]


def decode(body: bytes | str) -> Envelope:
    """Parse and validate an envelope; raise ``InvalidEvent`` for anything malformed, including
    a ``source`` that is not the producer of its ``type``."""
    try:
        raw = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidEvent(f"body is not JSON ({exc})") from None
    if not isinstance(raw, dict):
        raise InvalidEvent("body is not a JSON object")
    try:
        _envelope_schema.load(raw)
    except ValidationError as exc:
        raise InvalidEvent("not a CloudEvents 1.0 envelope", exc.messages) from None
    producer = producer_of(raw["type"])
    if raw["source"] != producer:
        # Only the producer's broker user may publish its routing keys; a source naming another
        # service is a forgery or a bug, never something to act on.
        raise InvalidEvent(f"source {raw['source']!r} does not publish {raw['type']}",
                           {"source": [f"Must be {producer!r}, the producer of {raw['type']}."]})
    return Envelope(
        id=raw["id"], source=raw["source"], type=raw["type"], time=raw["time"],
        subject=raw["subject"], data=raw["data"], correlationid=raw["correlationid"],
        specversion=raw["specversion"], datacontenttype=raw.get("datacontenttype", "application/json"),
    )


def validate_data(schema: Schema, data: dict, event_type: str) -> dict:
    """Load ``data`` with ``schema`` and return it as JSON-ready primitives."""
    try:
        loaded = schema.load(data)
    except ValidationError as exc:
        raise InvalidEvent(f"invalid data for {event_type}", exc.messages) from None
    return schema.dump(loaded)


class EventCatalog:
    """The event types one service publishes, each with the schema of its ``data``."""

    def __init__(self, source: str):
        self.source = source
        self.schemas: dict[str, Schema] = {}
        self.examples: dict[str, dict] = {}

    def register(self, event_type: str, schema: Schema, example: dict) -> str:
        """Declare a type; ``example`` is realistic data used by contract tests and docs."""
        if not re.match(TYPE_PATTERN, event_type):
            raise ValueError(f"{event_type!r} is not <service>.<entity>.<past-tense verb>")
        if producer_of(event_type) != self.source:
            raise ValueError(f"{event_type} is not a {self.source} event")
        validate_data(schema, example, event_type)
        self.schemas[event_type] = schema
        self.examples[event_type] = example
        return event_type

    def create(self, event_type: str, subject: str, data: dict, correlation_id: str) -> Envelope:
        schema = self.schemas.get(event_type)
        if schema is None:
            raise InvalidEvent(f"{self.source} does not publish {event_type}")
        if not str(subject):
            raise InvalidEvent(f"{event_type} needs a subject (the entity id)", {"subject": ["Empty."]})
        return Envelope(
            id=str(uuid.uuid4()), source=self.source, type=event_type, time=utc_now_rfc3339(),
            subject=str(subject), data=validate_data(schema, data, event_type),
            correlationid=correlation_id or str(uuid.uuid4()),
        )

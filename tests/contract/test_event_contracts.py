"""Event contracts: every producer's catalogue against every consumer's expectations.

Producers are found by scanning ``services/*/messages.py`` for ``EventCatalog`` objects;
consumers by scanning ``services/*/handlers.py`` for a ``subscriptions()`` function. A new
service's events and subscriptions are therefore checked without touching this file.

For each producer: its source is its service's name, every type follows the naming pattern,
and every registered example validates against its schema and survives a trip through an
envelope. For each consumer subscription: a producer publishes that type; the consumer's
expectation loads the producer's example (full, reduced to the producer's required fields, and
with a field added later); every field the consumer requires is always present in what the
producer sends (required there, or filled by a default) and is never null when the consumer
does not allow null.
"""
from __future__ import annotations

import copy
import importlib
import inspect
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from marshmallow import Schema, ValidationError, fields
from marshmallow.utils import missing

import services
from shared.bus.envelope import TYPE_PATTERN, EventCatalog, decode

SERVICES_DIR = Path(services.__file__).parent


def _service_modules(module_name: str):
    for folder in sorted(p for p in SERVICES_DIR.iterdir() if (p / f"{module_name}.py").is_file()):
        yield folder.name, importlib.import_module(f"services.{folder.name}.{module_name}")


@dataclass(frozen=True)
class Produced:
    service: str
    catalog: EventCatalog
    event_type: str

    @property
    def schema(self) -> Schema:
        return self.catalog.schemas[self.event_type]

    @property
    def example(self) -> dict:
        return copy.deepcopy(self.catalog.examples[self.event_type])

    def wire_data(self, data: dict | None = None) -> dict:
        """``data`` as a consumer receives it: created, serialised and decoded."""
        event = self.catalog.create(self.event_type, "subject-1", self.example if data is None else data, "c-1")
        return decode(event.to_json()).data


@dataclass(frozen=True)
class Consumed:
    service: str
    subscription: object  # shared.bus.consumer.Subscription

    @property
    def id(self) -> str:
        return f"{self.service}<-{self.subscription.event_type}"


def _catalogs() -> list[tuple[str, EventCatalog]]:
    found = []
    for service, module in _service_modules("messages"):
        for value in vars(module).values():
            if isinstance(value, EventCatalog) and all(value is not c for _, c in found):
                found.append((service, value))
    return found


def _subscriptions() -> list[Consumed]:
    found = []
    for service, module in _service_modules("handlers"):
        factory = getattr(module, "subscriptions", None)
        if not callable(factory):
            continue
        required = [p for p in inspect.signature(factory).parameters.values()
                    if p.default is inspect.Parameter.empty
                    and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        assert not required, f"services.{service}.handlers.subscriptions() must be callable without arguments"
        found.extend(Consumed(service, s) for s in factory())
    return found


CATALOGS = _catalogs()
PRODUCED = {t: Produced(service, catalog, t) for service, catalog in CATALOGS for t in catalog.schemas}
CONSUMED = _subscriptions()


def _producer_of(consumed: Consumed) -> Produced:
    produced = PRODUCED.get(consumed.subscription.event_type)
    assert produced is not None, (
        f"{consumed.service} subscribes to {consumed.subscription.event_type}, which no "
        f"services/*/messages.py catalogue registers (known: {sorted(PRODUCED)})")
    return produced


def _fields_by_key(schema: Schema) -> dict[str, fields.Field]:
    return {(f.data_key or name): f for name, f in schema.fields.items()}


def _always_present(field: fields.Field) -> bool:
    return field.required or field.load_default is not missing or field.dump_default is not missing


def _incompatibilities(consumer: Schema, producer: Schema, path: str = "") -> list[str]:
    """What the consumer may need that the producer does not promise, field by field."""
    problems = []
    offered = _fields_by_key(producer)
    for key, expected in _fields_by_key(consumer).items():
        where = f"{path}{key}"
        given = offered.get(key)
        if given is None:
            if expected.required:
                problems.append(f"{where}: required by the consumer, absent from the producer's schema")
            continue
        if expected.required and not _always_present(given):
            problems.append(f"{where}: required by the consumer, optional without default in the producer")
        if given.allow_none and not expected.allow_none:
            problems.append(f"{where}: the producer may send null, the consumer refuses it")
        if isinstance(expected, fields.Nested) and isinstance(given, fields.Nested):
            problems += _incompatibilities(expected.schema, given.schema, f"{where}.")
    return problems


def _required_only(produced: Produced) -> dict:
    """The example reduced to what the producer's schema requires (recursively for nesting)."""
    def reduce(schema: Schema, data: dict) -> dict:
        out = {}
        for key, field in _fields_by_key(schema).items():
            if field.required and key in data:
                value = data[key]
                if isinstance(field, fields.Nested) and isinstance(value, dict) and not field.many:
                    value = reduce(field.schema, value)
                out[key] = value
        return out
    return reduce(produced.schema, produced.example)


# --------------------------------------------------------------------------- discovery

def test_discovery_finds_the_known_producers_and_consumers():
    assert "members.member.registered" in PRODUCED
    assert PRODUCED["members.member.registered"].service == "members"
    assert any(c.service == "notifications" and c.subscription.event_type == "members.member.registered"
               for c in CONSUMED)


def test_every_service_but_the_token_issuer_consumes_access_revocations():
    """Every api checks tokens (``shared.revocations``); each service except members (which
    writes its own rows with the change) keeps them from ``members.access.revoked``."""
    from shared import revocations
    assert revocations.EVENT_TYPE in PRODUCED and PRODUCED[revocations.EVENT_TYPE].service == "members"
    apis = {p.name for p in SERVICES_DIR.iterdir() if (p / "app.py").is_file()} - {"members"}
    consumers = {c.service for c in CONSUMED if c.subscription.event_type == revocations.EVENT_TYPE}
    assert apis and consumers == apis


def test_no_two_catalogues_register_the_same_type():
    seen: dict[str, str] = {}
    for service, catalog in CATALOGS:
        for event_type in catalog.schemas:
            assert event_type not in seen, f"{event_type} registered by {seen[event_type]} and {service}"
            seen[event_type] = service


# --------------------------------------------------------------------------- producers

@pytest.mark.parametrize("service,catalog", CATALOGS, ids=[s for s, _ in CATALOGS])
def test_a_catalogue_publishes_under_its_own_service_name(service, catalog):
    assert catalog.source == service
    assert catalog.schemas, f"{service} registers no events"
    assert set(catalog.schemas) == set(catalog.examples)


@pytest.mark.parametrize("produced", PRODUCED.values(), ids=list(PRODUCED))
def test_type_follows_the_naming_pattern(produced):
    assert re.match(TYPE_PATTERN, produced.event_type)
    assert produced.event_type.split(".")[0] == produced.service


@pytest.mark.parametrize("produced", PRODUCED.values(), ids=list(PRODUCED))
def test_every_example_validates_against_its_producer_schema(produced):
    try:
        loaded = produced.schema.load(produced.example)
    except ValidationError as exc:  # pragma: no cover - the message is the point
        pytest.fail(f"{produced.event_type} example does not validate: {exc.messages}")
    # ...and the wire form (what a consumer receives) validates again: dump/load is stable.
    wire = produced.wire_data()
    assert produced.schema.dump(produced.schema.load(wire)) == wire
    assert produced.schema.dump(loaded) == wire


@pytest.mark.parametrize("produced", PRODUCED.values(), ids=list(PRODUCED))
def test_producer_schema_rejects_an_empty_payload_when_it_requires_fields(produced):
    required = [k for k, f in _fields_by_key(produced.schema).items() if f.required]
    if not required:
        pytest.skip("no required fields")
    with pytest.raises(ValidationError) as caught:
        produced.schema.load({})
    assert set(required) <= set(caught.value.messages)


# --------------------------------------------------------------------------- consumers

@pytest.mark.parametrize("consumed", CONSUMED, ids=[c.id for c in CONSUMED])
def test_a_producer_publishes_what_the_consumer_subscribes_to(consumed):
    assert re.match(TYPE_PATTERN, consumed.subscription.event_type)
    produced = _producer_of(consumed)
    assert produced.catalog.source == consumed.subscription.event_type.split(".")[0]


@pytest.mark.parametrize("consumed", CONSUMED, ids=[c.id for c in CONSUMED])
def test_consumer_expectation_loads_the_producer_example(consumed):
    produced = _producer_of(consumed)
    expectation: Schema = consumed.subscription.schema
    try:
        expectation.load(produced.wire_data())
    except ValidationError as exc:
        pytest.fail(f"{consumed.id}: the consumer refuses the producer's example: {exc.messages}")


@pytest.mark.parametrize("consumed", CONSUMED, ids=[c.id for c in CONSUMED])
def test_consumer_expectation_loads_the_smallest_valid_payload(consumed):
    """A producer may leave out everything its schema does not require."""
    produced = _producer_of(consumed)
    minimal = produced.wire_data(_required_only(produced))
    try:
        consumed.subscription.schema.load(minimal)
    except ValidationError as exc:
        pytest.fail(f"{consumed.id}: the consumer refuses a payload with only the producer's required "
                    f"fields: {exc.messages}")


@pytest.mark.parametrize("consumed", CONSUMED, ids=[c.id for c in CONSUMED])
def test_consumer_tolerates_fields_added_later(consumed):
    """Adding a field is a compatible change for producers; consumers must ignore it."""
    produced = _producer_of(consumed)
    data = {**produced.wire_data(), "field_added_in_a_later_release": {"any": ["thing"]}}
    try:
        consumed.subscription.schema.load(data)
    except ValidationError as exc:
        pytest.fail(f"{consumed.id}: an unknown field breaks the consumer: {exc.messages}")


@pytest.mark.parametrize("consumed", CONSUMED, ids=[c.id for c in CONSUMED])
def test_every_field_the_consumer_requires_is_promised_by_the_producer(consumed):
    produced = _producer_of(consumed)
    problems = _incompatibilities(consumed.subscription.schema, produced.schema)
    assert not problems, f"{consumed.id}:\n  " + "\n  ".join(problems)


# --------------------------------------------------------------------------- the checker itself

class _Producer(Schema):
    a = fields.String(required=True)
    b = fields.String(load_default=None, allow_none=True)
    c = fields.String()


class _Consumer(Schema):
    a = fields.String(required=True)
    b = fields.String(required=True)
    c = fields.String(required=True)
    d = fields.String(required=True)


def test_incompatibility_checker_finds_each_kind_of_gap():
    problems = _incompatibilities(_Consumer(), _Producer())
    assert [p.split(":")[0] for p in problems] == ["b", "c", "d"]
    assert "null" in problems[0]
    assert "optional without default" in problems[1]
    assert "absent" in problems[2]
    assert _incompatibilities(_Producer(), _Producer()) == []

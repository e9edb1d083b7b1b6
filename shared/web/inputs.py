"""What a request may send, one rule set for every route of every service; a refusal is a 4xx
problem and the view never runs, so nothing is stored.

- A JSON body whose arrays and objects nest deeper than ``MAX_DEPTH`` is a 400, refused
  before decoding: the decoder recurses, and 2,000 nested arrays (4 KB) would otherwise raise
  ``RecursionError`` (a 500) on routes anyone may call.
- A route that reads a JSON body answers a non-empty body of another type (``text/plain``,
  a form) with 415 naming ``application/json``, rather than reading it as no body and
  reporting the fields "missing".
- JSON values have the types the OpenAPI document shows: an integer field takes a JSON
  integer (not ``"2012"``, ``2015.7`` or ``true``), a number field a JSON number, a boolean
  field ``true`` or ``false`` (not ``"yes"`` or ``1``). The check walks the route's own
  marshmallow schema (the one the document is generated from), because marshmallow alone
  would coerce these values.
- A JSON body that Python's decoder refuses beyond its syntax (an integer of more than 4,300
  digits) or that holds text that is not Unicode (a lone surrogate, ``"\\ud800"``, which a
  client cutting a string inside an emoji sends) is a 400: neither could be stored.
- Every date and time a route takes lies in the years ``FIRST_YEAR``-``LAST_YEAR`` (in UTC for
  a time with an offset): a 422 naming the field, where year 1 or 9999 in another zone would
  overflow when converted, or stored (a 500).
- Query parameters are text that the schema parses (``?page=2``); a parameter the route
  does not declare is a 422 naming it, so a mistyped or smuggled filter (``kind[$ne]=...``)
  is never silently ignored. A route may opt out with ``unknown=EXCLUDE`` when a third
  party builds its URLs.

Routes get these rules by being built on :class:`Blueprint`; ``ProblemApi`` registers no
other kind, and ``create_service_app`` checks every JSON body's depth and text before any view.
"""
from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime, timezone
from typing import Any

import flask_smorest
from flask import request
from marshmallow import RAISE, Schema, ValidationError, fields
from webargs.core import is_json
from webargs.flaskparser import FlaskParser

from shared.web.problems import Problem

JSON = "application/json"
# The dates a route takes: wide for any alumni record, far from year 1 and 9999, where a
# conversion to UTC or a day's arithmetic overflows.
FIRST_YEAR, LAST_YEAR = 1900, 2199
_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
# Our deepest body (a segment's filter) nests 3 levels; the decoder fails near 1,000.
MAX_DEPTH = 32
_OPENERS = b"[{"
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def nests_too_deep(body: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether a JSON text's arrays and objects nest deeper than ``limit`` (brackets inside
    strings do not count), found without decoding it."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False  # too few brackets to nest that deep: the common case costs two scans
    depth = 0
    for byte in _STRING.sub(b"", body).translate(None, _NOT_BRACKETS):
        depth += 1 if byte in _OPENERS else -1
        if depth > limit:
            return True
    return False


def holds_lone_surrogate(body: bytes) -> bool:
    """Whether a JSON text holds a string (or key) with a lone surrogate (``"\\ud800"``), which
    no UTF-8 text, and so no stored document or answer, can hold. Decoded only when the text
    has a surrogate escape at all (an emoji's escaped pair has one too)."""
    if _SURROGATE_ESCAPE.search(body) is None:
        return False
    try:
        return has_lone_surrogate(json.loads(body))
    except ValueError:
        return False  # not JSON: the parser answers that


def refuse_unreadable_json() -> None:
    """Before any view, so that no code reading the body meets it (a rate limit, an
    idempotency fingerprint, an echoed field name): a JSON body nested too deep to decode
    safely, or holding a lone surrogate, is a 400 problem."""
    # No Content-Type, no JSON (most requests are GETs): the header is not even parsed then.
    if not (request.environ.get("CONTENT_TYPE") and request.is_json):
        return
    body = request.get_data(cache=True)
    if nests_too_deep(body):
        raise Problem(400, f"The JSON body nests arrays or objects deeper than {MAX_DEPTH} levels.",
                      kind="too-deep")
    if holds_lone_surrogate(body):
        raise Problem(400, "The JSON body holds text that is not valid Unicode (a lone surrogate, "
                           "\\ud800-\\udfff): send whole characters.", kind="invalid-json")


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# The JSON values each kind of field takes (subclasses first); other fields judge for themselves.
JSON_TYPES: tuple[tuple[type[fields.Field], Callable[[Any], bool]], ...] = (
    (fields.Boolean, lambda value: isinstance(value, bool)),
    (fields.Integer, _integer),
    (fields.Float, _number),
)


def type_errors(schema: Schema, data: Any) -> dict[str, Any]:
    """Field -> messages for every value in a decoded JSON ``data`` whose JSON type its field
    in ``schema`` does not take, nested the way marshmallow nests its own messages."""
    if not isinstance(data, Mapping):
        return {}  # marshmallow refuses it as a whole
    errors = {}
    for name, field in schema.load_fields.items():
        key = field.data_key or name
        if key in data and (found := _value_errors(field, data[key])):
            errors[key] = found
    return errors


def _value_errors(field: fields.Field, value: Any) -> Any:
    if value is None:
        return None  # whether null is allowed is marshmallow's to say
    if isinstance(field, fields.Nested):
        if field.many:
            return _each(value, lambda item: type_errors(field.schema, item))
        return type_errors(field.schema, value)
    if isinstance(field, fields.List):
        return _each(value, lambda item: _value_errors(field.inner, item))
    if isinstance(field, fields.Dict) and field.value_field is not None and isinstance(value, Mapping):
        return {key: {"value": found} for key, item in value.items()
                if (found := _value_errors(field.value_field, item))}
    for kind, takes in JSON_TYPES:
        if isinstance(field, kind):
            return None if takes(value) else [field.error_messages["invalid"]]
    return None


def _each(value: Any, errors_of: Callable[[Any], Any]) -> dict[int, Any] | None:
    if not isinstance(value, list):
        return None  # marshmallow refuses a non-list
    return {index: found for index, item in enumerate(value) if (found := errors_of(item))}


def has_lone_surrogate(data: Any) -> bool:
    """Whether decoded JSON holds a string (or a key) with a lone surrogate, which no UTF-8
    text, and so no stored document or answer, can hold."""
    if isinstance(data, str):
        return _SURROGATE.search(data) is not None
    if isinstance(data, Mapping):
        return any(has_lone_surrogate(k) or has_lone_surrogate(v) for k, v in data.items())
    if isinstance(data, list):
        return any(has_lone_surrogate(item) for item in data)
    return False


def out_of_range(data: Any, schema: Schema | None = None) -> Any:
    """Field -> messages for each loaded date or time outside ``FIRST_YEAR``-``LAST_YEAR``,
    named and nested as marshmallow names its own messages (a field's ``data_key``, as the
    request sent it, when ``schema`` is the one ``data`` was loaded with); None: none."""
    if isinstance(data, (date, datetime)):
        try:
            day = data.astimezone(timezone.utc) if isinstance(data, datetime) and data.tzinfo else data
        except OverflowError:
            day = None
        fits = day is not None and FIRST_YEAR <= day.year <= LAST_YEAR
        return None if fits else [f"Must be in the years {FIRST_YEAR} to {LAST_YEAR}."]
    if isinstance(data, list):
        found = {index: errors for index, item in enumerate(data) if (errors := out_of_range(item, schema))}
    elif isinstance(data, Mapping) and schema is not None:
        found = {}
        for name, field in schema.load_fields.items():
            inner = field.inner if isinstance(field, fields.List) else field
            nested = inner.schema if isinstance(inner, fields.Nested) else None
            value = data.get(field.attribute or name)
            if value is not None and (errors := out_of_range(value, nested)):
                found[field.data_key or name] = errors
    elif isinstance(data, Mapping):
        found = {key: errors for key, item in data.items() if (errors := out_of_range(item))}
    else:
        return None
    return found or None


@functools.lru_cache(maxsize=512)
def _instance(schema_class: type[Schema]) -> Schema:
    """One instance of a route's schema class, to read its fields' names from."""
    return schema_class()


class StrictParser(FlaskParser):
    """webargs' Flask parser keeping the rules above."""

    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": RAISE, "querystring": RAISE}

    def load_json(self, req, schema: Schema) -> Any:
        if not is_json(req.mimetype) and req.get_data(cache=True):
            sent = f"as {req.mimetype}" if req.mimetype else "without a Content-Type"
            raise Problem(415, f"Send the body as {JSON} (it was sent {sent}).", kind="unsupported-media-type",
                          expected=JSON)
        try:
            return super().load_json(req, schema)
        except ValueError as error:  # past the syntax: e.g. Python's limit on an integer's digits
            raise Problem(400, f"The JSON body cannot be read: {error}", kind="invalid-json") from None

    def parse(self, argmap, *args, **kwargs) -> Any:
        parsed = super().parse(argmap, *args, **kwargs)
        schema = _instance(argmap) if isinstance(argmap, type) and issubclass(argmap, Schema) else argmap
        if errors := out_of_range(parsed, schema if isinstance(schema, Schema) else None):
            raise Problem(422, "A date or time is out of range.", kind="validation", errors=errors)
        return parsed

    def pre_load(self, location_data: Any, *, schema: Schema, req, location: str) -> Any:
        if location == "json" and (errors := type_errors(schema, location_data)):
            # With the schema's other complaints, so one answer names every bad field.
            raise ValidationError(_merged(schema.validate(location_data), errors))
        return location_data


def _merged(errors: dict, overrides: dict) -> dict:
    merged = dict(errors)
    for key, value in overrides.items():
        both_maps = isinstance(value, dict) and isinstance(merged.get(key), dict)
        merged[key] = _merged(merged[key], value) if both_maps else value
    return merged


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's blueprint parsing arguments with :class:`StrictParser`: build every
    service's routes on it."""

    ARGUMENTS_PARSER = StrictParser()

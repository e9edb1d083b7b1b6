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
- Query parameters are text that the schema parses (``?page=2``); a parameter the route
  does not declare is a 422 naming it, so a mistyped or smuggled filter (``kind[$ne]=...``)
  is never silently ignored. A route may opt out with ``unknown=EXCLUDE`` when a third
  party builds its URLs.

Routes get these rules by being built on :class:`Blueprint`; ``ProblemApi`` registers no
other kind, and ``create_service_app`` checks the depth of every JSON body.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import flask_smorest
from flask import request
from marshmallow import RAISE, Schema, ValidationError, fields
from webargs.core import is_json
from webargs.flaskparser import FlaskParser

from shared.web.problems import Problem

JSON = "application/json"
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


def refuse_deep_json() -> None:
    """Before any view: a JSON body nested too deep to decode safely is a 400 problem."""
    # No Content-Type, no JSON (most requests are GETs): the header is not even parsed then.
    if request.environ.get("CONTENT_TYPE") and request.is_json and nests_too_deep(request.get_data(cache=True)):
        raise Problem(400, f"The JSON body nests arrays or objects deeper than {MAX_DEPTH} levels.",
                      kind="too-deep")


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


class StrictParser(FlaskParser):
    """webargs' Flask parser keeping the rules above."""

    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": RAISE, "querystring": RAISE}

    def load_json(self, req, schema: Schema) -> Any:
        if not is_json(req.mimetype) and req.get_data(cache=True):
            sent = f"as {req.mimetype}" if req.mimetype else "without a Content-Type"
            raise Problem(415, f"Send the body as {JSON} (it was sent {sent}).", kind="unsupported-media-type",
                          expected=JSON)
        return super().load_json(req, schema)

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

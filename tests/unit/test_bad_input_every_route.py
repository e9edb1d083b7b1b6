"""Bad input, tried as an attacker would, on every route of every service (issue 10, rules in
``shared.web.inputs``). The cases are generated from each service's own OpenAPI document, so
a new route is covered without a new test; each test reports every failing case at once.

- Every route taking a JSON body: 2,000 nested arrays (4 KB) is a 400, not a decoder crash;
  the body sent as ``text/plain`` or as a form is a 415 naming ``application/json`` (when
  JSON is the only body the route documents); every integer field sent as ``"2012"``,
  ``2015.7`` or ``true`` and every boolean field as ``"yes"``, ``1`` or ``"true"`` is a 422
  naming the field, inside nested objects and lists too, and a string field given a number
  or ``true`` likewise.
- Every route with query parameters: an undeclared one (plain, or ``kind[$ne]``) is a 422
  naming it; an integer parameter that is not one, or a boolean that is neither, is a 422
  naming it.

Every answer is ``application/problem+json`` and the service's database holds the same
documents afterwards. Requests carry an admin's token that is also an alumnus and a judge, so
no route refuses them before reading their input.
"""
from __future__ import annotations

import importlib
import json
import re

import pytest

from shared.web.inputs import JSON
from tests.support import PROBLEM

SERVICES = ("members", "events", "notifications", "awards")
# Routes that read no JSON (or query) in fewer than this many would mean the document was not read.
MIN_BODY_ROUTES = {"members": 10, "events": 5, "notifications": 2, "awards": 10}
MIN_QUERY_ROUTES = {"members": 6, "events": 4, "notifications": 2, "awards": 2}
# Third parties build these URLs and add their own parameters (see the route's schema).
TOLERATES_UNKNOWN_QUERY = {"/api/v1/members/unsubscribe"}
BAD_VALUES = {"integer": ("2012", 2015.7, True), "number": ("2.5", True), "boolean": ("yes", 1, "true"),
              "string": (12, True)}
BAD_QUERY_VALUES = {"integer": ("abc", "1.5"), "boolean": ("maybe",)}
NO_SUCH_PARAMETERS = ("no_such_parameter", "kind[$ne]")
DEEP = "[" * 2000 + "]" * 2000
METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(params=SERVICES)
def service(request, make_config):
    app = importlib.import_module(f"services.{request.param}.app").create_app(make_config(AMQP_URL="memory://"))
    app.name_in_gateway = request.param
    return app


@pytest.fixture
def headers(issue_token):
    return {"Authorization": f"Bearer {issue_token('a' * 32, 'admin', 'alumnus', 'judge')}"}


# Counters of requests, not data: a refused request still counts toward its client's limit.
REQUEST_COUNTERS = {"rate_limits"}


@pytest.fixture
def stored(service):
    """The number of documents in every collection of the service's database, now."""
    db = service.extensions["alumnet"].store.db
    return lambda: {name: db[name].count_documents({}) for name in db.list_collection_names()
                    if name not in REQUEST_COUNTERS}


def operations(app):
    """(method, path with its parameters filled, path template, operation, document) for
    every route of the app's OpenAPI document."""
    document = app.test_client().get(f"/api/v1/{app.name_in_gateway}/openapi.json").get_json()
    for template, item in document["paths"].items():
        path = re.sub(r"\{[^}]+\}", "0" * 32, template)
        for method in METHODS:
            if method in item:
                yield method, path, template, item[method], document


def json_body_routes(app):
    for method, path, template, operation, document in operations(app):
        content = operation.get("requestBody", {}).get("content", {})
        if JSON in content:
            yield method, path, content, resolve(content[JSON]["schema"], document), document


def only_json(content: dict) -> bool:
    return set(content) == {JSON}


def resolve(schema: dict, document: dict) -> dict:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    if "allOf" in schema:
        merged = {}
        for part in schema["allOf"]:
            merged.update(resolve(part, document))
        return merged
    return schema


def typed_fields(schema: dict, document: dict, depth: int = 0):
    """(path, JSON type) of every integer, number, boolean and string a client may send in
    ``schema``; a path step ``0`` is the first item of a list."""
    if depth > 6:
        return
    for name, prop in resolve(schema, document).get("properties", {}).items():
        prop = resolve(prop, document)
        if prop.get("readOnly"):
            continue
        kind = prop.get("type")
        if kind in BAD_VALUES:
            yield (name,), kind
        elif kind == "object":
            yield from (((name, *path), k) for path, k in typed_fields(prop, document, depth + 1))
        elif kind == "array":
            items = resolve(prop.get("items", {}), document)
            if items.get("type") in BAD_VALUES:
                yield (name, 0), items["type"]
            elif items.get("type") == "object" or "properties" in items:
                yield from (((name, 0, *path), k) for path, k in typed_fields(items, document, depth + 1))


def body_at(path: tuple, value):
    """The smallest body holding ``value`` at ``path``."""
    for step in reversed(path):
        value = [value] if step == 0 else {step: value}
    return value


def errors_at(errors: dict, path: tuple):
    for step in path:
        if not isinstance(errors, dict) or str(step) not in errors:
            return None
        errors = errors[str(step)]
    return errors


def call(client, method: str, path: str, headers: dict, **kwargs):
    return getattr(client, method)(path, headers=headers, **kwargs)


def refusal_failure(response, label: str, status: int | None = None, naming: tuple = ()) -> str | None:
    """Why ``response`` is not a problem with ``status`` (any 4xx if None) whose ``errors``
    name the field at ``naming`` (if given), or None."""
    wanted = status is None and 400 <= response.status_code < 500 or response.status_code == status
    if not wanted or response.mimetype != PROBLEM:
        return f"{label}: {response.status_code} {response.mimetype} {response.get_data(as_text=True)[:300]}"
    errors = response.get_json().get("errors") or {}
    if naming and errors_at(errors, naming) is None:
        return f"{label}: {'.'.join(map(str, naming))} is not named in {errors}"
    return None


def assert_all(failures: list, checked: int, minimum: int, before: dict, after: dict) -> None:
    assert checked >= minimum, f"only {checked} routes checked: was the OpenAPI document read?"
    assert not failures, "\n".join(failures)
    assert after == before, "a refused request stored something"


def test_deeply_nested_json_is_a_400_on_every_json_route(service, headers, stored):
    client, before, failures = service.test_client(), stored(), []
    routes = list(json_body_routes(service))
    for method, path, *_ in routes:
        response = call(client, method, path, headers, data=DEEP, content_type=JSON)
        failures.append(refusal_failure(response, f"{method.upper()} {path} deep", 400))
        # Without a token too: sign-up, login and unsubscribe are open to anyone.
        response = call(client, method, path, {}, data=DEEP, content_type=JSON)
        failures.append(refusal_failure(response, f"{method.upper()} {path} deep, anonymous", 400))
    assert_all([f for f in failures if f], len(routes), MIN_BODY_ROUTES[service.name_in_gateway],
               before, stored())


@pytest.mark.parametrize("content_type,body", [("text/plain", json.dumps({"name": "x"})),
                                               ("application/x-www-form-urlencoded", "name=x")])
def test_a_json_body_of_another_type_is_a_415_naming_json(service, headers, stored, content_type, body):
    client, before, failures = service.test_client(), stored(), []
    routes = list(json_body_routes(service))
    for method, path, content, *_ in routes:
        response = call(client, method, path, headers, data=body, content_type=content_type)
        label = f"{method.upper()} {path} as {content_type}"
        # A route documenting other bodies too (a form) judges them itself.
        failure = refusal_failure(response, label, 415 if only_json(content) else None)
        if failure is None and only_json(content) and response.get_json().get("expected") != JSON:
            failure = f"{label}: the expected type is not named in {response.get_json()}"
        failures.append(failure)
    assert_all([f for f in failures if f], len(routes), MIN_BODY_ROUTES[service.name_in_gateway],
               before, stored())


def test_loose_json_types_are_a_422_naming_the_field(service, headers, stored):
    client, before, failures, checked = service.test_client(), stored(), [], 0
    for method, path, content, schema, document in json_body_routes(service):
        status = 422 if only_json(content) else None  # a route taking other bodies too reads its own
        for field, kind in typed_fields(schema, document):
            checked += 1
            for value in BAD_VALUES[kind]:
                response = call(client, method, path, headers, json=body_at(field, value))
                label = f"{method.upper()} {path} {'.'.join(map(str, field))}={value!r}"
                failures.append(refusal_failure(response, label, status, naming=field))
    assert_all([f for f in failures if f], checked, MIN_BODY_ROUTES[service.name_in_gateway],
               before, stored())


def query_routes(app):
    for method, path, template, operation, document in operations(app):
        parameters = [p for p in operation.get("parameters", []) if p.get("in") == "query"]
        if parameters:
            yield method, path, template, parameters


def test_an_unknown_query_parameter_is_a_422_naming_it(service, headers, stored):
    client, before, failures = service.test_client(), stored(), []
    routes = [route for route in query_routes(service) if route[2] not in TOLERATES_UNKNOWN_QUERY]
    for method, path, _, _ in routes:
        for name in NO_SUCH_PARAMETERS:
            response = call(client, method, path, headers, query_string={name: "x"})
            label = f"{method.upper()} {path}?{name}"
            failures.append(refusal_failure(response, label, 422, naming=(name,)))
    assert_all([f for f in failures if f], len(routes), MIN_QUERY_ROUTES[service.name_in_gateway],
               before, stored())


def test_a_query_parameter_that_does_not_parse_is_a_422_naming_it(service, headers, stored):
    client, before, failures = service.test_client(), stored(), []
    routes = list(query_routes(service))
    for method, path, _, parameters in routes:
        for parameter in parameters:
            for value in BAD_QUERY_VALUES.get(parameter.get("schema", {}).get("type"), ()):
                response = call(client, method, path, headers, query_string={parameter["name"]: value})
                label = f"{method.upper()} {path}?{parameter['name']}={value}"
                failures.append(refusal_failure(response, label, 422, naming=(parameter["name"],)))
    assert_all([f for f in failures if f], len(routes), MIN_QUERY_ROUTES[service.name_in_gateway],
               before, stored())

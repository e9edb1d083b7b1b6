"""Every schema of every service's OpenAPI document has a name of its own: when two marshmallow
schemas share a class name, apispec renames one with a warning and the document's readers get
``Choice1`` instead of a name that says what it is."""
from __future__ import annotations

import importlib
import warnings

import pytest

SERVICES = ("members", "events", "notifications", "awards")


@pytest.mark.parametrize("service", SERVICES)
def test_no_two_schemas_share_a_name(service, make_config):
    create_app = importlib.import_module(f"services.{service}.app").create_app
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        app = create_app(make_config(AMQP_URL="memory://"))
        spec = app.test_client().get(f"/api/v1/{service}/openapi.json")
    assert spec.status_code == 200
    assert [str(w.message) for w in caught if "Multiple schemas resolved" in str(w.message)] == []
